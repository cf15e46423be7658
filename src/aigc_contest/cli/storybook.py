"""`aigc-contest storybook export BOOK.json --format pdf|epub|html --out FILE [--layout square|a4]`."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from aigc_contest.cli.common import EXIT_OK, EXIT_USAGE, CliError, print_json


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = subparsers.add_parser("storybook", help="storybooks: export to PDF, EPUB or HTML")
    commands = group.add_subparsers(dest="storybook_command", metavar="COMMAND")
    group.set_defaults(func=lambda args: _usage(group))

    export = commands.add_parser(
        "export",
        help="export a storybook to PDF, EPUB 3 or one self-contained HTML file",
        description="Export a storybook (BOOK.json, or the folder holding book.json and assets/).",
    )
    export.add_argument("book", metavar="BOOK.json", help="the storybook JSON file or its folder")
    export.add_argument("--format", required=True, choices=["pdf", "epub", "html"], dest="fmt")
    export.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    export.add_argument("--layout", choices=["square", "a4"], default="square",
                        help="PDF page format: square 210×210 mm picture book (default) or A4")
    export.add_argument("--json", action="store_true", help="print the result as JSON")
    export.set_defaults(func=cmd_export)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return EXIT_USAGE


def cmd_export(args: argparse.Namespace) -> int:
    from aigc_contest.works.storybook.export import export_book
    from aigc_contest.works.storybook.model import StorybookError, load_book

    out = Path(args.out)
    if out.is_dir():
        raise CliError(f"--out must be a file name, and {out} is a folder")
    if not out.parent.exists():
        raise CliError(f"the folder for --out does not exist: {out.parent}")
    started = time.perf_counter()
    try:
        book, base_dir = load_book(args.book)
        export_book(book, base_dir, args.fmt, out, args.layout)
    except StorybookError as exc:
        raise CliError(exc.message, details=exc.details) from exc
    seconds = time.perf_counter() - started
    if args.json:
        print_json({"out": str(out), "format": args.fmt, "pages": len(book.pages), "seconds": round(seconds, 3)})
    else:
        print(f"wrote {out} ({args.fmt}, {len(book.pages)} pages, {seconds:.1f} s)")
    return EXIT_OK
