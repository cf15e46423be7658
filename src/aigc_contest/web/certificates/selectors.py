"""Reads for certificates, scoped to what the user may see."""

from __future__ import annotations

import re
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


CERTIFICATE_NUMBER_PART = re.compile(r"[0-9a-fA-F-]{8,36}")


def search(certificates: QuerySet[Certificate], *, query: str = "", competition: str = "", status: str = "",
           kind: str = "") -> QuerySet[Certificate]:
    """Narrow a list: words in the holder's name or login, the team or the school, or a certificate number."""
    if competition.isdigit():
        certificates = certificates.filter(competition_id=int(competition))
    if status == "valid":
        certificates = certificates.filter(revoked_at__isnull=True)
    elif status == "revoked":
        certificates = certificates.filter(revoked_at__isnull=False)
    if kind in Certificate.Kind.values:
        certificates = certificates.filter(kind=kind)
    for word in query.split()[:5]:
        match = (
            Q(user__display_name__icontains=word) | Q(user__username__icontains=word)
            | Q(team__name__icontains=word) | Q(team__school__name_en__icontains=word)
            | Q(team__school__name_zh_hant__icontains=word) | Q(team__school__name_zh_hans__icontains=word)
        )
        if CERTIFICATE_NUMBER_PART.fullmatch(word):  # a piece of a certificate number (8 hex digits or more)
            match |= Q(uuid__icontains=word)
        certificates = certificates.filter(match)
    return certificates


def issue_job(competition: Any) -> Job | None:
    """The latest bulk issuing job of the competition (queued, running or finished), if any."""
    return (Job.objects.filter(kind=ISSUE_ALL_KIND, params__competition=competition.pk).prefetch_related("assets")
            .order_by("-created_at", "-id").first())
