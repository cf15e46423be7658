"""`aigc-contest storybook export BOOK.json --format pdf|epub|html --out FILE [--layout square|a4]` and
`aigc-contest storybook create --theme T --lang L --pages N [--style S] [--model M] [--image-model M] --out DIR`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from aigc_contest.cli.common import EXIT_OK, EXIT_USAGE, CliError, print_json


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = subparsers.add_parser("storybook", help="storybooks: create with AI, export to PDF, EPUB or HTML")
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
    _register_create(commands)


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


# ---------------------------------------------------------------- storybook create

PLAN_FILE = "plan.json"


def _register_create(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    create = commands.add_parser(
        "create",
        help="write and illustrate a storybook with the configured models",
        description="Theme → outline → character sheet → page texts → illustrations, written to DIR/book.json "
        "with DIR/assets/. Running it again on the same DIR resumes: only missing steps and pictures are made.",
    )
    create.add_argument("--theme", required=True, help="what the story is about")
    create.add_argument("--lang", required=True, choices=["en", "zh-Hant", "zh-Hans"], help="story language")
    create.add_argument("--pages", required=True, type=int, metavar="N", help="number of pages (1-64)")
    create.add_argument("--style", default="", help="art style: a preset (watercolor, crayon, cartoon, paper-cut, "
                        "ink-wash, pixel, 3d) or your own words")  # fmt: skip
    create.add_argument("--brief", default="", help="a few words of your own idea for the story")
    create.add_argument("--age", default="9-11", choices=["6-8", "9-11", "12-14", "15-18"], help="readers' age band")
    create.add_argument("--model", help="text model name from the models file (default: the first text model)")
    create.add_argument("--image-model", help="image model name (default: the first image model)")
    create.add_argument("--no-images", action="store_true", help="write the texts only")
    create.add_argument("--seed", type=int, default=0, help="varies the text model's sampling (default 0)")
    create.add_argument("--out", required=True, metavar="DIR", help="folder to write into (created if missing)")
    create.add_argument("--json", action="store_true", help="print a summary as JSON")
    create.set_defaults(func=cmd_create)


def cmd_create(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from aigc_contest.cli.common import EXIT_REFUSED
    from aigc_contest.cli.generate import quiet_ml_logging
    from aigc_contest.generation.registry import RegistryError, load_registry
    from aigc_contest.generation.types import GenerationError
    from aigc_contest.safety import SafetyRefusal
    from aigc_contest.works.storybook.model import StorybookError, save_book
    from aigc_contest.works.storybook.pipeline import BookBrief, Generator, run_pipeline

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CliError(f"--out must be a folder, and {out} is a file")
    try:
        brief = BookBrief(theme=args.theme.strip(), brief=args.brief, language=args.lang, age_band=args.age,
                          pages=args.pages, style=args.style, text_model=args.model, image_model=args.image_model,
                          seed=args.seed)  # fmt: skip
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise CliError("these storybook settings cannot be used", EXIT_USAGE, problems) from None
    plan, book = _resume(out, brief)
    try:
        registry = load_registry()
        generator = Generator(registry)
        generator.model_name(args.model, "text")
        if not args.no_images:
            generator.model_name(args.image_model, "image")
    except RegistryError as exc:
        raise CliError(str(exc), details=exc.details) from None
    quiet_ml_logging()
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    try:
        from aigc_contest.cli.common import progress_bar

        with progress_bar("storybook", total=None) as advance:
            def on_progress(step: str, done: int, total: int) -> None:
                advance(0, f"{step} {done}/{total}")

            result = run_pipeline(plan, generator, book, images=not args.no_images, progress=on_progress)
    except SafetyRefusal as exc:
        raise CliError(str(exc), EXIT_REFUSED) from None
    except (RegistryError, GenerationError) as exc:
        raise CliError(str(exc)) from None
    except StorybookError as exc:
        raise CliError(exc.message, details=exc.details) from None
    except ImportError as exc:
        raise CliError(f"the ml extra is not installed ({exc.name}): pip install 'aigc-contest[ml]'") from None
    (out / PLAN_FILE).write_text(result.plan.model_dump_json(indent=2), encoding="utf-8")
    assert result.book is not None
    book_path = save_book(result.book, out)
    seconds = time.perf_counter() - started
    missing = [page.id for page in result.book.pages if page.image is None] if not args.no_images else []
    summary = {"out": str(book_path), "title": result.book.title, "pages": len(result.book.pages),
               "pictures": sum(1 for p in result.book.pages if p.image is not None), "missing_pictures": missing,
               "failures": result.failures, "seconds": round(seconds, 2)}  # fmt: skip
    if args.json:
        print_json(summary)
    else:
        print(f"wrote {book_path} ({summary['pages']} pages, {summary['pictures']} pictures, {seconds:.1f} s)")
        for page_id, reason in result.failures.items():
            print(f"page {page_id}: no picture ({reason}); run the same command again to retry", file=sys.stderr)
    return EXIT_OK if not result.failures else 1


def _resume(out: Path, brief: Any) -> tuple[Any, Any]:
    """An earlier run's plan and book in DIR (same theme and settings), or a fresh plan."""
    from aigc_contest.works.storybook.model import StorybookError, load_book
    from aigc_contest.works.storybook.pipeline import StoryPlan

    plan_path = out / PLAN_FILE
    if not plan_path.exists():
        if (out / "book.json").exists():
            raise CliError(f"{out} already holds a storybook made another way; choose an empty --out folder")
        return StoryPlan(brief=brief), None
    try:
        plan = StoryPlan.model_validate_json(plan_path.read_bytes())
    except ValueError as exc:
        raise CliError(f"{plan_path} cannot be read ({exc}); choose an empty --out folder") from None
    if plan.brief != brief:
        raise CliError(f"{out} holds a storybook with other settings; choose an empty --out folder, or repeat "
                       "the first command exactly to resume it")  # fmt: skip
    book = None
    if (out / "book.json").exists():
        try:
            book, _ = load_book(out)
        except StorybookError as exc:
            raise CliError(exc.message, details=exc.details) from None
    return plan, book
