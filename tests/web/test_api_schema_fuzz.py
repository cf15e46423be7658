"""Schemathesis on the OpenAPI schema: generated requests (valid and invalid) to every operation, signed in
with a personal token and not signed in, get no 5xx and no status the schema does not list."""

from __future__ import annotations

from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

pytestmark = pytest.mark.django_db


def test_no_server_error_and_no_undocumented_status(world: Any) -> None:
    from django.core.signals import request_finished, request_started
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import status_code_conformance

    from aigc_contest.web.accounts import tokens

    _record, token = tokens.create_token(world.teacher_a, name="fuzz")

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

    # Like Django's test client: a request must not close the test's database connection (its transaction
    # holds the test's data; on PostgreSQL the connection would be gone mid-test).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 8
        for operation in operations:
            for headers in ({"Authorization": f"Bearer {token}"}, {}):
                fuzz(operation, headers)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
