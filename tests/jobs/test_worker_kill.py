"""A real worker process killed with SIGKILL mid-job: the next worker runs the job again and its result
is stored exactly once. Runs on the embedded broker (SQLite file) and, marked `services`, on Redis and RabbitMQ."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REDIS_URL = "redis://127.0.0.1:6379/14"
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//"


def _env(data_dir: Path, broker: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIGC_", "DATABASE_URL"))}
    env.update(
        AIGC_DATA_DIR=str(data_dir),
        PYTHONPATH=os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]),
        AIGC_JOB_KIND_MODULES="jobkinds_for_tests",
        AIGC_JOB_HEARTBEAT_SECONDS="0.3",
        AIGC_JOB_STALE_SECONDS="1.5",
        AIGC_JOB_WATCHDOG_SECONDS="0.5",
        AIGC_SECRET_KEY="test",
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if broker:
        env["AIGC_BROKER_URL"] = broker
    return env


def _row(db: Path, job_id: int) -> dict[str, object]:
    with sqlite3.connect(db, timeout=10) as connection:
        connection.row_factory = sqlite3.Row
        row = connection.execute("select * from jobs_job where id = ?", (job_id,)).fetchone()
        assets = connection.execute("select count(*) from jobs_jobasset where job_id = ?", (job_id,)).fetchone()[0]
    return {**dict(row), "assets": assets}


def _wait_for(predicate, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "aigc_contest.cli.main", "worker", "--concurrency", "1", "--loglevel", "INFO"],
        env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )


def _kill_mid_job_then_recover(tmp_path: Path, broker: str | None) -> None:
    env = _env(tmp_path, broker)
    markers = tmp_path / "markers"
    markers.mkdir()
    params = {"seconds": 2.0, "steps": 10, "marker_dir": str(markers)}
    submitted = subprocess.run(
        [sys.executable, str(HERE / "harness.py"), "test.sleep", json.dumps(params)],
        env=env, capture_output=True, text=True, check=True, timeout=60,
    )
    job_id = int(submitted.stdout.split()[0])
    db = tmp_path / "db.sqlite3"
    log = tmp_path / "worker.log"
    first = _start_worker(env, log)
    try:
        _wait_for(lambda: _row(db, job_id)["status"] == "running" and _row(db, job_id)["progress"] > 0, 30,
                  "the first worker to start the job")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    assert _row(db, job_id)["status"] == "running"  # the dead worker's job, until a watchdog notices
    second = _start_worker(env, log)
    try:
        row = _wait_for(lambda: (r := _row(db, job_id))["status"] in {"succeeded", "failed"} and r, 40,
                        "the second worker to finish the job")
    finally:
        second.terminate()
        second.wait(timeout=20)
    assert row["status"] == "succeeded", log.read_text()[-3000:]
    assert row["attempts"] == 2
    assert row["assets"] == 1
    assert sorted(p.name for p in markers.iterdir()) == [f"job{job_id}-attempt1", f"job{job_id}-attempt2"]
    asset = next((tmp_path / "media" / "jobs").rglob("result*.txt"))
    assert asset.read_text() == f"result of job {job_id} attempt 2"


@pytest.mark.slow
def test_sigkill_mid_job_on_the_embedded_broker(tmp_path: Path) -> None:
    _kill_mid_job_then_recover(tmp_path, None)


@pytest.mark.slow
@pytest.mark.services
def test_sigkill_mid_job_on_redis(tmp_path: Path) -> None:
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise  # CI provides the real server: its absence is a failure, not a skip
        pytest.skip("no Redis at 127.0.0.1:6379")
    _kill_mid_job_then_recover(tmp_path, REDIS_URL)
    client.flushdb()


@pytest.mark.slow
@pytest.mark.services
def test_sigkill_mid_job_on_rabbitmq(tmp_path: Path) -> None:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=2).close()
    except OSError:
        if os.environ.get("CI"):
            raise
        pytest.skip("no RabbitMQ at 127.0.0.1:5672")
    _kill_mid_job_then_recover(tmp_path, RABBITMQ_URL)
