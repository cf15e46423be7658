"""Celery tasks. They carry wake-ups, not work: the work waits in the database (see services.py)."""

from __future__ import annotations

from django.db import close_old_connections

from aigc_contest.web.jobs.celery_app import DISPATCH_TASK, app
from aigc_contest.web.jobs.runner import run_available


@app.task(name=DISPATCH_TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def dispatch(queue: str = "default") -> int:
    """Claim and run the queue's batches in fair order until nothing is claimable."""
    close_old_connections()
    try:
        return run_available(queue)
    finally:
        close_old_connections()
