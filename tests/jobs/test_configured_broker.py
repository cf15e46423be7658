"""Wake-ups go to the configured broker from every process and every thread, never to Celery's built-in
default (a RabbitMQ on localhost): the web side, the command line and the worker use one Celery app."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from test_worker_kill import REDIS_URL, _env

# A web-side process: Django as the web server starts it, a job submitted from the main thread and a
# wake-up sent from another thread (gunicorn's request threads, the e-mail timer, on_commit callbacks).
WEB_SIDE = r"""
import os, sys, threading
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aigc_contest.web.settings")
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from celery import current_app
from aigc_contest.web.accounts.models import User
from aigc_contest.web.jobs.services import submit_job, wake_workers
from aigc_contest.web.jobs.tasks import dispatch
print("app", current_app.main, dispatch._get_app().main, flush=True)
user = User.objects.create(username="kid", role="student")
submit_job(user, "test.sleep", {"seconds": 0.0})
thread = threading.Thread(target=wake_workers, args=("default",))
thread.start(); thread.join()
"""


def _run_web_side(env: dict[str, str]) -> str:
    env = {**env, "AIGC_EMBEDDED_WORKER": "0"}
    done = subprocess.run(
        [sys.executable, "-c", WEB_SIDE], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "could not reach the job broker" not in done.stderr, done.stderr[-3000:]
    return done.stdout


def _sqlite_wake_ups(broker_db: Path) -> int:
    with sqlite3.connect(broker_db) as connection:
        return connection.execute(
            "select count(*) from kombu_message m join kombu_queue q on m.queue_id = q.id where q.name = 'default'"
        ).fetchone()[0]


def test_wake_ups_land_in_the_embedded_broker(tmp_path: Path) -> None:
    """No broker server anywhere: the web side's wake-ups are in the embedded broker's file."""
    out = _run_web_side(_env(tmp_path, None))
    assert "app aigc_contest aigc_contest" in out
    assert _sqlite_wake_ups(tmp_path / "broker.sqlite3") == 2


@pytest.mark.services
def test_wake_ups_land_in_the_configured_redis(tmp_path: Path) -> None:
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise  # CI provides the real server: its absence is a failure, not a skip
        pytest.skip("no Redis at 127.0.0.1:6379")
    try:
        _run_web_side(_env(tmp_path, REDIS_URL))
        assert client.llen("default") == 2  # kombu's Redis transport keeps a queue as a list of its name
    finally:
        client.flushdb()
