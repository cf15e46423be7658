"""The deployment recipe (deploy/compose.yaml): its services, settings and GPU reservations, and its
commands started locally, the same as the containers would run them, against Redis, SeaweedFS S3 and
PostgreSQL on loopback."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
COMPOSE = ROOT / "deploy" / "compose.yaml"
ENV_EXAMPLE = ROOT / "deploy" / "env.example"
APP_SERVICES = {"migrate", "web", "worker", "gpu-worker-0", "gpu-worker-1"}
GPU_WORKERS = {"gpu-worker-0", "gpu-worker-1"}
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}")
FILLED = {
    "AIGC_SECRET_KEY": "s" * 50,
    "AIGC_SITE_URL": "https://aigc.example.org",
    "AIGC_ALLOWED_HOSTS": "aigc.example.org",
    "POSTGRES_PASSWORD": "pg-secret",
    "AIGC_S3_ACCESS_KEY_ID": "aigc",
    "AIGC_S3_SECRET_ACCESS_KEY": "s3-secret",
}


def interpolate(text: str, values: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?message}."""

    def one(match: re.Match[str]) -> str:
        name, kind, rest = match.groups()
        value = values.get(name, "")
        if value:
            return value
        if kind == "?":
            raise ValueError(f"{name}: {rest}")
        return rest if kind == "-" else ""

    return VARIABLE.sub(one, text)


def load(values: dict[str, str]) -> dict[str, Any]:
    """The file as compose reads it: parsed (anchors and merge keys resolved), then each string interpolated."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value) for value in node]
        return interpolate(node, values) if isinstance(node, str) else node

    return walk(yaml.safe_load(COMPOSE.read_text(encoding="utf-8")))


def settings_the_code_reads() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "src" / "aigc_contest").rglob("*.py"):
        names |= set(re.findall(r"[\"'](AIGC_[A-Z0-9_]+)[\"']", path.read_text(encoding="utf-8")))
    return names


def test_the_recipe_names_every_service_with_its_settings() -> None:
    compose = load(FILLED)
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "s3", *APP_SERVICES}
    known = settings_the_code_reads() | {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    for name in APP_SERVICES:
        service = services[name]
        env = service["environment"]
        assert set(env) <= known, (name, set(env) - known)  # no misspelt setting is silently ignored
        assert env["DATABASE_URL"] == "postgres://aigc:pg-secret@postgres:5432/aigc"
        assert env["AIGC_BROKER_URL"].startswith("redis://redis:6379/") and env["AIGC_BROKER_PREFIX"]
        assert env["AIGC_S3_ENDPOINT_URL"] == "http://s3:8333" and env["AIGC_S3_BUCKET"]
        assert (env["AIGC_S3_ACCESS_KEY_ID"], env["AIGC_S3_SECRET_ACCESS_KEY"]) == ("aigc", "s3-secret")
        assert env["AIGC_SECRET_KEY"] == FILLED["AIGC_SECRET_KEY"] and env["AIGC_HTTPS"] == "1"
        assert (
            service["build"]["dockerfile"] == "deploy/Dockerfile"
            and (ROOT / "deploy" / "Dockerfile").exists()
        )
        if name != "migrate":
            assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        devices = service.get("deploy", {}).get("resources", {}).get("reservations", {}).get("devices")
        assert bool(devices) == (name in GPU_WORKERS), name
    s3_env = services["s3"]["environment"]
    assert (s3_env["AWS_ACCESS_KEY_ID"], s3_env["AWS_SECRET_ACCESS_KEY"]) == ("aigc", "s3-secret")
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "pg-secret"

    assert services["migrate"]["command"] == ["django-admin", "migrate", "--noinput"]
    web = services["web"]["command"]
    assert web[:2] == ["aigc-contest", "serve"] and {"--no-migrate", "--no-worker"} <= set(web)
    assert services["worker"]["command"][:4] == ["aigc-contest", "worker", "--queues", "default"]

    # One worker process per GPU, each reserving its own device.
    device_ids = []
    for name in sorted(GPU_WORKERS):
        service = services[name]
        assert service["command"] == ["aigc-contest", "worker", "--queues", "gpu", "--concurrency", "1"]
        (device,) = service["deploy"]["resources"]["reservations"]["devices"]
        assert (
            device["driver"] == "nvidia"
            and device["capabilities"] == ["gpu"]
            and len(device["device_ids"]) == 1
        )
        device_ids += device["device_ids"]
    assert len(set(device_ids)) == len(device_ids)

    # Enough database connections: every web thread, every worker slot and its housekeeping, twice over.
    web_slots = int(web[web.index("--workers") + 1]) * int(web[web.index("--threads") + 1])
    worker_slots = sum(int(c[c.index("--concurrency") + 1]) + 2 for n, s in services.items()
                       if (c := s.get("command") or []) and "worker" in c)  # fmt: skip
    command = services["postgres"]["command"]
    max_connections = int(next(a for a in command if a.startswith("max_connections=")).split("=")[1])
    assert max_connections >= 2 * (web_slots + worker_slots)


def test_the_recipe_refuses_to_start_without_its_secrets() -> None:
    for name in ("AIGC_SECRET_KEY", "POSTGRES_PASSWORD", "AIGC_S3_SECRET_ACCESS_KEY"):
        with pytest.raises(ValueError, match=name):
            load({k: v for k, v in FILLED.items() if k != name})
    documented = set(re.findall(r"^([A-Z0-9_]+)=", ENV_EXAMPLE.read_text(encoding="utf-8"), re.M))
    used = {m.group(1) for m in VARIABLE.finditer(COMPOSE.read_text(encoding="utf-8"))}
    assert used <= documented, used - documented  # env.example lists every value the recipe reads


# ------------------------------------------------------------------ the same commands, started locally


def _free_port_block(size: int) -> int:
    """A base port p with p..p+size-1 and their +10000 gRPC twins free on loopback (SeaweedFS's rule)."""
    for _ in range(200):
        base = secrets.randbelow(20000) + 21000
        ports = [*range(base, base + size), *range(base + 10000, base + 10000 + size)]
        try:
            for port in ports:
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free ports")


def _program(name: str) -> str:
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed") if os.environ.get("CI") else pytest.skip(
            f"{name} is not installed"
        )
    return str(found)


