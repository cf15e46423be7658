"""Reads for teams and entries, always scoped to what the user may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from aigc_contest.web.accounts.models import User
from aigc_contest.web.entries.models import Entry, Team
from aigc_contest.web.entries.services import content_hash


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
