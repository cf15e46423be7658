"""JSON route for checking a certificate, mounted on the site's /api/v1/ object: anyone may ask, and the
answer tells as little about the child as possible; and the organisers' routes to issue them all (a
background job, once the results are announced) and to revoke one."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from aigc_contest.web.certificates import services
from aigc_contest.web.certificates.models import Certificate
from aigc_contest.web.certificates.services import verify
from aigc_contest.web.contests.api import competition_for
from aigc_contest.web.core.api_schema import PUBLIC_ERRORS, WRITE_ERRORS, ApiError, service_refusal
from aigc_contest.web.core.errors import ServiceError

router = Router(tags=["certificates"])


class VerificationOut(Schema):
    status: str
    uuid: str
    competition: str
    kind: str
    award_kind: str
    issued_at: datetime | None
    revoked_at: datetime | None
    revoke_reason: str = ""
    holder_initial: str
    sha256: str


@router.get(
    "/certificates/{uuid}/verify",
    response={200: VerificationOut, 404: VerificationOut, **PUBLIC_ERRORS},
    auth=None,
    tags=["certificates"],
)
def verify_certificate(request: HttpRequest, uuid: UUID):  # type: ignore[no-untyped-def]
    result = verify(uuid)
    data = VerificationOut.model_validate(
        {k: v for k, v in result.as_dict().items() if k in VerificationOut.model_fields}
    )
    return Status(404 if result.status == "unknown" else 200, data)


class IssueJobOut(Schema):
    job: int
    status: str


class RevokeIn(Schema):
    reason: str


@router.post("/competitions/{slug}/certificates/issue", response={202: IssueJobOut, **WRITE_ERRORS},
             tags=["organiser: certificates"])
def issue_certificates(request: HttpRequest, slug: str):  # type: ignore[no-untyped-def]
    """Queue issuing every participant's and winner's certificate (one job at a time: a running one is
    answered again); 409 before the results are announced."""
    competition = competition_for(request, slug, "certificates.manage_certificates")
    try:
        job = services.start_issue_all(request.user, competition)  # type: ignore[arg-type]
    except ServiceError as exc:
        raise service_refusal(exc, {"embargo"}) from exc
    return Status(202, IssueJobOut(job=job.pk, status=job.status))


@router.post("/certificates/{uuid}/revoke", response={200: VerificationOut, **WRITE_ERRORS},
             tags=["organiser: certificates"])
def revoke_certificate(request: HttpRequest, uuid: UUID, payload: RevokeIn) -> VerificationOut:
    """Revoke a certificate, saying why (its check page then says so); 409 when it was revoked already."""
    certificate = get_object_or_404(Certificate, uuid=uuid)
    if not request.user.has_perm("certificates.manage_certificates", certificate):
        raise ApiError(403, "You are not allowed to do that.")
    try:
        services.revoke(request.user, certificate, payload.reason)  # type: ignore[arg-type]
    except ServiceError as exc:
        raise service_refusal(exc, {"revoked"}) from exc
    result = verify(certificate.uuid)
    return VerificationOut.model_validate(
        {k: v for k, v in result.as_dict().items() if k in VerificationOut.model_fields}
    )
