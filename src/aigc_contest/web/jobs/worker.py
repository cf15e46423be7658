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
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def run_worker(concurrency: int = 1, queues: str | None = None, loglevel: str | None = None) -> int:
    """Serve `queues` (comma-separated; default: every queue the job kinds use, so one command runs every
    kind of job) until stopped. Logs go to stderr, one line per record with its time, level, job, attempt
    and batch (`AIGC_LOG_FORMAT=text|json`, level `--loglevel` or `AIGC_LOG_LEVEL`)."""
    from celery import signals

    from aigc_contest.web.jobs import kinds, logs
    from aigc_contest.web.jobs.celery_app import app
    from aigc_contest.web.jobs.runner import Housekeeper

    log_format = os.environ.get("AIGC_LOG_FORMAT", "text").strip().lower() or "text"
    logs.formatter(log_format)  # a misspelt format stops the worker before it takes any job
    queue_names = [q.strip() for q in (queues or ",".join(kinds.queues())).split(",") if q.strip()]
    unknown = sorted(set(queue_names) - set(kinds.queues()))
    housekeeper = Housekeeper(queue_names)

    level = (loglevel or os.environ.get("AIGC_LOG_LEVEL") or "WARNING").upper()
    stderr = sys.stderr
    logs.configure(level, log_format, stream=stderr)  # for what Celery says before its own set-up
    logging.captureWarnings(True)  # Celery's warnings (e.g. about running as root) too

    def setup_logging(**_: Any) -> None:
        """Instead of Celery's set-up (and again after its Django fix-up ran django.setup() and LOGGING)."""
        _structured_logging(level, log_format, stderr)

    def start_housekeeping(**_: Any) -> None:
        housekeeper.start()  # heartbeats, watchdog, and wake-ups for jobs that waited across a restart
        logger.warning("worker ready: queues %s, concurrency %s", ",".join(queue_names), max(1, concurrency))
        if unknown:
            logger.warning("no job kind uses queue(s) %s (known: %s)", ",".join(unknown), ",".join(kinds.queues()))

    def stop_housekeeping(**_: Any) -> None:
        housekeeper.stop.set()

    signals.celeryd_init.connect(setup_logging, weak=False)  # before Celery's first warnings
    signals.setup_logging.connect(setup_logging, weak=False)
    signals.worker_ready.connect(start_housekeeping, weak=False)
    signals.worker_shutdown.connect(stop_housekeeping, weak=False)
    argv = [
        "--quiet",  # no banner: every line the worker writes is a log line
        "worker",
        f"--concurrency={max(1, concurrency)}",
        f"--pool={'solo' if concurrency <= 1 else 'threads'}",
        f"--queues={','.join(queue_names)}",
        f"--loglevel={level}",
        f"--hostname=aigc-{os.getpid()}@{socket.gethostname()}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    app.worker_main(argv)
    return 0


def _structured_logging(level: str, log_format: str, stream: Any) -> None:
    """Every line this process writes is a log line: time, level, job, attempt, batch (jobs.logs)."""
    import celery.apps.worker as celery_worker
    from celery.utils.log import LoggingProxy

    from aigc_contest.web.jobs import logs

    logs.configure(level, log_format, stream=stream)
    logging.captureWarnings(True)
    # Whatever a library prints (the console e-mail backend, a progress bar) becomes log lines.
    sys.stdout = LoggingProxy(logging.getLogger("aigc_contest.stdout"), logging.INFO)  # type: ignore[assignment]
    sys.stderr = LoggingProxy(logging.getLogger("aigc_contest.stderr"), logging.WARNING)  # type: ignore[assignment]

    def say(message: str, *_: Any) -> None:  # Celery's "worker: Warm shutdown", from its signal handler
        logging.getLogger("celery.apps.worker").warning("%s", message)

    celery_worker.safe_say = say


def describe_exit(returncode: int | None) -> str:
    """How a process ended, as it really did: "exit 3", "killed by SIGKILL"."""
    if returncode is None:
        return "still running"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit {returncode}"


class EmbeddedWorker:
    """The worker `serve` and `demo` start beside gunicorn: a child process, restarted if it dies.

    Queued jobs are safe in the database whatever happens to the worker; restarting it (at most
    `MAX_RESTARTS` times in `RESTART_WINDOW` seconds, then it gives up loudly) keeps a one-machine
    installation generating without anyone watching it. The process that starts it must be its only
    reaper (`serve` runs gunicorn, which reaps every child of its own process, in a child process), so the
    exit it logs is the real one. With `state_path`, the state is written there for `/healthz`."""

    MAX_RESTARTS = 5
    RESTART_WINDOW = 300.0
    POLL_SECONDS = 2.0

    def __init__(self, command: list[str] | None = None, state_path: Path | None = None) -> None:
        self.command = command or [sys.executable, "-m", "aigc_contest.cli.main", "worker", "--concurrency", "1"]
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts: list[float] = []
        self.state = "starting"
        self.last_exit: str | None = None
        self.state_path = state_path
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    def start(self) -> EmbeddedWorker:
        self.process = subprocess.Popen(self.command)  # noqa: S603 - our own interpreter and module
        self.state = "running"
        self._report()
        logger.warning("embedded job worker started (pid %s)", self.process.pid)
        if self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, name="embedded-worker-watch", daemon=True)
            self._watcher.start()
        return self

    def _report(self) -> None:
        if self.state_path is None:
            return
        from aigc_contest.web.core.health import write_worker_state

        process = self.process
        try:
            write_worker_state(self.state_path, {
                "state": self.state,
                "pid": process.pid if process is not None and self.state == "running" else None,
                "restarts": len(self.restarts),
                "last_exit": self.last_exit,
            })
        except OSError:
            logger.warning("could not write the embedded worker's state to %s", self.state_path, exc_info=True)

    def _watch(self) -> None:
        while not self._stopping.wait(self.POLL_SECONDS):
            process = self.process
            if process is None or process.poll() is None:
                self._report()  # also the heartbeat that tells /healthz somebody is watching
                continue
            if self._stopping.is_set():
                return
            self.last_exit = describe_exit(process.returncode)
            now = time.monotonic()
            self.restarts = [t for t in self.restarts if now - t < self.RESTART_WINDOW] + [now]
            if len(self.restarts) > self.MAX_RESTARTS:
                self.state = "given up"
                self._report()
                logger.error("embedded job worker keeps stopping (%s); not restarting it again — "
                             "queued jobs wait in the database until the server restarts", self.last_exit)
                return
            self.state = "restarting"
            self._report()
            logger.error("embedded job worker stopped (%s); restarting it", self.last_exit)
            self.start()

    def stop(self) -> None:
        self._stopping.set()
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()  # warm shutdown: the running batch finishes or goes back in line
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self.state_path is not None:
            self.state = "stopped"
            self._report()


def start_embedded_worker(state_path: Path | None = None) -> EmbeddedWorker | None:
    from django.conf import settings

    if not settings.AIGC_JOBS["embedded_worker"]:
        return None
    return EmbeddedWorker(state_path=state_path).start()


def stop_embedded_worker(worker: EmbeddedWorker | None) -> None:
    if worker is not None:
        worker.stop()
