"""What every API route shares in the OpenAPI schema: the error body and the error statuses by kind of
route, so that each route lists every status it can answer (schemathesis checks it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ninja import Schema
from ninja.errors import HttpError

from aigc_contest.web.core.errors import PermissionDenied, ServiceError


class ErrorOut(Schema):
    detail: Any  # a sentence; for 422 the list of what was wrong with the request


PUBLIC_ERRORS: dict[int, Any] = {422: ErrorOut}  # a malformed path or query
PUBLIC_READ_ERRORS: dict[int, Any] = {404: ErrorOut, 422: ErrorOut}
SIGNED_IN_ERRORS: dict[int, Any] = {401: ErrorOut, 422: ErrorOut}
READ_ERRORS: dict[int, Any] = {**SIGNED_IN_ERRORS, 404: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**READ_ERRORS, 403: ErrorOut, 409: ErrorOut}


class ApiError(HttpError):
    """An error answer whose `detail` may be more than a sentence (for 422: messages by field)."""

    def __init__(self, status_code: int, detail: Any) -> None:
        super().__init__(status_code, str(detail))
        self.detail = detail


def service_refusal(exc: ServiceError, conflicts: Iterable[str] = ()) -> ApiError:
    """The API's answer to a service's refusal: 403 for permission, 409 for the codes that say the state of
    things forbids it now (`conflicts`), else 422 with the messages by field when the service gave them."""
    if isinstance(exc, PermissionDenied):
        return ApiError(403, exc.message)
    if exc.code in set(conflicts):
        return ApiError(409, exc.message)
    errors = getattr(exc, "errors", None)
    return ApiError(422, errors if isinstance(errors, dict) else exc.message)


ORGANISER_READ_ERRORS: dict[int, Any] = {**READ_ERRORS, 403: ErrorOut}
ORGANISER_WRITE_ERRORS: dict[int, Any] = WRITE_ERRORS
