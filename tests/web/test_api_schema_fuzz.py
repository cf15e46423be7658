"""Schemathesis on the OpenAPI schema: generated requests (valid and invalid) to every operation, signed in
with a personal token and not signed in, get no 5xx and no status the schema does not list. A second run
signs in as the competition's organiser and aims the path at that competition, so that the organisers'
routes get past the permission check and their services meet the generated bodies."""

from __future__ import annotations

from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

pytestmark = pytest.mark.django_db


def _fuzz_all(headers_list: list[dict[str, str]], pins: dict[str, str] | None = None) -> None:
    from django.core.signals import request_finished, request_started
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    # Like Django's test client: a request must not close the test's database connection (its transaction
    # holds the test's data; on PostgreSQL the connection would be gone mid-test).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        _run(schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application()), headers_list, pins)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _run(schema: Any, headers_list: list[dict[str, str]], pins: dict[str, str] | None) -> None:
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import status_code_conformance

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
            for name, value in (pins or {}).items():
                if case.path_parameters and name in case.path_parameters:
                    case.path_parameters[name] = value
            case.call_and_validate(headers=headers, checks=[not_a_server_error, status_code_conformance])

        check()

    for operation in operations:
        for headers in headers_list:
            fuzz(operation, headers)


def test_no_server_error_and_no_undocumented_status(world: Any) -> None:
    from aigc_contest.web.accounts import tokens

    _record, token = tokens.create_token(world.teacher_a, name="fuzz")
    _fuzz_all([{"Authorization": f"Bearer {token}"}, {}])


def test_an_organisers_generated_requests_get_no_server_error(world: Any) -> None:
    from aigc_contest.web.accounts import tokens
    from aigc_contest.web.judging.models import Round

    Round.objects.create(competition=world.competition, kind=Round.Kind.SCORING, judges_per_entry=1)
    _record, token = tokens.create_token(world.organiser, name="fuzz")
    pins = {"slug": world.competition.slug, "kind": Round.Kind.SCORING, "category": world.category.slug}
    _fuzz_all([{"Authorization": f"Bearer {token}"}], pins)
