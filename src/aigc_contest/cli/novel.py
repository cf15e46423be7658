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
    _register_create(commands)
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


# ---------------------------------------------------------------- novel create


def _register_create(commands: Any) -> None:
    create = commands.add_parser(
        "create",
        help="write a new novel with the text model: plan the graph, then each passage",
        description="Writes DIR/novel.json and a playable DIR/novel.html. Exit 3 when the safety layer refuses.",
    )
    create.add_argument("--theme", required=True, help="what the story is about")
    create.add_argument("--lang", required=True, choices=["en", "zh-Hant", "zh-Hans"], help="story language")
    create.add_argument("--nodes", type=int, default=8, metavar="N", help="about how many nodes (3-16, default 8)")
    create.add_argument("--out", required=True, metavar="DIR", help="folder to write into (created if missing)")
    create.add_argument("--model", help="text model name from the models file (default: the first text model)")
    create.add_argument("--seed", type=int, default=0, help="seed of the model's sampling")
    create.add_argument("--json", action="store_true", help="machine-readable output")
    create.set_defaults(func=run_create)


def _text_backend(name: str | None) -> tuple[Any, str]:
    """The text backend and its model name (tests replace this function to inject a scripted model)."""
    from aigc_contest.generation.registry import shared_registry

    registry = shared_registry()
    entry = registry.resolve(name, "text")
    return registry.text_backend(entry.name), entry.name


def run_create(args: argparse.Namespace) -> int:
    from pathlib import Path

    from aigc_contest.cli.common import EXIT_REFUSED, progress_bar
    from aigc_contest.generation.types import GenerationError
    from aigc_contest.safety import SafetyRefusal
    from aigc_contest.works.novel.generate import MAX_NODES, MIN_NODES, GenerationSettings, generate_novel
    from aigc_contest.works.novel.html_player import write_html

    if not MIN_NODES <= args.nodes <= MAX_NODES:
        raise CliError(f"--nodes must be between {MIN_NODES} and {MAX_NODES}", EXIT_USAGE)
    if not args.theme.strip():
        raise CliError("--theme must not be empty", EXIT_USAGE)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CliError(f"--out must be a folder, and {out} is a file", EXIT_USAGE)
    try:
        backend, model = _text_backend(args.model)
    except GenerationError as exc:
        raise CliError(str(exc), EXIT_ERROR, getattr(exc, "details", None)) from None
    settings = GenerationSettings(model=model, theme=args.theme.strip(), language=args.lang, nodes=args.nodes,
                                  seed=args.seed)  # fmt: skip
    try:
        with progress_bar("planning the story", None) as advance:
            def progress(done: int, total: int, what: str) -> None:
                advance(1, f"writing {what} ({done}/{total})")

            report = generate_novel(backend, settings, progress)
    except SafetyRefusal as exc:
        raise CliError(f"refused by the safety layer: {exc}", EXIT_REFUSED) from None
    except GenerationError as exc:
        raise CliError(f"the model could not write the story: {exc}") from None
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "novel.json").write_text(report.novel.to_json(), encoding="utf-8")
        (out / "novel.html").write_text(write_html(report.novel), encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write into {out}: {exc.strerror or exc}") from None
    if args.json:
        print_json({"out": str(out), "files": ["novel.json", "novel.html"], "model": model, **report.to_dict()})
    else:
        endings = sum(1 for n in report.novel.nodes if n.is_ending)
        print(f"wrote {out / 'novel.json'} and {out / 'novel.html'}: {len(report.novel.nodes)} nodes, {endings} endings")
        if report.mechanically_repaired:
            print(f"the plan was repaired by rule ({len(report.repairs)} change(s))")
    return EXIT_OK
