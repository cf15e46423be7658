"""The jobs page under the school's safety settings: screened before queueing, the policy travels with the
job, a refused prompt is never shown again, and backend errors stay with staff."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from aigc_contest.web.jobs.models import JobStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def broccoli_school(world):  # type: ignore[no-untyped-def]
    from aigc_contest.web.moderation.models import SchoolSafetyPolicy

    return SchoolSafetyPolicy.objects.create(school=world.school_a, extra_blocked_terms="broccoli")


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    from aigc_contest.web.jobs import views

    submitted: list[dict[str, Any]] = []
    monkeypatch.setattr(views.services, "submit_job", lambda user, kind, params: submitted.append(params))
    return submitted


def test_new_picture_is_screened_with_the_school_policy(client, world, broccoli_school, queued) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    from aigc_contest.web.moderation.models import SafetyEvent

    client.force_login(world.student_a)
    page = client.post(reverse("job-new-picture"), {"prompt": "a broccoli kite"}, follow=True).content.decode()
    assert queued == [] and "broccoli" not in page
    event = SafetyEvent.objects.get()
    assert (event.user, event.outcome, event.where) == (world.student_a, "refused", "prompt")


def test_new_picture_carries_the_school_policy(client, world, broccoli_school, queued) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    from aigc_contest.web.jobs.kinds import SAFETY_POLICY_PARAM

    client.force_login(world.student_a)
    client.post(reverse("job-new-picture"), {"prompt": "a red kite"})
    (params,) = queued
    assert params["prompt"] == "a red kite"
    assert "broccoli" in params[SAFETY_POLICY_PARAM]["extra_blocked_terms"]


def test_a_prompt_refused_by_safety_is_not_shown_again(client, world, submit) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.jobs.models import Job
    from aigc_contest.web.moderation.models import SafetyEvent

    refused, failed = submit(world.student_a, prompt="rude words here"), submit(world.student_a, prompt="a kite")
    Job.objects.filter(pk__in=[refused.pk, failed.pk]).update(status=JobStatus.FAILED, error="Not this time.")
    SafetyEvent.objects.create(user=world.student_a, job=refused, where="prompt", outcome="refused")
    client.force_login(world.student_a)
    assert "rude words" not in client.get(reverse("job-status", args=[refused.pk])).content.decode()
    assert "a kite" in client.get(reverse("job-status", args=[failed.pk])).content.decode()
    page = client.get(reverse("my-jobs")).content.decode()
    assert "rude words" not in page and "a kite" in page


def test_backend_error_details_are_not_shown_to_children() -> None:
    from aigc_contest.generation.types import GenerationError
    from aigc_contest.web.jobs.kinds import child_message

    message = child_message(GenerationError("CUDA out of memory at /srv/models/sdxl on host gpu-7"))
    assert "CUDA" not in message and "/srv" not in message and "teacher" in message
