"""`aigc-contest competition apply FILE` and `competition export SLUG`: a whole competition as a TOML file.

`apply` creates the competition named by the file's `slug`, or brings an existing one to what the file says
(details, timeline on the competition's clock, themes, categories, rubric), and prints each thing it
created, changed or removed; applying the same file again changes nothing. `export` writes the file back.
Both go through the same services as the organiser's set-up pages.

Exit codes: 0 ok · 1 error (unknown competition, unreadable file) · 4 the file has defects (each listed;
nothing is written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from aigc_contest.cli.common import EXIT_DEFECTS, EXIT_ERROR, EXIT_OK, EXIT_USAGE, CliError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("competition", help="set a competition up from a TOML file, or write one")
    commands = parser.add_subparsers(dest="competition_command", metavar="COMMAND")
    apply = commands.add_parser(
        "apply",
        help="create or update a whole competition from a TOML file (idempotent)",
        description="Create the competition the file names by its slug, or change it to match the file.",
    )
    apply.add_argument("file", metavar="FILE", help="the competition's TOML file (see `competition export`)")
    apply.add_argument("--dry-run", action="store_true", help="say what would change, and change nothing")
    apply.set_defaults(func=run_apply)
    export = commands.add_parser("export", help="write a competition as a TOML file")
    export.add_argument("slug", metavar="SLUG")
    export.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    export.set_defaults(func=run_export)
    parser.set_defaults(func=lambda args: parser.print_help() or EXIT_USAGE)


def run_apply(args: argparse.Namespace) -> int:
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {args.file}: {getattr(exc, 'strerror', None) or exc}") from exc
    from aigc_contest.cli.web import setup_django

    setup_django()
    from django.db import transaction

    from aigc_contest.web.contests import services

    class DryRun(Exception):
        pass

    try:
        with transaction.atomic():
            competition, report = services.apply_spec(None, services.load_toml(text))
            if args.dry_run:
                raise DryRun
    except services.SetupError as exc:
        raise CliError(f"{args.file}: nothing was changed", EXIT_DEFECTS, exc.lines()) from exc
    except DryRun:
        pass
    prefix = "would have " if args.dry_run else ""
    for line in report.lines:
        print(f"{prefix}{line}")
    if not report.changed:
        print(f"competition {competition.slug}: nothing to change")
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    from aigc_contest.cli.web import setup_django

    setup_django()
    from aigc_contest.web.contests import services
    from aigc_contest.web.contests.models import Competition

    competition = Competition.objects.filter(slug=args.slug).first()
    if competition is None:
        raise CliError(f"no competition {args.slug!r}", EXIT_ERROR)
    text = services.dump_toml(services.export_spec(competition))
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK
