"""The `email` job kind: messages the platform sends out of the request that caused them.

A request renders its message and calls `enqueue_email` inside its own transaction, so the job row commits
with the change it reports (a submission and its receipt) or not at all; the worker sends it later and
tries again when the mail server is down. Like every runner, this one takes plain data (recipients,
subject, body) and never touches the database.

A receipt is not a generation request: the job is made here, not through `jobs.services.submit_job`, so
it is never refused by a quota, and it is not counted against the school's quota (the job names no school).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

from aigc_contest.web.jobs import services as job_services
from aigc_contest.web.jobs.kinds import (
    JobFailure,
    JobKind,
    JobOutput,
    Progress,
    RunContext,
    jobs_config,
    register,
)
from aigc_contest.web.jobs.models import Job

logger = logging.getLogger(__name__)

KIND = "email"
QUEUE = "default"
MAX_BATCH = 50  # messages sent over one connection to the mail server
WAKE_DELAY_SECONDS = 0.2  # wake-ups of one process within this window share one broker message
DUMMY_BACKEND = "django.core.mail.backends.dummy.EmailBackend"


def _prepare(params: dict[str, Any]) -> tuple[dict[str, Any], str]:
    recipients = params.get("recipients")
    subject, body = params.get("subject"), params.get("body")
    if (
        not isinstance(recipients, list)
        or not recipients
        or not all(isinstance(r, str) and "@" in r for r in recipients)
        or not isinstance(subject, str)
        or not isinstance(body, str)
    ):
        raise JobFailure("An email needs recipients, a subject and a body.")
    clean = {"recipients": sorted(set(recipients))[:50], "subject": subject[:300], "body": body[:20_000]}
    return clean, KIND  # every email may share a batch: one connection for many messages


def run_email_jobs(contexts: list[RunContext], progress: Progress) -> list[JobOutput | Exception]:
    outcomes: list[JobOutput | Exception] = []
    try:
        connection = get_connection()
        connection.open()
    except Exception as exc:  # noqa: BLE001 - the mail server is down: every message is tried again later
        logger.warning("mail server unavailable (%s); %d message(s) will be tried again", exc, len(contexts))
        failure = JobFailure("The email could not be sent yet.", retryable=True, detail=str(exc))
        return [failure] * len(contexts)
    try:
        for index, context in enumerate(contexts):
            params = context.params
            message = EmailMessage(params["subject"], params["body"], None, params["recipients"], connection=connection)
            try:
                sent = message.send()
            except Exception as exc:  # noqa: BLE001 - this message only; the others still go
                logger.warning("email job %s could not be sent (%s); it will be tried again", context.job_id, exc)
                outcomes.append(JobFailure("The email could not be sent yet.", retryable=True, detail=str(exc)))
            else:
                outcomes.append(JobOutput(result={"sent": sent, "recipients": len(params["recipients"])}))
            progress((index + 1) / len(contexts), "sending")
    finally:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - the messages are sent; a failed goodbye changes nothing
            logger.warning("closing the mail connection failed", exc_info=True)
    return outcomes


register(JobKind(KIND, run_email_jobs, queue=QUEUE, prepare=_prepare, max_batch=lambda params: MAX_BATCH,
                 timeout_seconds=300, label="email", background=True))


def enqueue_email(owner: Any, *, recipients: list[str], subject: str, body: str) -> Any:
    """Queue one message in the current transaction; the worker is woken once the transaction commits.

    Returns the job, or None when there is nobody to write to or the configured backend discards mail."""
    if not recipients or settings.EMAIL_BACKEND == DUMMY_BACKEND:
        return None
    params, batch_key = _prepare({"recipients": recipients, "subject": subject, "body": body})
    config = jobs_config()
    job = Job.objects.create(
        owner=owner,
        school=None,
        kind=KIND,
        queue=QUEUE,
        params=params,
        batch_key=batch_key,
        max_attempts=max(config["max_attempts"], 5),
        timeout_seconds=300,
    )
    transaction.on_commit(lambda: wake_soon(QUEUE))
    return job


_wake_lock = threading.Lock()
_wake_pending: set[str] = set()


def wake_soon(queue: str) -> None:
    """Wake the queue's workers shortly, once for every message committed meanwhile in this process.

    One broker message per submission would cost more than the submission itself in a deadline surge.
    The wake-up is sent after every job it covers has committed (the pending mark is cleared first, so a
    job committed later starts a new timer); a lost wake-up loses no message, as the worker's watchdog
    re-sends wake-ups for waiting jobs."""
    with _wake_lock:
        if queue in _wake_pending:
            return
        _wake_pending.add(queue)

    def fire() -> None:
        with _wake_lock:
            _wake_pending.discard(queue)
        job_services.wake_workers(queue)

    timer = threading.Timer(WAKE_DELAY_SECONDS, fire)
    timer.daemon = True
    timer.start()
