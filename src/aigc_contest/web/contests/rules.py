"""Competitions: each is run by the people holding a role on it (`CompetitionRole`). Owner ⊃ organiser ⊃
viewer: viewers read a competition's organiser pages, organisers change it, owners also decide who holds
which role. Judges score what they are assigned. A role on one competition gives nothing on another.

Every predicate takes the object a permission is asked about (a competition, or anything that belongs to
one: a category, team, entry, round, assignment, certificate, work) and finds its competition; asked with
no object it answers whether the user holds the role on any competition (which pages to show at all).
Platform organisers (the account's own role, the competition office) may create competitions; the
creator becomes its owner (`contests.services.grant_role`).
"""

from __future__ import annotations

from typing import Any

import rules

from aigc_contest.web.accounts.rules import is_organiser, is_teacher, is_teacher_at_school
from aigc_contest.web.accounts.selectors import competition_id_of
from aigc_contest.web.contests.models import ROLES_AT_LEAST, CompetitionRoleKind


def _holds(user: Any, obj: Any, at_least: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not hasattr(user, "held_competition_roles"):
        return False
    wanted = ROLES_AT_LEAST[at_least]
    held = user.held_competition_roles
    if not held:
        return False  # most people hold no role anywhere: no need to find the object's competition
    if obj is None:
        return any(roles & wanted for roles in held.values())
    competition_id = competition_id_of(obj)
    return bool(competition_id and held.get(competition_id, frozenset()) & wanted)


@rules.predicate
def is_competition_owner(user: Any, obj: Any = None) -> bool:
    return _holds(user, obj, CompetitionRoleKind.OWNER)


@rules.predicate
def is_competition_organiser(user: Any, obj: Any = None) -> bool:
    """Owner or organiser of the object's competition."""
    return _holds(user, obj, CompetitionRoleKind.ORGANISER)


@rules.predicate
def is_competition_viewer(user: Any, obj: Any = None) -> bool:
    """Owner, organiser or viewer of the object's competition: may read its organiser pages."""
    return _holds(user, obj, CompetitionRoleKind.VIEWER)


@rules.predicate
def is_competition_judge(user: Any, obj: Any = None) -> bool:
    return _holds(user, obj, CompetitionRoleKind.JUDGE)


@rules.predicate
def is_teacher_of_join_request_school(user: Any, join_request: Any) -> bool:
    return bool(join_request is not None and is_teacher_at_school(user, join_request.school))


rules.add_perm("contests.create_competition", is_organiser)
rules.add_perm("contests.view_competition", is_competition_viewer)
# The organiser pages at all: platform organisers (to create competitions) and whoever runs one.
rules.add_perm("contests.see_organiser_pages", is_organiser | is_competition_viewer)
rules.add_perm("contests.manage_competition", is_competition_organiser)
rules.add_perm("contests.export_participants", is_competition_viewer)
# Who holds which role: owners; organisers may invite judges and viewers (the invitation form says which).
rules.add_perm("contests.manage_roles", is_competition_owner)
rules.add_perm("contests.invite_people", is_competition_organiser)
# Schools ask to take part (a teacher of the school); the competition's organisers decide.
rules.add_perm("contests.request_to_join", is_teacher_at_school)
rules.add_perm("contests.decide_join_requests", is_competition_organiser)
# A teacher invites colleagues to their own school by link.
rules.add_perm("contests.invite_teacher", is_teacher_at_school)
# The audit log of a competition: its owners and organisers.
rules.add_perm("contests.view_audit_log", is_competition_organiser | is_organiser)
# Teachers see the competitions their school may join.
rules.add_perm("contests.see_joinable_competitions", is_teacher)
# The participation lists (entries, teams, schools, teachers), per-school reports and messages to teachers.
rules.add_perm("contests.view_participation", is_competition_viewer)
rules.add_perm("contests.message_teachers", is_competition_organiser)
# Setting a competition up (its pages and `aigc-contest competition apply`); asked with the competition.
rules.add_perm("contests.add_competition", is_organiser)
rules.add_perm("contests.change_competition", is_competition_organiser)
