"""Per-judge score distributions (for charts): before and after the method's judge normalisation.

Quartiles use linear interpolation between order statistics (numpy's default "linear" method); the
histogram has fixed, equal-width bins over the rubric's 0–100 scale so judges can be compared bar by
bar (values outside the range, possible after calibration, fall in the end bins).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from aigc_contest.judging.rubric import SCALE_MAX, SCALE_MIN


@dataclass
class Distribution:
    judge: str
    n: int
    mean: float | None
    sd: float | None  # population sd
    min: float | None
    q1: float | None
    median: float | None
    q3: float | None
    max: float | None
    bin_edges: list[float]
    counts: list[int]

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _quantile(ordered: np.ndarray, starts: np.ndarray, counts: np.ndarray, q: float) -> np.ndarray:
    position = (counts - 1) * q
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, counts - 1)
    fraction = position - low
    return ordered[starts + low] * (1 - fraction) + ordered[starts + high] * fraction


def by_judge(
    judge: np.ndarray, values: np.ndarray, judge_ids: list[str], bins: int = 10
) -> list[Distribution]:
    n_j = len(judge_ids)
    edges = np.linspace(SCALE_MIN, SCALE_MAX, bins + 1)
    counts = np.bincount(judge, minlength=n_j)
    order = np.lexsort((values, judge))
    ordered = values[order]
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    safe = np.maximum(counts, 1)
    mean = np.bincount(judge, weights=values, minlength=n_j) / safe
    sd = np.sqrt(np.maximum(np.bincount(judge, weights=values * values, minlength=n_j) / safe - mean**2, 0))
    has = counts > 0
    stats = {}
    for name, q in (("min", 0.0), ("q1", 0.25), ("median", 0.5), ("q3", 0.75), ("max", 1.0)):
        column = np.full(n_j, np.nan)
        column[has] = _quantile(ordered, starts[has], counts[has], q)
        stats[name] = column
    which_bin = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, bins - 1)
    histogram = np.bincount(judge * bins + which_bin, minlength=n_j * bins).reshape(n_j, bins)
    report = []
    for k in range(n_j):
        def value(a: np.ndarray, k: int = k) -> float | None:
            return float(a[k]) if has[k] else None

        report.append(Distribution(
            judge_ids[k], int(counts[k]), value(mean), value(sd), value(stats["min"]), value(stats["q1"]),
            value(stats["median"]), value(stats["q3"]), value(stats["max"]),
            [float(x) for x in edges], [int(c) for c in histogram[k]],
        ))
    return report
