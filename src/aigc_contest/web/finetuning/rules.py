"""Who may use the fine-tuning pages. The training set is private to the team: its members and their
teachers see the pictures; organisers and judges see only the entry's model card."""

from __future__ import annotations

from typing import Any

import rules

from aigc_contest.web.contests.rules import is_competition_organiser
from aigc_contest.web.entries.rules import is_team_member, is_team_teacher
from aigc_contest.web.works.rules import may_edit_work


@rules.predicate
def is_finetune_entry(user: Any, entry: Any) -> bool:
    return bool(entry is not None and getattr(entry, "work_type", None) == "finetuned_model")


rules.add_perm("finetuning.view_training_set", (is_team_member | is_team_teacher) & is_finetune_entry)
rules.add_perm("finetuning.edit_model", may_edit_work & is_finetune_entry)
rules.add_perm("finetuning.set_limits", is_competition_organiser)  # on a category
