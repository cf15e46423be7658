"""`serve` and `demo` name their own address in e-mails and QR codes; `check` fails on what is required."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# Runs the CLI with the web server (and the demo's data) replaced by a probe that prints what Django says
# the site's address is, and what a certificate's QR code and an e-mail would carry.
PROBE = r"""
import sys
import aigc_contest.cli.web as web

real_setup = web.setup_django

def setup_django():
    real_setup()
    import aigc_contest.web.demo as demo
    demo.load_demo = lambda **options: []

def serve(host, port, **kwargs):
    from django.conf import settings
    from aigc_contest.web.certificates.qr import verify_url
    from aigc_contest.web.notifications.emails import render_message as _render
    print("SITE", settings.SITE_URL)
    print("QR", verify_url("abc"))
    print("MAIL", _render("results_published", {"competition": {"slug": "c"}})[1].strip().splitlines()[-1])
    return 0

web.setup_django = setup_django
web.serve = serve
web.migrate = lambda verbosity=0: None
from aigc_contest.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AIGC_", "DATABASE_URL", "DJANGO_SETTINGS"))
    }
    env.update(AIGC_DATA_DIR=str(tmp_path), AIGC_SECRET_KEY="test", **extra)
    return env


def _probe(tmp_path: Path, *argv: str, **extra: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        env=_env(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_serve_port_is_the_address_in_qr_codes_and_emails(tmp_path: Path) -> None:
    done = _probe(tmp_path, "serve", "--port", "8765", "--no-worker")
    assert "SITE http://127.0.0.1:8765\n" in done.stdout
    assert "QR http://127.0.0.1:8765/verify/abc\n" in done.stdout
    assert "MAIL http://127.0.0.1:8765/competitions/c/\n" in done.stdout
    assert "AIGC_SITE_URL is not set" in done.stderr  # outside the demo, the operator is told


def test_serve_on_one_address_names_that_address(tmp_path: Path) -> None:
    done = _probe(tmp_path, "serve", "--host", "::1", "--port", "9001", "--no-worker")
    assert "SITE http://[::1]:9001\n" in done.stdout


def test_demo_port_is_the_address_in_qr_codes(tmp_path: Path) -> None:
    done = _probe(tmp_path, "demo", "--port", "8123")
    assert "QR http://127.0.0.1:8123/verify/abc\n" in done.stdout
    assert "AIGC_SITE_URL" not in done.stderr


def test_a_configured_site_url_wins(tmp_path: Path) -> None:
    done = _probe(tmp_path, "serve", "--port", "8765", AIGC_SITE_URL="https://contest.example.org")
    assert "QR https://contest.example.org/verify/abc\n" in done.stdout
    assert "AIGC_SITE_URL is not set" not in done.stderr


def test_site_url_for_every_interface_is_reachable_from_elsewhere() -> None:
    from aigc_contest.cli.web import site_url_for

    url = site_url_for("0.0.0.0", 8000)
    assert url.startswith("http://") and url.endswith(":8000") and "0.0.0.0" not in url


def _check(tmp_path: Path, *argv: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aigc_contest.cli.main", "check", *argv],
        env=_env(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_passes_on_the_embedded_setup_and_warns_about_the_site_address(tmp_path: Path) -> None:
    done = _check(tmp_path, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {row["item"]: row for row in json.loads(done.stdout)}
    assert rows["job broker"]["status"] == "ok" and rows["job broker"]["required"]
    assert rows["site address"]["status"] == "warning" and not rows["site address"]["required"]
    done = _check(tmp_path, AIGC_SITE_URL="https://contest.example.org")
    assert done.returncode == 0
    assert "✓ site address" in done.stdout


def test_check_fails_when_the_broker_is_unreachable(tmp_path: Path) -> None:
    done = _check(tmp_path, AIGC_BROKER_URL="redis://127.0.0.1:9/0")
    assert done.returncode == 1, done.stdout
    assert "✗ job broker" in done.stdout
    assert "job broker" in done.stderr
    done = _check(tmp_path, "--json", AIGC_BROKER_URL="redis://127.0.0.1:9/0")
    assert done.returncode == 1
    assert {row["item"]: row["status"] for row in json.loads(done.stdout)}["job broker"] == "missing"


def test_check_fails_when_the_database_is_unreachable(tmp_path: Path) -> None:
    done = _check(tmp_path, DATABASE_URL="postgres://nobody@127.0.0.1:9/none")
    assert done.returncode == 1, done.stdout
    assert "✗ database" in done.stdout


def test_check_writes_and_deletes_a_file_in_the_storage(tmp_path: Path) -> None:
    done = _check(tmp_path, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    row = {row["item"]: row for row in json.loads(done.stdout)}["file storage"]
    assert row["status"] == "ok" and row["required"]
    media = tmp_path / "media"
    assert not (media / ".check").exists()  # the test file is gone, and its folder


def test_check_fails_when_the_s3_endpoint_is_dead(tmp_path: Path) -> None:
    dead = {"AIGC_S3_BUCKET": "b", "AIGC_S3_ENDPOINT_URL": "http://127.0.0.1:1", "AIGC_S3_REGION": "us-east-1",
            "AIGC_S3_ACCESS_KEY_ID": "k", "AIGC_S3_SECRET_ACCESS_KEY": "s"}  # fmt: skip
    done = _check(tmp_path, **dead)
    assert done.returncode == 1, done.stdout
    assert "✗ file storage" in done.stdout and "127.0.0.1:1" in done.stdout
    done = _check(tmp_path, "--json", AIGC_S3_BUCKET="b", AIGC_S3_ENDPOINT_URL="http://127.0.0.1:1")
    assert done.returncode == 1
    assert {row["item"]: row["status"] for row in json.loads(done.stdout)}["file storage"] == "missing"
