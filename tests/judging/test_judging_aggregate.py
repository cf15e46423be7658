"""Rubric formula, score validation and the aggregation methods (including bias-recovery simulations)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from aigc_contest.judging import ScoreDefects, aggregate, parse_rubric, resolve_method, sheets_from_rows
from aigc_contest.judging.aggregate import UnknownMethod


def test_sheet_score_is_weighted_mean_of_range_normalised_criteria(rubric):
    sheets = sheets_from_rows([("E1", "J1", "creativity", 20), ("E1", "J1", "theme", 10),
                               ("E1", "J1", "technique", 0)], rubric)
    # 100 · (2·1 + 1·0.5 + 1·0) / 4
    assert sheets.total[0] == pytest.approx(62.5)


def test_criteria_with_different_ranges_count_only_by_weight():
    rubric = parse_rubric({"criteria": [{"id": "a", "weight": 1, "min": 1, "max": 5},
                                        {"id": "b", "weight": 3, "min": 0, "max": 100}]})
    sheets = sheets_from_rows([("E", "J", "a", 5), ("E", "J", "b", 0)], rubric)
    assert sheets.total[0] == pytest.approx(25.0)


def test_all_row_defects_are_collected(rubric):
    rows = [("E1", "J1", "creativity", "x"), ("E1", "J1", "creativity", 25), ("E1", "J1", "style", 3),
            ("E2", "J1", "creativity", 3), ("E2", "J1", "creativity", 4)]
    with pytest.raises(ScoreDefects) as caught:
        sheets_from_rows(rows, rubric, lines=[2, 3, 4, 5, 6])
    text = [str(d) for d in caught.value.defects]
    assert text[0].startswith("line 2: score 'x' is not a number")
    assert text[1].startswith("line 3: score 25 for 'creativity' is outside 0–20")
    assert text[2].startswith("line 4: unknown criterion 'style'")
    assert "scored 'creativity' of entry 'E2' twice (also on line 5)" in text[4]
    assert any("did not score theme, technique for entry 'E2'" in t for t in text)


def _sheets(rubric, table):
    """table: {entry: {judge: total on 0–100}} with every criterion at the same level."""
    rows = []
    for entry, marks in table.items():
        for judge, value in marks.items():
            rows += [(entry, judge, c, value / 5) for c in rubric.ids]
    return sheets_from_rows(rows, rubric)


def test_mean_median_trimmed_on_a_hand_example(rubric):
    sheets = _sheets(rubric, {"A": {"J1": 10, "J2": 20, "J3": 30, "J4": 40, "J5": 100},
                              "B": {"J1": 50, "J2": 60}})
    mean = aggregate(sheets, "mean").score
    median = aggregate(sheets, "median").score
    trimmed = aggregate(sheets, "trimmed").score
    assert mean == pytest.approx([40, 55])
    assert median == pytest.approx([30, 55])
    assert trimmed == pytest.approx([30, 55])  # five sheets: drop 10 and 100, mean of 20, 30, 40


def test_zscore_removes_a_constant_judge_offset(rubric):
    # J2 scores everything 20 points higher than J1; both see the same entries.
    sheets = _sheets(rubric, {"A": {"J1": 20, "J2": 40}, "B": {"J1": 40, "J2": 60}, "C": {"J1": 60}})
    result = aggregate(sheets, "zscore")
    adjusted = dict(zip(zip(sheets.entry.tolist(), sheets.judge.tolist(), strict=True), result.adjusted, strict=True))
    assert adjusted[(0, 0)] < adjusted[(1, 0)] < adjusted[(2, 0)]
    assert result.score[0] < result.score[1]
    assert np.all((result.adjusted >= 0) & (result.adjusted <= 100))


def test_calibration_recovers_exact_biases(rubric):
    truth = {"A": 30, "B": 50, "C": 70, "D": 60}
    bias = {"J1": -10, "J2": 0, "J3": 10}
    seen = {"A": ["J1", "J2"], "B": ["J2", "J3"], "C": ["J1", "J3"], "D": ["J1", "J2", "J3"]}
    sheets = _sheets(rubric, {e: {j: truth[e] + bias[j] for j in js} for e, js in seen.items()})
    result = aggregate(sheets, "calibrated@1")
    assert result.method == "calibrated@1"
    assert result.score == pytest.approx([truth[e] for e in sheets.entry_ids], abs=1e-6)
    assert result.judge_bias == pytest.approx([bias[j] for j in sheets.judge_ids], abs=1e-6)
    # the raw mean is fooled: A is seen by the harsh judge, B by the lenient one
    assert aggregate(sheets, "mean").score[0] != pytest.approx(30)


def test_calibration_gauge_is_per_connected_group(rubric):
    sheets = _sheets(rubric, {"A": {"J1": 40, "J2": 60}, "B": {"J3": 10, "J4": 30}})
    result = aggregate(sheets, "calibrated")
    assert result.score == pytest.approx([50, 20], abs=1e-6)
    assert result.judge_bias == pytest.approx([-10, 10, -10, 10], abs=1e-6)


@pytest.mark.parametrize("method", ["zscore", "calibrated", "calibrated-scale"])
def test_bias_correction_recovers_the_true_ranking_better_than_the_mean(simulation_factory, method):
    gains = []
    for seed in range(5):
        sim = simulation_factory(seed)
        raw = spearmanr(aggregate(sim.sheets, "mean").score, sim.truth)[0]
        corrected = spearmanr(aggregate(sim.sheets, method).score, sim.truth)[0]
        assert corrected > raw, (seed, corrected, raw)
        gains.append(corrected - raw)
    assert np.mean(gains) > 0.03
    assert corrected > 0.97


def test_method_names_are_versioned():
    assert resolve_method("zscore") == ("zscore", 1)
    assert resolve_method("mean@1") == ("mean", 1)
    with pytest.raises(UnknownMethod):
        resolve_method("mean@2")
    with pytest.raises(UnknownMethod):
        resolve_method("mode")
