"""Who may see and change teams and entries: their members and teachers, and the competition's organisers
(viewers read)."""

from __future__ import annotations

from typing import Any

import rules

from aigc_contest.web.accounts.rules import is_adult_participant, is_teacher
from aigc_contest.web.contests.rules import is_competition_organiser, is_competition_viewer


def _team_of(obj: Any) -> Any:
    return getattr(obj, "team", obj)


def _has_member(team: Any, user: Any) -> bool:
    # A team loaded with prefetch_related("members") answers from memory: a submission asks two
    # permissions of the same team, and asking the database each time costs a query per question.
    prefetched = getattr(team, "_prefetched_objects_cache", {}).get("members")
    if prefetched is not None:
        return any(member.pk == user.pk for member in prefetched)
    return team.members.filter(pk=user.pk).exists()


@rules.predicate
def is_team_member(user: Any, obj: Any) -> bool:
    team = _team_of(obj)
    return bool(team is not None and user.is_authenticated and _has_member(team, user))


@rules.predicate
def is_team_teacher(user: Any, obj: Any) -> bool:
    """The supervising teacher, or any teacher of the team's school."""
    team = _team_of(obj)
    if team is None or not is_teacher(user):
        return False
    return bool(
        team.supervising_teacher_id == user.pk or (team.school_id and team.school_id == user.school_id)
    )


@rules.predicate
def competition_lets_teachers_help(user: Any, obj: Any) -> bool:
    """The competition of the team (or entry, or work) lets its teachers change and submit drafts."""
    if obj is None:
        return False
    category = getattr(
        obj, "category", None
    )  # an entry or team: its category is usually loaded with the competition
    competition = (
        category.competition if category is not None else getattr(_team_of(obj), "competition", None)
    )
    return bool(competition is not None and competition.teachers_may_help)


# Teachers see their students' work; they change it only where the competition lets them help.
is_helping_teacher = is_team_teacher & competition_lets_teachers_help

# Teams and entries
# create_team is asked of the category (or competition) the team is for.
rules.add_perm("entries.create_team", is_teacher | is_adult_participant | is_competition_organiser)
rules.add_perm("entries.view_team", is_team_member | is_team_teacher | is_competition_viewer)
rules.add_perm(
    "entries.change_team", is_team_teacher | is_competition_organiser | (is_adult_participant & is_team_member)
)
# Bring members into a team outside schools (a link to join): its adult members.
rules.add_perm("entries.invite_members", is_adult_participant & is_team_member)
rules.add_perm("entries.view_entry", is_team_member | is_team_teacher | is_competition_viewer)
rules.add_perm("entries.edit_entry", is_team_member | is_helping_teacher)
rules.add_perm("entries.submit_entry", is_team_member | is_helping_teacher)
rules.add_perm("entries.withdraw_entry", is_team_member | is_helping_teacher)
