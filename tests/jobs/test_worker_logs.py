"""Worker logs: every line has its time, level, job, attempt and batch, as text or JSON (AIGC_LOG_FORMAT);
and one `aigc-contest worker` with no --queues serves every queue (a GPU job and a housekeeping job)."""

from __future__ import annotations

import io
import json
import logging
import re
import signal
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from aigc_contest.web.jobs import logs

HERE = Path(__file__).resolve().parent
TEXT_LINE = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) "
    r"job=(?P<job>\S+) attempt=(?P<attempt>\S+) batch=(?P<batch>\S+) (?P<logger>[\w.-]+): (?P<message>.*)$"
)
JSON_KEYS = {"time", "level", "job", "attempt", "batch", "logger", "message"}


def _logger(kind: str) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter(kind))
    handler.addFilter(logs.JobContextFilter())
    logger = logging.getLogger(f"test.worker-logs.{kind}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_text_lines_name_the_job_attempt_and_batch_even_in_a_traceback() -> None:
    logger, stream = _logger("text")
    logger.info("outside any job")
    with logs.job_context([12], [2], "3f0c-batch"):
        try:
            raise RuntimeError("the GPU caught fire")
        except RuntimeError:
            logger.exception("painting failed")
    with logs.job_context([12, 13], [2, 1], "b2"):
        logger.warning("a batch of two")
    lines = stream.getvalue().splitlines()
    parsed = [TEXT_LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert (parsed[0]["job"], parsed[0]["attempt"], parsed[0]["batch"]) == ("-", "-", "-")
    traceback_lines = [m for m in parsed if m["job"] == "12"]
    assert len(traceback_lines) > 3  # the message and every line of its traceback
    assert {(m["attempt"], m["batch"], m["level"]) for m in traceback_lines} == {("2", "3f0c-batch", "ERROR")}
    assert any("RuntimeError: the GPU caught fire" in m["message"] for m in traceback_lines)
    assert (parsed[-1]["job"], parsed[-1]["attempt"], parsed[-1]["batch"]) == ("12,13", "2,1", "b2")


def test_json_lines_are_one_object_each() -> None:
    logger, stream = _logger("json")
    with logs.job_context([7], [1], "b7"):
        try:
            raise ValueError("bad\nrequest")
        except ValueError:
            logger.exception("failed")
    logger.info("idle")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert set(first) == JSON_KEYS | {"exception"} and set(second) == JSON_KEYS
    assert (first["job"], first["attempt"], first["batch"], first["level"]) == (7, 1, "b7", "ERROR")
    assert "ValueError: bad" in first["exception"]
    assert (second["job"], second["attempt"], second["batch"]) == (None, None, None)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", second["time"])


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="text or json"):
        logs.formatter("xml")


def _env(data_dir: Path, log_format: str) -> dict[str, str]:
    from test_worker_kill import _env as worker_env

    return {**worker_env(data_dir, None), "AIGC_LOG_FORMAT": log_format}


def _jobs(db: Path) -> dict[int, dict[str, object]]:
    with sqlite3.connect(db, timeout=10) as connection:
        connection.row_factory = sqlite3.Row
        return {row["id"]: dict(row) for row in connection.execute("select * from jobs_job")}


@pytest.mark.slow
@pytest.mark.parametrize("log_format", ["text", "json"])
def test_one_worker_serves_every_queue_and_every_line_is_structured(tmp_path: Path, log_format: str) -> None:
    from test_worker_kill import _wait_for

    env = _env(tmp_path, log_format)
    ids = []
    for kind in ("test.paint", "test.sleep"):  # the gpu queue, then the default queue
        submitted = subprocess.run([sys.executable, str(HERE / "harness.py"), kind, '{"seconds": 0.3, "steps": 3}'],
                                   env=env, capture_output=True, text=True, check=True, timeout=60)  # fmt: skip
        ids.append(int(submitted.stdout.split()[0]))
    log = tmp_path / "worker.log"
    worker = subprocess.Popen([sys.executable, "-m", "aigc_contest.cli.main", "worker", "--loglevel", "INFO"],
                              env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)  # fmt: skip
    try:
        db = tmp_path / "db.sqlite3"
        jobs = _wait_for(lambda: (j := _jobs(db)) and all(j[i]["status"] == "succeeded" for i in ids) and j, 40,
                         "one worker to run a job from each queue")  # fmt: skip
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)
    lines = log.read_text().splitlines()
    assert lines
    if log_format == "json":
        records = [json.loads(line) for line in lines]
        assert all(set(r) >= JSON_KEYS for r in records), lines
        fields = [(r["job"], r["attempt"], r["batch"], r["message"]) for r in records]
    else:
        matches = [TEXT_LINE.match(line) for line in lines]
        assert all(matches), [line for line, m in zip(lines, matches, strict=True) if not m]
        fields = [(int(m["job"]) if m["job"].isdigit() else m["job"], int(m["attempt"]) if m["attempt"].isdigit()
                   else m["attempt"], m["batch"], m["message"]) for m in matches]  # fmt: skip
    assert any("worker ready: queues default,gpu" in f[3] for f in fields)
    for job_id in ids:
        job = jobs[job_id]
        mine = [f for f in fields if f[0] == job_id]
        assert any(f[3].startswith("batch started") for f in mine), fields
        assert any(f[3].startswith("job succeeded") for f in mine), fields
        assert {(f[1], f[2]) for f in mine} == {(1, str(uuid.UUID(hex=str(job["batch_id"]))))}
    assert any("Warm shutdown" in f[3] for f in fields)
