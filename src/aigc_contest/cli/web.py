"""`demo`, `serve`, `worker` and `check`: running the platform."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

from aigc_contest.cli.common import EXIT_ERROR, EXIT_OK, CliError, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser("demo", help="migrate the default SQLite db, load both reference competitions, serve")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--no-serve", action="store_true", help="prepare the demo data and exit")
    demo.set_defaults(func=cmd_demo)

    serve = subparsers.add_parser("serve", help="web server + embedded worker")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=None, help="web worker processes (default: 2 × cores)")
    serve.add_argument("--threads", type=int, default=4, help="threads per web worker")
    serve.add_argument("--no-migrate", action="store_true", help="do not apply database migrations first")
    serve.add_argument("--no-worker", action="store_true",
                       help="do not start the embedded job worker (default: started unless AIGC_BROKER_URL is set)")
    serve.set_defaults(func=cmd_serve)

    worker = subparsers.add_parser("worker", help="a job worker alone (scaled configuration)")
    worker.add_argument("--concurrency", type=int, default=1)
    worker.add_argument("--queues", default=None, help="comma-separated queues: gpu, default (default: all)")
    worker.add_argument("--loglevel", default=None, help="Celery log level (default: $AIGC_LOG_LEVEL or WARNING)")
    worker.set_defaults(func=cmd_worker)

    check = subparsers.add_parser("check", help="what is configured and what is missing")
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=cmd_check)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aigc_contest.web.settings")
    import django

    django.setup()


def site_url_for(host: str, port: int) -> str:
    """A base URL that reaches a server bound to `host:port`, for e-mails and certificate QR codes.

    A server on every interface (0.0.0.0, ::) is named by this machine's address on the local network, so
    a phone that scans a QR code reaches it; a server on one address is named by that address."""
    if host in {"", "0.0.0.0", "::", "[::]"}:
        host = _local_network_address() or "127.0.0.1"
    host = host.strip("[]")
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _local_network_address() -> str | None:
    """The address this machine's default route leaves from (a UDP "connect" sends no packet)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("0.") else address


def use_site_url(host: str, port: int) -> bool:
    """Unless AIGC_SITE_URL names the site, name this server (before Django reads its settings, so the
    web workers and the embedded job worker see the same). Returns whether AIGC_SITE_URL was set already."""
    if os.environ.get("AIGC_SITE_URL"):
        return True
    os.environ["AIGC_SITE_URL"] = site_url_for(host, port)
    return False


def migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def cmd_demo(args: argparse.Namespace) -> int:
    from aigc_contest.config import choose_demo_models

    models_note = choose_demo_models()  # before Django starts, so every process sees the same models file
    use_site_url(args.host, args.port)
    setup_django()
    from django.test.utils import override_settings

    from aigc_contest.web.demo import DEMO_PASSWORD, load_demo

    migrate()
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        logins = load_demo(train=True)  # the sample submissions' receipts would only clutter the console
    url = f"http://{args.host}:{args.port}"
    print("aigc-contest demo: both reference competitions are loaded.")
    print(f"Open {url}  (password for every demo login: {DEMO_PASSWORD})")
    print(f"AI models: {models_note}")
    for login in logins:
        print(f"  {login.username:<18} {login.role:<12} {login.note}")
    if args.no_serve:
        return EXIT_OK
    return serve(args.host, args.port, workers=None, threads=4, job_worker=True)


def cmd_serve(args: argparse.Namespace) -> int:
    if not use_site_url(args.host, args.port):
        print(f"warning: AIGC_SITE_URL is not set; e-mails and certificate QR codes will point to "
              f"{os.environ['AIGC_SITE_URL']}", file=sys.stderr)
    setup_django()
    if not args.no_migrate:
        migrate()
    return serve(args.host, args.port, workers=args.workers, threads=args.threads, job_worker=not args.no_worker)


# Signals the supervising process passes on to gunicorn (SIGWINCH is a terminal's resize, not for it).
FORWARDED_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2",
                                       "SIGTTIN", "SIGTTOU") if hasattr(signal, name)
)


