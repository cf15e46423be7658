"""The job engine against the database: fair claiming, quotas, batching, idempotent completion, cancel
permissions, retry and the watchdog. The worker's functions run in this process."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from aigc_contest.web.core.errors import PermissionDenied, ServiceError
from aigc_contest.web.jobs import runner, services
from aigc_contest.web.jobs.kinds import JobOutput
from aigc_contest.web.jobs.models import Job, JobAsset, JobQuota, JobStatus

pytestmark = pytest.mark.django_db


def claim(queue: str = "default") -> list[Job]:
    return services.claim_batch(queue, "test-worker", force=True).jobs


def test_claims_follow_fair_order_across_users_and_schools(world, submit, jobs_settings) -> None:
    jobs_settings["quotas"] = {}
    heavy = [submit(world.student_a) for _ in range(3)]
    light_b = submit(world.student_b)
    light_a2 = submit(world.student_a2)
    order = [claim()[0].pk for _ in range(5)]
    # Round 1: student_a, then student_b (school B not served yet), then student_a2; then a's others.
    assert order == [heavy[0].pk, light_b.pk, light_a2.pk, heavy[1].pk, heavy[2].pk]


def test_fifo_order_setting_claims_oldest_first(world, submit, jobs_settings) -> None:
    jobs_settings.update(quotas={}, order="fifo")
    heavy = [submit(world.student_a) for _ in range(3)]
    light_b = submit(world.student_b)
    assert [claim()[0].pk for _ in range(4)] == [*(j.pk for j in heavy), light_b.pk]


def test_job_order_setting_is_read_from_the_environment(monkeypatch) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from aigc_contest.web import settings as settings_module

    monkeypatch.setenv("AIGC_JOB_ORDER", "FIFO")
    assert settings_module._job_order() == "fifo"
    monkeypatch.setenv("AIGC_JOB_ORDER", "random")
    with pytest.raises(ImproperlyConfigured, match="AIGC_JOB_ORDER"):
        settings_module._job_order()
    monkeypatch.delenv("AIGC_JOB_ORDER")
    assert settings_module._job_order() == "fair"


def test_batches_group_compatible_jobs_up_to_max(world, submit, jobs_settings) -> None:
    jobs_settings["quotas"] = {}
    same = [submit(user, group="g", max_batch=3) for user in (world.student_a, world.student_b, world.student_a2)]
    other = submit(world.student_a, group="h")
    fourth = submit(world.student_b, group="g", max_batch=3)
    batch = claim()
    assert [j.pk for j in batch] == [j.pk for j in same]
    assert len({j.batch_id for j in batch}) == 1 and all(j.status == JobStatus.RUNNING for j in batch)
    # Both users have one running; school B has fewer running than school A, so b's job comes first.
    assert [j.pk for j in claim()] == [fourth.pk]
    assert [j.pk for j in claim()] == [other.pk]


def test_batch_window_waits_for_companions(world, submit, jobs_settings) -> None:
    jobs_settings["batch_window_seconds"] = 30.0
    submit(world.student_a, group="g")
    pending = services.claim_batch("default", "w")
    assert pending.jobs == [] and 0 < pending.wait <= 30
    assert Job.objects.get().status == JobStatus.QUEUED


def test_concurrency_quota_per_user_from_admin_model(world, submit, jobs_settings) -> None:
    JobQuota.objects.create(user=world.student_a, concurrent_limit=1)
    first, second = submit(world.student_a), submit(world.student_a)
    other = submit(world.student_b)
    assert [j.pk for j in claim()] == [first.pk]
    assert [j.pk for j in claim()] == [other.pk]  # student_a is at their limit of 1 running job
    assert claim() == []
    services.complete_job(first.pk, 1, JobOutput())
    assert [j.pk for j in claim()] == [second.pk]


def test_school_concurrency_quota(world, submit, jobs_settings) -> None:
    JobQuota.objects.create(school=world.school_a, concurrent_limit=1)
    submit(world.student_a)
    submit(world.student_a2)
    assert len(claim()) == 1
    assert claim() == []


def test_daily_quotas_refuse_with_a_clear_message(world, submit, jobs_settings) -> None:
    JobQuota.objects.create(user=world.student_a, daily_limit=2)
    submit(world.student_a)
    submit(world.student_a)
    with pytest.raises(ServiceError, match="limit") as refused:
        submit(world.student_a)
    assert refused.value.code == "quota"
    JobQuota.objects.create(school=world.school_a, daily_limit=3)
    submit(world.student_a2)
    with pytest.raises(ServiceError, match="school"):
        submit(world.student_a2)
    submit(world.student_b)  # another school is not affected


def test_default_quota_row_overrides_settings(world, submit, jobs_settings) -> None:
    JobQuota.objects.create(daily_limit=1)
    submit(world.student_b)
    with pytest.raises(ServiceError):
        submit(world.student_b)


def test_bad_kind_and_bad_params_are_refused(world, jobs_settings) -> None:
    with pytest.raises(ServiceError, match="unknown job kind"):
        services.submit_job(world.student_a, "no-such-kind", {})
    with pytest.raises(ServiceError, match="seconds must be a number"):
        services.submit_job(world.student_a, "test.sleep", {"seconds": "long"})


def test_completion_is_stored_once_per_attempt(world, submit) -> None:
    job = submit(world.student_a)
    (claimed,) = claim()
    output = JobOutput(files=[("a.txt", b"one", "text/plain")], result={"n": 1})
    assert services.complete_job(job.pk, claimed.attempts, output)
    assert not services.complete_job(job.pk, claimed.attempts, output)  # a redelivered completion
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.result == {"n": 1}
    assert JobAsset.objects.filter(job=job).count() == 1
    assert JobAsset.objects.get(job=job).file.read() == b"one"


def test_a_stale_attempt_cannot_store_its_result(world, submit, jobs_settings) -> None:
    jobs_settings["stale_seconds"] = 1
    job = submit(world.student_a)
    claim()
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=5))
    assert services.watchdog()["requeued"] == 1
    (second,) = claim()
    assert second.attempts == 2
    assert not services.complete_job(job.pk, 1, JobOutput(files=[("old.txt", b"old", "text/plain")]))
    assert not services.report_progress(job.pk, 1, 0.5)
    assert services.complete_job(job.pk, 2, JobOutput(files=[("new.txt", b"new", "text/plain")]))
    assert [a.file.read() for a in JobAsset.objects.filter(job=job)] == [b"new"]


def test_watchdog_fails_a_job_past_its_timeout_with_a_visible_reason(world, submit) -> None:
    job = submit(world.student_a)
    claim()
    Job.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(seconds=job.timeout_seconds + 1))
    assert services.watchdog()["timed_out"] == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "too long" in job.error
    assert services.watchdog() == {"timed_out": 0, "requeued": 0, "lost": 0}


def test_watchdog_fails_a_job_whose_workers_keep_dying(world, submit, jobs_settings) -> None:
    jobs_settings["stale_seconds"] = 1
    job = submit(world.student_a)
    for _ in range(job.max_attempts):
        claim()
        Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=5))
        services.watchdog()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error == services.WORKER_LOST


def test_runner_runs_batches_and_reports_progress(world, submit, jobs_settings) -> None:
    jobs_settings["quotas"] = {}
    jobs = [submit(user, seconds=0.05, group="g") for user in (world.student_a, world.student_b)]
    assert runner.run_available("default") == 2
    for job in jobs:
        job.refresh_from_db()
        assert job.status == JobStatus.SUCCEEDED and job.progress == 1.0
        assert job.result["batch"] == [j.pk for j in jobs]
        assert job.assets.count() == 1


def test_runner_retries_bad_luck_then_fails_with_a_child_readable_reason(world, submit) -> None:
    job = submit(world.student_a, fail="boom")
    runner.run_available("default")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.attempts == job.max_attempts
    assert "GPU" not in job.error and "try again" in job.error.lower()
    assert "the GPU caught fire" in job.error_detail
    refused = submit(world.student_a, fail="refuse")
    runner.run_available("default")
    refused.refresh_from_db()
    assert refused.status == JobStatus.FAILED and refused.attempts == 1  # a refusal is not retried
    assert refused.error == "Let's draw something kind instead."


def test_cancel_permissions(world, submit) -> None:
    job = submit(world.student_a)
    for outsider in (world.student_a2, world.student_b, world.teacher_b, world.judge):
        with pytest.raises(PermissionDenied):
            services.cancel_job(outsider, job)
    assert services.cancel_job(world.student_a, job).status == JobStatus.CANCELLED
    with pytest.raises(ServiceError, match="already finished"):
        services.cancel_job(world.student_a, job)
    assert services.cancel_job(world.teacher_a, submit(world.student_a)).status == JobStatus.CANCELLED
    assert services.cancel_job(world.organiser, submit(world.student_a)).status == JobStatus.CANCELLED


def test_cancelling_a_running_job_drops_its_result(world, submit) -> None:
    job = submit(world.student_a)
    (claimed,) = claim()
    services.cancel_job(world.student_a, job)
    assert not services.report_progress(job.pk, claimed.attempts, 0.5)
    assert not services.complete_job(job.pk, claimed.attempts, JobOutput(files=[("x", b"x", "text/plain")]))
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and not job.assets.exists()


def test_retry_of_a_failed_job(world, submit) -> None:
    job = submit(world.student_a, fail="refuse")
    runner.run_available("default")
    with pytest.raises(PermissionDenied):
        services.retry_job(world.student_b, job)
    with pytest.raises(ServiceError):
        services.retry_job(world.student_a, submit(world.student_a))  # still queued: nothing to retry
    job.refresh_from_db()
    Job.objects.filter(pk=job.pk).update(params={**job.params, "fail": None})
    retried = services.retry_job(world.student_a, job)
    assert retried.status == JobStatus.QUEUED and retried.error == ""
    runner.run_available("default")
    retried.refresh_from_db()
    assert retried.status == JobStatus.SUCCEEDED and retried.attempts == 2


def test_submit_wakes_the_workers_after_commit(world, jobs_settings, django_capture_on_commit_callbacks, monkeypatch) -> None:
    sent: list[tuple] = []
    from aigc_contest.web.jobs import celery_app

    monkeypatch.setattr(celery_app.app, "send_task", lambda name, args, queue: sent.append((name, args, queue)))
    jobs_settings["wake_workers"] = True
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_job(world.student_a, "test.sleep", {"seconds": 0})
    assert sent == [(celery_app.DISPATCH_TASK, ["default"], "default")]


def test_an_unreachable_broker_loses_no_job(world, jobs_settings, django_capture_on_commit_callbacks, monkeypatch) -> None:
    from aigc_contest.web.jobs import celery_app

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("broker down")

    monkeypatch.setattr(celery_app.app, "send_task", broken)
    jobs_settings["wake_workers"] = True
    with django_capture_on_commit_callbacks(execute=True):
        job = services.submit_job(world.student_a, "test.sleep", {"seconds": 0})
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED


def test_a_user_with_a_backlog_takes_turns_with_newcomers(world, submit, jobs_settings) -> None:
    jobs_settings["quotas"] = {}
    backlog = [submit(world.student_a) for _ in range(3)]
    assert claim()[0].pk == backlog[0].pk
    services.complete_job(backlog[0].pk, 1, JobOutput())
    newcomer = submit(world.student_b)  # arrives later, but student_a was just served
    assert claim()[0].pk == newcomer.pk
    assert claim()[0].pk == backlog[1].pk


def test_housekeeping_emails_are_not_held_back_by_a_persons_concurrency_limit(world, submit, jobs_settings,
                                                                               settings) -> None:
    """A deadline's receipts all belong to the people who submitted: they go out in full batches over one
    mail connection, beside (not instead of) that person's own requests, whatever their limit."""
    from django.core import mail

    from aigc_contest.web.notifications.jobs import MAX_BATCH, enqueue_email

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    JobQuota.objects.create(user=world.student_a, concurrent_limit=1)
    own = submit(world.student_a)
    for n in range(MAX_BATCH + 5):
        enqueue_email(world.student_a, recipients=[f"p{n}@example.org"], subject="Receipt", body="Thanks")
    claimed = [claim() for _ in range(3)]
    assert sorted(len(batch) for batch in claimed) == [1, 5, MAX_BATCH]
    assert own.pk in {job.pk for batch in claimed for job in batch}  # the person's own job ran too
    assert claim() == []
    for batch in claimed:
        if batch[0].kind == "email":
            runner.run_batch(batch)
    assert len(mail.outbox) == MAX_BATCH + 5
    assert Job.objects.filter(kind="email", status=JobStatus.SUCCEEDED).count() == MAX_BATCH + 5
