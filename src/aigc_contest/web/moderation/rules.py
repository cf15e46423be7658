"""Moderation: teachers review their own school's safety events and settings; organisers see everything."""

from __future__ import annotations

from typing import Any

import rules

from aigc_contest.web.accounts.rules import is_organiser, is_teacher, is_teacher_at_school


@rules.predicate
def is_teacher_of_event_school(user: Any, event: Any) -> bool:
    return bool(
        event is not None and event.school_id and is_teacher(user) and user.school_id == event.school_id
    )


rules.add_perm("moderation.view_queue", is_teacher | is_organiser)
rules.add_perm("moderation.view_school_events", is_teacher)
rules.add_perm("moderation.view_all_events", is_organiser)


@rules.predicate
def is_private_to_school(user: Any, event: Any) -> bool:
    """A school's self-harm events are for that school's teachers only."""
    return bool(event is not None and event.school_id and event.category == "self_harm")


rules.add_perm("moderation.review_event", is_teacher_of_event_school | (is_organiser & ~is_private_to_school))
rules.add_perm("moderation.edit_school_policy", is_teacher_at_school | is_organiser)
