"""Score rows → validated score sheets (one per entry × judge), columnar with numpy for scale.

A *score row* is one judge's score on one criterion of one entry. A *sheet* gathers one judge's rows
for one entry; its sheet score is the rubric's weighted combination (see rubric.py). Every sheet must
score every criterion exactly once, within the criterion's range: anything else is a defect, and all
defects are collected (with the source line where known) before anything is computed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from aigc_contest.judging.rubric import Rubric


@dataclass(frozen=True)
class Defect:
    message: str
    line: int | None = None  # 1-based line in the source file, when there is one

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


class ScoreDefects(ValueError):
    """The scores cannot be aggregated; `defects` lists every problem found."""

    def __init__(self, defects: list[Defect]) -> None:
        super().__init__(f"{len(defects)} defect(s) in the scores")
        self.defects = defects


@dataclass
class Sheets:
    """Validated sheets. Arrays are aligned: sheet i is judge `judge[i]` scoring entry `entry[i]`."""

    rubric: Rubric
    entry_ids: list[str]
    judge_ids: list[str]
    entry: np.ndarray  # (S,) int index into entry_ids
    judge: np.ndarray  # (S,) int index into judge_ids
    criteria: np.ndarray  # (S, C) raw criterion scores, rubric order

    @property
    def total(self) -> np.ndarray:
        """(S,) sheet scores on the rubric's 0–100 scale."""
        return self.rubric.combine(self.criteria)

    @property
    def n_entries(self) -> int:
        return len(self.entry_ids)

    @property
    def n_judges(self) -> int:
        return len(self.judge_ids)


def _index(ids: list[str]) -> tuple[list[str], dict[str, int]]:
    order = sorted(set(ids))
    return order, {v: i for i, v in enumerate(order)}


def sheets_from_arrays(
    rubric: Rubric,
    entry_ids: list[str],
    judge_ids: list[str],
    entry: np.ndarray,
    judge: np.ndarray,
    criteria: np.ndarray,
) -> Sheets:
    """Trusted columnar input (e.g. from a database query); checks shapes, ranges and duplicates."""
    entry = np.asarray(entry, dtype=np.int64)
    judge = np.asarray(judge, dtype=np.int64)
    criteria = np.asarray(criteria, dtype=float)
    if criteria.ndim != 2 or criteria.shape != (len(entry), len(rubric.criteria)) or len(judge) != len(entry):
        raise ValueError("entry, judge and criteria arrays do not line up with each other and the rubric")
    _, lows, highs = rubric.arrays()
    bad = ~np.isfinite(criteria) | (criteria < lows) | (criteria > highs)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ScoreDefects(
            [Defect(f"{int(bad.sum())} criterion score(s) missing or out of range, first: sheet {row} "
                    f"criterion {rubric.criteria[col].id!r} = {criteria[row, col]}")]
        )
    key = entry * max(len(judge_ids), 1) + judge
    if len(np.unique(key)) != len(key):
        raise ScoreDefects([Defect("the same judge has more than one sheet for an entry")])
    return Sheets(rubric, list(entry_ids), list(judge_ids), entry, judge, criteria)


def sheets_from_rows(
    rows: Iterable[tuple[str, str, str, object]],
    rubric: Rubric,
    lines: Iterable[int] | None = None,
) -> Sheets:
    """Rows (entry, judge, criterion, score) → Sheets, or ScoreDefects listing every problem.

    `lines` gives each row's line number in its file, for the defect messages.
    """
    criterion_index = rubric.index()
    _, lows, highs = rubric.arrays()
    defects: list[Defect] = []
    cells: dict[tuple[str, str], dict[int, float]] = {}
    first_line: dict[tuple[str, str], int | None] = {}
    seen_line: dict[tuple[str, str, int], int | None] = {}
    line_iter = iter(lines) if lines is not None else None
    for n, (entry_id, judge_id, criterion_id, raw) in enumerate(rows, start=1):
        line = next(line_iter) if line_iter is not None else None
        where = line if line is not None else None
        label = "" if line is not None else f"row {n}: "
        entry_id, judge_id, criterion_id = (str(x).strip() for x in (entry_id, judge_id, criterion_id))
        if not entry_id or not judge_id:
            defects.append(Defect(f"{label}entry and judge must not be empty", where))
            continue
        if criterion_id not in criterion_index:
            defects.append(Defect(f"{label}unknown criterion {criterion_id!r} (rubric has: "
                                  f"{', '.join(rubric.ids)})", where))
            continue
        c = criterion_index[criterion_id]
        try:
            value = float(str(raw).strip()) if not isinstance(raw, int | float) else float(raw)
        except ValueError:
            defects.append(Defect(f"{label}score {str(raw)!r} is not a number", where))
            continue
        if not math.isfinite(value):
            defects.append(Defect(f"{label}score {str(raw)!r} is not a finite number", where))
            continue
        if not lows[c] <= value <= highs[c]:
            defects.append(Defect(f"{label}score {value:g} for {criterion_id!r} is outside "
                                  f"{lows[c]:g}–{highs[c]:g}", where))
            continue
        sheet_key = (entry_id, judge_id)
        cell_key = (entry_id, judge_id, c)
        if cell_key in seen_line:
            before = seen_line[cell_key]
            also = f" (also on line {before})" if before is not None else ""
            defects.append(Defect(f"{label}judge {judge_id!r} scored {criterion_id!r} of entry {entry_id!r} "
                                  f"twice{also}", where))
            continue
        seen_line[cell_key] = where
        cells.setdefault(sheet_key, {})[c] = value
        first_line.setdefault(sheet_key, where)

    for (entry_id, judge_id), scored in cells.items():
        if len(scored) != len(rubric.criteria):
            missing = [rubric.criteria[c].id for c in range(len(rubric.criteria)) if c not in scored]
            defects.append(Defect(f"judge {judge_id!r} did not score {', '.join(missing)} for entry "
                                  f"{entry_id!r}", first_line[(entry_id, judge_id)]))
    if not cells and not defects:
        defects.append(Defect("no scores"))
    if defects:
        defects.sort(key=lambda d: (d.line is None, d.line or 0))
        raise ScoreDefects(defects)

    entry_ids, entry_pos = _index([e for e, _ in cells])
    judge_ids, judge_pos = _index([j for _, j in cells])
    keys = sorted(cells, key=lambda k: (entry_pos[k[0]], judge_pos[k[1]]))
    entry = np.array([entry_pos[e] for e, _ in keys], dtype=np.int64)
    judge = np.array([judge_pos[j] for _, j in keys], dtype=np.int64)
    criteria = np.array([[cells[k][c] for c in range(len(rubric.criteria))] for k in keys], dtype=float)
    return Sheets(rubric, entry_ids, judge_ids, entry, judge, criteria.reshape(len(keys), -1))
