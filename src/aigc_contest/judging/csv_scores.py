"""Scores CSV in (`entry,judge,criterion,score`, one row per criterion score) and results CSV out."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from aigc_contest.judging.rubric import Rubric
from aigc_contest.judging.scores import Defect, ScoreDefects, Sheets, sheets_from_rows

SCORE_COLUMNS = ("entry", "judge", "criterion", "score")


def parse_scores_csv(text: str, rubric: Rubric) -> Sheets:
    """Parse CSV text; ScoreDefects lists every bad row with its line number."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise ScoreDefects([Defect("the file is empty; expected header entry,judge,criterion,score", 1)]) from None
    names = [h.strip().lower() for h in header]
    missing = [c for c in SCORE_COLUMNS if c not in names]
    if missing:
        raise ScoreDefects([Defect(f"header is missing column(s) {', '.join(missing)}; expected "
                                   f"{','.join(SCORE_COLUMNS)} (got {','.join(header) or 'nothing'})", 1)])
    where = [names.index(c) for c in SCORE_COLUMNS]
    rows: list[tuple[str, str, str, str]] = []
    lines: list[int] = []
    defects: list[Defect] = []
    previous_end = reader.line_num
    for record in reader:
        line = previous_end + 1  # the line the record starts on (quoted fields may span lines)
        previous_end = reader.line_num
        if not any(field.strip() for field in record):
            continue  # blank line
        if len(record) < len(header):
            defects.append(Defect(f"expected {len(header)} fields, found {len(record)}", line))
            continue
        rows.append(tuple(record[i] for i in where))  # type: ignore[arg-type]
        lines.append(line)
    try:
        sheets = sheets_from_rows(rows, rubric, lines)
    except ScoreDefects as exc:
        defects.extend(d for d in exc.defects if not (d.message == "no scores" and defects))
    if defects:
        defects.sort(key=lambda d: (d.line is None, d.line or 0))
        raise ScoreDefects(defects)
    return sheets


def read_scores_csv(path: str | Path, rubric: Rubric) -> Sheets:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ScoreDefects([Defect(f"scores file not found: {path}")]) from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ScoreDefects([Defect("the file is not UTF-8 text", line)]) from None
    return parse_scores_csv(text, rubric)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def write_results_csv(path: str | Path, results: object) -> None:
    """Columns: entry,score,rank,n_judges,method,tiebreak, then crit_<id> (mean raw score per criterion)."""
    rows = results.rows  # type: ignore[attr-defined]
    criteria = list(rows[0].criteria) if rows else []
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["entry", "score", "rank", "n_judges", "method", "tiebreak", *[f"crit_{c}" for c in criteria]])
        for row in rows:
            writer.writerow([row.entry, _number(row.score), "" if row.rank is None else row.rank, row.n_judges,
                             row.method, row.tiebreak, *[_number(row.criteria[c]) for c in criteria]])
