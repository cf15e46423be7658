"""Reads for teams and entries, always scoped to what the user may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from aigc_contest.web.accounts.models import User
from aigc_contest.web.contests.models import Competition
from aigc_contest.web.entries.models import Entry, Team, content_hash


def _watched(user: User) -> list[int]:
    """The competitions the user owns, organises or views."""
    return [pk for pk, roles in user.held_competition_roles.items() if roles - {"judge"}]


def teams_for(user: User) -> QuerySet[Team]:
    base = Team.objects.select_related("category", "competition", "school", "supervising_teacher")
    watched = _watched(user)
    if user.is_teacher:
        return base.filter(Q(school_id=user.school_id) | Q(supervising_teacher=user) | Q(competition__in=watched)
                           ).distinct()
    if watched:
        return base.filter(Q(competition__in=watched) | Q(members=user)).distinct()
    return base.filter(members=user)


def entries_for(user: User) -> QuerySet[Entry]:
    # `version_count` is a column of the entry, kept by the submission's transaction.
    base = Entry.objects.select_related("team", "category__competition", "theme")
    watched = _watched(user)
    if user.is_teacher:
        return base.filter(Q(team__school_id=user.school_id) | Q(team__supervising_teacher=user)
                           | Q(category__competition__in=watched)).distinct()
    if watched:
        return base.filter(Q(category__competition__in=watched) | Q(team__members=user)).distinct()
    return base.filter(team__members=user)



def changed_since_sent(entry: Entry) -> bool:
    """A submitted entry whose draft (file, title, description, type, theme) is no longer what was sent."""
    if entry.status != Entry.Status.SUBMITTED:
        return False
    latest = entry.versions.order_by("-number").first()
    if latest is None:
        return False
    draft = content_hash(file_sha256=entry.draft_file_sha256, title=entry.title, description=entry.description,
                         work_type=entry.work_type, theme_id=entry.theme_id)  # fmt: skip
    return draft != latest.content_hash


SCHOOL_NOT_ADMITTED = {
    "pending": gettext_lazy("Your school's request to take part is waiting for the organisers. Your draft is "
                            "kept: you can submit it as soon as they let your school in."),
    "declined": gettext_lazy("The organisers did not let your school into this competition, so entries cannot be "
                             "submitted. Your teacher can read why on the school page and ask again."),
    "none": gettext_lazy("Your school has not asked to take part in this competition yet. Your teacher asks from "
                         "the school page; you can submit once the organisers let your school in."),
}


def school_not_admitted_text(competition: Competition, team: Team) -> str:
    """Why the team's school may not submit to the competition yet, or "" when it may."""
    from aigc_contest.web.contests.roles_selectors import school_admission

    if team.school_id is None or not competition.schools_must_join:
        return ""  # a team outside schools (an open category's) asks no school's admission
    state = school_admission(competition, team.school)
    return str(SCHOOL_NOT_ADMITTED[state]) if state in SCHOOL_NOT_ADMITTED else ""
