"""Fixtures for the job engine tests: the slow test kind, no broker messages, quick timings."""

from __future__ import annotations

from typing import Any

import jobkinds_for_tests  # noqa: F401  (registers the "test.sleep" kind)
import pytest


@pytest.fixture
def jobs_settings(settings: Any) -> dict[str, Any]:
    """In-process tests drive the worker functions themselves; nothing is sent to a broker."""
    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False, "batch_window_seconds": 0.0}
    return settings.AIGC_JOBS


@pytest.fixture
def submit(jobs_settings: dict[str, Any]):  # type: ignore[no-untyped-def]
    from aigc_contest.web.jobs.services import submit_job

    def make(user, seconds: float = 0.0, **params):  # type: ignore[no-untyped-def]
        return submit_job(user, "test.sleep", {"seconds": seconds, "steps": 1, **params})

    return make
