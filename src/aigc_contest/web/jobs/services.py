"""Writes for jobs: submitting, cancelling and retrying (people), claiming and finishing (workers).

Claiming moves jobs from queued to running and raises `attempts` in one transaction: on PostgreSQL the
candidate rows are locked with SELECT … FOR UPDATE SKIP LOCKED, on SQLite the settings' IMMEDIATE
transactions let one writer in at a time. Every write a worker makes afterwards names (job id, attempt)
and changes nothing when the job has moved on, so a job runs once at a time and its result is stored once.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext as _

from aigc_contest.generation.scheduling import ConcurrencyLimits, plan_batch
from aigc_contest.web.accounts.services import record_change
from aigc_contest.web.core.errors import ServiceError, require
from aigc_contest.web.jobs import celery_app, kinds, selectors
from aigc_contest.web.jobs.celery_app import DISPATCH_TASK
from aigc_contest.web.jobs.models import FINAL_STATUSES, Job, JobAsset, JobStatus

logger = logging.getLogger(__name__)

CANDIDATES = 2000  # queued rows a scheduling pass looks at (oldest first)
TIMED_OUT = "This took too long and was stopped. Please try again later."
WORKER_LOST = "The computer making this stopped working. Please try again."
RETRYING = "The computer making this stopped; it will be tried again."


# ---------------------------------------------------------------- people


def submit_job(user: Any, kind: str, params: dict[str, Any], *, timeout_seconds: int | None = None) -> Job:
    """Queue a job after checking its parameters and the daily quotas of the user and their school."""
    try:
        job_kind = kinds.get_kind(kind)
    except LookupError as exc:
        raise ServiceError(str(exc)) from exc
    try:
        clean_params, batch_key = job_kind.prepare(dict(params))
    except kinds.JobFailure as exc:
        raise ServiceError(exc.message) from exc
    quotas = selectors.QuotaTable()
    user_daily = quotas.for_user(user.pk).daily
    if user_daily is not None and selectors.jobs_in_last_day(user=user) >= user_daily:
        raise ServiceError(
            _("You have made %(n)d requests in the last 24 hours, which is your limit. Please try again tomorrow.")
            % {"n": user_daily},
            "quota",
        )
    school_daily = quotas.for_school(user.school_id).daily
    if user.school_id and school_daily is not None and selectors.jobs_in_last_day(school=user.school) >= school_daily:
        raise ServiceError(
            _("Your school has used all of its %(n)d requests for the last 24 hours. Please try again tomorrow.")
            % {"n": school_daily},
            "quota",
        )
    config = kinds.jobs_config()
    job = Job.objects.create(
        owner=user,
        school_id=user.school_id,
        kind=kind,
        queue=job_kind.queue,
        params=clean_params,
        batch_key=batch_key,
        max_attempts=config["max_attempts"],
        timeout_seconds=timeout_seconds or job_kind.timeout_seconds or config["timeout_seconds"],
    )
    transaction.on_commit(lambda: wake_workers(job.queue))
    return job


def cancel_job(actor: Any, job: Job) -> Job:
    require(actor, "jobs.cancel_job", job)
    with transaction.atomic():
        updated = Job.objects.filter(pk=job.pk, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).update(
            status=JobStatus.CANCELLED, finished_at=timezone.now(), progress_message=_("Cancelled")
        )
    job.refresh_from_db()
    if not updated:
        raise ServiceError(_("This job has already finished."), "finished")
    if actor.pk != job.owner_id:  # a teacher or organiser stopped someone's job: say who
        record_change(actor, job, "cancel job", {"status": ("", job.status)})
    return job


def retry_job(actor: Any, job: Job) -> Job:
    require(actor, "jobs.retry_job", job)
    with transaction.atomic():
        updated = Job.objects.filter(pk=job.pk, status__in=[JobStatus.FAILED, JobStatus.CANCELLED]).update(
            status=JobStatus.QUEUED,
            progress=0.0,
            progress_message="",
            error="",
            error_detail="",
            finished_at=None,
            started_at=None,
            heartbeat_at=None,
            created_at=timezone.now(),  # back of its owner's line: fair order counts from here
            max_attempts=F("attempts") + kinds.jobs_config()["max_attempts"],
        )
        if updated:
            transaction.on_commit(lambda: wake_workers(job.queue))
    job.refresh_from_db()
    if not updated:
        raise ServiceError(_("Only a failed or cancelled job can be tried again."), "not_failed")
    if actor.pk != job.owner_id:
        record_change(actor, job, "retry job", {"status": ("", job.status)})
    return job


def wake_workers(queue: str) -> None:
    """Send a dispatch wake-up. A broker that is down loses nothing: the job waits in the database and a
    worker's watchdog wakes the queue again."""
    if not kinds.jobs_config().get("wake_workers", True):
        return
    try:
        celery_app.app.send_task(DISPATCH_TASK, args=[queue], queue=queue)
    except Exception as exc:  # noqa: BLE001 - logged; the watchdog re-sends
        logger.warning("could not reach the job broker (%s); the job waits for the next watchdog pass", exc)


# ---------------------------------------------------------------- workers


@dataclass
class Claim:
    jobs: list[Job] = field(default_factory=list)
    wait: float = 0.0  # > 0: nothing claimed yet, a batch is filling; ask again after this long


def claim_batch(queue: str, worker: str, *, force: bool = False) -> Claim:
    """Claim the next batch of the queue in fair order (force: do not wait for a batch to fill)."""
    with transaction.atomic():
        rows = list(
            Job.objects.select_for_update(skip_locked=True)
            .filter(queue=queue, status=JobStatus.QUEUED)
            .order_by("created_at", "id")
            .values("id", "owner_id", "school_id", "created_at", "batch_key", "kind")[:CANDIDATES]
        )
        if not rows:
            return Claim()
        by_id = {row["id"]: row for row in rows}
        quotas = selectors.QuotaTable()
        limits = ConcurrencyLimits(
            per_user=lambda user: None if user == selectors.HOUSEKEEPING else quotas.for_user(user).concurrent,
            per_school=lambda school: quotas.for_school(school).concurrent,
        )

        def max_batch(head: Any) -> int:
            row = by_id[head.id]
            try:
                kind = kinds.get_kind(row["kind"])
            except LookupError:
                return 1
            # Only the head's parameters matter: reading every candidate's would cost more than the batch.
            params = Job.objects.filter(pk=head.id).values_list("params", flat=True).first() or {}
            return kind.max_batch(params)

        by_user, by_school = selectors.running_counts()
        now = timezone.now()
        candidates = [selectors.as_queued(row) for row in rows]
        plan = plan_batch(
            candidates,
            max_batch=max_batch,
            running_by_user=by_user,
            running_by_school=by_school,
            limits=limits,
            last_served=selectors.last_served({queued.user for queued in candidates}),
            now=now.timestamp(),
            window=0.0 if force else kinds.jobs_config()["batch_window_seconds"],
            order=kinds.jobs_config().get("order", "fair"),
        )
        if plan.empty:
            return Claim()
        if plan.wait > 0:
            return Claim(wait=plan.wait)
        ids = [job.id for job in plan.jobs]
        Job.objects.filter(pk__in=ids, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING,
            attempts=F("attempts") + 1,
            started_at=Now(),  # the database's clock: every host's watchdog compares against the same one
            heartbeat_at=Now(),
            batch_id=uuid.uuid4(),
            worker=worker[:200],
            progress=0.0,
            progress_message="",
        )
        running = Job.objects.select_related("owner").filter(pk__in=ids, status=JobStatus.RUNNING)
        claimed = {job.pk: job for job in running}
    return Claim([claimed[i] for i in ids if i in claimed])


def _attempt(job_id: int, attempt: int) -> Any:
    return Job.objects.filter(pk=job_id, attempts=attempt, status=JobStatus.RUNNING)


def report_progress(job_id: int, attempt: int, fraction: float, message: str = "") -> bool:
    """False when the job is no longer this attempt's to run (cancelled, timed out, taken over)."""
    return bool(
        _attempt(job_id, attempt).update(
            progress=max(0.0, min(1.0, fraction)), progress_message=message[:200], heartbeat_at=Now()
        )
    )


def report_batch_progress(attempts: dict[int, int], fraction: float, message: str = "") -> int:
    """`report_progress` for every (job, attempt) of a batch in one statement: how many still run."""
    if not attempts:
        return 0
    match = Q()
    for job_id, attempt in attempts.items():
        match |= Q(pk=job_id, attempts=attempt)
    return Job.objects.filter(match, status=JobStatus.RUNNING).update(
        progress=max(0.0, min(1.0, fraction)), progress_message=message[:200], heartbeat_at=Now()
    )


