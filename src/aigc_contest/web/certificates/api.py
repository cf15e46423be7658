"""JSON route for checking a certificate, mounted on the site's /api/v1/ object: anyone may ask, and the
answer tells as little about the child as possible."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Schema, Status

from aigc_contest.web.certificates.services import verify
from aigc_contest.web.core.api_schema import PUBLIC_ERRORS

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
