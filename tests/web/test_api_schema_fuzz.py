"""Schemathesis on the OpenAPI schema: generated requests (valid and invalid) to every operation, signed in
with a personal token and not signed in, get no 5xx and no status the schema does not list."""

from __future__ import annotations

from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

pytestmark = pytest.mark.django_db


def test_no_server_error_and_no_undocumented_status(world: Any) -> None:
    from django.core.wsgi import get_wsgi_application
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import status_code_conformance

    from aigc_contest.web.accounts import tokens

    _record, token = tokens.create_token(world.teacher_a, name="fuzz")
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8

    def fuzz(operation: Any, headers: dict[str, str]) -> None:
        @settings(
            max_examples=12,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error, status_code_conformance])

        check()

    for operation in operations:
        for headers in ({"Authorization": f"Bearer {token}"}, {}):
            fuzz(operation, headers)
