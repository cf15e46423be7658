"""`aigc-contest serve` alone runs jobs: the embedded worker on the embedded broker, no other service."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from test_worker_kill import HERE, _env, _row, _wait_for


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()


@pytest.mark.slow
def test_serve_runs_jobs_with_its_embedded_worker(tmp_path: Path) -> None:
    env = _env(tmp_path, None)
    port = _free_port()
    log = tmp_path / "serve.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "aigc_contest.cli.main", "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(lambda: _healthy(port), 30, "the web server")
        submitted = subprocess.run(
            [sys.executable, str(HERE / "harness.py"), "test.sleep", json.dumps({"seconds": 0.2, "group": "g"}), "2"],
            env=env, capture_output=True, text=True, check=True, timeout=60,
        )
        ids = [int(line) for line in submitted.stdout.split()]
        db = tmp_path / "db.sqlite3"
        for job_id in ids:
            _wait_for(lambda job_id=job_id: _row(db, job_id)["status"] == "succeeded", 30, f"job {job_id}")
        worker_pid = int(str(_row(db, ids[0])["worker"]).rsplit(":", 1)[1])
        assert worker_pid != server.pid and _alive(worker_pid)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert not _alive(worker_pid), "the embedded worker outlived the server"


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        time.sleep(0.2)
        return False
