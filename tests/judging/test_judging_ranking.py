"""Ranking: competition ranks and the recorded tie-break chain."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from aigc_contest.judging import TieBreakChain, evaluate, parse_rubric, rank_entries
from aigc_contest.judging.aggregate import Aggregate


def _aggregate(scores, criteria, n_judges):
    n = len(scores)
    return Aggregate("mean@1", [f"E{i}" for i in range(n)], np.array(scores, float), np.array(n_judges),
                     np.array(criteria, float), np.zeros(0), np.zeros(0))


def test_chain_steps_are_recorded_and_remaining_ties_share_a_rank():
    agg = _aggregate(
        scores=[80, 70, 70, 70, 70, 60, 60],
        criteria=[[9, 1], [8, 2], [8, 3], [7, 9], [8, 3], [5, 5], [5, 5]],
        n_judges=[3, 3, 3, 3, 4, 3, 3],
    )
    ranking = rank_entries(agg, ["creativity", "technique"])
    order = [agg.entry_ids[i] for i in ranking.order]
    # E2 vs E4 differ on technique? no: both (8, 3); E4 has more judges
    assert order == ["E0", "E4", "E2", "E1", "E3", "E5", "E6"]
    by_id = dict(zip(agg.entry_ids, ranking.rank, strict=True))
    assert [by_id[e] for e in order] == [1, 2, 3, 4, 5, 6, 6]  # "1224"-style sharing at the end
    steps = {(t.higher, t.lower): t.step for t in ranking.ties}
    assert steps == {("E4", "E2"): "n_judges", ("E2", "E1"): "criterion:technique",
                     ("E1", "E3"): "criterion:creativity", ("E5", "E6"): "shared"}
    separated = dict(zip(agg.entry_ids, ranking.separated_by, strict=True))
    assert separated["E0"] == "" and separated["E6"] == "shared"


def test_configured_criteria_order_and_submission_time():
    agg = _aggregate(scores=[50, 50, 50], criteria=[[9, 1], [1, 9], [1, 9]], n_judges=[3, 3, 3])
    ranking = rank_entries(agg, ["creativity", "technique"], TieBreakChain(criteria=["technique"]),
                           submitted_at={"E1": datetime(2026, 5, 2), "E2": "2026-05-01T10:00:00"})
    order = [agg.entry_ids[i] for i in ranking.order]
    assert order == ["E2", "E1", "E0"]
    assert [t.step for t in ranking.ties] == ["submitted_at", "criterion:technique"]
    assert ranking.chain == ["criterion:technique", "n_judges", "submitted_at"]


def test_shared_ranks_skip_like_1224():
    agg = _aggregate(scores=[90, 80, 80, 70], criteria=[[1], [1], [1], [1]], n_judges=[3, 3, 3, 3])
    ranking = rank_entries(agg, ["c"], TieBreakChain(criteria=[], by_judges=False))
    assert ranking.rank == [1, 2, 2, 4]


def test_unscored_entries_are_not_ranked():
    agg = _aggregate(scores=[np.nan, 10], criteria=[[np.nan], [1]], n_judges=[0, 3])
    assert rank_entries(agg, ["c"]).rank == [None, 1]


def test_unknown_tiebreak_criterion_is_refused():
    agg = _aggregate(scores=[1], criteria=[[1]], n_judges=[1])
    with pytest.raises(ValueError, match="not in the rubric"):
        rank_entries(agg, ["c"], TieBreakChain(criteria=["nope"]))


def test_evaluate_rows_are_best_first(simulation_factory):
    results = evaluate(simulation_factory(0).sheets, "zscore")
    ranks = [r.rank for r in results.rows]
    assert ranks == sorted(ranks) and ranks[0] == 1
    scores = [r.score for r in results.rows]
    assert scores == sorted(scores, reverse=True)
    assert len(results.distributions_before) == len(results.distributions_after) == 24
    assert results.agreement_summary()["icc"]["icc1"] is not None
    assert parse_rubric({"criteria": [{"id": "x", "weight": 1, "min": 0, "max": 1}]}).ids == ["x"]
