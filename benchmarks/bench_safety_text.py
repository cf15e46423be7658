"""Catch rate and false-positive rate of the text safety layer, per category and per script.

    .venv/bin/python benchmarks/bench_safety_text.py                  # the held-out evaluation file
    .venv/bin/python benchmarks/bench_safety_text.py --held-out       # the training corpus's held-out split
    .venv/bin/python benchmarks/bench_safety_text.py --file F.tsv     # any file of the same format

Files have lines `category<TAB>script<TAB>text` (category "benign" or a harmful one). A harmful line is
caught when it is refused (any category); a benign line is a false positive when it is refused. Lines
flagged for review but allowed are counted separately. Only aggregate figures are printed: the
evaluation file is held out, and reading its misses would turn it into training data.
The file is then answered once more through `aigc-contest safety check --file … --json` in a fresh process
and that time is printed (the contract: 360 lines in under 10 s).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from aigc_contest.safety import check_text

ROOT = Path(__file__).resolve().parent.parent
EVAL_FILE = ROOT / "benchmarks" / "data" / "safety_eval.tsv"


def read_rows(path: Path) -> list[tuple[str, str, str]]:
    rows = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        category, script, text = (part.strip() for part in raw.split("\t", 2))
        rows.append((category, script, text))
    return rows


def held_out_rows() -> list[tuple[str, str, str]]:
    from aigc_contest.safety.train import corpus_files, read_corpus, split

    _, held_out = split(read_corpus(corpus_files()))
    return [(example.category, example.script, example.text) for example in held_out]


def _line(label: str, refused: int, review: int, total: int, harmful: bool) -> str:
    rate = refused / total if total else 0.0
    name = "caught" if harmful else "refused"
    return f"  {label:<16} {name} {refused:4d}/{total:<4d} = {rate:6.1%}   flagged for review {review:3d}"


def report(rows: list[tuple[str, str, str]], title: str) -> dict[str, float]:
    started = time.perf_counter()
    verdicts = [check_text(text) for _, _, text in rows]
    elapsed = time.perf_counter() - started
    groups: dict[tuple[bool, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    right_category = 0
    for (category, script, _), verdict in zip(rows, verdicts, strict=True):
        harmful = category != "benign"
        for key in ((harmful, "all", "all"), (harmful, "category", category), (harmful, "script", script)):
            counts = groups[key]
            counts[0] += not verdict.allowed
            counts[1] += verdict.allowed and verdict.needs_review
            counts[2] += 1
        if harmful and not verdict.allowed and verdict.category == category:
            right_category += 1
    print(f"\n{title}: {len(rows)} lines, check_text {elapsed * 1000 / max(len(rows), 1):.2f} ms per line")
    figures: dict[str, float] = {}
    for harmful, heading in ((True, "harmful (catch rate)"), (False, "benign (false-positive rate)")):
        print(f" {heading}")
        for kind in ("all", "category", "script"):
            for (is_harmful, group_kind, label), (refused, review, total) in sorted(groups.items()):
                if is_harmful == harmful and group_kind == kind:
                    print(_line(label if kind != "all" else "all", refused, review, total, harmful))
        refused, _, total = groups[(harmful, "all", "all")]
        figures["catch_rate" if harmful else "false_positive_rate"] = refused / total if total else 0.0
    caught = groups[(True, "all", "all")][0]
    if caught:
        print(
            f" refused with the expected category: {right_category}/{caught} = {right_category / caught:.1%}"
        )
    return figures


def time_cli(rows: list[tuple[str, str, str]], lines: int = 360) -> float:
    """Seconds `aigc-contest safety check --file … --json` takes for `lines` lines in a fresh process."""
    texts = [text for _, _, text in rows]
    texts = (texts * (lines // max(len(texts), 1) + 1))[:lines]
    with tempfile.TemporaryDirectory() as folder:
        prompts = Path(folder) / "prompts.txt"
        prompts.write_text("\n".join(texts) + "\n", encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "aigc_contest.cli.main",
            "safety",
            "check",
            "--file",
            str(prompts),
            "--json",
        ]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy(), check=False)
        elapsed = time.perf_counter() - started
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert done.returncode == 0, done.stderr
    assert len(answers) == lines and [answer["line"] for answer in answers] == list(range(1, lines + 1))
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=None, help=f"a TSV file (default: {EVAL_FILE.name})")
    parser.add_argument("--held-out", action="store_true", help="the training corpus's held-out split")
    parser.add_argument("--no-cli", action="store_true", help="skip timing the command line")
    args = parser.parse_args()
    if args.held_out:
        rows, title = held_out_rows(), "held-out split of the training corpus"
    else:
        path = args.file or EVAL_FILE
        rows, title = read_rows(path), path.name
    figures = report(rows, title)
    print(f" => {figures['catch_rate']:.1%} caught, {figures['false_positive_rate']:.1%} of benign refused")
    if not args.no_cli:
        seconds = time_cli(rows)
        print(f"aigc-contest safety check --file (360 lines, fresh process, --json): {seconds:.2f} s")


if __name__ == "__main__":
    main()
