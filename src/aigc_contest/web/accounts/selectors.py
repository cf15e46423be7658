"""Reads for people, always scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet

from aigc_contest.web.accounts.models import User


def school_students(user: User) -> QuerySet[User]:
    """The students (and adult participants) of the user's school, with their consents and teams."""
    return (
        User.objects.filter(school_id=user.school_id or 0, role__in=["student", "participant"])
        .prefetch_related("consents", "teams")
        .order_by("grade", "display_name")
    )


def competition_id_of(obj: Any, depth: int = 0) -> int | None:
    """The competition a changed object belongs to, read through its own fields (a competition, or anything
    with a competition, category, round, entry or team), so the audit log is scoped without this app knowing
    the apps above it."""
    if obj is None or depth > 4:
        return None
    meta = getattr(obj, "_meta", None)
    if meta is not None and meta.label_lower == "contests.competition":
        return obj.pk
    if getattr(obj, "competition_id", None):
        return obj.competition_id
    for name in ("category", "round", "entry", "team", "version"):
        try:
            related = getattr(obj, name, None)
        except Exception:  # noqa: BLE001 - a relation that is not set
            related = None
        if isinstance(related, Model):
            found = competition_id_of(related, depth + 1)
            if found:
                return found
    return None
