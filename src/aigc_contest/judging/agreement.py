"""How much the judges agree, and which judges stand apart.

ICC — entries are scored by different subsets of judges, so the model that fits every design is the
one-way random-effects ICC (Shrout & Fleiss 1979, case 1), with the unbalanced-ANOVA group size
    k0 = (N − Σ n_i² / N) / (n − 1)      (n entries with ≥ 1 sheet, N sheets, n_i sheets of entry i)
    ICC(1)    = (MSB − MSW) / (MSB + (k0 − 1)·MSW)     reliability of one judge's score
    ICC(1,k)  = (MSB − MSW) / MSB                       reliability of the mean of the entry's judges
When every judge scored every entry (a complete crossed design), the two-way ICC(2,1) (absolute
agreement) and ICC(3,1) (consistency) are reported as well; otherwise they are None.

Krippendorff's α with the interval metric, any number of judges, missing values allowed:
    α = 1 − D_o / D_e,  D_o = (1/n) Σ_u Σ_{i≠j∈u} (x_i − x_j)² / (m_u − 1),
    D_e = Σ_{i≠j} (x_i − x_j)² / (n (n − 1)) over all pairable values (units with m_u ≥ 2, n values),
using Σ_{i≠j} (x_i − x_j)² = 2 m Σ x² − 2 (Σ x)² so it is O(N).

Outlier judges: each sheet is compared with the leave-one-out consensus (mean of the entry's other
judges). A judge is flagged when the correlation of their scores with that consensus is below
`min_correlation`, or when their mean offset from it is more than `max_offset_z` standard deviations
from the judges' average offset.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from aigc_contest.judging.scores import Sheets


@dataclass
class ICC:
    icc1: float | None  # ICC(1): one judge
    icc1k: float | None  # ICC(1,k): mean of the entry's judges
    k0: float | None  # effective judges per entry
    n_entries: int
    n_sheets: int
    icc2_1: float | None = None  # complete crossed designs only
    icc3_1: float | None = None

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def icc_oneway(entry: np.ndarray, values: np.ndarray) -> ICC:
    values = np.asarray(values, dtype=float)
    _, entry = np.unique(np.asarray(entry), return_inverse=True)
    counts = np.bincount(entry)
    n, total = len(counts), len(values)
    if n < 2 or total <= n:
        return ICC(None, None, None, n, total)
    means = np.bincount(entry, weights=values) / counts
    grand = values.mean()
    ssb = float(np.sum(counts * (means - grand) ** 2))
    ssw = float(np.sum((values - means[entry]) ** 2))
    msb, msw = ssb / (n - 1), ssw / (total - n)
    k0 = (total - float(np.sum(counts**2)) / total) / (n - 1)
    denominator = msb + (k0 - 1) * msw
    icc1 = (msb - msw) / denominator if denominator > 0 else None
    icc1k = (msb - msw) / msb if msb > 0 else None
    return ICC(icc1, icc1k, k0, n, total)


def icc_twoway_complete(matrix: np.ndarray) -> tuple[float | None, float | None]:
    """ICC(2,1) and ICC(3,1) for an entries × judges matrix with no gaps."""
    n, k = matrix.shape
    if n < 2 or k < 2:
        return None, None
    grand = matrix.mean()
    ss_rows = k * float(np.sum((matrix.mean(axis=1) - grand) ** 2))
    ss_cols = n * float(np.sum((matrix.mean(axis=0) - grand) ** 2))
    ss_error = float(np.sum((matrix - grand) ** 2)) - ss_rows - ss_cols
    bms, jms, ems = ss_rows / (n - 1), ss_cols / (k - 1), ss_error / ((n - 1) * (k - 1))
    d2 = bms + (k - 1) * ems + k * (jms - ems) / n
    d3 = bms + (k - 1) * ems
    return ((bms - ems) / d2 if d2 > 0 else None), ((bms - ems) / d3 if d3 > 0 else None)


def icc(sheets: Sheets, values: np.ndarray | None = None) -> ICC:
    values = sheets.total if values is None else values
    result = icc_oneway(sheets.entry, values)
    scored = np.unique(sheets.entry)
    raters = np.unique(sheets.judge)
    if len(values) == len(scored) * len(raters) and len(raters) >= 2:
        matrix = np.full((sheets.n_entries, sheets.n_judges), np.nan)
        matrix[sheets.entry, sheets.judge] = values
        matrix = matrix[np.ix_(scored, raters)]
        if not np.isnan(matrix).any():
            result.icc2_1, result.icc3_1 = icc_twoway_complete(matrix)
    return result


def krippendorff_alpha_interval(unit: np.ndarray, values: np.ndarray) -> float | None:
    """α (interval metric) from (unit, value) pairs; missing values are simply absent pairs."""
    values = np.asarray(values, dtype=float)
    _, unit = np.unique(np.asarray(unit), return_inverse=True)
    m = np.bincount(unit)
    pairable = m[unit] >= 2
    unit, values = unit[pairable], values[pairable]
    n = len(values)
    if n < 2:
        return None
    m = np.bincount(unit)
    s1 = np.bincount(unit, weights=values)
    s2 = np.bincount(unit, weights=values * values)
    has = m >= 2
    within = (2 * m[has] * s2[has] - 2 * s1[has] ** 2) / (m[has] - 1)
    observed = float(within.sum()) / n
    expected = (2 * n * float(np.sum(values * values)) - 2 * float(values.sum()) ** 2) / (n * (n - 1))
    if expected <= 0:
        return None  # every value identical: agreement is undefined
    return 1.0 - observed / expected


@dataclass
class JudgeAgreement:
    judge: str
    n: int
    correlation: float | None  # with the leave-one-out consensus
    mean_offset: float | None  # mean (own − consensus), 0–100 scale
    offset_z: float | None
    flags: list[str] = field(default_factory=list)


def judge_agreement(
    sheets: Sheets,
    values: np.ndarray | None = None,
    min_correlation: float = 0.2,
    max_offset_z: float = 2.5,
    min_sheets: int = 3,
) -> list[JudgeAgreement]:
    x = sheets.total if values is None else values
    e, j, n_e, n_j = sheets.entry, sheets.judge, sheets.n_entries, sheets.n_judges
    per_entry = np.bincount(e, minlength=n_e)
    sums = np.bincount(e, weights=x, minlength=n_e)
    has_other = per_entry[e] >= 2
    consensus = np.where(has_other, (sums[e] - x) / np.maximum(per_entry[e] - 1, 1), np.nan)
    jj, xx, cc = j[has_other], x[has_other], consensus[has_other]
    n = np.bincount(jj, minlength=n_j)
    safe = np.maximum(n, 1)
    mx, mc = np.bincount(jj, weights=xx, minlength=n_j) / safe, np.bincount(jj, weights=cc, minlength=n_j) / safe
    dx, dc = xx - mx[jj], cc - mc[jj]
    sxx = np.bincount(jj, weights=dx * dx, minlength=n_j)
    scc = np.bincount(jj, weights=dc * dc, minlength=n_j)
    sxc = np.bincount(jj, weights=dx * dc, minlength=n_j)
    offset = mx - mc
    usable = n >= min_sheets
    if usable.sum() >= 2:
        spread = float(np.std(offset[usable]))
        centre = float(np.mean(offset[usable]))
    else:
        spread, centre = 0.0, 0.0
    report = []
    for k in range(n_j):
        if not usable[k]:
            report.append(JudgeAgreement(sheets.judge_ids[k], int(n[k]), None, None, None, ["too few sheets"]))
            continue
        denominator = float(np.sqrt(sxx[k] * scc[k]))
        corr = float(sxc[k] / denominator) if denominator > 1e-12 else None
        z = float((offset[k] - centre) / spread) if spread > 1e-12 else 0.0
        flags = []
        if corr is not None and corr < min_correlation:
            flags.append(f"correlation with consensus {corr:.2f} < {min_correlation}")
        if abs(z) > max_offset_z:
            flags.append(f"mean offset {offset[k]:+.1f} is {z:+.1f} sd from other judges")
        report.append(JudgeAgreement(sheets.judge_ids[k], int(n[k]), corr, float(offset[k]), z, flags))
    return report
