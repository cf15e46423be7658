"""`serve`'s embedded worker comes back after it dies, and gives up after too many deaths."""

from __future__ import annotations

import signal
import sys
import time

from aigc_contest.web.jobs.worker import EmbeddedWorker

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def _wait(predicate, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_killed_worker_is_restarted(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(EmbeddedWorker, "POLL_SECONDS", 0.05)
    worker = EmbeddedWorker(SLEEPER).start()
    try:
        first = worker.process
        assert first is not None
        first.send_signal(signal.SIGKILL)
        assert _wait(lambda: worker.process is not first and worker.process.poll() is None)
        assert len(worker.restarts) == 1
    finally:
        worker.stop()
    assert worker.process.poll() is not None  # stopped with the server, and not brought back
    time.sleep(0.2)
    assert len(worker.restarts) == 1


def test_gives_up_after_too_many_deaths(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(EmbeddedWorker, "POLL_SECONDS", 0.02)
    monkeypatch.setattr(EmbeddedWorker, "MAX_RESTARTS", 2)
    worker = EmbeddedWorker([sys.executable, "-c", "raise SystemExit(3)"]).start()
    try:
        assert _wait(lambda: worker._watcher is not None and not worker._watcher.is_alive())
        assert len(worker.restarts) == 3  # two restarts allowed, the third death ends the watching
    finally:
        worker.stop()
