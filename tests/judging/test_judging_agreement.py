"""ICC, Krippendorff's α, outlier judges and per-judge distributions against hand-computed examples."""

from __future__ import annotations

import numpy as np
import pytest

from aigc_contest.judging import icc, judge_agreement, krippendorff_alpha_interval, sheets_from_arrays
from aigc_contest.judging.agreement import icc_oneway, icc_twoway_complete
from aigc_contest.judging.distributions import by_judge

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 observers, 12 units, gaps.
# Published α: nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797.
NAN = np.nan
KRIPPENDORFF = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
])

# Shrout & Fleiss (1979), Table 2: 6 targets × 4 judges.
# Published: ICC(1,1) .17, ICC(2,1) .29, ICC(3,1) .71, ICC(1,4) .44.
SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], float)


def test_krippendorff_alpha_interval_textbook_example_with_missing_data():
    observer, unit = np.nonzero(~np.isnan(KRIPPENDORFF))
    alpha = krippendorff_alpha_interval(unit, KRIPPENDORFF[observer, unit])
    assert alpha == pytest.approx(0.849, abs=5e-4)


def test_krippendorff_alpha_perfect_and_undefined():
    assert krippendorff_alpha_interval([0, 0, 1, 1], [1.0, 1.0, 5.0, 5.0]) == pytest.approx(1.0)
    assert krippendorff_alpha_interval([0, 0, 1, 1], [3.0, 3.0, 3.0, 3.0]) is None
    assert krippendorff_alpha_interval([0, 1, 2], [1.0, 2.0, 3.0]) is None  # no unit has two values


def test_icc_matches_shrout_fleiss():
    entry = np.repeat(np.arange(6), 4)
    one_way = icc_oneway(entry, SHROUT_FLEISS.ravel())
    assert one_way.icc1 == pytest.approx(0.17, abs=0.005)
    assert one_way.icc1k == pytest.approx(0.44, abs=0.005)
    icc21, icc31 = icc_twoway_complete(SHROUT_FLEISS)
    assert icc21 == pytest.approx(0.29, abs=0.005)
    assert icc31 == pytest.approx(0.71, abs=0.005)


def test_icc_unbalanced_uses_k0(rubric):
    # entry 0: 3 sheets, entry 1: 2, entry 2: 1 → k0 = (6 − 14/6) / 2
    result = icc_oneway(np.array([0, 0, 0, 1, 1, 2]), np.array([10.0, 12, 11, 50, 52, 90]))
    assert result.k0 == pytest.approx((6 - 14 / 6) / 2)
    assert 0.9 < result.icc1 <= 1.0


def test_icc_on_sheets_reports_two_way_only_when_complete(rubric):
    n, k = SHROUT_FLEISS.shape
    entry, judge = np.repeat(np.arange(n), k), np.tile(np.arange(k), n)
    criteria = np.repeat(SHROUT_FLEISS.ravel()[:, None], 3, axis=1)  # 0–20 criteria, same level each
    sheets = sheets_from_arrays(rubric, list("ABCDEF"), ["J1", "J2", "J3", "J4"], entry, judge, criteria)
    full = icc(sheets)
    assert full.icc2_1 == pytest.approx(0.29, abs=0.005)
    keep = np.arange(len(entry)) != 0
    partial = icc(sheets_from_arrays(rubric, list("ABCDEF"), ["J1", "J2", "J3", "J4"], entry[keep], judge[keep],
                                     criteria[keep]))
    assert partial.icc2_1 is None and partial.icc1 is not None


def test_outlier_judge_is_flagged(simulation_factory):
    sim = simulation_factory(3)
    sheets = sim.sheets
    values = sheets.total.copy()
    rng = np.random.default_rng(0)
    random_judge = sheets.judge == 0  # J00 (a "fair" judge) now scores at random
    values[random_judge] = rng.uniform(0, 100, random_judge.sum())
    report = {r.judge: r for r in judge_agreement(sheets, values)}
    assert any("correlation" in f for f in report["J00"].flags)
    lenient = [r for r, kind in zip(report.values(), sim.judge_kind, strict=True) if kind == "lenient"]
    assert all(r.mean_offset > 10 for r in lenient)
    fair = [r for r, kind in zip(report.values(), sim.judge_kind, strict=True) if kind == "fair" and r.judge != "J00"]
    assert not any(r.flags for r in fair)


def test_offset_flag_for_an_extreme_judge(simulation_factory):
    sim = simulation_factory(1)
    values = sim.sheets.total.copy()
    values[sim.sheets.judge == 4] -= 60  # one judge far harsher than anyone else
    report = {r.judge: r for r in judge_agreement(sim.sheets, values)}
    assert any("mean offset" in f for f in report["J04"].flags)


def test_distribution_summary_by_hand():
    judge = np.array([0, 0, 0, 0, 1])
    values = np.array([10.0, 20.0, 30.0, 95.0, 50.0])
    first, second = by_judge(judge, values, ["J1", "J2"], bins=10)
    assert (first.n, first.mean, first.min, first.max) == (4, pytest.approx(38.75), 10.0, 95.0)
    assert first.median == pytest.approx(25.0)
    assert first.q1 == pytest.approx(17.5) and first.q3 == pytest.approx(46.25)
    assert first.counts == [0, 1, 1, 1, 0, 0, 0, 0, 0, 1]
    assert second.sd == 0.0 and second.counts[5] == 1
    assert first.bin_edges[0] == 0.0 and first.bin_edges[-1] == 100.0
