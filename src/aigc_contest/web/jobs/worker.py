"""`aigc-contest worker` (and the worker `serve` starts beside the web server).

One process per GPU with concurrency 1: the solo pool runs tasks in the worker's own process, so the
pipelines it loads stay loaded from one job to the next (within the memory budget), and a SIGKILL takes
the job with it instead of leaving an orphaned child running. Prefetch 1, late acks and
reject-on-worker-lost come from settings; a killed worker's jobs go back in line when the next worker's
watchdog sees their heartbeat stop.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from typing import Any

logger = logging.getLogger(__name__)


def run_worker(concurrency: int = 1, queues: str | None = None, loglevel: str | None = None) -> int:
    from celery import signals

    from aigc_contest.web.jobs import kinds
    from aigc_contest.web.jobs.celery_app import app
    from aigc_contest.web.jobs.runner import Housekeeper

    queue_names = [q.strip() for q in (queues or ",".join(kinds.queues())).split(",") if q.strip()]
    housekeeper = Housekeeper(queue_names)

    def start_housekeeping(**_: Any) -> None:
        housekeeper.start()  # heartbeats, watchdog, and wake-ups for jobs that waited across a restart

    def stop_housekeeping(**_: Any) -> None:
        housekeeper.stop.set()

    signals.worker_ready.connect(start_housekeeping, weak=False)
    signals.worker_shutdown.connect(stop_housekeeping, weak=False)
    argv = [
        "worker",
        f"--concurrency={max(1, concurrency)}",
        f"--pool={'solo' if concurrency <= 1 else 'threads'}",
        f"--queues={','.join(queue_names)}",
        f"--loglevel={loglevel or os.environ.get('AIGC_LOG_LEVEL', 'WARNING')}",
        f"--hostname=aigc-{os.getpid()}@{socket.gethostname()}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    app.worker_main(argv)
    return 0


def start_embedded_worker() -> subprocess.Popen[bytes] | None:
    """The worker `serve` and `demo` start beside gunicorn (a child process, stopped with the server)."""
    from django.conf import settings

    if not settings.AIGC_JOBS["embedded_worker"]:
        return None
    command = [sys.executable, "-m", "aigc_contest.cli.main", "worker", "--concurrency", "1"]
    process = subprocess.Popen(command)  # noqa: S603 - our own interpreter and module
    logger.warning("embedded job worker started (pid %s)", process.pid)
    return process


def stop_embedded_worker(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()  # warm shutdown: the running batch finishes or goes back in line
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
