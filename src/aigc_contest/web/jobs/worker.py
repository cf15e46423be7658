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
import threading
import time
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


class EmbeddedWorker:
    """The worker `serve` and `demo` start beside gunicorn: a child process, restarted if it dies.

    Queued jobs are safe in the database whatever happens to the worker; restarting it (at most
    `MAX_RESTARTS` times in `RESTART_WINDOW` seconds, then it gives up loudly) keeps a one-machine
    installation generating without anyone watching it."""

    MAX_RESTARTS = 5
    RESTART_WINDOW = 300.0
    POLL_SECONDS = 2.0

    def __init__(self, command: list[str] | None = None) -> None:
        self.command = command or [sys.executable, "-m", "aigc_contest.cli.main", "worker", "--concurrency", "1"]
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts: list[float] = []
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    def start(self) -> EmbeddedWorker:
        self.process = subprocess.Popen(self.command)  # noqa: S603 - our own interpreter and module
        logger.warning("embedded job worker started (pid %s)", self.process.pid)
        if self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, name="embedded-worker-watch", daemon=True)
            self._watcher.start()
        return self

    def _watch(self) -> None:
        while not self._stopping.wait(self.POLL_SECONDS):
            process = self.process
            if process is None or process.poll() is None:
                continue
            now = time.monotonic()
            self.restarts = [t for t in self.restarts if now - t < self.RESTART_WINDOW] + [now]
            if len(self.restarts) > self.MAX_RESTARTS:
                logger.error("embedded job worker keeps stopping (exit %s); not restarting it again — "
                             "queued jobs wait in the database until the server restarts", process.returncode)
                return
            logger.error("embedded job worker stopped (exit %s); restarting it", process.returncode)
            self.start()

    def stop(self) -> None:
        self._stopping.set()
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()  # warm shutdown: the running batch finishes or goes back in line
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def start_embedded_worker() -> EmbeddedWorker | None:
    from django.conf import settings

    if not settings.AIGC_JOBS["embedded_worker"]:
        return None
    return EmbeddedWorker().start()


def stop_embedded_worker(worker: EmbeddedWorker | None) -> None:
    if worker is not None:
        worker.stop()
