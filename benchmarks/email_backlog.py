"""A deadline's receipt e-mails: how fast one worker drains them.

    .venv/bin/python benchmarks/email_backlog.py [--messages 5000] [--pg postgresql://postgres@127.0.0.1:5432/postgres]

Queues the messages the way submissions do (`enqueue_email`, one job each, owned by a handful of people so
their concurrency limits apply), then runs the worker's loop (`run_available("default")`) in this process
until the queue is empty, with Django's in-memory mail backend (the SMTP conversation is not measured).
Prints messages per second, the batch sizes used and whether every message was sent exactly once.
SQLite in a temporary folder by default; with --pg a fresh PostgreSQL database is created and dropped.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--people", type=int, default=5, help="owners of the receipts (each has a concurrency limit)")
    parser.add_argument("--pg", default="", help="PostgreSQL server URL (default: SQLite)")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="aigc-email-bench-")
    os.environ["AIGC_DATA_DIR"] = folder
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aigc_contest.web.settings")
    database = ""
    if args.pg:
        import psycopg

        database = f"aigc_email_bench_{os.getpid()}"
        with psycopg.connect(args.pg, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
        os.environ["DATABASE_URL"] = args.pg.rsplit("/", 1)[0] + "/" + database
    try:
        return _run(args)
    finally:
        if database:
            import psycopg
            from django.db import connections

            connections.close_all()
            with psycopg.connect(args.pg, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}"')


def _run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core import mail
    from django.core.management import call_command
    from django.db import connection, transaction

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.AIGC_JOBS["wake_workers"] = False  # no broker: this process is the worker
    call_command("migrate", verbosity=0)
    from aigc_contest.web.jobs import runner
    from aigc_contest.web.jobs.models import Job, JobStatus
    from aigc_contest.web.notifications.jobs import enqueue_email

    people = [get_user_model().objects.create(username=f"person{n}") for n in range(args.people)]
    started = time.perf_counter()
    with transaction.atomic():
        for n in range(args.messages):
            enqueue_email(people[n % len(people)], recipients=[f"reader{n}@example.org"], subject="Receipt",
                          body="Your work has arrived. " * 20)  # fmt: skip
    queued = time.perf_counter() - started

    sizes: Counter[int] = Counter()
    real_run_batch = runner.run_batch

    def counting_run_batch(jobs: list[Job]) -> None:
        sizes[len(jobs)] += 1
        real_run_batch(jobs)

    runner.run_batch = counting_run_batch  # type: ignore[assignment]
    started = time.perf_counter()
    while runner.run_available("default", worker="bench"):
        pass
    drained = time.perf_counter() - started
    sent = [message.to[0] for message in mail.outbox]
    succeeded = Job.objects.filter(kind="email", status=JobStatus.SUCCEEDED).count()
    ok = len(sent) == len(set(sent)) == succeeded == args.messages
    print(f"database            {connection.vendor}")
    print(f"messages            {args.messages} from {args.people} people")
    print(f"queued in           {queued:.1f} s")
    print(f"drained in          {drained:.1f} s  ({args.messages / drained:.0f} messages/s, one worker)")
    print(f"batches             {sum(sizes.values())} (sizes: {dict(sorted(sizes.items(), reverse=True))})")
    print(f"sent exactly once   {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