def heartbeat(attempts: dict[int, int]) -> None:
    if not attempts:
        return
    match = Q()
    for job_id, attempt in attempts.items():
        match |= Q(pk=job_id, attempts=attempt)
    Job.objects.filter(match, status=JobStatus.RUNNING).update(heartbeat_at=Now())


def complete_job(job_id: int, attempt: int, output: kinds.JobOutput) -> bool:
    """Store the result of (job, attempt) once; False (and nothing stored) when that attempt no longer runs.
    Inside the worker's batch transaction no savepoint is needed: an error here rolls the batch back."""
    with transaction.atomic(savepoint=False):
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != JobStatus.RUNNING or job.attempts != attempt:
            return False
        for index, (name, data, content_type) in enumerate(output.files):
            asset = JobAsset(job=job, attempt=attempt, index=index, content_type=content_type)
            asset.file.save(name, ContentFile(data), save=False)
            asset.save()
        job.status = JobStatus.SUCCEEDED
        job.result = output.result
        job.progress = 1.0
        job.progress_message = ""
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "result", "progress", "progress_message", "finished_at"])
    return True


def fail_attempt(job_id: int, attempt: int, message: str, *, detail: str = "", retryable: bool = False) -> str | None:
    """Put the job back in line (retryable, attempts left) or fail it with `message` for the child.
    Returns the new status, or None when that attempt no longer runs."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != JobStatus.RUNNING or job.attempts != attempt:
            return None
        job.error_detail = detail[:5000]
        if retryable and job.attempts < job.max_attempts:
            job.status = JobStatus.QUEUED
            job.progress, job.progress_message = 0.0, RETRYING
        else:
            job.status = JobStatus.FAILED
            job.error = message[:300]
            job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "error_detail", "progress", "progress_message", "finished_at"])
        if job.status == JobStatus.QUEUED:
            transaction.on_commit(lambda: wake_workers(job.queue))
    return job.status


def database_now() -> Any:
    """The database server's clock: heartbeats are written with it and compared with it, so hosts whose
    clocks disagree by a few seconds never take each other's running jobs for stale ones."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT STATEMENT_TIMESTAMP()")
            return cursor.fetchone()[0]
    return timezone.now()  # SQLite: one machine, one clock


def watchdog() -> dict[str, int]:
    """Fail running jobs past their timeout, and give back jobs whose worker went silent (killed, lost
    power) so another worker runs them. Safe to run from every worker at once."""
    from aigc_contest.web.jobs.logs import job_context

    timed_out = requeued = lost = 0
    with transaction.atomic():
        now = database_now()
        stale_before = now - timedelta(seconds=kinds.jobs_config()["stale_seconds"])
        running = Job.objects.select_for_update(skip_locked=True).filter(status=JobStatus.RUNNING)
        for job in running:
            silent = job.heartbeat_at is None or job.heartbeat_at < stale_before
            if job.started_at and job.started_at + timedelta(seconds=job.timeout_seconds) < now:
                job.status, job.error, job.finished_at = JobStatus.FAILED, TIMED_OUT, now
                job.error_detail = f"attempt {job.attempts} ran past its {job.timeout_seconds} s timeout"
                timed_out += 1
                what = "failed: ran past its timeout"
            elif silent:
                job.error_detail = f"worker {job.worker} went silent during attempt {job.attempts}"
                if job.attempts < job.max_attempts:
                    job.status, job.progress, job.progress_message = JobStatus.QUEUED, 0.0, RETRYING
                    requeued += 1
                    what = "back in line"
                else:
                    job.status, job.error, job.finished_at = JobStatus.FAILED, WORKER_LOST, now
                    lost += 1
                    what = "failed: its workers kept stopping"
            else:
                continue
            job.save(update_fields=["status", "error", "error_detail", "progress", "progress_message", "finished_at"])
            with job_context([job.pk], [job.attempts], job.batch_id):
                silence = (now - job.heartbeat_at).total_seconds() if job.heartbeat_at else float("nan")
                logger.warning("watchdog: job %s (worker %s, silent %.1f s)", what, job.worker, silence)
    return {"timed_out": timed_out, "requeued": requeued, "lost": lost}


def is_final(job_id: int) -> bool:
    return Job.objects.filter(pk=job_id, status__in=FINAL_STATUSES).exists()
