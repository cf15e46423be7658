"""Running claimed batches inside a worker process: progress, cancellation, heartbeats, results.

`run_available(queue)` drains a queue batch by batch; the Celery `dispatch` task calls it, and tests call
it directly. Runners never see the database: this module turns their outputs into service calls.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from typing import Any

from django.db import close_old_connections, transaction
from django.utils import timezone

from aigc_contest.generation.scheduling import LoadedModelBudget
from aigc_contest.web.jobs import kinds, selectors, services
from aigc_contest.web.jobs.logs import job_context
from aigc_contest.web.jobs.models import Job
from aigc_contest.web.jobs.screening import screen
from aigc_contest.web.jobs.signals import watchdog_passed

logger = logging.getLogger(__name__)

# (job id -> attempt) for jobs this process is running now; the heartbeat thread reports them.
ACTIVE: dict[int, int] = {}
_ACTIVE_LOCK = threading.Lock()
PROGRESS_EVERY = 0.4  # seconds between progress writes (each step of a fast model would flood the db)

_budget: LoadedModelBudget | None = None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_available(queue: str, *, worker: str | None = None, max_batches: int = 50) -> int:
    """Claim and run batches until the queue has nothing claimable; returns the number of jobs run."""
    worker = worker or worker_name()
    done = 0
    for _ in range(max_batches):
        claim = services.claim_batch(queue, worker)
        if claim.wait > 0:  # a batch is filling: give companions the rest of the window, then take it
            time.sleep(min(claim.wait, kinds.jobs_config()["batch_window_seconds"]))
            claim = services.claim_batch(queue, worker, force=True)
        if not claim.jobs:
            break
        run_batch(claim.jobs)
        done += len(claim.jobs)
    else:
        services.wake_workers(queue)  # more work: let the broker interleave other queues first
    return done


def run_batch(jobs: list[Job]) -> None:
    kind = kinds.get_kind(jobs[0].kind)
    contexts = [kinds.RunContext(job.pk, job.attempts, job.params, job.owner.get_username()) for job in jobs]
    batch_id = jobs[0].batch_id
    with _ACTIVE_LOCK:
        ACTIVE.update({c.job_id: c.attempt for c in contexts})
    last_write = [0.0]

    def progress(fraction: float, message: str) -> None:
        now = time.monotonic()
        if fraction < 1.0 and now - last_write[0] < PROGRESS_EVERY:
            return
        last_write[0] = now
        if not services.report_batch_progress({c.job_id: c.attempt for c in contexts}, fraction, message):
            raise kinds.JobCancelled

    started = time.monotonic()
    try:
        with job_context([c.job_id for c in contexts], [c.attempt for c in contexts], batch_id):
            logger.info("batch started: %d %s job(s) from queue %s", len(contexts), kind.name, jobs[0].queue)
            try:
                outcomes = kind.run(contexts, progress)
            except kinds.JobCancelled:
                logger.info("batch stopped: every job in it was cancelled")
                return
            except Exception as exc:  # noqa: BLE001 - the whole batch failed: each job reports it
                outcomes = [exc] * len(contexts)
        # One commit for the whole batch (each job still checks its own attempt): fifty receipts cost one
        # round of fsync instead of fifty.
        with transaction.atomic():
            for context, outcome in zip(contexts, outcomes, strict=True):
                with job_context([context.job_id], [context.attempt], batch_id):
                    _finish(context, outcome, time.monotonic() - started)
    finally:
        with _ACTIVE_LOCK:
            for context in contexts:
                ACTIVE.pop(context.job_id, None)
        _keep_models_within_budget(jobs)


def _finish(context: kinds.RunContext, outcome: kinds.JobOutput | Exception, seconds: float) -> None:
    if isinstance(outcome, Exception):
        screen().record_failure(context.job_id, outcome)  # safety refusals go to the teachers' audit log
        status = services.fail_attempt(
            context.job_id,
            context.attempt,
            kinds.child_message(outcome),
            detail="".join(traceback.format_exception(outcome))[-5000:],
            retryable=_retryable(outcome),
        )
        if status is None:
            logger.info("job failed after it was cancelled or taken over (%s)", type(outcome).__name__)
        else:
            logger.warning("job %s after %.1f s: %s: %s", "back in line" if status == "queued" else "failed",
                           seconds, type(outcome).__name__, str(outcome)[:300])
    elif services.complete_job(context.job_id, context.attempt, outcome):
        logger.info("job succeeded in %.1f s (%d file(s))", seconds, len(outcome.files))
    else:
        logger.info("job finished after it was cancelled or taken over; result dropped")


def _retryable(exc: Exception) -> bool:
    """Bad luck (out of memory, a network hiccup) is worth another try; a refusal or a bad request is not."""
    from aigc_contest.generation.types import GenerationError
    from aigc_contest.safety import SafetyRefusal

    if isinstance(exc, kinds.JobFailure):
        return exc.retryable
    return not isinstance(exc, SafetyRefusal | GenerationError | ValueError)


def _keep_models_within_budget(jobs: list[Job]) -> None:
    """Keep recently used pipelines loaded, unloading the least recently used beyond the budget."""
    global _budget
    model = jobs[0].params.get("model") if jobs[0].kind in {"image", "text"} else None
    if not model:
        return
    if _budget is None:
        config = kinds.jobs_config()
        _budget = LoadedModelBudget(config["memory_budget_bytes"], config["max_loaded_models"])
    from aigc_contest.generation.registry import shared_registry

    registry = shared_registry()
    try:
        backend = registry._backend(registry.get(model))  # built (and cached) already by the run
    except Exception:  # noqa: BLE001 - nothing loaded, nothing to budget
        return
    for name in _budget.touch(model, _loaded_bytes(backend)):
        try:
            victim = registry._backend(registry.get(name))
        except Exception:  # noqa: BLE001 - removed from the models file meanwhile
            continue
        if hasattr(victim, "unload"):
            logger.info("unloading model %s (memory budget)", name)
            victim.unload()


def _loaded_bytes(backend: Any) -> int:
    pipe = getattr(backend, "_pipe", None) or getattr(backend, "_model", None)
    if pipe is None:
        return 0
    components = getattr(pipe, "components", None) or {"model": pipe}
    total = 0
    for component in components.values():
        for parameter in getattr(component, "parameters", lambda: [])():
            total += parameter.numel() * parameter.element_size()
    return total


class Housekeeper(threading.Thread):
    """Beside the worker's task loop: heartbeats for running jobs, and the watchdog, which also re-sends
    wake-ups for waiting jobs (so a lost message or a restart never strands a job)."""

    def __init__(self, queues: list[str]) -> None:
        super().__init__(name="aigc-jobs-housekeeper", daemon=True)
        self.queues = queues
        self.stop = threading.Event()

    def run(self) -> None:
        config = kinds.jobs_config()
        next_watch = 0.0
        while not self.stop.is_set():
            try:
                close_old_connections()
                with _ACTIVE_LOCK:
                    active = dict(ACTIVE)
                services.heartbeat(active)
                if time.monotonic() >= next_watch:
                    next_watch = time.monotonic() + config["watchdog_seconds"]
                    self.watch()
            except Exception:  # noqa: BLE001 - the next tick tries again
                logger.exception("job housekeeping failed")
            self.stop.wait(min(config["heartbeat_seconds"], config["watchdog_seconds"]))

    def watch(self) -> None:
        counts = services.watchdog()
        if any(counts.values()):
            logger.warning("job watchdog: %s", counts)
        for receiver, outcome in watchdog_passed.send_robust(sender=Housekeeper, now=timezone.now()):
            if isinstance(outcome, Exception):
                logger.error("watchdog hook %s failed: %s", getattr(receiver, "__name__", receiver), outcome)
        with _ACTIVE_LOCK:
            busy = bool(ACTIVE)
        if busy:  # this worker drains its queues after the batch anyway; no need to pile up messages
            return
        for queue in selectors.queues_with_waiting_jobs():
            if queue in self.queues:
                services.wake_workers(queue)