def serve(host: str, port: int, *, workers: int | None, threads: int, job_worker: bool = True) -> int:
    """Gunicorn (WhiteNoise serves static files) and the embedded job worker, both children of this process.

    Gunicorn's arbiter reaps every child of its own process, so it runs in a child process of its own and
    this one supervises the job worker alone: the worker's exit is seen (and logged) as it really was, and
    its state goes to a file that `/healthz` reads. Signals to this process are passed on to gunicorn."""
    from django.conf import settings
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    from aigc_contest.web.core.health import STATE_ENV, write_worker_state
    from aigc_contest.web.jobs.worker import describe_exit, start_embedded_worker, stop_embedded_worker
    from aigc_contest.web.wsgi import application

    options = {
        "bind": f"{host}:{port}",
        "workers": workers or max(2, 2 * (os.cpu_count() or 1)),
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "accesslog": "-" if os.environ.get("AIGC_ACCESS_LOG") else None,
        "timeout": 120,
        "graceful_timeout": 10,
        # Gunicorn's control socket is one path per user by default: a second server on this host would
        # share it, and stopping either would remove the other's. Each server gets its own.
        "control_socket": control_socket_path(host, port),
    }

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                if value is not None:
                    self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    sys.argv = [sys.argv[0]]  # gunicorn reads argv; ours are already parsed
    state_path = None
    if job_worker and settings.AIGC_JOBS["embedded_worker"]:
        state_path = settings.DATA_DIR / f"embedded-worker-{os.getpid()}.json"
        write_worker_state(state_path, {"state": "starting", "pid": None, "restarts": 0, "last_exit": None})
        os.environ[STATE_ENV] = str(state_path)  # the web workers, forked below, read it for /healthz
    else:
        os.environ.pop(STATE_ENV, None)

    web_pid = 0

    def forward(signum: int, _frame: Any) -> None:
        if web_pid > 0:
            with contextlib.suppress(ProcessLookupError):
                os.kill(web_pid, signum)

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED_SIGNALS}
    connections.close_all()  # no database connection is shared across the fork
    web_pid = os.fork()
    if web_pid == 0:  # the web server
        for sig in FORWARDED_SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        code = 1
        try:
            Server().run()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # noqa: BLE001 - reported; this process must not return into the CLI
            import traceback

            traceback.print_exc()
        finally:
            os._exit(code)
    embedded = None
    try:
        embedded = start_embedded_worker(state_path) if job_worker else None
        while True:
            try:
                _, status = os.waitpid(web_pid, 0)
                break
            except ChildProcessError:
                status = 0
                break
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        stop_embedded_worker(embedded)
        if state_path is not None:
            state_path.unlink(missing_ok=True)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(f"error: the web server stopped ({describe_exit(code)})", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def control_socket_path(host: str, port: int) -> str:
    """This server's gunicorn control socket (`gunicornc -s PATH`): in the data folder, named by address."""
    from django.conf import settings

    address = re.sub(r"[^A-Za-z0-9.-]", "_", host)
    path = Path(settings.DATA_DIR) / "run" / f"gunicorn-{address}-{port}.ctl"
    if len(os.fsencode(path)) > 100:  # a Unix socket's path has at most 107 bytes
        digest = hashlib.sha256(os.fsencode(path)).hexdigest()[:16]
        path = Path(tempfile.gettempdir()) / f"aigc-gunicorn-{digest}.ctl"
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(path)


def cmd_worker(args: argparse.Namespace) -> int:
    setup_django()
    from aigc_contest.web.jobs.worker import run_worker

    if args.concurrency < 1:
        raise CliError("--concurrency must be at least 1", 2)
    return int(run_worker(concurrency=args.concurrency, queues=args.queues, loglevel=args.loglevel) or 0)


def _status_rows() -> list[dict[str, Any]]:
    from django.conf import settings
    from django.db import connection

    rows: list[dict[str, Any]] = []

    def add(item: str, ok: bool, detail: str, hint: str = "", *, required: bool = False,
            warning: bool = False) -> None:
        status = "ok" if ok else "warning" if warning else "missing"
        rows.append({"item": item, "status": status, "detail": detail, "hint": hint, "required": required})

    db = settings.DATABASES["default"]
    try:
        connection.ensure_connection()
        add("database", True, f"{connection.vendor} {db.get('NAME')}", required=True)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        add("database", False, f"{connection.vendor}: {exc}", "set DATABASE_URL or check the server", required=True)
    broker = os.environ.get("AIGC_BROKER_URL")
    where = broker.split("@")[-1] if broker else "embedded (no server needed)"
    broker_error = _broker_error()
    if broker_error:
        add("job broker", False, f"{where}: {broker_error}", "check AIGC_BROKER_URL and the broker server",
            required=True)
    else:
        add("job broker", True, where, "" if broker else "scaled: AIGC_BROKER_URL=redis://… or amqp://…",
            required=True)
    site_url = os.environ.get("AIGC_SITE_URL")
    add("site address", bool(site_url), site_url or f"not set: e-mails and QR codes point to {settings.SITE_URL}",
        "" if site_url else "AIGC_SITE_URL=https://… (the address people open; demo and serve name their own port)",
        warning=True)
    storage = settings.STORAGES["default"]["BACKEND"]
    where = str(settings.MEDIA_ROOT) if "FileSystem" in storage else f"S3 bucket {os.environ.get('AIGC_S3_BUCKET')}"
    storage_error = _storage_error()
    if storage_error:
        add("file storage", False, f"{where}: {storage_error}",
            "check the media folder's permissions" if "FileSystem" in storage
            else "check AIGC_S3_ENDPOINT_URL, the bucket and its credentials", required=True)
    else:
        add("file storage", True, f"{where} (wrote and deleted a test file)", required=True)
    email = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]
    add("email", True, email, "" if email == "smtp" else "set AIGC_EMAIL_HOST for real emails")
    models_file = os.environ.get("AIGC_MODELS_FILE")
    add("AI models file", bool(models_file), models_file or "not set",
        "" if models_file else "aigc-contest models tiny DIR, then AIGC_MODELS_FILE=DIR/models.toml")
    try:
        import torch  # noqa: F401

        add("ML extra (torch, diffusers)", True, "installed")
    except ImportError:
        add("ML extra (torch, diffusers)", False, "not installed", "pip install -e '.[ml]' -c constraints.txt")
    fonts = shutil.which("fc-list")
    cjk = False
    if fonts:
        import subprocess

        cjk = "CJK" in subprocess.run([fonts, ":lang=zh"], capture_output=True, text=True, check=False).stdout
    add("CJK fonts (PDF export)", cjk, "Noto CJK found" if cjk else "not found", "" if cjk else "apt-get install fonts-noto-cjk")
    return rows


