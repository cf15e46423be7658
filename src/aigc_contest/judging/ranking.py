"""Ranking with a recorded tie-break chain and competition ("1224") ranks.

Entries are ordered by score (higher first; scores equal to 6 decimals tie). Entries tied on score are
separated by the chain, step by step, each step named in the record:
  criterion:<id>  higher mean score on that criterion (rubric order unless configured otherwise)
  n_judges        more judges
  submitted_at    earlier submission (only when submission times are given; missing = last)
Entries still equal after the whole chain share a rank, and the next rank skips (1, 2, 2, 4).
Entries without any score are not ranked (rank None).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from aigc_contest.judging.aggregate import Aggregate

DECIMALS = 6
SHARED = "shared"


@dataclass(frozen=True)
class TieBreakChain:
    criteria: Sequence[str] | None = None  # None → every criterion in rubric order; [] → skip the step
    by_judges: bool = True
    by_submission: bool = True

    def describe(self, rubric_ids: Sequence[str]) -> list[str]:
        ids = list(rubric_ids) if self.criteria is None else list(self.criteria)
        steps = [f"criterion:{c}" for c in ids]
        if self.by_judges:
            steps.append("n_judges")
        if self.by_submission:
            steps.append("submitted_at")
        return steps


@dataclass(frozen=True)
class TieBreak:
    higher: str
    lower: str
    step: str  # the chain step that separated them, or "shared"


@dataclass
class Ranking:
    entry_ids: list[str]
    order: np.ndarray  # entry indices, best first (ranked entries only)
    rank: list[int | None]  # per entry index
    separated_by: list[str]  # per entry index: how it was split from the tied entry just above ("" if no tie)
    chain: list[str]
    ties: list[TieBreak] = field(default_factory=list)


def _timestamp(value: object) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return datetime.fromisoformat(value).timestamp()
    raise TypeError(f"submission time {value!r} is not a datetime, number or ISO string")


def rank_entries(
    aggregate: Aggregate,
    rubric_ids: Sequence[str],
    chain: TieBreakChain | None = None,
    submitted_at: Mapping[str, object] | None = None,
) -> Ranking:
    chain = chain or TieBreakChain()
    ids = aggregate.entry_ids
    n = len(ids)
    column = {c: i for i, c in enumerate(rubric_ids)}
    steps: list[tuple[str, np.ndarray]] = []  # each key: smaller sorts first
    criteria = list(rubric_ids) if chain.criteria is None else list(chain.criteria)
    for c in criteria:
        if c not in column:
            raise ValueError(f"tie-break criterion {c!r} is not in the rubric")
        steps.append((f"criterion:{c}", -np.round(np.nan_to_num(aggregate.criterion_means[:, column[c]],
                                                                  nan=-np.inf), DECIMALS)))
    if chain.by_judges:
        steps.append(("n_judges", -aggregate.n_judges.astype(float)))
    if chain.by_submission and submitted_at:
        times = np.array([_timestamp(submitted_at[i]) if submitted_at.get(i) is not None else np.inf
                          for i in ids])
        steps.append(("submitted_at", times))
    score = np.round(aggregate.score, DECIMALS)
    ranked = np.flatnonzero(np.isfinite(score))
    primary = -score[ranked]
    keys = [k[ranked] for _, k in reversed(steps)]
    order = ranked[np.lexsort((np.arange(len(ranked)), *keys, primary))]

    rank: list[int | None] = [None] * n
    separated_by = [""] * n
    ties: list[TieBreak] = []
    if len(order):
        sorted_score = score[order]
        tied_score = np.concatenate(([False], sorted_score[1:] == sorted_score[:-1]))
        step_name = np.full(len(order), "", dtype=object)
        undecided = tied_score.copy()
        for name, key in steps:
            k = key[order]
            differs = np.concatenate(([False], k[1:] != k[:-1])) & undecided
            step_name[differs] = name
            undecided &= ~differs
        step_name[undecided] = SHARED
        starts = np.where(undecided, 0, np.arange(len(order)))
        ranks = np.maximum.accumulate(starts) + 1
        for position, entry in enumerate(order):
            rank[entry] = int(ranks[position])
            separated_by[entry] = str(step_name[position])
        for position in np.flatnonzero(tied_score).tolist():
            ties.append(TieBreak(ids[order[position - 1]], ids[order[position]], str(step_name[position])))
    chain_steps = [name for name, _ in steps]
    return Ranking(list(ids), order, rank, separated_by, chain_steps, ties)
