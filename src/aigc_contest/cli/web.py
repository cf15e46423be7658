"""`demo`, `serve`, `worker` and `check`: running the platform."""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from aigc_contest.cli.common import EXIT_OK, CliError, print_json


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


def migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def cmd_demo(args: argparse.Namespace) -> int:
    from aigc_contest.config import choose_demo_models

    models_note = choose_demo_models()  # before Django starts, so every process sees the same models file
    setup_django()
    from django.test.utils import override_settings

    from aigc_contest.web.core.demo import DEMO_PASSWORD, load_demo

    migrate()
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        logins = load_demo()  # the sample submissions' receipts would only clutter the console
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
    setup_django()
    if not args.no_migrate:
        migrate()
    return serve(args.host, args.port, workers=args.workers, threads=args.threads, job_worker=not args.no_worker)


def serve(host: str, port: int, *, workers: int | None, threads: int, job_worker: bool = True) -> int:
    """Gunicorn in this process (WhiteNoise serves static files), and the embedded job worker beside it."""
    from gunicorn.app.base import BaseApplication

    from aigc_contest.web.jobs.worker import start_embedded_worker, stop_embedded_worker
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
    embedded = start_embedded_worker() if job_worker else None
    try:
        Server().run()
    finally:
        stop_embedded_worker(embedded)
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


def _status_rows() -> list[dict[str, str]]:
    from django.conf import settings
    from django.db import connection

    rows: list[dict[str, str]] = []

    def add(item: str, ok: bool, detail: str, hint: str = "") -> None:
        rows.append({"item": item, "status": "ok" if ok else "missing", "detail": detail, "hint": hint})

    db = settings.DATABASES["default"]
    try:
        connection.ensure_connection()
        add("database", True, f"{connection.vendor} {db.get('NAME')}")
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        add("database", False, f"{connection.vendor}: {exc}", "set DATABASE_URL or check the server")
    broker = os.environ.get("AIGC_BROKER_URL")
    add("job broker", True, broker.split("@")[-1] if broker else "embedded (no server needed)",
        "" if broker else "scaled: AIGC_BROKER_URL=redis://… or amqp://…")
    storage = settings.STORAGES["default"]["BACKEND"]
    add("file storage", True, f"{storage} ({settings.MEDIA_ROOT if 'FileSystem' in storage else 'S3'})")
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


def cmd_check(args: argparse.Namespace) -> int:
    setup_django()
    rows = _status_rows()
    if args.json:
        print_json(rows)
        return EXIT_OK
    for row in rows:
        mark = "✓" if row["status"] == "ok" else "✗"
        line = f"{mark} {row['item']:<28} {row['detail']}"
        if row["hint"]:
            line += f"   → {row['hint']}"
        print(line)
    return EXIT_OK