def _storage_error() -> str | None:
    """None when the default storage (the one every upload goes to) takes and deletes a tiny file, else why not."""
    import uuid

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    name = f".check/{uuid.uuid4().hex}.txt"
    try:
        saved = default_storage.save(name, ContentFile(b"aigc-contest check\n"))
        default_storage.delete(saved)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return str(exc) or type(exc).__name__
    if hasattr(default_storage, "path"):  # a local folder: leave no empty .check folder behind
        with contextlib.suppress(OSError, NotImplementedError):
            Path(default_storage.path(".check")).rmdir()
    return None


def _broker_error() -> str | None:
    """None when the configured broker (the one every process sends through) answers, else why not."""
    from aigc_contest.web.jobs.celery_app import app

    try:
        with app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=5)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return str(exc) or type(exc).__name__
    return None


def cmd_check(args: argparse.Namespace) -> int:
    setup_django()
    rows = _status_rows()
    failed = any(row["required"] and row["status"] == "missing" for row in rows)
    if args.json:
        print_json(rows)
        return EXIT_ERROR if failed else EXIT_OK
    for row in rows:
        mark = {"ok": "✓", "warning": "!"}.get(row["status"], "✗")
        line = f"{mark} {row['item']:<28} {row['detail']}"
        if row["hint"]:
            line += f"   → {row['hint']}"
        print(line)
    if failed:
        missing = ", ".join(row["item"] for row in rows if row["required"] and row["status"] == "missing")
        print(f"error: required and missing: {missing}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK
