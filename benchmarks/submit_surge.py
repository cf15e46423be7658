"""Submission surge before a deadline: many students submit their final version in the last minutes.

Against the real server (`aigc-contest serve`, gunicorn) on PostgreSQL over loopback, measured in one run:
  phase A  a bare Django endpoint (/healthz: no session, no database) for the reference rate;
  phase B  every simulated student POSTs /api/v1/entries/{id}/submit with their logged-in session; some
           retry with `expected_content_hash` (must not create a version), some submit a second time on
           purpose (must create version 2).
Then the database is checked: exactly one version per intended submission, numbered 1..n, each with its file.

Prints submissions/minute, p50/p99 latency, lost and duplicated counts, the ratio to the bare endpoint,
and PASS/FAIL against the floor (>= 1,000 submissions/min, p99 < 1 s) and the aim (>= 10 % of the bare
endpoint's rate, p99 < 500 ms).

Run: .venv/bin/python benchmarks/submit_surge.py [--students 1000] [--clients 16] [--bare-seconds 10]
Needs PostgreSQL at --pg (default postgresql://postgres@127.0.0.1:5432/postgres); a fresh database
`aigc_bench_<pid>` is created and dropped at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import queue
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLOOR_PER_MINUTE = 1_000
FLOOR_P99_S = 1.0
AIM_RATIO = 0.10
AIM_P99_S = 0.5


@dataclass
class Student:
    entry_id: int
    session_key: str
    csrf_token: str
    plan: str  # "once", "retry" (same submission again with the hash: idempotent), "twice" (a new version)

    @property
    def expected_versions(self) -> int:
        return 2 if self.plan == "twice" else 1


@dataclass
class Sample:
    seconds: float
    status: int
    kind: str  # "first", "retry", "second"
    body: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- database and fixtures


def create_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def random_png(size: int) -> bytes:
    """A noise picture: every file different and incompressible, like a real upload (~size² × 3 bytes)."""
    import io

    from PIL import Image

    image = Image.frombytes("RGB", (size, size), os.urandom(size * size * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def prepare(count: int, image_size: int, retry_share: float, twice_share: float) -> list[Student]:
    """A school of `count` students, each in a one-person team with a draft image entry, logged in once.

    Rows are bulk-inserted (the registration pages are not what is measured). The students' sessions are
    written to the session store as a sign-in would leave them, so the surge sends what a browser sends:
    the session cookie and the CSRF token. One shared password hash: PBKDF2 runs once, not `count` times.
    """
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.utils import timezone

    from aigc_contest.web.accounts.models import GuardianConsent, Role, School, User
    from aigc_contest.web.contests.models import Category, Competition
    from aigc_contest.web.entries.models import Entry, Team

    now = timezone.now()
    password_hash = make_password(secrets.token_urlsafe(12))
    with transaction.atomic():
        competition = Competition.objects.create(
            slug="surge", name_en="Deadline surge", name_zh_hant="截止前的高峰", name_zh_hans="截止前的高峰",
            timezone="Asia/Hong_Kong", registration_opens_at=now - timezone.timedelta(days=30),
            submission_opens_at=now - timezone.timedelta(days=30),
            submission_deadline=now + timezone.timedelta(hours=1),  # moved to a few minutes ahead before the surge
            judging_starts_at=now + timezone.timedelta(days=1), results_at=now + timezone.timedelta(days=14),
        )
        category = Category.objects.create(
            competition=competition, slug="images", name_en="Images", school_levels=["primary"],
            work_types=["image"], any_theme=True, min_team_size=1, max_team_size=1, submission_limit=5,
        )
        school = School.objects.create(code="surge-primary", name_en="Surge Primary", level="primary")
        teacher = User.objects.create(username="surge.teacher", role=Role.TEACHER, school=school,
                                      display_name="Teacher", email="teacher@example.org", password=password_hash)
        students = User.objects.bulk_create(
            User(username=f"surge.s{i:05d}", role=Role.STUDENT, school=school, display_name=f"Student {i}",
                 grade="P5", password=password_hash)
            for i in range(count)
        )
        GuardianConsent.objects.bulk_create(
            GuardianConsent(student=s, method="paper", recorded_by=teacher) for s in students
        )
        teams = Team.objects.bulk_create(
            Team(competition=competition, category=category, name=f"Team {i:05d}", school=school,
                 supervising_teacher=teacher)
            for i in range(count)
        )
        Team.members.through.objects.bulk_create(
            Team.members.through(team_id=t.pk, user_id=s.pk) for t, s in zip(teams, students, strict=True)
        )
        entries = Entry.objects.bulk_create(
            Entry(team=t, category=category, work_type="image", title=f"Picture {i}")
            for i, t in enumerate(teams)
        )
        media = Path(settings.MEDIA_ROOT)
        for entry in entries:
            data = random_png(image_size)
            sha = hashlib.sha256(data).hexdigest()
            name = f"drafts/{entry.pk}/{sha[:16]}.png"
            (media / name).parent.mkdir(parents=True, exist_ok=True)
            (media / name).write_bytes(data)
            entry.draft_file.name = name
            entry.draft_file_name = "picture.png"
            entry.draft_file_sha256 = sha
            entry.draft_mime = "image/png"
            entry.draft_meta = {"width": image_size, "height": image_size, "pages": None, "size": len(data)}
        Entry.objects.bulk_update(
            entries, ["draft_file", "draft_file_name", "draft_file_sha256", "draft_mime", "draft_meta"]
        )

        store = SessionStore()
        expiry = now + timezone.timedelta(seconds=settings.SESSION_COOKIE_AGE)
        sessions = []
        plans = []
        n_retry, n_twice = round(count * retry_share), round(count * twice_share)
        for i, (student, entry) in enumerate(zip(students, entries, strict=True)):
            key = secrets.token_hex(16)
            data = {
                SESSION_KEY: str(student.pk),
                BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                HASH_SESSION_KEY: student.get_session_auth_hash(),
            }
            sessions.append(Session(session_key=key, session_data=store.encode(data), expire_date=expiry))
            plan = "retry" if i < n_retry else "twice" if i < n_retry + n_twice else "once"
            # Django accepts the unmasked 32-character secret from the cookie as the header token.
            plans.append(Student(entry.pk, key, secrets.token_hex(16), plan))
        Session.objects.bulk_create(sessions)
    return plans


def set_deadline(seconds_ahead: float) -> Any:
    from django.utils import timezone

    from aigc_contest.web.contests.models import Competition

    deadline = timezone.now() + timezone.timedelta(seconds=seconds_ahead)
    Competition.objects.filter(slug="surge").update(submission_deadline=deadline)
    return deadline


def verify(students: list[Student]) -> dict[str, int]:
    """Count versions per entry in the database against what each student intended."""
    from django.conf import settings
    from django.db.models import Count, Max

    from aigc_contest.web.entries.models import Entry, EntryVersion

    found = {
        row["entry_id"]: (row["n"], row["top"])
        for row in EntryVersion.objects.values("entry_id").annotate(n=Count("id"), top=Max("number"))
    }
    lost = duplicated = misnumbered = 0
    for student in students:
        n, top = found.get(student.entry_id, (0, 0))
        lost += max(0, student.expected_versions - n)
        duplicated += max(0, n - student.expected_versions)
        misnumbered += int(n != top)
    media = Path(settings.MEDIA_ROOT)
    missing_files = sum(1 for name in EntryVersion.objects.values_list("file", flat=True) if not (media / name).is_file())
    not_submitted = Entry.objects.exclude(status=Entry.Status.SUBMITTED).count()
    return {
        "expected": sum(s.expected_versions for s in students),
        "found": sum(n for n, _ in found.values()),
        "lost": lost,
        "duplicated": duplicated,
        "misnumbered": misnumbered,
        "missing_files": missing_files,
        "entries_not_submitted": not_submitted,
    }


# ---------------------------------------------------------------- server


def start_server(port: int, workers: int, threads: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = Path(sys.executable).with_name("aigc-contest")
    argv = [str(command)] if command.exists() else [sys.executable, "-m", "aigc_contest.cli.main"]
    argv += ["serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(workers), "--threads", str(threads)]
    handle = log.open("wb")
    process = subprocess.Popen(argv, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return process
        except OSError:
            time.sleep(0.2)
    stop_server(process)
    raise RuntimeError("the server did not answer /healthz within 60 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # gunicorn's master stops its workers
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def server_cpu_seconds(master_pid: int, *, job_worker_only: bool = False) -> float:
    """CPU time (user + system) used so far by the server's master and its worker processes (Linux /proc);
    `job_worker_only`: just the embedded job worker (the child started as `… worker`)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            pid, ppid = int(stat.parent.name), int(fields[1])
            if master_pid not in (pid, ppid):
                continue
            if job_worker_only and b"worker" not in (stat.parent / "cmdline").read_bytes().split(b"\0"):
                continue
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- load


def bare_phase(port: int, clients: int, seconds: float) -> tuple[int, int, float]:
    """Keep-alive GETs of /healthz from `clients` threads for `seconds`: (ok, errors, elapsed)."""
    ok = [0] * clients
    errors = [0] * clients
    stop_at = time.perf_counter() + seconds

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < stop_at:
            try:
                conn.request("GET", "/healthz")
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    ok[index] += 1
                else:
                    errors[index] += 1
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(ok), sum(errors), time.perf_counter() - started


def surge_phase(port: int, clients: int, students: list[Student], limit_s: float) -> tuple[list[Sample], float]:
    """Each student's submission(s) in turn, from `clients` concurrent keep-alive connections."""
    work: queue.Queue[Student] = queue.Queue()
    for student in students:
        work.put(student)
    samples: list[list[Sample]] = [[] for _ in range(clients)]
    give_up_at = time.perf_counter() + limit_s

    def post(conn: http.client.HTTPConnection, student: Student, body: dict[str, Any], kind: str) -> Sample:
        payload = json.dumps(body).encode()
        headers = {
            "Content-Type": "application/json",
            "Cookie": f"sessionid={student.session_key}; csrftoken={student.csrf_token}",
            "X-CSRFToken": student.csrf_token,
        }
        t0 = time.perf_counter()
        try:
            conn.request("POST", f"/api/v1/entries/{student.entry_id}/submit", body=payload, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            return Sample(time.perf_counter() - t0, 0, kind, {"error": str(exc)})
        seconds = time.perf_counter() - t0
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {"raw": raw[:200].decode(errors="replace")}
        return Sample(seconds, status, kind, parsed)

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < give_up_at:
            try:
                student = work.get_nowait()
            except queue.Empty:
                break
            first = post(conn, student, {}, "first")
            samples[index].append(first)
            if student.plan == "retry" and first.status == 201:
                # The answer "got lost" and the client sends the same submission again, saying what it expects.
                body = {"expected_content_hash": first.body.get("content_hash")}
                samples[index].append(post(conn, student, body, "retry"))
            elif student.plan == "twice":
                samples[index].append(post(conn, student, {}, "second"))
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [s for per_client in samples for s in per_client], time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[min(998, max(0, round(q * 1000) - 1))]


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16, help="concurrent simulated browsers")
    parser.add_argument("--bare-seconds", type=float, default=10.0)
    parser.add_argument("--surge-limit", type=float, default=120.0, help="stop sending after this many seconds")
    parser.add_argument("--retry-share", type=float, default=0.1, help="students who resend with the hash")
    parser.add_argument("--twice-share", type=float, default=0.1, help="students who submit a second version")
    parser.add_argument("--image-size", type=int, default=160, help="draft PNGs are N×N noise (~N²×3 bytes)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: the serve default)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres", help="admin connection")
    args = parser.parse_args(argv)
    if not 1 <= args.students <= 50_000 or not 1 <= args.clients <= 256:
        parser.error("--students must be 1..50000 and --clients 1..256")
    if args.retry_share + args.twice_share > 1:
        parser.error("--retry-share + --twice-share must be at most 1")

    try:
        import psycopg

        psycopg.connect(args.pg, connect_timeout=5).close()
    except Exception as exc:  # noqa: BLE001 - any failure here means: no server to benchmark against
        print(f"error: cannot reach PostgreSQL at {args.pg}: {exc}", file=sys.stderr)
        return 1

    load_before = os.getloadavg()[0]
    db_name = f"aigc_bench_{os.getpid()}"
    base = args.pg.rsplit("/", 1)[0]
    work_dir = Path(tempfile.mkdtemp(prefix="aigc-surge-"))
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{base}/{db_name}",
        AIGC_DATA_DIR=str(work_dir),
        AIGC_SECRET_KEY=secrets.token_urlsafe(40),
        # Receipts are rendered and "sent" in memory: no mail server on this machine, and the console
        # backend would measure terminal writes.
        AIGC_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        DJANGO_SETTINGS_MODULE="aigc_contest.web.settings",
    )
    os.environ.update(env)
    workers = args.workers or max(2, 2 * (os.cpu_count() or 1))
    server = None
    create_database(args.pg, db_name)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections
        from django.utils import timezone as django_timezone

        t0 = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        t1 = time.perf_counter()
        students = prepare(args.students, args.image_size, args.retry_share, args.twice_share)
        t2 = time.perf_counter()
        print(f"setup: migrate {t1 - t0:.1f} s; {len(students)} students, teams, draft PNGs and sessions "
              f"{t2 - t1:.1f} s")
        connections.close_all()

        port = free_port()
        server = start_server(port, workers, args.threads, env, work_dir / "server.log")
        print(f"server: aigc-contest serve (gunicorn gthread, {workers} workers × {args.threads} threads), "
              f"PostgreSQL {db_name} on 127.0.0.1; {args.clients} concurrent clients on loopback; "
              f"{os.cpu_count()} CPU cores shared by server, database and clients")

        cpu0 = server_cpu_seconds(server.pid)
        bare_ok, bare_err, bare_elapsed = bare_phase(port, args.clients, args.bare_seconds)
        cpu1 = server_cpu_seconds(server.pid)
        bare_rate = bare_ok / bare_elapsed
        print(f"phase A  bare /healthz: {bare_ok} requests in {bare_elapsed:.1f} s = {bare_rate:,.0f} req/s "
              f"({bare_err} errors), server CPU {(cpu1 - cpu0) / max(1, bare_ok) * 1000:.2f} ms/request")

        deadline = set_deadline(args.surge_limit + 120)
        connections.close_all()
        cpu2 = server_cpu_seconds(server.pid)
        jobs_cpu2 = server_cpu_seconds(server.pid, job_worker_only=True)
        samples, surge_elapsed = surge_phase(port, args.clients, students, args.surge_limit)
        surge_cpu = server_cpu_seconds(server.pid) - cpu2
        surge_jobs_cpu = server_cpu_seconds(server.pid, job_worker_only=True) - jobs_cpu2
        stop_server(server)
        server = None

        counts = verify(students)
        connections.close_all()
        left = (deadline - django_timezone.now()).total_seconds()
    finally:
        if server is not None:
            stop_server(server)
        try:
            from django.db import connections as conns

            conns.close_all()
        except Exception:  # noqa: BLE001 - Django may not be set up if setup failed early
            pass
        drop_database(args.pg, db_name)
        shutil.rmtree(work_dir, ignore_errors=True)

    by_status: dict[tuple[str, int], int] = {}
    for sample in samples:
        by_status[(sample.kind, sample.status)] = by_status.get((sample.kind, sample.status), 0) + 1
    expected_status = {"first": 201, "retry": 200, "second": 201}
    unexpected = [s for s in samples if s.status != expected_status[s.kind]]
    wrong_numbers = sum(
        1 for s in samples
        if s.status in (200, 201) and s.body.get("number") != (2 if s.kind == "second" else 1)
    )
    latencies = [s.seconds for s in samples]
    new_versions = sum(1 for s in samples if s.status == 201)
    per_minute = new_versions / surge_elapsed * 60
    request_rate = len(samples) / surge_elapsed
    ratio = request_rate / bare_rate if bare_rate else 0.0
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)

    print(f"phase B  surge: {len(samples)} submit requests ({new_versions} new versions) in {surge_elapsed:.1f} s, "
          f"deadline still {left:.0f} s ahead at the end")
    print(f"         server CPU {surge_cpu / max(1, len(samples)) * 1000:.1f} ms/request (web processes and the "
          f"embedded job worker, of which the job worker {surge_jobs_cpu / max(1, len(samples)) * 1000:.1f}; "
          f"not PostgreSQL); load average before the run {load_before:.1f}")
    print("         responses: " + ", ".join(f"{k}→{st}: {n}" for (k, st), n in sorted(by_status.items())))
    for sample in unexpected[:5]:
        print(f"         unexpected {sample.kind} → {sample.status}: {json.dumps(sample.body)[:200]}")
    print()
    print(f"submissions/minute      {per_minute:10,.0f}")
    print(f"submit requests/s       {request_rate:10,.1f}")
    print(f"latency p50 / p99       {p50 * 1000:7.0f} ms / {p99 * 1000:.0f} ms")
    print(f"bare endpoint req/s     {bare_rate:10,.0f}")
    print(f"ratio to bare endpoint  {ratio:10.1%}")
    print(f"versions expected/found {counts['expected']} / {counts['found']}")
    print(f"lost                    {counts['lost']:10d}")
    print(f"duplicated              {counts['duplicated']:10d}")
    print(f"misnumbered / no file / not submitted   {counts['misnumbered']} / {counts['missing_files']} / "
          f"{counts['entries_not_submitted']};  wrong version numbers in answers: {wrong_numbers}")

    correct = (
        counts["lost"] == 0 and counts["duplicated"] == 0 and counts["misnumbered"] == 0
        and counts["missing_files"] == 0 and counts["entries_not_submitted"] == 0
        and not unexpected and wrong_numbers == 0
    )
    floor = correct and per_minute >= FLOOR_PER_MINUTE and p99 < FLOOR_P99_S
    aim = correct and ratio >= AIM_RATIO and p99 < AIM_P99_S
    print()
    print(f"correctness (0 lost, 0 duplicated, right statuses): {'PASS' if correct else 'FAIL'}")
    print(f"floor (>= {FLOOR_PER_MINUTE:,}/min, p99 < {FLOOR_P99_S * 1000:.0f} ms): {'PASS' if floor else 'FAIL'}")
    print(f"aim   (>= {AIM_RATIO:.0%} of bare rate, p99 < {AIM_P99_S * 1000:.0f} ms): {'PASS' if aim else 'FAIL'}")
    return 0 if floor else 1


if __name__ == "__main__":
    sys.exit(main())
