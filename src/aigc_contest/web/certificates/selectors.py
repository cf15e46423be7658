"""Reads for certificates, scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from aigc_contest.web.certificates.models import Certificate


def certificates_for(user: Any) -> QuerySet[Certificate]:
    base = Certificate.objects.select_related("competition", "user", "team")
    if not user.is_authenticated:
        return base.none()
    if user.is_organiser:
        return base.all()
    if user.is_teacher:
        return base.filter(
            Q(user__school_id=user.school_id, user__role__in=["student", "participant"])
            | Q(team__supervising_teacher=user) | Q(team__school_id=user.school_id)
        ).distinct()
    return base.filter(user=user)
