"""The jobs page: a person's jobs, live status fragments, cancel and retry, result files."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aigc_contest.web.jobs import services
from aigc_contest.web.jobs.kinds import JobOutput
from aigc_contest.web.jobs.models import JobStatus

pytestmark = pytest.mark.django_db


def test_page_lists_own_jobs_with_queue_position(client, world, submit) -> None:
    submit(world.student_b)
    mine = submit(world.student_a)
    client.force_login(world.student_a)
    page = client.get(reverse("my-jobs")).content.decode()
    assert f'id="job-{mine.pk}"' in page and "number 2 in line" in page
    assert reverse("job-status", args=[mine.pk]) in page  # polled until final
    client.force_login(world.student_a2)
    assert f'id="job-{mine.pk}"' not in client.get(reverse("my-jobs")).content.decode()


def test_status_fragment_shows_progress_and_stops_polling_when_done(client, world, submit) -> None:
    job = submit(world.student_a)
    (claimed,) = services.claim_batch("default", "w", force=True).jobs
    services.report_progress(job.pk, claimed.attempts, 0.42, "painting")
    client.force_login(world.student_a)
    fragment = client.get(reverse("job-status", args=[job.pk])).content.decode()
    assert "42%" in fragment and "painting" in fragment and "data-poll-url" in fragment
    services.complete_job(job.pk, claimed.attempts, JobOutput(files=[("r.txt", b"hello", "text/plain")]))
    fragment = client.get(reverse("job-status", args=[job.pk])).content.decode()
    assert "Done" in fragment and "data-poll-url" not in fragment
    asset = job.assets.get()
    assert b"".join(client.get(reverse("job-asset", args=[asset.pk])).streaming_content) == b"hello"
    client.force_login(world.student_b)
    assert client.get(reverse("job-asset", args=[asset.pk])).status_code == 403
    assert client.get(reverse("job-status", args=[job.pk])).status_code == 403


def test_cancel_by_owner_teacher_only(client, world, submit) -> None:
    job = submit(world.student_a)
    client.force_login(world.student_b)
    assert client.post(reverse("job-cancel", args=[job.pk])).status_code == 403
    client.force_login(world.teacher_b)
    assert client.post(reverse("job-cancel", args=[job.pk])).status_code == 403
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    client.force_login(world.teacher_a)
    assert client.post(reverse("job-cancel", args=[job.pk])).status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED


def test_retry_button_requeues(client, world, submit) -> None:
    job = submit(world.student_a)
    services.cancel_job(world.student_a, job)
    client.force_login(world.student_a)
    assert "Try again" in client.get(reverse("job-status", args=[job.pk])).content.decode()
    assert client.post(reverse("job-retry", args=[job.pk])).status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED


def test_new_picture_without_a_model_shows_a_clear_message(client, world, jobs_settings, monkeypatch) -> None:
    monkeypatch.delenv("AIGC_MODELS_FILE", raising=False)
    client.force_login(world.student_a)
    response = client.post(reverse("job-new-picture"), {"prompt": "a kite"}, follow=True)
    assert "no image model configured" in response.content.decode()
    assert not world.student_a.jobs.exists()
