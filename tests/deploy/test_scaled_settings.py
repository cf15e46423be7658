"""Settings for running several installations or servers side by side: the broker key prefix (one Redis
for several installations) and a gunicorn control socket per server (several servers on one host)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aigc_contest.cli.web import control_socket_path


def _settings_in_a_fresh_process(env: dict[str, str], expression: str) -> subprocess.CompletedProcess[str]:
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AIGC_", "DATABASE_URL"))}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**clean, "DJANGO_SETTINGS_MODULE": "aigc_contest.web.settings",
                               "AIGC_SECRET_KEY": "test", **env})  # fmt: skip


def test_the_broker_prefix_goes_before_every_redis_key(tmp_path: Path) -> None:
    done = _settings_in_a_fresh_process(
        {
            "AIGC_DATA_DIR": str(tmp_path),
            "AIGC_BROKER_URL": "redis://127.0.0.1:6379/0",
            "AIGC_BROKER_PREFIX": "city-a",
        },
        "settings.CELERY_BROKER_TRANSPORT_OPTIONS['global_keyprefix']",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "city-a:"
    # tests/deploy/test_compose.py::test_the_recipe_runs_locally checks the keys in a real Redis.


def test_the_broker_prefix_on_rabbitmq_asks_for_a_virtual_host(tmp_path: Path) -> None:
    done = _settings_in_a_fresh_process(
        {"AIGC_DATA_DIR": str(tmp_path), "AIGC_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
         "AIGC_BROKER_PREFIX": "city-a"}, "1")  # fmt: skip
    assert done.returncode != 0
    assert "virtual host" in done.stderr and "AIGC_BROKER_PREFIX" in done.stderr


def test_each_server_gets_its_own_control_socket_path(settings, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    one, two = control_socket_path("127.0.0.1", 8000), control_socket_path("127.0.0.1", 8001)
    assert one != two and Path(one).parent == tmp_path / "run"
    settings.DATA_DIR = tmp_path / ("x" * 120)
    long = control_socket_path("0.0.0.0", 8000)
    assert len(os.fsencode(long)) <= 107 and long != control_socket_path("0.0.0.0", 8001)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _up(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.slow
def test_stopping_one_server_leaves_the_other_its_control_socket(tmp_path: Path) -> None:
    """Two `aigc-contest serve` on one host: stopping one used to remove the other's gunicorn control socket
    (both had the per-user default path)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIGC_", "DATABASE_URL", "DJANGO_"))}
    env.update(AIGC_DATA_DIR=str(tmp_path / "data"), AIGC_SECRET_KEY="test", HOME=str(tmp_path))
    cli = [
        sys.executable,
        "-m",
        "aigc_contest.cli.main",
        "serve",
        "--no-worker",
        "--workers",
        "1",
        "--threads",
        "1",
    ]
    gunicornc = Path(sys.executable).parent / "gunicornc"
    ports = [_free_port(), _free_port()]
    servers: list[subprocess.Popen[bytes]] = []
    try:
        for index, port in enumerate(ports):
            servers.append(subprocess.Popen([*cli, "--port", str(port), *(["--no-migrate"] if index else [])], env=env,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                            start_new_session=True))  # fmt: skip
            deadline = time.monotonic() + 90
            while not _up(port):
                assert servers[-1].poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        sockets = [tmp_path / "data" / "run" / f"gunicorn-127.0.0.1-{port}.ctl" for port in ports]
        deadline = time.monotonic() + 20
        while not all(path.exists() for path in sockets):
            assert time.monotonic() < deadline, list((tmp_path / "data").rglob("*.ctl"))
            time.sleep(0.2)

        os.killpg(servers[0].pid, signal.SIGTERM)
        servers[0].wait(timeout=30)
        assert not sockets[0].exists() and sockets[1].exists()
        answer = subprocess.run([str(gunicornc), "-s", str(sockets[1]), "-c", "show workers", "-j"],
                                capture_output=True, text=True, timeout=20)  # fmt: skip
        assert answer.returncode == 0, answer.stderr
        assert _up(ports[1])
    finally:
        for server in servers:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)


def test_the_s3_tests_fail_rather_than_skip_when_the_server_is_wanted_but_missing(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIGC_", "DATABASE_URL", "CI"))}
    env.update(AIGC_DATA_DIR=str(tmp_path), AIGC_SECRET_KEY="test", AIGC_TEST_REQUIRE_S3="1")
    target = "tests/web/test_object_storage.py::test_an_existing_key_is_never_overwritten[s3]"
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", target], cwd=root,
                          env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode != 0, done.stdout
    assert "the S3 server did not start" in done.stdout and "skipped" not in done.stdout


@pytest.mark.django_db
def test_create_organiser_makes_the_first_organiser(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from django.core.management import CommandError, call_command

    from aigc_contest.web.accounts.models import Role, User

    monkeypatch.setenv("AIGC_ORGANISER_PASSWORD", "short")
    with pytest.raises(CommandError, match="too short"):
        call_command("create_organiser", "alice")
    assert not User.objects.filter(username="alice").exists()  # nothing half-made
    monkeypatch.setenv("AIGC_ORGANISER_PASSWORD", "a-long-organiser-password")
    call_command("create_organiser", "alice", "--email", "alice@example.org")
    alice = User.objects.get(username="alice")
    assert (alice.role, alice.is_staff, alice.is_superuser) == (Role.ORGANISER, True, True)
    assert alice.check_password("a-long-organiser-password") and alice.email == "alice@example.org"
    User.objects.create_user("bob", password="x" * 12, role="teacher")
    monkeypatch.delenv("AIGC_ORGANISER_PASSWORD")
    call_command("create_organiser", "bob")  # an existing login keeps its password
    bob = User.objects.get(username="bob")
    assert bob.role == Role.ORGANISER and bob.check_password("x" * 12)
