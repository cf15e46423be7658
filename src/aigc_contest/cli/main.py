"""Entry point: builds the parser from one module per command group and maps errors to exit codes."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from aigc_contest import __version__
from aigc_contest.cli.common import EXIT_ERROR, EXIT_USAGE, CliError

# Each module defines register(subparsers); its sub-commands set `func(args) -> int`.
COMMAND_MODULES = [
    "web",  # demo, serve, worker, check
    "models",
    "generate",
    "safety",
    "storybook",
    "novel",
    "judging",
    "certificates",
    "competition",
    "finetune",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aigc-contest", description="Run AI-generated-content competitions end to end."
    )
    parser.add_argument("--version", action="version", version=f"aigc-contest {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"aigc_contest.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"aigc_contest.cli.{name}":
                continue  # a command group that is not part of this build
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        if args.debug:
            raise
        print(f"error: {exc.message}", file=sys.stderr)
        for line in exc.details:
            print(f"  - {line}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI promises no traceback without --debug
        if args.debug:
            raise
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
