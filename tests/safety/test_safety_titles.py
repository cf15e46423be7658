"""Short benign titles of children's works pass: a title has few words of evidence, and the classifier once
refused one in eight of them ("Rain on the Window", "Jump for Joy"). The file is an evaluation file that the
training never reads (benchmarks/data/safety_titles.tsv)."""

from __future__ import annotations

from pathlib import Path

from aigc_contest.safety import check_text

TITLES = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "safety_titles.tsv"


def test_benign_titles_are_allowed() -> None:
    rows = [line.split("\t") for line in TITLES.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]  # fmt: skip
    assert len(rows) >= 140 and all(row[0] == "benign" for row in rows)
    refused = [text for _category, _script, text in rows if not check_text(text).allowed]
    assert len(refused) <= 0.05 * len(rows), refused
    assert check_text("Rain on the Window").allowed  # the title a child gives in the browser test
