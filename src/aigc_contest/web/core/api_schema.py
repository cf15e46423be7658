"""What every API route shares in the OpenAPI schema: the error body and the error statuses by kind of
route, so that each route lists every status it can answer (schemathesis checks it)."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    detail: Any  # a sentence; for 422 the list of what was wrong with the request


PUBLIC_ERRORS: dict[int, Any] = {422: ErrorOut}  # a malformed path or query
PUBLIC_READ_ERRORS: dict[int, Any] = {404: ErrorOut, 422: ErrorOut}
SIGNED_IN_ERRORS: dict[int, Any] = {401: ErrorOut, 422: ErrorOut}
READ_ERRORS: dict[int, Any] = {**SIGNED_IN_ERRORS, 404: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**READ_ERRORS, 403: ErrorOut, 409: ErrorOut}
