"""Reads for jobs: a person's jobs, their place in line, and the quotas that apply."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from aigc_contest.generation.scheduling import QueuedJob, queue_positions
from aigc_contest.web.jobs import kinds
from aigc_contest.web.jobs.kinds import jobs_config
from aigc_contest.web.jobs.models import Job, JobQuota, JobStatus


@dataclass(frozen=True)
class Limits:
    concurrent: int | None
    daily: int | None


def jobs_of(user: Any) -> QuerySet[Job]:
    return Job.objects.filter(owner=user).exclude(kind__in=kinds.background_kinds()).prefetch_related("assets")


def job_with_assets(pk: int) -> Job | None:
    return Job.objects.select_related("owner", "school").prefetch_related("assets").filter(pk=pk).first()


# The platform's housekeeping (receipts, results e-mails) is scheduled as one "person" of its own: it
# takes its fair turn beside the children's requests, but no person's or school's concurrency limit
# applies to it (5,000 receipts after a deadline would otherwise go out two at a time).
HOUSEKEEPING = "housekeeping"


def as_queued(job: Any) -> QueuedJob:
    """A job row (model or values() dict) as the scheduler sees it."""
    get: Callable[[str], Any] = job.get if isinstance(job, dict) else lambda name: getattr(job, name)
    background = get("kind") in kinds.background_kinds()
    return QueuedJob(
        id=get("id"),
        user=HOUSEKEEPING if background else get("owner_id"),
        school=None if background else get("school_id"),
        submitted_at=get("created_at").timestamp(),
        batch_key=get("batch_key") or None,
    )


def running_counts() -> tuple[dict[int, int], dict[int, int]]:
    running = Job.objects.filter(status=JobStatus.RUNNING).exclude(kind__in=kinds.background_kinds())
    by_user = {r["owner_id"]: r["n"] for r in running.values("owner_id").annotate(n=Count("id"))}
    by_school = {
        r["school_id"]: r["n"]
        for r in running.exclude(school=None).values("school_id").annotate(n=Count("id"))
    }
    return by_user, by_school


def last_served(keys: set[Any]) -> dict[Any, float]:
    """User (or HOUSEKEEPING) -> when their latest job started (the round-robin's memory between passes)."""
    since = timezone.now() - timedelta(days=1)
    started = Job.objects.filter(started_at__gte=since)
    background = kinds.background_kinds()
    rows = (
        started.filter(owner_id__in=keys - {HOUSEKEEPING})
        .exclude(kind__in=background)
        .values("owner_id")
        .annotate(latest=Max("started_at"))
    )
    served: dict[Any, float] = {row["owner_id"]: row["latest"].timestamp() for row in rows}
    if HOUSEKEEPING in keys:
        latest = started.filter(kind__in=background).aggregate(latest=Max("started_at"))["latest"]
        if latest is not None:
            served[HOUSEKEEPING] = latest.timestamp()
    return served


def queue_position(job: Job) -> int | None:
    """1-based place in the fair order of the job's queue, or None when it is not waiting."""
    return queue_positions_of([job]).get(job.pk)


def queue_positions_of(jobs: Iterable[Job]) -> dict[int, int]:
    """Job id -> 1-based place in the fair order of its queue, for those of `jobs` still waiting.

    A list page asks once: each queue involved is read once, however many of its jobs the page shows."""
    waiting = [job for job in jobs if job.status == JobStatus.QUEUED]
    if not waiting:
        return {}
    by_user, by_school = running_counts()
    positions: dict[int, int] = {}
    for queue in {job.queue for job in waiting}:
        rows = Job.objects.filter(queue=queue, status=JobStatus.QUEUED).values(
            "id", "owner_id", "school_id", "created_at", "batch_key", "kind"
        )
        queued = [as_queued(r) for r in rows]
        served = last_served({q.user for q in queued})
        order = queue_positions(queued, by_user, by_school, served, order=jobs_config().get("order", "fair"))
        positions.update({job.pk: order[job.pk] for job in waiting if job.queue == queue and job.pk in order})
    return positions


class QuotaTable:
    """Every JobQuota row read once, so a scheduling pass asks the database a single time."""

    def __init__(self) -> None:
        defaults = jobs_config()["quotas"]
        self.user_default = Limits(defaults.get("user_concurrent"), defaults.get("user_daily"))
        self.school_default = Limits(defaults.get("school_concurrent"), defaults.get("school_daily"))
        self.by_user: dict[int, JobQuota] = {}
        self.by_school: dict[int, JobQuota] = {}
        for row in JobQuota.objects.all():
            if row.user_id:
                self.by_user[row.user_id] = row
            elif row.school_id:
                self.by_school[row.school_id] = row
            else:  # the site default row overrides settings, field by field
                self.user_default = _merge(row, self.user_default)
                self.school_default = _merge(row, self.school_default)

    def for_user(self, user_id: int) -> Limits:
        limits = self.user_default
        if user_id in self.by_user:
            limits = _merge(self.by_user[user_id], limits)
        return limits

    def for_school(self, school_id: int | None) -> Limits:
        if school_id is None:
            return Limits(None, None)
        if school_id in self.by_school:
            return _merge(self.by_school[school_id], self.school_default)
        return self.school_default


def _merge(row: JobQuota, fallback: Limits) -> Limits:
    return Limits(
        row.concurrent_limit if row.concurrent_limit is not None else fallback.concurrent,
        row.daily_limit if row.daily_limit is not None else fallback.daily,
    )


def jobs_in_last_day(*, user: Any = None, school: Any = None) -> int:
    since = timezone.now() - timedelta(days=1)
    jobs = (
        Job.objects.filter(created_at__gte=since)
        .exclude(status=JobStatus.CANCELLED, started_at=None)
        .exclude(kind__in=kinds.background_kinds())
    )
    if user is not None:
        jobs = jobs.filter(owner=user)
    if school is not None:
        jobs = jobs.filter(school=school)
    return jobs.count()


def queues_with_waiting_jobs() -> list[str]:
    return sorted(set(Job.objects.filter(status=JobStatus.QUEUED).values_list("queue", flat=True)))
