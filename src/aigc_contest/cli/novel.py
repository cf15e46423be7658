"""``aigc-contest novel``: validate an interactive novel and convert it between formats."""

from __future__ import annotations

import argparse
from typing import Any

from aigc_contest.cli.common import EXIT_DEFECTS, EXIT_ERROR, EXIT_OK, EXIT_USAGE, CliError, print_json


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("novel", help="interactive novels: validate, convert")
    commands = parser.add_subparsers(dest="novel_command", metavar="COMMAND")

    validate = commands.add_parser(
        "validate", help="check a novel's graph and play it at random; exit 4 when defects are found"
    )
    validate.add_argument("file", help="novel file: .json, .twee, .twine.html")
    validate.add_argument(
        "--playthroughs", type=int, default=1000, metavar="N", help="random playthroughs (default 1000)"
    )
    validate.add_argument("--seed", type=int, default=0, help="seed of the random playthroughs")
    validate.add_argument("--max-steps", type=int, default=1000, help="step cap of one playthrough")
    validate.add_argument("--max-text", type=int, default=4000, help="longest node text in characters")
    validate.add_argument("--json", action="store_true", help="machine-readable output")
    validate.set_defaults(func=run_validate)

    convert = commands.add_parser(
        "convert",
        help="convert by extension: .json .twee .ink .html (playable) .twine.html (Twine 2 archive)",
    )
    convert.add_argument("input", metavar="IN")
    convert.add_argument("output", metavar="OUT")
    convert.add_argument(
        "--story-format", choices=["harlowe", "sugarcube"], help="Twine story format (default harlowe)"
    )
    convert.add_argument("--json", action="store_true", help="machine-readable output")
    convert.set_defaults(func=run_convert)
    parser.set_defaults(func=lambda args: parser.print_help() or EXIT_USAGE)


def _load(path: str) -> tuple[Any, list[str]]:
    from aigc_contest.works.novel.convert import read_novel
    from aigc_contest.works.novel.model import NovelFormatError
    from aigc_contest.works.novel.twee import TweeSyntaxError

    try:
        return read_novel(path)
    except FileNotFoundError:
        raise CliError(f"file not found: {path}") from None
    except UnicodeDecodeError:
        raise CliError(f"{path} is not UTF-8 text") from None
    except NovelFormatError as exc:
        raise CliError(f"{path}: {exc}", EXIT_ERROR, exc.details) from None
    except TweeSyntaxError as exc:
        raise CliError(f"{path}: {exc}") from None
    except ValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None


def run_validate(args: argparse.Namespace) -> int:
    from aigc_contest.works.novel.engine import compile_novel, playthroughs
    from aigc_contest.works.novel.validate import Limits, validate

    if args.playthroughs < 0 or args.max_steps < 1:
        raise CliError("--playthroughs must be 0 or more and --max-steps at least 1", EXIT_USAGE)
    novel, notes = _load(args.file)
    compiled = compile_novel(novel)
    defects = validate(compiled, Limits(max_text_chars=args.max_text))
    report = playthroughs(compiled, runs=args.playthroughs, seed=args.seed, max_steps=args.max_steps)
    if args.json:
        print_json(
            {
                "file": args.file,
                "ok": not defects,
                "defects": [d.to_dict() for d in defects],
                "import_notes": notes,
                "playthroughs": report.to_dict(),
            }
        )
    else:
        print(f"{novel.title or args.file}: {len(novel.nodes)} nodes, {len(compiled.all_choices)} choices")
        for note in notes:
            print(f"note: {note}")
        if report.runs:
            print(
                f"{report.runs} playthroughs (seed {report.seed}): nodes visited {report.nodes_visited}/"
                f"{len(report.node_visits)}, choices taken {report.choices_taken}/{len(report.choice_taken)}"
            )
            for ending, count in sorted(report.endings.items(), key=lambda item: -item[1]):
                print(f"  ending {ending!r}: {count} ({100 * count / report.runs:.1f}%)")
            for node, count in report.stuck.items():
                print(f"  stuck at {node!r} (no choice available): {count}")
            if report.capped:
                print(f"  {report.capped} runs hit the {report.max_steps}-step cap")
        if defects:
            print(f"{len(defects)} defect(s):")
            for defect in defects:
                print(f"  - {defect}")
        else:
            print("no defects")
    return EXIT_DEFECTS if defects else EXIT_OK


def run_convert(args: argparse.Namespace) -> int:
    from pathlib import Path

    from aigc_contest.works.novel.convert import kind_of, write_novel

    try:
        kind_of(args.output)
    except ValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    novel, notes = _load(args.input)
    try:
        notes += write_novel(
            novel, args.output, args.story_format, asset_folder=Path(args.input).resolve().parent
        )
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    if args.json:
        print_json({"input": args.input, "output": args.output, "notes": notes})
    else:
        for note in notes:
            print(f"note: {note}")
        print(f"wrote {args.output}")
    return EXIT_OK