def _wait(predicate: Callable[[], Any], timeout: float, what: str, processes: dict[str, Any]) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, (process, log) in processes.items():
            if process.poll() is not None and name != "migrate":
                raise AssertionError(f"{name} stopped ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if value := predicate():
                return value
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.2)
    logs = "\n".join(f"--- {n}\n{log.read_text()[-1500:]}" for n, (_p, log) in processes.items())
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


@pytest.fixture
def local_postgres() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    name = f"aigc_compose_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True, connect_timeout=3
        )
    except psycopg.OperationalError:
        if os.environ.get("CI"):
            raise
        pytest.skip("no PostgreSQL at 127.0.0.1:5432")
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.slow
@pytest.mark.services
def test_the_recipe_runs_locally(tmp_path: Path, local_postgres: str) -> None:
    import boto3
    import psycopg
    import redis as redis_client
    import requests

    compose = load({**FILLED, "AIGC_HTTPS": "0", "AIGC_BROKER_PREFIX": f"aigc-test-{secrets.token_hex(3)}"})
    services = compose["services"]
    redis_port, s3_port, web_port = _free_port_block(1), _free_port_block(4), _free_port_block(1)
    # The containers' addresses, as this machine has them.
    addresses = {"@postgres:5432/aigc": None, "redis://redis:6379": f"redis://127.0.0.1:{redis_port}",
                 "http://s3:8333": f"http://127.0.0.1:{s3_port}"}  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIGC_", "DATABASE_URL", "DJANGO_"))}
    for key, value in services["web"]["environment"].items():
        for container, local in addresses.items():
            if local and container in value:
                value = value.replace(container, local)
        env[key] = value
    assert env["DATABASE_URL"].endswith("@postgres:5432/aigc")
    env["DATABASE_URL"] = local_postgres
    env["AIGC_DATA_DIR"] = str(tmp_path / "data")
    env["AIGC_ALLOWED_HOSTS"] = "127.0.0.1"
    env.pop("AIGC_MODELS_FILE")  # the test's job kind needs no models
    # The test's GPU job kind, imported by every process (the recipe's own kinds are all there too).
    env["AIGC_JOB_KIND_MODULES"] = "deploykinds_for_tests"
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])
    env["AIGC_ORGANISER_PASSWORD"] = "organiser-password-1"

    processes: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}

    def start(name: str, argv: list[str], extra_env: dict[str, str] | None = None) -> None:
        log = tmp_path / f"{name}.log"
        process = subprocess.Popen([_program(argv[0]), *argv[1:]], env={**env, **(extra_env or {})},
                                   stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        processes[name] = (process, log)

    def swap(argv: list[str], replacements: dict[str, str]) -> list[str]:
        out = [replacements.get(arg, arg) for arg in argv]
        assert out != argv or not replacements, argv
        return out

    try:
        # Redis and SeaweedFS with the recipe's own arguments, on loopback ports and temp folders.
        start("redis", [*services["redis"]["command"], "--port", str(redis_port), "--bind", "127.0.0.1",
                        "--dir", str(tmp_path)])  # fmt: skip
        s3 = services["s3"]
        assert s3["entrypoint"] == ["weed"]
        (tmp_path / "s3").mkdir()
        start("s3", ["weed", *swap(s3["command"], {"-dir=/data": f"-dir={tmp_path / 's3'}",
                                                  "-s3.port=8333": f"-s3.port={s3_port}"}),
                     "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-master.port={s3_port + 1}",
                     f"-volume.port={s3_port + 2}", f"-filer.port={s3_port + 3}"], s3["environment"])  # fmt: skip
        _wait(lambda: requests.get(f"http://127.0.0.1:{s3_port}/healthz", timeout=2).ok, 60, "S3", processes)

        # migrate (a one-shot service), then the README's first organiser, then web and workers.
        migrate = subprocess.run([_program("django-admin"), *services["migrate"]["command"][1:]], env=env,
                                 capture_output=True, text=True, timeout=180)  # fmt: skip
        assert migrate.returncode == 0, migrate.stderr[-3000:]
        organiser = subprocess.run([_program("django-admin"), "create_organiser", "boss"], env=env,
                                   capture_output=True, text=True, timeout=60)  # fmt: skip
        assert organiser.returncode == 0, organiser.stderr[-3000:]
        web = services["web"]["command"]
        start("web", swap(web, {"0.0.0.0": "127.0.0.1", "8000": str(web_port)}))
        start("worker", services["worker"]["command"])
        start("gpu-worker-0", services["gpu-worker-0"]["command"])
        base = f"http://127.0.0.1:{web_port}"
        _wait(lambda: requests.get(f"{base}/healthz", timeout=2).ok, 90, "the web server", processes)

        # A job on the GPU queue: the worker runs it and stores its picture in the bucket.
        submitted = subprocess.run([sys.executable, str(HERE / "submit_job.py")], env=env, capture_output=True,
                                   text=True, timeout=60)  # fmt: skip
        assert submitted.returncode == 0, submitted.stderr[-3000:]
        job_id = int(submitted.stdout.split()[-1])
        with psycopg.connect(local_postgres.replace("postgres://", "postgresql://"), autocommit=True) as db:
            status = _wait(lambda: db.execute("select status from jobs_job where id = %s", [job_id]).fetchone()[0]
                           in {"succeeded", "failed"} and db.execute("select status from jobs_job where id = %s",
                                                                     [job_id]).fetchone()[0], 60, "the job", processes)  # fmt: skip
            assert status == "succeeded"
            asset_id, key = db.execute(
                "select id, file from jobs_jobasset where job_id = %s", [job_id]
            ).fetchone()

        bucket = boto3.resource("s3", endpoint_url=env["AIGC_S3_ENDPOINT_URL"], region_name="us-east-1",
                                aws_access_key_id="aigc", aws_secret_access_key="s3-secret").Bucket(env["AIGC_S3_BUCKET"])  # fmt: skip
        assert bucket.Object(key).get()["Body"].read() == b"a picture painted on the GPU queue"
        assert (
            requests.get(
                f"{env['AIGC_S3_ENDPOINT_URL']}/{env['AIGC_S3_BUCKET']}/{key}", timeout=5
            ).status_code
            == 403
        )

        # Through the web server: the owner gets the picture, another child does not, nor does anybody
        # signed out; the first organiser reaches the organisers' page.
        def session(username: str, password: str) -> requests.Session:
            browser = requests.Session()
            browser.get(f"{base}/accounts/login/", timeout=10)
            answer = browser.post(f"{base}/accounts/login/", timeout=10, allow_redirects=False, data={
                "username": username, "password": password, "csrfmiddlewaretoken": browser.cookies["csrftoken"]})  # fmt: skip
            assert answer.status_code == 302, (username, answer.status_code)
            return browser

        asset_url = f"{base}/jobs/assets/{asset_id}/"
        assert (
            session("kid", "kid-password-1").get(asset_url, timeout=10).content
            == b"a picture painted on the GPU queue"
        )
        assert session("other.kid", "kid-password-2").get(asset_url, timeout=10).status_code == 403
        assert requests.get(asset_url, timeout=10, allow_redirects=False).status_code == 302
        assert (
            session("boss", "organiser-password-1").get(f"{base}/organiser/", timeout=10).status_code == 200
        )

        # The broker keys all carry this installation's prefix; both workers have their queues there.
        keys = [k.decode() for k in redis_client.Redis(port=redis_port).keys("*")]
        prefix = env["AIGC_BROKER_PREFIX"] + ":"
        assert keys and all(k.startswith(prefix) for k in keys), keys
        assert {f"{prefix}_kombu.binding.gpu", f"{prefix}_kombu.binding.default"} <= set(keys), keys
    finally:
        for _name, (process, _log) in processes.items():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _name, (process, _log) in processes.items():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
