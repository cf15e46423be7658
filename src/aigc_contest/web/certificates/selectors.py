"""Reads for certificates, scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from aigc_contest.web.certificates.models import ISSUE_ALL_KIND, Certificate
from aigc_contest.web.jobs.models import Job


def certificates_for(user: Any) -> QuerySet[Certificate]:
    base = Certificate.objects.select_related("competition", "user", "team")
    if not user.is_authenticated:
        return base.none()
    watched = [pk for pk, roles in user.held_competition_roles.items() if roles - {"judge"}]
    if user.is_teacher:
        return base.filter(
            Q(user__school_id=user.school_id, user__role__in=["student", "participant"])
            | Q(team__supervising_teacher=user) | Q(team__school_id=user.school_id) | Q(competition__in=watched)
        ).distinct()
    return base.filter(Q(user=user) | Q(competition__in=watched))


def issue_job(competition: Any) -> Job | None:
    """The latest bulk issuing job of the competition (queued, running or finished), if any."""
    return (Job.objects.filter(kind=ISSUE_ALL_KIND, params__competition=competition.pk).prefetch_related("assets")
            .order_by("-created_at", "-id").first())
