"""`aigc-contest safety check TEXT | --image FILE`: exit 0 when allowed, 3 when refused.

`aigc-contest safety check --file PROMPTS.txt [--json]` checks one text per line (lists and models are
loaded once) and prints one verdict per line; it exits 0 whenever it ran, whatever the verdicts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from aigc_contest.cli.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, CliError, print_json

if TYPE_CHECKING:
    from aigc_contest.safety import SafetyPolicy


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = subparsers.add_parser("safety", help="safety layer: check a text or an image")
    commands = group.add_subparsers(dest="safety_command", metavar="COMMAND")
    group.set_defaults(func=lambda args: _usage(group))

    check = commands.add_parser(
        "check",
        help="check a text or an image (exit 0 allowed, 3 refused)",
        description="Check a text (keyword lists in English and Chinese, personal data, co-occurrence rules, "
        "the offline text classifier) or an image (offline NSFW classifier). Exit status 0 when allowed, "
        "3 when refused; the reason is printed. With --file, one text per line of the file ('-' for "
        "standard input), one verdict per line, exit status 0 whenever it ran.",
    )
    check.add_argument("text", nargs="?", metavar="TEXT", help="the text to check; '-' reads standard input")
    check.add_argument("--image", metavar="FILE", help="check an image file instead of a text")
    check.add_argument(
        "--file",
        metavar="PROMPTS",
        help="check every line of a UTF-8 text file ('-' reads standard input); exit 0 whatever the verdicts",
    )
    check.add_argument("--json", action="store_true", help="print the verdict as JSON")
    check.add_argument(
        "--lang",
        default="en",
        choices=["en", "zh-Hant", "zh-Hans"],
        help="language of the printed reason (default: en)",
    )
    check.add_argument(
        "--nsfw-threshold",
        type=float,
        metavar="P",
        help="refuse images scoring at least P (0-1; default 0.6)",
    )
    check.add_argument(
        "--require-image-classifier",
        action="store_true",
        help="refuse images when the NSFW classifier is not installed",
    )
    check.set_defaults(func=cmd_check)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def cmd_check(args: argparse.Namespace) -> int:
    from aigc_contest.safety import SafetyPolicy, check_image, check_text

    if sum(value is not None for value in (args.text, args.image, args.file)) != 1:
        raise CliError("give either a TEXT, --image FILE or --file PROMPTS (exactly one)", code=EXIT_USAGE)
    settings: dict[str, object] = {"require_image_classifier": args.require_image_classifier}
    if args.nsfw_threshold is not None:
        if not 0.0 <= args.nsfw_threshold <= 1.0:
            raise CliError("--nsfw-threshold must be between 0 and 1", code=EXIT_USAGE)
        settings["nsfw_threshold"] = args.nsfw_threshold
    policy = SafetyPolicy.model_validate(settings)

    if args.file is not None:
        return _check_file(args.file, policy, args.json, args.lang)
    if args.image is not None:
        path = Path(args.image)
        if not path.is_file():
            raise CliError(f"no such image file: {path}")
        verdict = check_image(path, policy)
    else:
        text = sys.stdin.read() if args.text == "-" else args.text
        verdict = check_text(text, policy)

    for warning in verdict.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print_json({**verdict.model_dump(), "message": verdict.message(args.lang)})
    elif verdict.allowed:
        score = (
            f" (NSFW score {verdict.score:.3f})"
            if verdict.layer == "image_nsfw" and verdict.score is not None
            else ""
        )
        review = " - a teacher may want to review it" if verdict.needs_review else ""
        print(f"allowed{score}{review}")
    else:
        print(f"refused ({verdict.category}): {verdict.message(args.lang)}")
    return EXIT_OK if verdict.allowed else EXIT_REFUSED


def _read_lines(name: str) -> list[str]:
    if name == "-":
        data = sys.stdin.buffer.read()
    else:
        path = Path(name)
        if not path.is_file():
            raise CliError(f"no such file: {path}")
        data = path.read_bytes()
    # Bad bytes become U+FFFD rather than stopping the run; a BOM is not part of the first prompt.
    return data.decode("utf-8", errors="replace").removeprefix("\ufeff").splitlines()


def _check_file(name: str, policy: SafetyPolicy, as_json: bool, language: str) -> int:
    """One verdict per input line, in order, flushed line by line so a long file can be followed."""
    import json

    from aigc_contest.safety import check_text

    out = sys.stdout
    for number, text in enumerate(_read_lines(name), start=1):
        verdict = check_text(text, policy)
        if as_json:
            record = {
                "line": number,
                "allowed": verdict.allowed,
                "category": verdict.category,
                "reason": verdict.message(language),
                "needs_review": verdict.needs_review,
                "layer": verdict.layer,
                "score": verdict.score,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        elif verdict.allowed:
            review = " - a teacher may want to review it" if verdict.needs_review else ""
            out.write(f"{number}: allowed{review}\n")
        else:
            out.write(f"{number}: refused ({verdict.category}): {verdict.message(language)}\n")
    out.flush()
    return EXIT_OK
