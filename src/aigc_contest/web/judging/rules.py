"""Judging: organisers run it; a judge works only on their own assignments."""

from __future__ import annotations

from typing import Any

import rules

from aigc_contest.web.accounts.rules import is_judge, is_organiser


@rules.predicate
def is_assigned_judge(user: Any, assignment: Any) -> bool:
    return bool(assignment is not None and is_judge(user) and assignment.judge_id == user.pk)


rules.add_perm("judging.manage_judging", is_organiser)
rules.add_perm("judging.score_assignment", is_assigned_judge)
