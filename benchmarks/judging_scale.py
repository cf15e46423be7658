"""Judging at scale: 100,000 entries × 5 judges per entry × 4 criteria.

Phases timed: assignment (exact balanced min-cost flow + full rule check; --solver greedy for the old
heuristic), normalisation (z-score and least-squares
calibration), ranking with tie-break chain + agreement + per-judge distributions. Building the synthetic
contest and simulating the judges' scores are set-up and not counted. Prints seconds per phase, the
total, the process's peak memory (max RSS) and whether the 10 s target is met. --tracemalloc also
reports Python's peak traced allocations during the timed phases (tracing slows them down ~2×).

    .venv/bin/python benchmarks/judging_scale.py [--entries N] [--judges J] [--k K] [--solver S] [--tracemalloc]

The assignment line prints the judges' load spread (min–max, mean, max − min) and the solve time.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np

from aigc_contest.judging import Entry, Judge, aggregate, assign, parse_rubric, sheets_from_arrays
from aigc_contest.judging.agreement import icc, judge_agreement, krippendorff_alpha_interval
from aigc_contest.judging.distributions import by_judge
from aigc_contest.judging.ranking import rank_entries

TARGET_SECONDS = 10.0


def build_contest(n_entries: int, n_judges: int, k: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    categories = [f"cat{i}" for i in range(5)]
    n_schools = 800
    entry_school = rng.integers(0, n_schools, n_entries)
    entry_category = rng.integers(0, len(categories), n_entries)
    judge_school = rng.integers(0, n_schools, n_judges)
    capacity = int(np.ceil(n_entries * k / n_judges * 1.3))
    judges = []
    for j in range(n_judges):
        own = rng.choice(len(categories), size=int(rng.integers(1, 3)), replace=False)
        declared = frozenset(f"e{x}" for x in rng.integers(0, n_entries, int(rng.integers(0, 3))))
        judges.append(Judge(f"j{j}", max_load=capacity, min_load=capacity // 4, school=f"s{judge_school[j]}",
                            conflicts=declared, categories=frozenset(categories[c] for c in own)))
    teacher = rng.integers(0, n_judges * 3, n_entries)  # a third of the teachers are also judges
    entries = [Entry(f"e{i}", categories[entry_category[i]], f"s{entry_school[i]}", frozenset({f"j{teacher[i]}"}))
               for i in range(n_entries)]
    return entries, judges


def simulate_scores(pairs: list[tuple[str, str]], n_entries: int, n_judges: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    entry = np.fromiter((int(e[1:]) for e, _ in pairs), dtype=np.int64, count=len(pairs))
    judge = np.fromiter((int(j[1:]) for _, j in pairs), dtype=np.int64, count=len(pairs))
    truth = rng.uniform(20, 80, n_entries)
    bias = rng.normal(0, 10, n_judges)
    perceived = truth[entry] + bias[judge]
    criteria = np.clip(np.round((perceived[:, None] + rng.normal(0, 6, (len(pairs), 4))) / 10), 0, 10)
    return entry, judge, criteria, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--judges", type=int, default=2_000)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--solver", choices=("auto", "flow", "greedy"), default="auto")
    parser.add_argument("--tracemalloc", action="store_true", help="trace Python allocations (slower)")
    args = parser.parse_args()
    rubric = parse_rubric({"criteria": [
        {"id": "creativity", "weight": 3, "min": 0, "max": 10},
        {"id": "theme", "weight": 2, "min": 0, "max": 10},
        {"id": "technique", "weight": 2, "min": 0, "max": 10},
        {"id": "story", "weight": 1, "min": 0, "max": 10},
    ]})

    started = time.perf_counter()
    entries, judges = build_contest(args.entries, args.judges, args.k)
    setup = time.perf_counter() - started
    print(f"contest: {args.entries:,} entries, {args.judges:,} judges, k={args.k}, 4 criteria "
          f"(built in {setup:.2f} s, not counted)")

    trace = tracemalloc.start if args.tracemalloc else (lambda: None)
    trace()
    timings: dict[str, float] = {}

    t, cpu = time.perf_counter(), time.process_time()
    plan = assign(entries, judges, args.k, solver=args.solver)
    solve_seconds, solve_cpu = time.perf_counter() - t, time.process_time() - cpu
    timings[f"assignment ({plan.solver} + rule check)"] = solve_seconds
    loads = np.array(list(plan.loads.values()))
    print(f"  assignment: {len(plan.pairs):,} pairs by {plan.solver} in {solve_seconds:.2f} s "
          f"({solve_cpu:.2f} s CPU); judge loads "
          f"min {loads.min()}, max {loads.max()}, mean {loads.mean():.1f} (spread {loads.max() - loads.min()})")

    entry, judge, criteria, truth = simulate_scores(plan.pairs, args.entries, args.judges)  # set-up

    t = time.perf_counter()
    sheets = sheets_from_arrays(rubric, [e.id for e in entries], [j.id for j in judges], entry, judge, criteria)
    z = aggregate(sheets, "zscore")
    calibrated = aggregate(sheets, "calibrated")
    timings["normalisation (zscore + calibrated)"] = time.perf_counter() - t

    t = time.perf_counter()
    ranking = rank_entries(calibrated, rubric.ids)
    raw = sheets.total
    agreement = icc(sheets, raw)
    alpha = krippendorff_alpha_interval(sheets.entry, raw)
    flagged = sum(bool(r.flags) for r in judge_agreement(sheets, raw))
    before = by_judge(sheets.judge, raw, sheets.judge_ids)
    after = by_judge(sheets.judge, calibrated.adjusted, sheets.judge_ids)
    timings["ranking + agreement + distributions"] = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
    tracemalloc.stop()

    from scipy.stats import spearmanr

    print(f"  ranking: {len(ranking.ties):,} score ties recorded; ICC(1) {agreement.icc1:.3f}, "
          f"α(interval) {alpha:.3f}, {flagged} judges flagged, {len(before) + len(after)} distributions")
    print(f"  Spearman vs truth: zscore {spearmanr(z.score, truth)[0]:.4f}, "
          f"calibrated {spearmanr(calibrated.score, truth)[0]:.4f}")
    total = sum(timings.values())
    for name, seconds in timings.items():
        print(f"{name:<40} {seconds:7.2f} s")
    print(f"{'total':<40} {total:7.2f} s")
    print(f"peak memory (max RSS of the whole run): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
          + (f"; peak traced Python allocations in timed phases: {peak / 2**20:.0f} MiB" if peak is not None else ""))
    verdict = "met" if total < TARGET_SECONDS else "NOT met"
    note = " (timings inflated by --tracemalloc; run without it for the figure)" if args.tracemalloc else ""
    print(f"target < {TARGET_SECONDS:.0f} s: {verdict}{note}")


if __name__ == "__main__":
    main()
