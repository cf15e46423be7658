"""Two workers on Redis with the shipped timings (no test overrides): the one running a job is killed with
SIGKILL, and the other, idle, runs the job again and stores its result exactly once within 20 s.

Why it used to take about a minute: the broker is not what brings a killed worker's job back (its
wake-up message stays unacknowledged on Redis until the visibility timeout, an hour). The database's
watchdog is: every worker's housekeeper puts back in line a running job whose heartbeat stopped, and
wakes its own queue. With heartbeats every 5 s, a job counted as stale after 60 s and a watchdog pass
every 10 s, that was 60-70 s. Heartbeats now come every 2 s on the database's clock, a job is stale after
10 s (five missed heartbeats) and the watchdog looks every 2 s: back in line within 12 s of the kill."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_worker_kill import _env, _row, _wait_for

HERE = Path(__file__).resolve().parent
REDIS_URL = "redis://127.0.0.1:6379/13"
WITHIN_SECONDS = 20.0
JOB_SECONDS = 3.0


@pytest.fixture
def redis_prefix():  # type: ignore[no-untyped-def]
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise  # CI provides the real server: its absence is a failure, not a skip
        pytest.skip("no Redis at 127.0.0.1:6379")
    prefix = f"aigc-failover-{secrets.token_hex(4)}"
    yield prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.mark.slow
@pytest.mark.services
def test_a_killed_workers_job_finishes_on_the_other_worker_within_20_s(
    tmp_path: Path, redis_prefix: str
) -> None:
    env = _env(tmp_path, REDIS_URL)
    for name in ("AIGC_JOB_HEARTBEAT_SECONDS", "AIGC_JOB_STALE_SECONDS", "AIGC_JOB_WATCHDOG_SECONDS"):
        env.pop(name)  # the timings an installation gets
    env["AIGC_BROKER_PREFIX"] = redis_prefix
    markers = tmp_path / "markers"
    markers.mkdir()
    params = {"seconds": JOB_SECONDS, "steps": 12, "marker_dir": str(markers)}
    db = tmp_path / "db.sqlite3"
    subprocess.run(
        [sys.executable, str(HERE / "harness.py"), "test.paint", json.dumps(params), "0"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )  # fmt: skip  (migrate only)
    workers = {}
    for name in ("a", "b"):
        log = tmp_path / f"worker-{name}.log"
        process = subprocess.Popen([sys.executable, "-m", "aigc_contest.cli.main", "worker", "--loglevel", "INFO"],
                                   env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)  # fmt: skip
        workers[process.pid] = (process, log)
    try:
        _wait_for(lambda: all("worker ready" in log.read_text() for _p, log in workers.values()), 60,
                  "both workers to be ready")  # fmt: skip
        submitted = subprocess.run([sys.executable, str(HERE / "harness.py"), "test.paint", json.dumps(params)],
                                   env=env, capture_output=True, text=True, check=True, timeout=60)  # fmt: skip
        job_id = int(submitted.stdout.split()[0])
        row = _wait_for(lambda: (r := _row(db, job_id))["status"] == "running" and r["progress"] > 0 and r, 30,
                        "a worker to start the job")  # fmt: skip
        victim_pid = int(str(row["worker"]).rsplit(":", 1)[1])
        victim, _log = workers[victim_pid]
        survivor_pid = next(pid for pid in workers if pid != victim_pid)
        victim.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        victim.wait(timeout=10)
        row = _wait_for(lambda: (r := _row(db, job_id))["status"] in {"succeeded", "failed"} and r,
                        WITHIN_SECONDS + 15, "the other worker to finish the job")  # fmt: skip
        took = time.monotonic() - killed_at
    finally:
        for process, _log in workers.values():
            if process.poll() is None:
                process.terminate()
        for process, _log in workers.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    print(
        f"killed worker's job finished on the other worker {took:.1f} s after the kill "
        f"(the job itself runs {JOB_SECONDS:.0f} s)"
    )
    survivor_log = workers[survivor_pid][1].read_text()
    assert row["status"] == "succeeded", survivor_log[-3000:]
    assert took <= WITHIN_SECONDS, f"{took:.1f} s"
    assert row["worker"].endswith(f":{survivor_pid}") and row["attempts"] == 2
    assert row["assets"] == 1  # exactly one picture stored
    assert sorted(p.name for p in markers.iterdir()) == [f"job{job_id}-attempt1", f"job{job_id}-attempt2"]
    assert f"job={job_id} attempt=1" in survivor_log and "watchdog: job back in line" in survivor_log
    assert f"job={job_id} attempt=2" in survivor_log
