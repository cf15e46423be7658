"""Several hosts on one machine: two web hosts and two worker hosts in network namespaces, sharing
PostgreSQL, Redis and the S3 server, through a deadline surge while one web host and one worker host
are killed with kill -9.

The hosts are network namespaces this script creates (`ip netns`), each with a veth pair on a bridge of
its own (10.231.N.0/24, the bridge is .1 in this machine's namespace). PostgreSQL, Redis and the S3 server
listen on 127.0.0.1 here, which no namespace can reach; a `socat` forwarder per service listens on the
bridge address only and passes each connection to the loopback server. That changes nothing on the
shared servers (no rebinding to 0.0.0.0, no firewall rules, no route_localnet) and disappears with the
run; PostgreSQL sees the forwarded connections as local ones, as it does every test's.

  web1, web2  `aigc-contest serve --no-worker --no-migrate` (gunicorn), sessions in PostgreSQL
  wk1, wk2    `aigc-contest worker` (every queue: the pictures and the receipt e-mails)

The run: N students each submit their entry through the API from 8 simulated browsers spread over both
web hosts, every request carrying `expected_content_hash` (a safe retry); P picture jobs (a stand-in GPU
kind, batches of four) are queued just before. As soon as wk1 is painting it is killed (every process in
its namespace, kill -9); web1 goes the same way once a third of the submissions are in, and browsers
whose host died retry on the other. Then everything is checked in the database and through the surviving web host:
every submission acknowledged and stored once (one version each), every picture job done with exactly
one picture, every receipt e-mail sent, no job left running or waiting, the killed worker's jobs back in
line within 20 s, and every version file and picture readable with the owner's session (and its bytes
right).

Run (root; PostgreSQL at 127.0.0.1:5432, Redis at 127.0.0.1:6379, an S3 server in AIGC_S3_*, e.g.
`bash scripts/s3-server start DIR && source DIR/env`):

    .venv/bin/python benchmarks/multi_host.py [--submissions 5000] [--pictures 300] [--json FILE]

Measured at full size on two shared CPU cores (every host, PostgreSQL, Redis and SeaweedFS on them):
5,000 submissions in 36.5 s (about 8,200 a minute, p50 52 ms, p99 169 ms), all acknowledged, 5,000
versions, 0 lost, 0 duplicated, 9 requests sent again after web1 died; 300 pictures, the 4 that wk1 was
painting back in line 12.9 s after its kill and painted once each; 5,000 receipts sent; the last job done
256 s after the surge by the one surviving worker (the receipts' backlog); 5,300 files read back in 51 s.

tests/deploy/test_hosts.py runs the same at a small size (AIGC_TEST_HOSTS_SUBMISSIONS / _PICTURES raise it).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import queue
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HOSTS = ("web1", "web2", "wk1", "wk2")
WEB_PORT = 8000
REQUEUE_WITHIN_S = 20.0


@dataclass
class Config:
    submissions: int = 200
    pictures: int = 30
    clients: int = 8
    picture_seconds: float = 0.4  # per batch of up to four
    kill_after: float = 0.33  # share of submissions acknowledged before the kills
    time_limit: float = 170.0  # the whole run, set-up included
    postgres_url: str = "postgres://postgres@127.0.0.1:5432/postgres"
    redis_url: str = "redis://127.0.0.1:6379/12"
    work_dir: Path | None = None
    log: Callable[[str], None] = print


@dataclass
class Student:
    user_id: int
    entry_id: int
    session: str
    csrf: str
    content_hash: str
    file_sha256: str
    acknowledged: int = 0  # HTTP status of the answer that counted (201 made, 200 already there)
    tries: int = 0


@dataclass
class Report:
    figures: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- can it run here?


def unavailable() -> str | None:
    """Why network namespaces cannot be made here (None: they can)."""
    if os.name != "posix" or not sys.platform.startswith("linux"):
        return "network namespaces need Linux"
    if os.geteuid() != 0:
        return "network namespaces need root (ip netns add)"
    for program in ("ip", "socat"):
        if shutil.which(program) is None:
            return (
                f"{program} is not installed (apt-get install {'iproute2' if program == 'ip' else 'socat'})"
            )
    probe = f"aigc-probe-{secrets.token_hex(3)}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"cannot create a network namespace here: {made.stderr.strip() or made.returncode}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


# ---------------------------------------------------------------- the network


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")


def _free_subnet() -> int:
    used = subprocess.run(["ip", "-o", "-4", "addr"], capture_output=True, text=True).stdout
    for _ in range(100):
        n = 100 + secrets.randbelow(150)
        if f" 10.231.{n}." not in used:
            return n
    raise RuntimeError("no free 10.231.N.0/24 subnet")


class Network:
    """A bridge, one namespace per host on it, and a forwarder per loopback service on the bridge address."""

    def __init__(self, services: dict[str, int], log_dir: Path) -> None:
        self.tag = secrets.token_hex(2)
        self.subnet = _free_subnet()
        self.gateway = f"10.231.{self.subnet}.1"
        self.bridge = f"aigcbr{self.tag}"
        self.services = services
        self.log_dir = log_dir
        self.namespaces: dict[str, str] = {}
        self.forwarders: list[subprocess.Popen[bytes]] = []

    def address(self, host: str) -> str:
        return f"10.231.{self.subnet}.{11 + HOSTS.index(host)}"

    def __enter__(self) -> Network:
        try:
            _ip("link", "add", self.bridge, "type", "bridge")
            _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
            _ip("link", "set", self.bridge, "up")
            for index, host in enumerate(HOSTS):
                ns = f"aigc-{self.tag}-{host}"
                _ip("netns", "add", ns)
                self.namespaces[host] = ns
                outside, inside = f"ve{self.tag}{index}", f"vp{self.tag}{index}"
                _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
                _ip("link", "set", outside, "master", self.bridge, "up")
                _ip("link", "set", inside, "netns", ns)
                _ip("-n", ns, "addr", "add", f"{self.address(host)}/24", "dev", inside)
                _ip("-n", ns, "link", "set", inside, "up")
                _ip("-n", ns, "link", "set", "lo", "up")
                _ip("-n", ns, "route", "add", "default", "via", self.gateway)
            for name, port in self.services.items():
                log = (self.log_dir / f"forward-{name}.log").open("wb")
                self.forwarders.append(subprocess.Popen(
                    ["socat", f"TCP-LISTEN:{port},bind={self.gateway},reuseaddr,fork,backlog=512",
                     f"TCP:127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True))  # fmt: skip
            deadline = time.monotonic() + 10
            for port in self.services.values():
                while not _answers(self.gateway, port):
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"the forwarder for port {port} did not come up")
                    time.sleep(0.05)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def run(self, host: str, argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        return subprocess.Popen(["ip", "netns", "exec", self.namespaces[host], *argv], env=env,
                                stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip

    def pids(self, host: str) -> list[int]:
        out = subprocess.run(
            ["ip", "netns", "pids", self.namespaces[host]], capture_output=True, text=True
        ).stdout
        return [int(p) for p in out.split()]

    def kill_host(self, host: str) -> list[int]:
        """kill -9 every process of the host at once (its power cord), and say which."""
        pids = self.pids(host)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return pids

    def __exit__(self, *_: Any) -> None:
        for host in list(self.namespaces):
            for _ in range(3):
                if not self.kill_host(host):
                    break
                time.sleep(0.2)
        for forwarder in self.forwarders:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(forwarder.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                forwarder.wait(timeout=5)
        for ns in self.namespaces.values():
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)  # takes its end of the veth along
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
        self.namespaces.clear()


def _answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
    except OSError:
        return False
    return True


def _with_host(url: str, host: str, *, path: str | None = None) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    hostport = netloc[-1]
    port = hostport.rsplit(":", 1)[1] if ":" in hostport else ""
    new = f"{host}:{port}" if port else host
    netloc_out = f"{netloc[0]}@{new}" if len(netloc) == 2 else new
    return urlunsplit(
        (parts.scheme, netloc_out, parts.path if path is None else path, parts.query, parts.fragment)
    )


def _port(url: str, default: int) -> int:
    return urlsplit(url).port or default


# ---------------------------------------------------------------- set-up inside Django (a subprocess)


def internal_setup(count: int, out: Path) -> None:
    """Run with the hosts' environment: a school of `count` students, each in a one-person team with a
    draft picture entry (its file in the bucket) and a signed-in session."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aigc_contest.web.settings")
    import django

    django.setup()
    import multi_host_kinds
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.db import transaction
    from django.utils import timezone

    from aigc_contest.web.accounts.models import GuardianConsent, Role, School, User
    from aigc_contest.web.contests.models import Category, Competition
    from aigc_contest.web.entries.models import Entry, Team
    from aigc_contest.web.entries.services import content_hash

    now = timezone.now()
    password = make_password(secrets.token_urlsafe(12))
    with transaction.atomic():
        competition = Competition.objects.create(
            slug="city", name_en="City-wide", name_zh_hant="全城", name_zh_hans="全城", timezone="Asia/Hong_Kong",
            registration_opens_at=now - timezone.timedelta(days=30), submission_opens_at=now - timezone.timedelta(days=30),
            submission_deadline=now + timezone.timedelta(hours=2), judging_starts_at=now + timezone.timedelta(days=1),
            results_at=now + timezone.timedelta(days=14),
        )  # fmt: skip
        category = Category.objects.create(
            competition=competition, slug="pictures", name_en="Pictures", school_levels=["primary"],
            work_types=["image"], any_theme=True, min_team_size=1, max_team_size=1, submission_limit=3,
        )  # fmt: skip
        school = School.objects.create(code="city-primary", name_en="City Primary", level="primary")
        teacher = User.objects.create(username="city.teacher", role=Role.TEACHER, school=school, password=password,
                                      display_name="Teacher", email="teacher@example.org")  # fmt: skip
        users = User.objects.bulk_create(
            User(username=f"city.s{i:05d}", role=Role.STUDENT, school=school, display_name=f"Student {i}", grade="P5",
                 password=password, email=f"s{i}@example.org")
            for i in range(count)
        )  # fmt: skip
        GuardianConsent.objects.bulk_create(
            GuardianConsent(student=u, method="paper", recorded_by=teacher) for u in users
        )
        teams = Team.objects.bulk_create(
            Team(competition=competition, category=category, name=f"Team {i:05d}", school=school,
                 supervising_teacher=teacher)
            for i in range(count)
        )  # fmt: skip
        Team.members.through.objects.bulk_create(
            Team.members.through(team_id=t.pk, user_id=u.pk) for t, u in zip(teams, users, strict=True)
        )
        entries = Entry.objects.bulk_create(
            Entry(team=t, category=category, work_type="image", title=f"Picture {i}")
            for i, t in enumerate(teams)
        )

    def store(entry: Entry) -> None:
        data = multi_host_kinds.picture(1_000_000 + entry.pk, size=32)
        sha = hashlib.sha256(data).hexdigest()
        entry.draft_file.name = default_storage.save(f"drafts/{entry.pk}/{sha[:16]}.png", ContentFile(data))
        entry.draft_file_name, entry.draft_file_sha256, entry.draft_mime = "picture.png", sha, "image/png"
        entry.draft_meta = {"width": 32, "height": 32, "pages": None, "size": len(data)}

    with ThreadPoolExecutor(8) as pool:  # the bucket takes the drafts in parallel
        list(pool.map(store, entries))
    Entry.objects.bulk_update(
        entries, ["draft_file", "draft_file_name", "draft_file_sha256", "draft_mime", "draft_meta"]
    )

    store_ = SessionStore()
    expiry = now + timezone.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    sessions, students = [], []
    for user, entry in zip(users, entries, strict=True):
        key = secrets.token_hex(16)
        data = {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                HASH_SESSION_KEY: user.get_session_auth_hash()}  # fmt: skip
        sessions.append(Session(session_key=key, session_data=store_.encode(data), expire_date=expiry))
        expected = content_hash(file_sha256=entry.draft_file_sha256, title=entry.title, description=entry.description,
                                work_type=entry.work_type, theme_id=entry.theme_id)  # fmt: skip
        students.append({"user_id": user.pk, "entry_id": entry.pk, "session": key, "csrf": secrets.token_hex(16),
                         "content_hash": expected, "file_sha256": entry.draft_file_sha256})  # fmt: skip
    Session.objects.bulk_create(sessions)
    out.write_text(json.dumps({"students": students}))


def internal_pictures(count: int, seconds: float, students: Path, out: Path) -> None:
    """Run with the hosts' environment when the surge starts: `count` picture jobs, one student each in turn."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aigc_contest.web.settings")
    import django

    django.setup()
    import multi_host_kinds

    from aigc_contest.web.accounts.models import User
    from aigc_contest.web.jobs.services import submit_job

    ids = [s["user_id"] for s in json.loads(students.read_text())["students"]]
    users = {u.pk: u for u in User.objects.filter(pk__in=ids[:count])}
    jobs = [
        submit_job(users[ids[i % len(users)]], multi_host_kinds.KIND, {"seconds": seconds}).pk
        for i in range(count)
    ]
    out.write_text(json.dumps(jobs))


# ---------------------------------------------------------------- the browsers


class Browsers:
    """`clients` threads, each a browser with a keep-alive connection per web host; a student's request
    that meets a dead host (refused, reset, 502/503) is sent again, same body, to the other host."""

    def __init__(self, hosts: list[str], students: list[Student], clients: int, stop_at: float) -> None:
        self.hosts = hosts
        self.dead: set[str] = set()
        self.work: queue.Queue[Student] = queue.Queue()
        for student in students:
            self.work.put(student)
        self.clients = clients
        self.stop_at = stop_at
        self.acknowledged = 0
        self.retries = 0
        self.latencies: list[float] = []
        self.unexpected: list[str] = []
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._browser, args=(i,), daemon=True) for i in range(clients)
        ]

    def start(self) -> Browsers:
        self.started = time.monotonic()
        for thread in self.threads:
            thread.start()
        return self

    def join(self) -> float:
        for thread in self.threads:
            thread.join(max(0.0, self.stop_at - time.monotonic()) + 35)
        return time.monotonic() - self.started

    def _browser(self, index: int) -> None:
        connections: dict[str, http.client.HTTPConnection] = {}
        turn = index
        while time.monotonic() < self.stop_at:
            try:
                student = self.work.get_nowait()
            except queue.Empty:
                break
            body = json.dumps({"expected_content_hash": student.content_hash}).encode()
            headers = {"Content-Type": "application/json", "X-CSRFToken": student.csrf,
                       "Cookie": f"sessionid={student.session}; csrftoken={student.csrf}"}  # fmt: skip
            t0 = time.monotonic()
            while time.monotonic() < self.stop_at:
                alive = [h for h in self.hosts if h not in self.dead] or self.hosts
                host = alive[turn % len(alive)]
                turn += 1
                student.tries += 1
                conn = connections.get(host) or http.client.HTTPConnection(host, WEB_PORT, timeout=30)
                connections[host] = conn
                try:
                    conn.request(
                        "POST", f"/api/v1/entries/{student.entry_id}/submit", body=body, headers=headers
                    )
                    response = conn.getresponse()
                    raw = response.read()
                    status = response.status
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    connections.pop(host, None)
                    if isinstance(exc, ConnectionRefusedError):
                        self.dead.add(host)  # a load balancer's health check would say the same
                    with self.lock:
                        self.retries += 1
                    time.sleep(0.05)
                    continue
                if status in (502, 503):
                    with self.lock:
                        self.retries += 1
                    continue
                with self.lock:
                    self.latencies.append(time.monotonic() - t0)
                    if status in (200, 201):
                        student.acknowledged = status
                        self.acknowledged += 1
                    else:
                        self.unexpected.append(f"entry {student.entry_id}: {status} {raw[:200]!r}")
                break
        for conn in connections.values():
            conn.close()


def _get(host: str, path: str, session: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(host, WEB_PORT, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": f"sessionid={session}"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ---------------------------------------------------------------- the run


def run(config: Config) -> Report:
    import psycopg
    import redis as redis_client

    report = Report()
    figures = report.figures
    began = time.monotonic()
    deadline = began + config.time_limit
    log = config.log
    s3_endpoint = os.environ.get("AIGC_S3_ENDPOINT_URL")
    bucket = os.environ.get("AIGC_S3_BUCKET") or "aigc-test"
    if not s3_endpoint:
        raise RuntimeError("no S3 server: set AIGC_S3_* (bash scripts/s3-server start DIR && source DIR/env)")
    _ensure_bucket(s3_endpoint, bucket)
    work = config.work_dir or Path(tempfile.mkdtemp(prefix="aigc-hosts-"))
    work.mkdir(parents=True, exist_ok=True)
    tag = secrets.token_hex(4)
    db_name = f"aigc_hosts_{tag}"
    prefix = f"aigc-hosts-{tag}"
    admin_url = config.postgres_url
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{db_name}"')
    services = {"postgres": _port(config.postgres_url, 5432), "redis": _port(config.redis_url, 6379),
                "s3": _port(s3_endpoint, 443)}  # fmt: skip
    processes: dict[str, subprocess.Popen[bytes]] = {}
    redis = redis_client.Redis.from_url(config.redis_url)
    try:
        with Network(services, work) as net:
            gw = net.gateway
            db_url = _with_host(config.postgres_url, gw, path=f"/{db_name}")
            env = {
                k: v for k, v in os.environ.items() if not k.startswith(("AIGC_", "DATABASE_URL", "DJANGO_"))
            }
            env.update({
                "DJANGO_SETTINGS_MODULE": "aigc_contest.web.settings",
                "DATABASE_URL": db_url,
                "AIGC_BROKER_URL": _with_host(config.redis_url, gw),
                "AIGC_BROKER_PREFIX": prefix,
                "AIGC_S3_BUCKET": bucket,
                "AIGC_S3_PREFIX": prefix,
                "AIGC_S3_ENDPOINT_URL": _with_host(s3_endpoint, gw),
                "AIGC_SECRET_KEY": secrets.token_urlsafe(40),
                "AIGC_ALLOWED_HOSTS": ",".join(net.address(h) for h in ("web1", "web2")),
                "AIGC_SITE_URL": f"http://{net.address('web2')}:{WEB_PORT}",
                "AIGC_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                "AIGC_JOB_KIND_MODULES": "multi_host_kinds",
                "AIGC_LOG_LEVEL": "INFO",
                "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(HERE), os.environ.get("PYTHONPATH", "")]),
            })  # fmt: skip
            for name in ("AIGC_S3_REGION", "AIGC_S3_ACCESS_KEY_ID", "AIGC_S3_SECRET_ACCESS_KEY"):
                if os.environ.get(name):
                    env[name] = os.environ[name]
            python = sys.executable
            # Database and data: migrate once from a web host, then the school, its drafts and the pictures.
            t0 = time.monotonic()
            env["AIGC_DATA_DIR"] = str(work / "setup")
            migrate = net.run(
                "web1", [python, "-m", "django", "migrate", "--noinput"], env, work / "migrate.log"
            )
            if migrate.wait(timeout=max(10, deadline - time.monotonic())) != 0:
                raise RuntimeError(f"migrate failed:\n{(work / 'migrate.log').read_text()[-3000:]}")
            figures["migrate_s"] = round(time.monotonic() - t0, 1)
            for host in ("wk1", "wk2"):
                processes[host] = net.run(host, [python, "-m", "aigc_contest.cli.main", "worker"],
                                          {**env, "AIGC_DATA_DIR": str(work / host)}, work / f"{host}.log")  # fmt: skip
            for host in ("web1", "web2"):
                processes[host] = net.run(host, [python, "-m", "aigc_contest.cli.main", "serve", "--no-migrate",
                                                 "--no-worker", "--host", net.address(host), "--port", str(WEB_PORT),
                                                 "--workers", "2", "--threads", "4"],
                                          {**env, "AIGC_DATA_DIR": str(work / host)}, work / f"{host}.log")  # fmt: skip
            t0 = time.monotonic()
            setup_out = work / "setup.json"
            setup = net.run("web2", [python, str(Path(__file__).resolve()), "--internal-setup", str(config.submissions),
                                     str(setup_out)], env, work / "setup.log")  # fmt: skip
            if setup.wait(timeout=max(10, deadline - time.monotonic())) != 0:
                raise RuntimeError(f"set-up failed:\n{(work / 'setup.log').read_text()[-3000:]}")
            figures["setup_s"] = round(time.monotonic() - t0, 1)
            data = json.loads(setup_out.read_text())
            students = [Student(**s) for s in data["students"]]
            webs = [net.address("web1"), net.address("web2")]
            for address in webs:
                while not _answers(address, WEB_PORT):
                    for name, process in processes.items():
                        if process.poll() is not None:
                            raise RuntimeError(
                                f"{name} stopped:\n{(work / f'{name}.log').read_text()[-3000:]}"
                            )
                    if time.monotonic() > deadline:
                        raise RuntimeError("the web hosts did not start")
                    time.sleep(0.2)
            log(
                f"hosts up: web {webs}, workers in {net.namespaces['wk1']}, {net.namespaces['wk2']}; "
                f"migrate {figures['migrate_s']} s, set-up {figures['setup_s']} s"
            )

            pg = psycopg.connect(
                _with_host(config.postgres_url, "127.0.0.1", path=f"/{db_name}"), autocommit=True
            )
            surge_stop = min(deadline - 40, time.monotonic() + config.time_limit)
            pictures_out = work / "pictures.json"
            pictures = net.run("web2", [python, str(Path(__file__).resolve()), "--internal-pictures",
                                        str(config.pictures), str(config.picture_seconds), str(setup_out),
                                        str(pictures_out)], env, work / "pictures.log")  # fmt: skip
            if pictures.wait(timeout=max(10, deadline - time.monotonic())) != 0:
                raise RuntimeError(
                    f"queueing the pictures failed:\n{(work / 'pictures.log').read_text()[-3000:]}"
                )
            picture_ids: list[int] = json.loads(pictures_out.read_text())
            browsers = Browsers(webs, students, config.clients, surge_stop).start()

            # The kills, both during the surge: wk1 as soon as it is painting (the pictures were queued just
            # before the surge began), web1 once a third of the submissions are in.
            kill_target = max(1, int(config.submissions * config.kill_after))
            wk1_pids = set(net.pids("wk1"))
            killed_worker: list[int] = []
            orphans: dict[int, int] = {}
            killed_at = web_killed_at = 0.0
            give_up = time.monotonic() + 60
            while (not killed_worker or not web_killed_at) and time.monotonic() < min(give_up, surge_stop):
                if not web_killed_at and browsers.acknowledged >= kill_target:
                    net.kill_host("web1")
                    web_killed_at = time.monotonic()
                    figures["acknowledged_at_web_kill"] = browsers.acknowledged
                if not killed_worker:
                    rows = pg.execute("select worker from jobs_job where status = 'running' and kind = %s",
                                      ["bench.picture"]).fetchall()  # fmt: skip
                    if any(int(w.rsplit(":", 1)[1]) in wk1_pids for (w,) in rows if ":" in w):
                        killed_worker = net.kill_host("wk1")
                        killed_at = time.monotonic()
                        orphans = {
                            job_id: attempt
                            for job_id, attempt, worker in pg.execute(
                                "select id, attempts, worker from jobs_job where status = 'running'").fetchall()
                            if ":" in worker and int(worker.rsplit(":", 1)[1]) in set(killed_worker)
                        }  # fmt: skip
                        figures["acknowledged_at_worker_kill"] = browsers.acknowledged
                time.sleep(0.05)
            if not web_killed_at:
                report.problems.append("web1 was not killed during the surge")
            if not killed_worker:
                report.problems.append("wk1 was never seen painting: it was not killed")
                killed_at = time.monotonic()
            figures["orphaned_jobs"] = len(orphans)
            log(
                f"killed wk1 ({len(killed_worker)} processes, {len(orphans)} running jobs) after "
                f"{figures.get('acknowledged_at_worker_kill')} submissions, web1 after "
                f"{figures.get('acknowledged_at_web_kill')}"
            )

            requeued_after: dict[int, float] = {}
            while len(requeued_after) < len(orphans) and time.monotonic() - killed_at < REQUEUE_WITHIN_S + 20:
                for job_id, status, attempts in pg.execute(
                        "select id, status, attempts from jobs_job where id = any(%s)", [list(orphans)]).fetchall():  # fmt: skip
                    if job_id not in requeued_after and (status != "running" or attempts != orphans[job_id]):
                        requeued_after[job_id] = time.monotonic() - killed_at
                time.sleep(0.2)
            surge_seconds = browsers.join()
            figures["surge_s"] = round(surge_seconds, 1)

            # Every job done: none waiting, none running.
            drain_until = max(time.monotonic() + 5, deadline - 25)
            while time.monotonic() < drain_until:
                left = pg.execute(
                    "select count(*) from jobs_job where status in ('queued', 'running')"
                ).fetchone()[0]
                if left == 0:
                    break
                time.sleep(0.5)
            drained_at = time.monotonic()
            figures["all_jobs_done_s_after_surge"] = round(drained_at - browsers.started - surge_seconds, 1)
            report.problems += _check(pg, students, picture_ids, orphans, requeued_after, browsers, figures)
            figures["requeued_within_s"] = round(max(requeued_after.values(), default=0.0), 1)
            if figures.get("acknowledged_at_web_kill", len(students)) >= len(students):
                report.problems.append("web1 was killed after the last submission: its kill tested nothing")

            # Every file readable through the surviving web host, with its owner's session.
            by_entry = {s.entry_id: s for s in students}
            by_user = {s.user_id: s for s in students}
            versions = pg.execute("select id, entry_id, file_sha256 from entries_entryversion").fetchall()
            assets = pg.execute("select a.id, j.owner_id, j.id from jobs_jobasset a join jobs_job j on j.id = a.job_id "
                                "where j.kind = %s", ["bench.picture"]).fetchall()  # fmt: skip
            pg.close()
            survivor = net.address("web2")

            def read_version(row: tuple[int, int, str]) -> str | None:
                pk, entry_id, sha = row
                status, body = _get(survivor, f"/versions/{pk}/file/", by_entry[entry_id].session)
                ok = status == 200 and hashlib.sha256(body).hexdigest() == sha
                return None if ok else f"version {pk}: {status}, {len(body)} bytes"

            def read_asset(row: tuple[int, int, int]) -> str | None:
                import multi_host_kinds

                pk, owner, job_id = row
                status, body = _get(survivor, f"/jobs/assets/{pk}/", by_user[owner].session)
                return (
                    None
                    if status == 200 and body == multi_host_kinds.picture(job_id)
                    else f"picture {pk}: {status}"
                )

            t0 = time.monotonic()
            with ThreadPoolExecutor(8) as pool:
                unreadable = [
                    p for p in [*pool.map(read_version, versions), *pool.map(read_asset, assets)] if p
                ]
            figures["files_read"] = len(versions) + len(assets)
            figures["files_read_s"] = round(time.monotonic() - t0, 1)
            figures["unreadable"] = len(unreadable)
            report.problems += unreadable[:10]
            for name in ("web2", "wk2"):
                if processes[name].poll() is not None:
                    report.problems.append(f"{name} stopped by itself ({processes[name].returncode})")
    finally:
        for process in processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
        with (
            contextlib.suppress(Exception),
            psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin,
        ):
            admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        with contextlib.suppress(Exception):
            for key in redis.scan_iter(f"{prefix}:*"):
                redis.delete(key)
        with contextlib.suppress(Exception):
            _empty_prefix(s3_endpoint, bucket, prefix)
    figures["total_s"] = round(time.monotonic() - began, 1)
    return report


def _check(pg: Any, students: list[Student], picture_ids: list[int], orphans: dict[int, int],
           requeued_after: dict[int, float], browsers: Browsers, figures: dict[str, Any]) -> list[str]:  # fmt: skip
    problems = []
    found = {entry: (n, top) for entry, n, top in pg.execute(
        "select entry_id, count(*), max(number) from entries_entryversion group by entry_id").fetchall()}  # fmt: skip
    never_answered = [s for s in students if not s.acknowledged]
    lost = [s for s in students if s.acknowledged and s.entry_id not in found]
    duplicated = [s for s in students if found.get(s.entry_id, (0, 0))[0] > 1]
    figures.update(
        submissions=len(students), acknowledged=browsers.acknowledged, created_201=sum(s.acknowledged == 201 for s in students),
        answered_200_after_retry=sum(s.acknowledged == 200 for s in students), retries=browsers.retries,
        versions=sum(n for n, _ in found.values()), lost=len(lost), never_answered=len(never_answered),
        duplicated_versions=len(duplicated),
        submit_p50_ms=round(_percentile(browsers.latencies, 0.5) * 1000), submit_p99_ms=round(_percentile(browsers.latencies, 0.99) * 1000),
    )  # fmt: skip
    if never_answered:
        problems.append(f"{len(never_answered)} submissions never acknowledged")
    if lost:
        problems.append(f"{len(lost)} acknowledged submissions lost")
    if duplicated:
        problems.append(f"{len(duplicated)} entries with more than one version")
    if len(found) != len(students) or any(n != top for n, top in found.values()):
        problems.append("versions missing or misnumbered")
    problems += browsers.unexpected[:5]
    status = dict(pg.execute("select status, count(*) from jobs_job group by status").fetchall())
    figures["jobs_by_status"] = status
    if set(status) != {"succeeded"}:
        problems.append(f"jobs not all done: {status}")
    pictures = pg.execute(
        "select j.id, j.status, j.attempts, count(a.id), min(a.attempt), max(a.attempt) from jobs_job j "
        "left join jobs_jobasset a on a.job_id = j.id where j.id = any(%s) group by j.id", [picture_ids]).fetchall()  # fmt: skip
    duplicated_pictures = [row for row in pictures if row[3] > 1]
    missing_pictures = [row for row in pictures if row[3] == 0 or row[1] != "succeeded"]
    wrong_attempt = [row for row in pictures if row[3] == 1 and row[4] != row[2]]
    figures.update(pictures=len(picture_ids), pictures_rerun=sum(1 for r in pictures if r[2] > 1),
                   duplicated_pictures=len(duplicated_pictures), missing_pictures=len(missing_pictures))  # fmt: skip
    if len(pictures) != len(picture_ids) or duplicated_pictures or missing_pictures or wrong_attempt:
        problems.append(f"pictures: {len(duplicated_pictures)} duplicated, {len(missing_pictures)} missing, "
                        f"{len(wrong_attempt)} stored by a stale attempt")  # fmt: skip
    receipts = pg.execute(
        "select count(*) from jobs_job where kind = 'email' and status = 'succeeded'"
    ).fetchone()[0]
    figures["receipts_sent"] = receipts
    if receipts != len(found):
        problems.append(f"{receipts} receipt e-mails sent for {len(found)} submissions")
    if not orphans:
        problems.append("the killed worker was running no job when it was killed: nothing was tested")
    stuck = [job for job in orphans if requeued_after.get(job, float("inf")) > REQUEUE_WITHIN_S]
    if stuck:
        problems.append(
            f"jobs of the killed worker not back in line within {REQUEUE_WITHIN_S:.0f} s: {stuck}"
        )
    return problems


def _bucket(endpoint: str, bucket: str) -> Any:
    import boto3

    s3 = boto3.resource("s3", endpoint_url=endpoint, region_name=os.environ.get("AIGC_S3_REGION") or "us-east-1",
                        aws_access_key_id=os.environ.get("AIGC_S3_ACCESS_KEY_ID"),
                        aws_secret_access_key=os.environ.get("AIGC_S3_SECRET_ACCESS_KEY"))  # fmt: skip
    return s3.Bucket(bucket)


def _ensure_bucket(endpoint: str, bucket: str) -> None:
    from botocore.exceptions import ClientError

    try:
        _bucket(endpoint, bucket).create()
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
            raise


def _empty_prefix(endpoint: str, bucket: str, prefix: str) -> None:
    _bucket(endpoint, bucket).objects.filter(Prefix=f"{prefix}/").delete()


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["--internal-setup"]:
        internal_setup(int(args_in[1]), Path(args_in[2]))
        return 0
    if args_in[:1] == ["--internal-pictures"]:
        internal_pictures(int(args_in[1]), float(args_in[2]), Path(args_in[3]), Path(args_in[4]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=5000)
    parser.add_argument("--pictures", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--picture-seconds", type=float, default=0.4, help="per batch of up to four pictures")
    parser.add_argument("--time-limit", type=float, default=900.0, help="the whole run stops after this")
    parser.add_argument("--postgres", default=os.environ.get("AIGC_TEST_POSTGRES_URL", Config.postgres_url))
    parser.add_argument("--redis", default=Config.redis_url)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(args_in)
    reason = unavailable()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 1
    config = Config(submissions=args.submissions, pictures=args.pictures, clients=args.clients,
                    picture_seconds=args.picture_seconds, time_limit=args.time_limit, postgres_url=args.postgres,
                    redis_url=args.redis)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="aigc-hosts-") as work:
        config.work_dir = Path(work)
        report = run(config)
    for key, value in report.figures.items():
        print(f"{key:<32} {value}")
    print("problems: " + ("none" if not report.problems else "; ".join(report.problems)))
    if args.json:
        args.json.write_text(json.dumps({"figures": report.figures, "problems": report.problems}, indent=2))
    return 0 if not report.problems else 1


if __name__ == "__main__":
    sys.exit(main())
