"""Reads for who runs a competition and for its audit log, always scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from aigc_contest.web.accounts.models import ChangeRecord, School
from aigc_contest.web.contests.models import (
    ROLES_AT_LEAST,
    Competition,
    CompetitionRole,
    CompetitionRoleKind,
    Invitation,
    JoinRequest,
)


def competitions_run_by(user: Any, at_least: str = CompetitionRoleKind.VIEWER) -> QuerySet[Competition]:
    """The competitions on which `user` holds at least the given power."""
    if not getattr(user, "is_authenticated", False):
        return Competition.objects.none()
    wanted = ROLES_AT_LEAST[at_least]
    ids = [pk for pk, roles in user.held_competition_roles.items() if roles & wanted]
    return Competition.objects.filter(pk__in=ids)


def roles_on(competition: Competition) -> QuerySet[CompetitionRole]:
    return competition.roles.select_related("user", "granted_by").order_by("role", "user__username")


def open_invitations(competition: Competition) -> QuerySet[Invitation]:
    return competition.invitations.filter(accepted_at__isnull=True, withdrawn_at__isnull=True).select_related(
        "invited_by"
    )


def join_requests(competition: Competition, status: str | None = None) -> QuerySet[JoinRequest]:
    found = competition.join_requests.select_related("school", "requested_by", "decided_by")
    return found.filter(status=status) if status else found


def school_join_requests(school: School) -> dict[int, JoinRequest]:
    """{competition id: the school's request}."""
    return {j.competition_id: j for j in JoinRequest.objects.filter(school=school)}


def takes_part(competition: Competition, school: School | None) -> bool:
    return bool(
        school is not None
        and JoinRequest.objects.filter(
            competition=competition, school=school, status=JoinRequest.Status.APPROVED
        ).exists()
    )


def school_admission(competition: Competition, school: School | None) -> str:
    """Whether a school's teams may submit to the competition: "open" (the competition lets every eligible
    school in), else the school's request: "approved", "pending", "declined", or "none" (never asked)."""
    if not competition.schools_must_join:
        return "open"
    if school is None:
        return "none"
    status = (JoinRequest.objects.filter(competition=competition, school=school)
              .values_list("status", flat=True).first())
    return str(status) if status else "none"


def school_invitations(school: School) -> QuerySet[Invitation]:
    return school.invitations.filter(accepted_at__isnull=True, withdrawn_at__isnull=True).select_related(
        "invited_by"
    )


def audit_records(
    user: Any, *, competition: Competition | None = None, actor: str = "", action: str = ""
) -> QuerySet[ChangeRecord]:
    """The audit log the user may read, newest first: the records of the competitions they own or organise;
    a platform organiser also reads the records that concern no competition (accounts, schools)."""
    organised = competitions_run_by(user, CompetitionRoleKind.ORGANISER).values("pk")
    scope = Q(competition__in=organised)
    if user.has_perm("contests.create_competition"):  # the platform's own organisers
        scope |= Q(competition__isnull=True)
    records = ChangeRecord.objects.filter(scope).select_related("competition", "content_type")
    if competition is not None:
        records = records.filter(competition=competition)
    if actor:
        records = records.filter(actor_name__iexact=actor.strip())
    if action:
        records = records.filter(action=action)
    return records.order_by("-at", "-pk")


def audit_actions(records: QuerySet[ChangeRecord]) -> list[str]:
    return sorted(set(records.order_by().values_list("action", flat=True).distinct()))
