"""Judging: the competition's organisers run it; a judge of the competition works only on their own
assignments."""

from __future__ import annotations

from typing import Any

import rules

from aigc_contest.web.contests.rules import is_competition_judge, is_competition_organiser


@rules.predicate
def is_assigned_judge(user: Any, assignment: Any) -> bool:
    return bool(
        assignment is not None
        and getattr(user, "pk", None) == assignment.judge_id
        and is_competition_judge(user, assignment)
    )


rules.add_perm("judging.manage_judging", is_competition_organiser)
rules.add_perm("judging.score_assignment", is_assigned_judge)
