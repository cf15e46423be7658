"""Assignments as CSV: header `entry,judge,pinned` (pinned = 1 for a manual pin, 0 for a solver pick).

Import reads the same format back (a spreadsheet round trip for manual edits); rows with problems are
reported with their line numbers, and the pairs can then be checked with `check_assignment`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from aigc_contest.judging.assignment import Assignment
from aigc_contest.judging.scores import Defect, ScoreDefects

COLUMNS = ("entry", "judge", "pinned")


def write_assignment_csv(path: str | Path, assignment: Assignment) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for entry, judge in assignment.pairs:
            writer.writerow([entry, judge, int((entry, judge) in assignment.pinned)])


def parse_assignment_csv(text: str) -> Assignment:
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    if "entry" not in header or "judge" not in header:
        raise ScoreDefects([Defect("header must include entry,judge (and optionally pinned)", 1)])
    e_col, j_col = header.index("entry"), header.index("judge")
    p_col = header.index("pinned") if "pinned" in header else None
    pairs: list[tuple[str, str]] = []
    pinned: set[tuple[str, str]] = set()
    seen: dict[tuple[str, str], int] = {}
    defects: list[Defect] = []
    previous_end = reader.line_num
    for record in reader:
        line, previous_end = previous_end + 1, reader.line_num
        if not any(f.strip() for f in record):
            continue
        if len(record) < len(header):
            defects.append(Defect(f"expected {len(header)} fields, found {len(record)}", line))
            continue
        pair = (record[e_col].strip(), record[j_col].strip())
        if not all(pair):
            defects.append(Defect("entry and judge must not be empty", line))
            continue
        flag = record[p_col].strip().lower() if p_col is not None else "0"
        if flag not in ("0", "1", "", "true", "false", "yes", "no"):
            defects.append(Defect(f"pinned must be 0 or 1 (got {flag!r})", line))
            continue
        if pair in seen:
            defects.append(Defect(f"pair {pair[0]},{pair[1]} repeats line {seen[pair]}", line))
            continue
        seen[pair] = line
        pairs.append(pair)
        if flag in ("1", "true", "yes"):
            pinned.add(pair)
    if defects:
        raise ScoreDefects(defects)
    return Assignment(pairs=pairs, pinned=pinned, solver="imported")


def read_assignment_csv(path: str | Path) -> Assignment:
    return parse_assignment_csv(Path(path).read_text(encoding="utf-8-sig"))
