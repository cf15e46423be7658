"""Reads for people, always scoped to what the user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from aigc_contest.web.accounts.models import User


def school_students(user: User) -> QuerySet[User]:
    """The students (and adult participants) of the user's school, with their consents and teams."""
    return (
        User.objects.filter(school_id=user.school_id or 0, role__in=["student", "participant"])
        .prefetch_related("consents", "teams")
        .order_by("grade", "display_name")
    )
