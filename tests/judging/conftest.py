"""Shared builders for the judging tests: a rubric and a simulated contest with biased judges."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from aigc_contest.judging import Rubric, Sheets, parse_rubric, sheets_from_arrays


@pytest.fixture
def rubric() -> Rubric:
    return parse_rubric({"criteria": [
        {"id": "creativity", "weight": 2, "min": 0, "max": 20},
        {"id": "theme", "weight": 1, "min": 0, "max": 20},
        {"id": "technique", "weight": 1, "min": 0, "max": 20},
    ]})


@dataclass
class Simulation:
    sheets: Sheets
    truth: np.ndarray  # true quality per entry (index order of sheets.entry_ids)
    judge_kind: list[str]


def simulate(rubric: Rubric, seed: int, n_entries: int = 150, n_judges: int = 24, k: int = 4,
             noise: float = 4.0) -> Simulation:
    """Entries of known quality; judges are fair, harsh (−18), lenient (+18) or compressed (×0.3 around
    50); each entry is seen by k random judges, so each judge sees a different subset."""
    rng = np.random.default_rng(seed)
    truth = rng.uniform(15, 85, n_entries)
    kinds = ["fair", "harsh", "lenient", "compressed"] * (n_judges // 4)
    bias = np.array([{"harsh": -18.0, "lenient": 18.0}.get(kind, 0.0) for kind in kinds])
    scale = np.array([0.3 if kind == "compressed" else 1.0 for kind in kinds])
    entry = np.repeat(np.arange(n_entries), k)
    judge = np.concatenate([rng.choice(n_judges, size=k, replace=False) for _ in range(n_entries)])
    perceived = 50 + scale[judge] * (truth[entry] - 50) + bias[judge]
    n_criteria = len(rubric.criteria)
    raw = perceived[:, None] + rng.normal(0, noise, (len(entry), n_criteria))
    criteria = np.clip(np.round(raw / 5), 0, 20)  # 0–100 → whole points on a 0–20 criterion
    sheets = sheets_from_arrays(rubric, [f"E{i:03d}" for i in range(n_entries)],
                                [f"J{j:02d}" for j in range(n_judges)], entry, judge, criteria)
    return Simulation(sheets, truth, kinds)


@pytest.fixture
def simulation_factory(rubric: Rubric):
    return lambda seed, **kwargs: simulate(rubric, seed, **kwargs)
