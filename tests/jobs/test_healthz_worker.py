"""`/healthz` reports the embedded worker's state, and a killed worker's exit is logged as it really was."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from test_serve_embedded import _free_port
from test_worker_kill import _env, _wait_for


def _health(port: int) -> tuple[int, dict[str, Any]] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
    except OSError:
        time.sleep(0.2)
        return None


def _serve(tmp_path: Path, port: int, *extra: str) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "aigc_contest.cli.main", "serve", "--port", str(port), "--workers", "1",
               "--threads", "2", *extra]  # fmt: skip
    return subprocess.Popen(
        command, env=_env(tmp_path, None), stdout=log.open("wb"), stderr=subprocess.STDOUT
    ), log


@pytest.mark.slow
def test_healthz_follows_a_killed_embedded_worker(tmp_path: Path) -> None:
    port = _free_port()
    server, log = _serve(tmp_path, port)
    try:
        status, body = _wait_for(lambda: (h := _health(port)) and h[1]["worker"].get("pid") and h, 60,
                                 "the server and its worker")  # fmt: skip
        assert status == 200 and body["status"] == "ok"
        assert body["worker"]["state"] == "running" and body["worker"]["restarts"] == 0
        first = body["worker"]["pid"]
        os.kill(first, signal.SIGKILL)
        status, body = _wait_for(
            lambda: (h := _health(port)) and h[1]["worker"].get("pid") not in (None, first) and h, 30,
            "the worker to be restarted")  # fmt: skip
        assert status == 200
        assert body["worker"]["restarts"] == 1
        assert body["worker"]["last_exit"] == "killed by SIGKILL"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    text = log.read_text()
    assert "embedded job worker stopped (killed by SIGKILL); restarting it" in text, text[-3000:]
    assert "exit 0" not in text
    assert server.returncode == 0
    assert not list(tmp_path.glob("embedded-worker-*.json"))  # the state goes with the server


@pytest.mark.slow
def test_healthz_without_an_embedded_worker(tmp_path: Path) -> None:
    port = _free_port()
    server, _ = _serve(tmp_path, port, "--no-worker")
    try:
        status, body = _wait_for(lambda: _health(port), 60, "the server")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert (status, body) == (200, {"status": "ok", "worker": {"state": "not embedded"}})


def _state(path: Path, **state: Any) -> None:
    path.write_text(json.dumps({"pid": None, "restarts": 6, "last_exit": "exit 3", "updated_at": time.time(),
                                **state}))  # fmt: skip


def test_a_worker_given_up_on_makes_healthz_fail(client, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    state = tmp_path / "worker.json"
    monkeypatch.setenv("AIGC_EMBEDDED_WORKER_STATE", str(state))
    _state(state, state="given up")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "degraded",
        "worker": {"state": "given up", "pid": None, "restarts": 6, "last_exit": "exit 3"},
    }
    _state(state, state="running", pid=os.getpid(), restarts=0, last_exit=None)
    assert client.get("/healthz").json()["worker"]["state"] == "running"
    _state(state, state="running", pid=os.getpid(), updated_at=time.time() - 600)  # the supervisor is gone
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["worker"]["state"] == "unknown"
    state.unlink()
    assert client.get("/healthz").status_code == 503


def test_exits_are_described_as_they_were() -> None:
    from aigc_contest.web.jobs.worker import describe_exit

    assert describe_exit(-9) == "killed by SIGKILL"
    assert describe_exit(3) == "exit 3"
    assert describe_exit(0) == "exit 0"
