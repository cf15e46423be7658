"""Aggregation methods: sheets → one score per entry. Each method is named and versioned (`mean@1`).

All methods start from sheet scores x_ej on the rubric's 0–100 scale (rubric.py) and are vectorised
with numpy, so 100,000 entries take well under a second (calibration: a sparse least-squares solve).

- mean@1        mean of x_ej over the entry's judges.
- median@1      median of x_ej (mean of the two middle values for an even count).
- trimmed@1     drop floor(0.2·n) lowest and highest sheets, mean the rest (n < 5 → plain mean).
- zscore@1      per judge j: z = (x − μ_j) / σ_j (population sd), rescaled onto the pooled scale
                M + S·z (M, S = mean and sd of all sheets), clipped to 0–100; entry = mean.
                A judge with one sheet or σ_j = 0 is only shifted: σ_j := S.
- calibrated@1  MacKay et al. (R. Soc. Open Sci. 2017) without confidences: x_ej = v_e + b_j + ε,
                least squares over (v, b) (sparse normal equations for b, conjugate gradients); gauge fix: within each
                connected group of judges and entries, the judges' mean bias is 0. Entry = v_e (not
                clipped, so it may stray slightly outside 0–100).
- calibrated-scale@1  x_ej = a_j·v_e + b_j + ε (judge scale too), by alternating least squares from the
                calibrated@1 solution; a_j clipped to [0.1, 10]; gauge: geometric mean of a = 1, mean b = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aigc_contest.judging.rubric import SCALE_MAX, SCALE_MIN
from aigc_contest.judging.scores import Sheets

METHODS: dict[str, int] = {
    "mean": 1,
    "median": 1,
    "trimmed": 1,
    "zscore": 1,
    "calibrated": 1,
    "calibrated-scale": 1,
}
TRIM_PROPORTION = 0.2


class UnknownMethod(ValueError):
    pass


@dataclass
class Aggregate:
    method: str  # versioned name, e.g. "zscore@1"
    entry_ids: list[str]
    score: np.ndarray  # (E,) NaN for an entry without sheets
    n_judges: np.ndarray  # (E,) int
    criterion_means: np.ndarray  # (E, C) mean raw criterion score (tie-breaks), NaN without sheets
    raw: np.ndarray  # (S,) sheet scores before normalisation
    adjusted: np.ndarray  # (S,) sheet scores after the method's judge normalisation (= raw if none)
    judge_bias: np.ndarray | None = None  # (J,) calibrated methods
    judge_scale: np.ndarray | None = None  # (J,) calibrated-scale


def resolve_method(name: str) -> tuple[str, int]:
    """'zscore' or 'zscore@1' → ('zscore', 1); UnknownMethod otherwise."""
    base, _, version = name.strip().partition("@")
    if base not in METHODS:
        raise UnknownMethod(f"unknown method {name!r}; choose from {', '.join(METHODS)}")
    current = METHODS[base]
    if version and version != str(current):
        raise UnknownMethod(f"method {base!r} has version {current} only (asked for {version!r})")
    return base, current


def _group_mean(index: np.ndarray, values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(index, minlength=size)
    sums = np.bincount(index, weights=values, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan), counts


def _sorted_groups(index: np.ndarray, values: np.ndarray, size: int) -> tuple[np.ndarray, ...]:
    """Sort values within groups; returns (sorted values, group of each, position in group, counts, starts)."""
    order = np.lexsort((values, index))
    groups = index[order]
    counts = np.bincount(index, minlength=size)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    position = np.arange(len(order)) - starts[groups]
    return values[order], groups, position, counts, starts


def _median(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    ordered, _, _, counts, starts = _sorted_groups(index, values, size)
    result = np.full(size, np.nan)
    has = counts > 0
    low = starts[has] + (counts[has] - 1) // 2
    high = starts[has] + counts[has] // 2
    result[has] = (ordered[low] + ordered[high]) / 2
    return result


def _trimmed(index: np.ndarray, values: np.ndarray, size: int, proportion: float) -> np.ndarray:
    ordered, groups, position, counts, _ = _sorted_groups(index, values, size)
    cut = np.floor(proportion * counts).astype(np.int64)
    n = counts[groups]
    keep = (position >= cut[groups]) & (position < n - cut[groups])
    return _group_mean(groups[keep], ordered[keep], size)[0]


def _zscore(judge: np.ndarray, x: np.ndarray, n_judges: int) -> np.ndarray:
    pooled_mean, pooled_sd = float(x.mean()), float(x.std())
    mu, counts = _group_mean(judge, x, n_judges)
    second, _ = _group_mean(judge, x * x, n_judges)
    sd = np.sqrt(np.maximum(second - mu * mu, 0.0))
    shift_only = (counts < 2) | (sd < 1e-9)
    sd = np.where(shift_only, pooled_sd, sd)
    if pooled_sd < 1e-12:
        return np.full_like(x, pooled_mean)
    z = (x - mu[judge]) / sd[judge]
    return np.clip(pooled_mean + pooled_sd * z, SCALE_MIN, SCALE_MAX)


def _components(entry: np.ndarray, judge: np.ndarray, n_entries: int, n_judges: int) -> np.ndarray:
    """Connected component of each judge in the bipartite entry–judge graph (gauge is per component)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    size = n_entries + n_judges
    graph = coo_matrix((np.ones(len(entry)), (entry, n_entries + judge)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    return labels


def calibrate_bias(sheets: Sheets, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares fit of x_ej = v_e + b_j; returns (v, b) with mean b = 0 per connected component.

    The entry values are eliminated (v_e = mean over the entry's judges of x_ej − b_j), which leaves the
    judges' normal equations L b = r with L = diag(n_j) − Bᵀ D⁻¹ B (B: entry × judge incidence, D: judges
    per entry) and r_j = Σ_e (x_ej − x̄_e). L is a weighted graph Laplacian — symmetric, singular only
    along the gauge — so conjugate gradients from b = 0 converge to the solution with no gauge component;
    the per-component shift then fixes the gauge exactly. Small (judges × judges) even for 100,000 entries.
    """
    from scipy.sparse import csr_matrix, diags
    from scipy.sparse.linalg import cg

    e, j, n_e, n_j = sheets.entry, sheets.judge, sheets.n_entries, sheets.n_judges
    per_entry = np.bincount(e, minlength=n_e).astype(float)
    per_judge = np.bincount(j, minlength=n_j).astype(float)
    entry_mean, _ = _group_mean(e, x, n_e)
    incidence = csr_matrix((np.ones(len(x)), (e, j)), shape=(n_e, n_j))
    inverse = diags(1.0 / np.maximum(per_entry, 1.0))
    laplacian = (diags(per_judge) - incidence.T @ inverse @ incidence).tocsr()
    rhs = np.bincount(j, weights=x - entry_mean[e], minlength=n_j)
    preconditioner = diags(1.0 / np.maximum(per_judge, 1.0))
    b, _ = cg(laplacian, rhs, rtol=1e-12, atol=1e-10, maxiter=10 * n_j + 100, M=preconditioner)
    labels = _components(e, j, n_e, n_j)
    n_labels = int(labels.max()) + 1
    offset = np.nan_to_num(_group_mean(labels[n_e:], b, n_labels)[0])
    b = b - offset[labels[n_e:]]
    v, _ = _group_mean(e, x - b[j], n_e)
    return v, b


def calibrate_bias_scale(
    sheets: Sheets, x: np.ndarray, iterations: int = 200, tolerance: float = 1e-8
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Alternating least squares for x_ej = a_j v_e + b_j; returns (v, a, b)."""
    e, j, n_e, n_j = sheets.entry, sheets.judge, sheets.n_entries, sheets.n_judges
    v, b = calibrate_bias(sheets, x)
    v = np.nan_to_num(v)
    a = np.ones(n_j)
    n_per_judge = np.bincount(j, minlength=n_j)
    for _ in range(iterations):
        # entry values given the judges
        num = np.bincount(e, weights=a[j] * (x - b[j]), minlength=n_e)
        den = np.bincount(e, weights=a[j] ** 2, minlength=n_e)
        new_v = np.where(den > 0, num / np.maximum(den, 1e-12), 0.0)
        # each judge's line through its entries' values
        mean_v, _ = _group_mean(j, new_v[e], n_j)
        mean_x, _ = _group_mean(j, x, n_j)
        dv = new_v[e] - mean_v[j]
        var_v = np.bincount(j, weights=dv * dv, minlength=n_j)
        cov = np.bincount(j, weights=dv * (x - mean_x[j]), minlength=n_j)
        fit = (n_per_judge >= 3) & (var_v > 1e-9 * np.maximum(n_per_judge, 1))
        a = np.clip(np.where(fit, cov / np.where(fit, var_v, 1.0), 1.0), 0.1, 10.0)
        b = mean_x - a * mean_v
        # gauge: geometric mean of a is 1, mean of b is 0 (v absorbs the change)
        alpha = float(np.exp(np.mean(np.log(a))))
        a = a / alpha
        new_v = alpha * new_v
        beta = float(np.mean(b) / np.mean(a))
        b = b - a * beta
        new_v = new_v + beta
        change = float(np.max(np.abs(new_v - v))) if n_e else 0.0
        v = new_v
        if change < tolerance:
            break
    counts = np.bincount(e, minlength=n_e)
    v = np.where(counts > 0, v, np.nan)
    return v, a, b


def aggregate(sheets: Sheets, method: str = "mean", trim: float = TRIM_PROPORTION) -> Aggregate:
    base, version = resolve_method(method)
    n_e, n_j = sheets.n_entries, sheets.n_judges
    x = sheets.total
    criterion_means = np.stack(
        [_group_mean(sheets.entry, sheets.criteria[:, c], n_e)[0] for c in range(sheets.criteria.shape[1])],
        axis=1,
    ) if len(x) else np.full((n_e, sheets.criteria.shape[1]), np.nan)
    n_judges = np.bincount(sheets.entry, minlength=n_e)
    result = Aggregate(f"{base}@{version}", list(sheets.entry_ids), np.full(n_e, np.nan), n_judges,
                       criterion_means, x, x)
    if not len(x):
        return result
    if base == "mean":
        result.score = _group_mean(sheets.entry, x, n_e)[0]
    elif base == "median":
        result.score = _median(sheets.entry, x, n_e)
    elif base == "trimmed":
        result.score = _trimmed(sheets.entry, x, n_e, trim)
    elif base == "zscore":
        result.adjusted = _zscore(sheets.judge, x, n_j)
        result.score = _group_mean(sheets.entry, result.adjusted, n_e)[0]
    elif base == "calibrated":
        v, b = calibrate_bias(sheets, x)
        result.score, result.judge_bias = v, b
        result.adjusted = x - b[sheets.judge]
    else:  # calibrated-scale
        v, a, b = calibrate_bias_scale(sheets, x)
        result.score, result.judge_bias, result.judge_scale = v, b, a
        result.adjusted = (x - b[sheets.judge]) / a[sheets.judge]
    return result
