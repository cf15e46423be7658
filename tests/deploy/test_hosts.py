"""Several hosts for real: two web hosts and two worker hosts in network namespaces the test makes itself,
sharing PostgreSQL, Redis and the S3 server, through a submission surge and picture jobs while one worker
host and one web host are killed with kill -9 (benchmarks/multi_host.py explains the set-up, and runs the
same at full size: 5,000 submissions, 300 pictures).

Checked: every submission acknowledged and stored once, every picture job done with one picture, every
receipt sent, nothing left waiting or running, the killed worker's jobs back in line within 20 s, every
file readable through the surviving web host. Small by default so the run stays well under three
minutes; AIGC_TEST_HOSTS_SUBMISSIONS and AIGC_TEST_HOSTS_PICTURES raise the counts. Skipped, saying why,
where network namespaces cannot be made (not root, no `ip` or `socat`, a container without
CAP_NET_ADMIN)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.services]

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("AIGC_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/aigc")


def _multi_host():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(ROOT / "benchmarks"))  # multi_host_kinds, imported by the hosts, lives beside it
    spec = importlib.util.spec_from_file_location("multi_host", ROOT / "benchmarks" / "multi_host.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["multi_host"] = module
    spec.loader.exec_module(module)
    return module


def test_two_web_and_two_worker_hosts_lose_and_repeat_nothing_when_one_of_each_is_killed(
    tmp_path: Path, s3_server: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    multi_host = _multi_host()
    if reason := multi_host.unavailable():
        pytest.skip(reason)
    psycopg = pytest.importorskip("psycopg")
    admin = POSTGRES_URL.rsplit("/", 1)[0] + "/postgres"
    try:
        psycopg.connect(admin, connect_timeout=3).close()
    except psycopg.OperationalError:
        if os.environ.get("CI"):
            raise
        pytest.skip("no PostgreSQL at 127.0.0.1:5432")
    monkeypatch.setenv("AIGC_S3_BUCKET", s3_server["bucket"])
    config = multi_host.Config(
        submissions=int(os.environ.get("AIGC_TEST_HOSTS_SUBMISSIONS", "240")),
        pictures=int(os.environ.get("AIGC_TEST_HOSTS_PICTURES", "32")),
        picture_seconds=0.8,
        time_limit=float(os.environ.get("AIGC_TEST_HOSTS_SECONDS", "160")),
        postgres_url=admin,
        work_dir=tmp_path,
    )
    report = multi_host.run(config)
    print(report.figures)
    assert report.problems == [], (report.problems, report.figures)
    figures = report.figures
    assert figures["lost"] == figures["duplicated_versions"] == figures["never_answered"] == 0
    assert figures["versions"] == config.submissions == figures["receipts_sent"]
    assert (
        figures["duplicated_pictures"] == figures["missing_pictures"] == 0 and figures["pictures_rerun"] >= 1
    )
    assert figures["orphaned_jobs"] >= 1 and figures["requeued_within_s"] <= 20
    assert figures["unreadable"] == 0 and figures["files_read"] == config.submissions + config.pictures
