"""Assign k judges to every entry, within each judge's load bounds, never across a conflict of interest.

A judge may judge an entry when the judge may judge its category and none of these holds:
  same school · the judge is one of the entrant's teachers (judge ids and teacher ids are user ids) ·
  the judge declared a conflict with the entry or with the entry's school · the pair is forbidden.
Pinned pairs (manual override) are kept and count towards both k and the judge's load.

Solvers
- "flow" (and "auto"): exact min-cost flow (OR-Tools). Loads are balanced by convex costs: the n-th
  entry of any judge costs n, so the sum of squared loads is minimal and loads differ by at most one
  wherever the bounds, categories and conflicts allow (a judge's max_load is a cap, not a share).
  A smaller convex cost per (judge, category) spreads a multi-category judge's entries across
  categories. Minimum loads are node demands on the judges. Beyond FULL_MAX_PAIRS eligible pairs the
  flow runs on sampled candidates and its optimality is then proved over every eligible pair (see
  `_flow_solve`), so the answer is the same exact optimum at 100k entries × 5 judges in seconds.
- "greedy": entries with the least slack go first; each takes the k least-loaded eligible judges
  (judges below their minimum first, then lowest load/max_load) from a heap per category. If it cannot
  finish, an exact feasibility flow (scipy maximum_flow with lower bounds) takes over where the
  instance is small enough to list every eligible pair.
Whatever the solver, the result is checked by `check_assignment` before it is returned.
Infeasible instances raise InfeasibleAssignment naming the entries that cannot get k judges (and why).
"""

from __future__ import annotations

import heapq
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

MAXFLOW_MAX_PAIRS = 3_000_000


@dataclass(frozen=True)
class Entry:
    id: str
    category: str
    school: str | None = None
    teacher_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Judge:
    id: str
    max_load: int
    min_load: int = 0
    school: str | None = None
    conflicts: frozenset[str] = frozenset()  # declared: entry ids
    conflict_schools: frozenset[str] = frozenset()  # declared: whole schools
    categories: frozenset[str] | None = None  # None: every category


@dataclass
class Assignment:
    pairs: list[tuple[str, str]]  # (entry id, judge id)
    pinned: set[tuple[str, str]]
    solver: str
    loads: dict[str, int] = field(default_factory=dict)

    def judges_of(self) -> dict[str, list[str]]:
        result: dict[str, list[str]] = defaultdict(list)
        for entry, judge in self.pairs:
            result[entry].append(judge)
        return dict(result)


class AssignmentInputError(ValueError):
    """The problem itself is malformed (duplicate ids, bad bounds, pins that break a rule…)."""


class InfeasibleAssignment(ValueError):
    """No assignment satisfies every rule. `short` maps entry id → how many judges it could get at most
    (for the entries found short); `reasons` lists what is wrong, in words."""

    def __init__(self, reasons: list[str], short: dict[str, int] | None = None) -> None:
        super().__init__("no assignment is possible: " + "; ".join(reasons))
        self.reasons = reasons
        self.short = short or {}


def conflict_reason(entry: Entry, judge: Judge) -> str | None:
    """Why `judge` must not judge `entry`, or None when they may be paired (category aside)."""
    if entry.school is not None and entry.school == judge.school:
        return "same school"
    if judge.id in entry.teacher_ids:
        return "judge is the entrant's teacher"
    if entry.id in judge.conflicts:
        return "declared conflict"
    if entry.school is not None and entry.school in judge.conflict_schools:
        return "declared conflict with the entrant's school"
    return None


class _Problem:
    """Integer-indexed view of the problem, shared by the solvers."""

    def __init__(self, entries: Sequence[Entry], judges: Sequence[Judge], k: int,
                 pins: Iterable[tuple[str, str]], forbids: Iterable[tuple[str, str]],
                 loads: Mapping[str, int] | None = None) -> None:
        if k < 1:
            raise AssignmentInputError(f"k must be at least 1 (got {k})")
        self.entries, self.judges, self.k = list(entries), list(judges), k
        self.e_index = {e.id: i for i, e in enumerate(self.entries)}
        self.j_index = {j.id: i for i, j in enumerate(self.judges)}
        problems = []
        if len(self.e_index) != len(self.entries):
            problems.append("duplicate entry ids")
        if len(self.j_index) != len(self.judges):
            problems.append("duplicate judge ids")
        for judge in self.judges:
            if judge.min_load < 0 or judge.max_load < judge.min_load:
                problems.append(f"judge {judge.id}: need 0 ≤ min_load ≤ max_load "
                                f"(got {judge.min_load}, {judge.max_load})")
        self.forbid: set[tuple[int, int]] = set()
        for e_id, j_id in forbids:
            if e_id not in self.e_index or j_id not in self.j_index:
                problems.append(f"forbidden pair ({e_id}, {j_id}) names an unknown entry or judge")
            else:
                self.forbid.add((self.e_index[e_id], self.j_index[j_id]))
        self.pins: set[tuple[int, int]] = set()
        for e_id, j_id in pins:
            if e_id not in self.e_index or j_id not in self.j_index:
                problems.append(f"pinned pair ({e_id}, {j_id}) names an unknown entry or judge")
                continue
            pair = (self.e_index[e_id], self.j_index[j_id])
            why = self.blocked_reason(*pair)
            if why:
                problems.append(f"pinned pair ({e_id}, {j_id}) is not allowed: {why}")
            self.pins.add(pair)
        loads = loads or {}
        unknown = sorted(set(loads) - set(self.j_index))
        if unknown:
            problems.append(f"work outside these entries names unknown judges: {', '.join(unknown[:5])}")
        # work each judge already has outside these entries: it counts towards their bounds and the balance
        self.outside = np.array([max(int(loads.get(x.id, 0)), 0) for x in self.judges], dtype=np.int64)
        self.pinned_per_entry = np.zeros(len(self.entries), dtype=np.int64)
        self.pinned_per_judge = np.zeros(len(self.judges), dtype=np.int64)
        for e, j in self.pins:
            self.pinned_per_entry[e] += 1
            self.pinned_per_judge[j] += 1
        for over_e in np.flatnonzero(self.pinned_per_entry > k).tolist():
            problems.append(f"entry {self.entries[over_e].id} has {self.pinned_per_entry[over_e]} pinned judges, "
                            f"more than k={k}")
        room = np.maximum(np.array([x.max_load for x in self.judges], dtype=np.int64) - self.outside, 0)
        for over_j in np.flatnonzero(self.pinned_per_judge > room).tolist():
            problems.append(f"judge {self.judges[over_j].id} has more pinned entries than max_load")
        if problems:
            raise AssignmentInputError("; ".join(problems))
        self.need = k - self.pinned_per_entry
        # bounds on the load within these entries (pins included), after the work outside them
        self.max_all = room
        self.min_all = np.maximum(np.array([j.min_load for j in self.judges], dtype=np.int64) - self.outside, 0)
        self.max_left = self.max_all - self.pinned_per_judge
        self.min_left = np.maximum(self.min_all - self.pinned_per_judge, 0)
        self.categories = sorted({e.category for e in self.entries})
        category_index = {c: i for i, c in enumerate(self.categories)}
        self.entry_category = np.array([category_index[x.category] for x in self.entries], dtype=np.int64)
        self.judge_category_ok = np.array(
            [[j.categories is None or c in j.categories for c in self.categories] for j in self.judges], dtype=bool
        ).reshape(len(self.judges), len(self.categories))
        school_names = sorted({x.school for x in self.entries if x.school is not None}
                              | {x.school for x in self.judges if x.school is not None}
                              | {s for x in self.judges for s in x.conflict_schools})
        school_index = {name: i for i, name in enumerate(school_names)}
        self.n_schools = max(len(school_names), 1)
        self.entry_school = np.array([school_index.get(x.school, -1) if x.school is not None else -1
                                      for x in self.entries], dtype=np.int64)
        self.judge_school = np.array([school_index[x.school] if x.school is not None else -2
                                      for x in self.judges], dtype=np.int64)
        self.conflict_school_keys = np.array(
            [j * self.n_schools + school_index[s] for j, x in enumerate(self.judges) for s in x.conflict_schools],
            dtype=np.int64,
        )
        self.judges_in: dict[str, list[int]] = {
            c: [j for j, judge in enumerate(self.judges) if judge.categories is None or c in judge.categories]
            for c in self.categories
        }
        # pairs blocked for reasons other than school equality (teachers, declared, forbidden)
        self.pair_block: set[tuple[int, int]] = set(self.forbid)
        for e, entry in enumerate(self.entries):
            for t in entry.teacher_ids:
                if t in self.j_index:
                    self.pair_block.add((e, self.j_index[t]))
        for j, judge in enumerate(self.judges):
            for e_id in judge.conflicts:
                if e_id in self.e_index:
                    self.pair_block.add((self.e_index[e_id], j))

    def blocked_reason(self, e: int, j: int) -> str | None:
        entry, judge = self.entries[e], self.judges[j]
        if judge.categories is not None and entry.category not in judge.categories:
            return f"judge does not judge category {entry.category}"
        if (e, j) in self.forbid:
            return "forbidden pair"
        return conflict_reason(entry, judge)

    def allowed(self, e: int, j: int) -> bool:
        entry, judge = self.entries[e], self.judges[j]
        if entry.school is not None and (entry.school == judge.school or entry.school in judge.conflict_schools):
            return False
        return (e, j) not in self.pair_block

    def eligible_counts(self) -> np.ndarray:
        """Exact number of judges each entry may get (category, conflicts, forbids), without listing pairs."""
        same_school: dict[tuple[str, str], int] = defaultdict(int)
        conflict_school: dict[tuple[str, str], int] = defaultdict(int)
        for c, members in self.judges_in.items():
            for j in members:
                judge = self.judges[j]
                if judge.school is not None:
                    same_school[(c, judge.school)] += 1
                for s in judge.conflict_schools:
                    if s != judge.school:
                        conflict_school[(c, s)] += 1
        counts = np.empty(len(self.entries), dtype=np.int64)
        per_entry_blocks: dict[int, set[int]] = defaultdict(set)
        for e, j in self.pair_block:
            per_entry_blocks[e].add(j)
        for e, entry in enumerate(self.entries):
            c = entry.category
            n = len(self.judges_in[c])
            if entry.school is not None:
                n -= same_school.get((c, entry.school), 0) + conflict_school.get((c, entry.school), 0)
            for j in per_entry_blocks.get(e, ()):
                judge = self.judges[j]
                if (judge.categories is None or c in judge.categories) and not (
                    entry.school is not None
                    and (entry.school == judge.school or entry.school in judge.conflict_schools)
                ):
                    n -= 1
            counts[e] = n
        return counts

    def candidate_pairs(self, limit: int) -> list[tuple[int, int]] | None:
        """Every allowed, not pinned (entry, judge) pair; None when there are more than `limit`."""
        pairs: list[tuple[int, int]] = []
        for e, entry in enumerate(self.entries):
            if self.need[e] == 0:
                continue
            for j in self.judges_in[entry.category]:
                if (e, j) not in self.pins and self.allowed(e, j):
                    pairs.append((e, j))
            if len(pairs) > limit:
                return None
        return pairs

    def result(self, chosen: list[tuple[int, int]], solver: str) -> Assignment:
        pairs = list(self.pins) + [p for p in chosen if p not in self.pins]
        e = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
        j = np.fromiter((p[1] for p in pairs), dtype=np.int64, count=len(pairs))
        violations = self.verify(e, j)
        if violations:  # a solver bug, never the user's fault
            raise RuntimeError("assignment failed its own check: " + "; ".join(violations[:5]))
        order = np.lexsort((j, e))
        entry_ids = [x.id for x in self.entries]
        judge_ids = [x.id for x in self.judges]
        loads = np.bincount(j, minlength=len(self.judges))
        return Assignment(
            pairs=[(entry_ids[a], judge_ids[b]) for a, b in zip(e[order].tolist(), j[order].tolist(), strict=True)],
            pinned={(entry_ids[a], judge_ids[b]) for a, b in self.pins},
            solver=solver,
            loads={judge_id: int(n) for judge_id, n in zip(judge_ids, loads.tolist(), strict=True)},
        )

    def verify(self, e: np.ndarray, j: np.ndarray) -> list[str]:
        """Vectorised re-check of every rule on integer pairs (the public check_assignment works on ids)."""
        n_e, n_j = len(self.entries), len(self.judges)
        problems = []
        keys = np.sort(e * n_j + j)
        if np.any(keys[1:] == keys[:-1]):
            problems.append("a pair appears twice")
        if np.any(np.bincount(e, minlength=n_e) != self.k):
            problems.append("an entry does not have exactly k judges")
        loads = np.bincount(j, minlength=n_j)
        if np.any(loads > self.max_all) or np.any(loads < self.min_all):
            problems.append("a judge load is out of bounds")
        if not np.all(self.judge_category_ok[j, self.entry_category[e]]):
            problems.append("a judge got an entry outside their categories")
        school = self.entry_school[e]
        if np.any((school >= 0) & (school == self.judge_school[j])):
            problems.append("same-school pair")
        conflict_keys = np.sort(self.conflict_school_keys)
        probe = j * self.n_schools + school
        where = np.minimum(np.searchsorted(conflict_keys, probe), max(len(conflict_keys) - 1, 0))
        if len(conflict_keys) and np.any((conflict_keys[where] == probe) & (school >= 0)):
            problems.append("pair with a declared conflict school")
        blocked = np.fromiter((a * n_j + b for a, b in self.pair_block), dtype=np.int64, count=len(self.pair_block))
        where = np.minimum(np.searchsorted(keys, blocked), max(len(keys) - 1, 0))
        if len(blocked) and len(keys) and np.any(keys[where] == blocked):
            problems.append("teacher, declared or forbidden pair")
        return problems

    # -- diagnosis --------------------------------------------------------------------------------
    def simple_reasons(self, eligible: np.ndarray) -> tuple[list[str], dict[str, int]]:
        reasons: list[str] = []
        short: dict[str, int] = {}
        possible = eligible  # pinned judges are among the eligible ones
        for e in np.flatnonzero(possible < self.k):
            short[self.entries[e].id] = int(possible[e])
        if short:
            listed = ", ".join(f"{e} ({n} eligible)" for e, n in list(short.items())[:20])
            more = f" and {len(short) - 20} more" if len(short) > 20 else ""
            reasons.append(f"{len(short)} entr{'y' if len(short) == 1 else 'ies'} cannot get k={self.k} judges "
                           f"without a conflict: {listed}{more}")
        demand = int(self.need.sum())
        capacity = int(self.max_left.sum())
        if capacity < demand:
            reasons.append(f"the judges can take {capacity} more entries in all but {demand} are needed")
        minimum = int(self.min_left.sum())
        if minimum > demand:
            reasons.append(f"the judges' minimum loads add up to {minimum} but only {demand} assignments are needed")
        for c in self.categories:
            members = self.judges_in[c]
            need_c = int(sum(self.need[e] for e, x in enumerate(self.entries) if x.category == c))
            cap_c = int(self.max_left[members].sum()) if members else 0
            if cap_c < need_c:
                reasons.append(f"category {c}: its judges can take {cap_c} entries but {need_c} are needed")
        return reasons, short


# -- exact balanced min-cost flow (OR-Tools) ------------------------------------------------------

FULL_MAX_PAIRS = 1_500_000  # up to this many eligible pairs every pair is an arc: one exact solve
SAMPLED_PER_NEED = 2  # beyond it, each entry starts with this many sampled candidates per judge it needs
SPREAD_UNIT = 100  # the secondary cost scale that spreads a multi-category judge across categories


def _min_cost_flow_module():  # noqa: ANN202 - the OR-Tools module
    from ortools.graph.python import min_cost_flow

    return min_cost_flow


def _grouped_arange(counts: np.ndarray) -> np.ndarray:
    """[0..c0-1, 0..c1-1, …] for counts [c0, c1, …]."""
    total = int(counts.sum())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - starts


def _network_solve(problem: _Problem, pe: np.ndarray, pj: np.ndarray, *, spread: bool) -> np.ndarray | None:
    """Min-cost flow over candidate pairs (pe[i], pj[i]): a boolean mask of the chosen pairs, None if infeasible.

    Network: entry (supplies the judges it still needs) → judge → sink. The judge → sink side is one
    arc per unit of load, the n-th unit costing W·n (convex), so the optimum minimises the sum of squared
    loads: loads end within one of each other wherever the bounds, categories and conflicts allow.
    Minimum loads are node demands on the judges. With `spread`, a judge-category layer adds a smaller
    convex cost per (judge, category) so that a multi-category judge's entries are spread across them;
    W is large enough that it never trades against balance.
    """
    mcf_module = _min_cost_flow_module()
    n_e, n_j = len(problem.entries), len(problem.judges)
    need, lower, upper = problem.need, problem.min_left, problem.max_left
    base = problem.pinned_per_judge + problem.outside
    sink = 1
    entry_node = 2 + np.arange(n_e, dtype=np.int64)
    judge_node = 2 + n_e + np.arange(n_j, dtype=np.int64)
    tails: list[np.ndarray] = []
    heads: list[np.ndarray] = []
    caps: list[np.ndarray] = []
    costs: list[np.ndarray] = []

    def add(u: np.ndarray | int, v: np.ndarray | int, cap: np.ndarray | int, cost: np.ndarray | int) -> int:
        u_, v_, c_, w_ = np.broadcast_arrays(*(np.asarray(x, dtype=np.int64) for x in (u, v, cap, cost)))
        first = sum(len(t) for t in tails)
        tails.append(u_.ravel())
        heads.append(v_.ravel())
        caps.append(c_.ravel())
        costs.append(w_.ravel())
        return first

    n_nodes = 2 + n_e + n_j
    weight = 1
    if spread and len(pe):
        n_c = len(problem.categories)
        key = pj * n_c + problem.entry_category[pe]
        unique_keys, inverse = np.unique(key, return_inverse=True)
        jc_node = n_nodes + np.arange(len(unique_keys), dtype=np.int64)
        n_nodes += len(unique_keys)
        pair_first = add(entry_node[pe], jc_node[inverse], 1, 0)
        jc_judge = unique_keys // n_c
        cats_per_judge = np.bincount(jc_judge, minlength=n_j)
        weight = 2 * SPREAD_UNIT * int(cats_per_judge.max()) * (n_j + 1) + 1
        units = np.maximum(upper[jc_judge], 0)
        unit = _grouped_arange(units) + 1
        owner = np.repeat(jc_judge, units)
        share = np.maximum(upper[owner], 1) / np.maximum(cats_per_judge[owner], 1)
        add(np.repeat(jc_node, units), judge_node[owner], 1, (SPREAD_UNIT * unit / share).astype(np.int64))
    else:
        pair_first = add(entry_node[pe], judge_node[pj], 1, 0)
    free = np.maximum(upper - lower, 0)
    owner = np.repeat(np.arange(n_j, dtype=np.int64), free)
    level = base[owner] + lower[owner] + 1 + _grouped_arange(free)
    add(judge_node[owner], sink, 1, weight * level)

    mcf = mcf_module.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails), np.concatenate(heads), np.concatenate(caps), np.concatenate(costs)
    )
    total = int(need.sum())
    supplies = np.zeros(n_nodes, dtype=np.int64)
    supplies[entry_node] = need  # each entry supplies the judges it still needs
    supplies[judge_node] = -lower
    supplies[sink] = -(total - int(lower.sum()))
    mcf.set_nodes_supplies(np.arange(n_nodes, dtype=np.int64), supplies)
    status = mcf.solve()
    if status == mcf.INFEASIBLE:
        return None
    if status != mcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow solver stopped with status {status}")
    flows = mcf.flows(np.arange(pair_first, pair_first + len(pe), dtype=np.int64))
    return np.asarray(flows) > 0


def _allowed_mask(problem: _Problem, pe: np.ndarray, pj: np.ndarray) -> np.ndarray:
    """Vectorised `allowed` (categories are the caller's business), pins excluded."""
    n_j = len(problem.judges)
    school = problem.entry_school[pe]
    ok = ~((school >= 0) & (school == problem.judge_school[pj]))
    if len(problem.conflict_school_keys):
        ok &= ~((school >= 0) & np.isin(pj * problem.n_schools + school, problem.conflict_school_keys))
    blocked = problem.pair_block | problem.pins
    if blocked:
        keys = np.fromiter((e * n_j + j for e, j in blocked), dtype=np.int64, count=len(blocked))
        ok &= ~np.isin(pe * n_j + pj, keys)
    return ok


def _listed_pairs(problem: _Problem, entries: Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
    pe, pj = [], []
    for e in entries:
        for j in problem.judges_in[problem.entries[e].category]:
            if (e, j) not in problem.pins and problem.allowed(e, j):
                pe.append(e)
                pj.append(j)
    return np.array(pe, dtype=np.int64), np.array(pj, dtype=np.int64)


def _sampled_pairs(problem: _Problem, eligible: np.ndarray, per_need: int,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """For each entry still needing judges, about per_need × need distinct eligible candidates drawn at
    random from its category (every eligible judge when it has few)."""
    n_j = len(problem.judges)
    parts_e, parts_j = [], []
    listed: list[int] = []
    for c, name in enumerate(problem.categories):
        members = np.array(problem.judges_in[name], dtype=np.int64)
        rows = np.flatnonzero((problem.entry_category == c) & (problem.need > 0))
        if not len(rows):
            continue
        draws = per_need * problem.need[rows]
        few = eligible[rows] <= 2 * draws
        listed.extend(rows[few].tolist())
        rows, draws = rows[~few], draws[~few]
        if not len(rows):
            continue
        pe = np.repeat(rows, draws)
        pj = members[rng.integers(0, len(members), size=len(pe))]
        keep = _allowed_mask(problem, pe, pj)
        parts_e.append(pe[keep])
        parts_j.append(pj[keep])
    pe = np.concatenate(parts_e) if parts_e else np.zeros(0, dtype=np.int64)
    pj = np.concatenate(parts_j) if parts_j else np.zeros(0, dtype=np.int64)
    keys = np.sort(pe * n_j + pj)
    keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if len(keys) else keys
    pe, pj = keys // n_j, keys % n_j
    got = np.bincount(pe, minlength=len(problem.entries))
    short = np.flatnonzero((got < problem.need) & (problem.need > 0) & ~np.isin(
        np.arange(len(problem.entries)), np.array(listed, dtype=np.int64)))
    listed.extend(short.tolist())
    if listed:
        drop = np.isin(pe, np.array(listed, dtype=np.int64))
        le, lj = _listed_pairs(problem, listed)
        pe, pj = np.concatenate([pe[~drop], le]), np.concatenate([pj[~drop], lj])
    return pe, pj


def _balanced_beyond_doubt(problem: _Problem, loads: np.ndarray) -> bool:
    """True when no judge who could give an entry away has two more than a judge who could take one:
    then no exchange lowers the sum of squared loads, so the loads are optimal."""
    can_give = (loads > problem.min_all) & (loads > problem.pinned_per_judge)
    can_take = loads < problem.max_all
    if not can_give.any() or not can_take.any():
        return True
    total = loads + problem.outside
    return int(total[can_give].max()) <= int(total[can_take].min()) + 1


@dataclass
class _Static:
    """What the exchange search needs of the problem, computed once per polish."""

    min_total: list[int]
    max_total: list[int]
    cats_of: list[list[int]]
    entry_category: list[int]

    @classmethod
    def of(cls, problem: _Problem) -> _Static:
        return cls(
            (problem.min_all + problem.outside).tolist(),  # bounds on the total load
            (problem.max_all + problem.outside).tolist(),
            [np.flatnonzero(problem.judge_category_ok[j]).tolist() for j in range(len(problem.judges))],
            problem.entry_category.tolist(),
        )


def _improving_path(problem: _Problem, load: list[int], by_judge: list[set[int]],
                    by_entry: list[set[int]], static: _Static | None = None) -> list[tuple[int, int, int]] | None:
    """An alternating path over the full eligibility graph from a judge A to a judge Z with
    load(A) ≥ load(Z) + 2 (A above its minimum, Z below its maximum): moves (entry, from judge, to judge).
    None when there is none, which proves the loads optimal. Sources are taken in decreasing load, so
    the search over all thresholds is one breadth-first pass."""
    from collections import deque

    n_j = len(problem.judges)
    static = static or _Static.of(problem)
    min_all, max_all, cats_of, entry_category = static.min_total, static.max_total, static.cats_of, static.entry_category
    unvisited = [set(problem.judges_in[name]) for name in problem.categories]
    reached_through: dict[int, int | None] = {}  # judge -> entry it was reached through (None: a source)
    reached_from: dict[int, int] = {}  # entry -> judge it was reached from
    lowest: tuple[int, int] = (1 << 62, -1)
    queue: deque[int] = deque()

    def visit(j: int, via: int | None) -> None:
        nonlocal lowest
        reached_through[j] = via
        for c in cats_of[j]:
            unvisited[c].discard(j)
        if load[j] < max_all[j] and load[j] < lowest[0]:
            lowest = (load[j], j)
        queue.append(j)

    sources = sorted((j for j in range(n_j) if load[j] > min_all[j] and by_judge[j]), key=lambda j: -load[j])
    i = 0
    while i < len(sources):
        level = load[sources[i]]
        while i < len(sources) and load[sources[i]] == level:
            if sources[i] not in reached_through:
                visit(sources[i], None)
            i += 1
        while queue and lowest[0] > level - 2:  # stop at the first judge reached who can take one more
            a = queue.popleft()
            for e in by_judge[a]:
                if e in reached_from:
                    continue
                reached_from[e] = a
                pool = unvisited[entry_category[e]]
                if pool:
                    for b in [b for b in pool if b not in by_entry[e] and problem.allowed(e, b)]:
                        visit(b, e)
                if lowest[0] <= level - 2:
                    break
        if lowest[0] <= level - 2:
            moves = []
            z = lowest[1]
            while (through := reached_through[z]) is not None:
                a = reached_from[through]
                moves.append((through, a, z))
                z = a
            return moves
    return None


def _polish(problem: _Problem, chosen: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Apply improving alternating paths until none is left (then the loads are optimal)."""
    n_j = len(problem.judges)
    by_judge: list[set[int]] = [set() for _ in range(n_j)]
    by_entry: list[set[int]] = [set() for _ in range(len(problem.entries))]
    for e, j in chosen:
        by_judge[j].add(e)
        by_entry[e].add(j)
    for e, j in problem.pins:
        by_entry[e].add(j)
    load = (problem.outside + problem.pinned_per_judge
            + np.bincount([j for _, j in chosen], minlength=n_j)).tolist()  # total loads
    static = _Static.of(problem)
    while (moves := _improving_path(problem, load, by_judge, by_entry, static)) is not None:
        for e, a, b in moves:
            by_judge[a].discard(e)
            by_entry[e].discard(a)
            by_judge[b].add(e)
            by_entry[e].add(b)
        load[moves[-1][1]] -= 1
        load[moves[0][2]] += 1
    return [(e, j) for j in range(n_j) for e in by_judge[j]]


def _flow_solve(problem: _Problem, eligible: np.ndarray, seed: int) -> tuple[list[tuple[int, int]] | None, str]:
    """Exact balanced assignment; (None, name) when infeasible.

    Up to FULL_MAX_PAIRS eligible pairs, every pair is an arc. Beyond, the flow runs on a random sample
    of candidates per entry (doubled while infeasible), and the result is proved optimal on the full
    eligibility graph: by the loads alone when they are within one, else by searching for an improving
    exchange over every eligible pair (applied until none is left)."""
    if int(eligible.sum()) <= FULL_MAX_PAIRS:
        pe, pj = _listed_pairs(problem, np.flatnonzero(problem.need > 0).tolist())
        mask = _network_solve(problem, pe, pj, spread=len(problem.categories) > 1)
        if mask is None:
            return None, "flow"
        return list(zip(pe[mask].tolist(), pj[mask].tolist(), strict=True)), "flow"
    rng = np.random.default_rng(seed)
    per_need = SAMPLED_PER_NEED
    while True:
        pe, pj = _sampled_pairs(problem, eligible, per_need, rng)
        mask = _network_solve(problem, pe, pj, spread=False)
        if mask is not None:
            break
        if len(pe) >= int(eligible.sum()):  # every eligible pair was in: truly infeasible
            return None, "flow"
        per_need *= 2
    chosen = list(zip(pe[mask].tolist(), pj[mask].tolist(), strict=True))
    loads = problem.pinned_per_judge + np.bincount(pj[mask], minlength=len(problem.judges))
    if not _balanced_beyond_doubt(problem, loads):
        chosen = _polish(problem, chosen)
    return chosen, "flow"


def _maxflow_solve(problem: _Problem, pairs: list[tuple[int, int]]) -> tuple[list[tuple[int, int]] | None, dict[int, int]]:
    """Exact feasibility with lower bounds by scipy maximum_flow; returns (pairs or None, entry → judges got)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_flow

    n_e, n_j = len(problem.entries), len(problem.judges)
    s_star, t_star, s, t = 0, 1, 2, 3
    entry_node = 4 + np.arange(n_e)
    judge_node = 4 + n_e + np.arange(n_j)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    caps: list[np.ndarray] = []

    def add(u: np.ndarray | int, v: np.ndarray | int, c: np.ndarray | int) -> None:
        u_, v_, c_ = np.broadcast_arrays(np.asarray(u), np.asarray(v), np.asarray(c))
        rows.append(u_.ravel())
        cols.append(v_.ravel())
        caps.append(c_.ravel())

    need = problem.need
    lower = problem.min_left
    add(s_star, entry_node, need)  # s → e has lower = upper = need: all of it through S*/T*
    add(s, t_star, int(need.sum()))
    if pairs:
        pe = np.array([p[0] for p in pairs])
        pj = np.array([p[1] for p in pairs])
        add(entry_node[pe], judge_node[pj], 1)
    add(judge_node, t, problem.max_left - lower)
    add(judge_node, t_star, lower)
    add(s_star, t, int(lower.sum()))
    add(t, s, int(need.sum()) + int(problem.max_left.sum()) + 1)
    size = 4 + n_e + n_j
    u, v, c = np.concatenate(rows), np.concatenate(cols), np.concatenate(caps).astype(np.int32)
    keep = c > 0
    graph = csr_matrix((c[keep], (u[keep], v[keep])), shape=(size, size))
    graph.sum_duplicates()
    result = maximum_flow(graph, s_star, t_star)
    flow = result.flow.tocsr()
    required = int(need.sum()) + int(lower.sum())
    got = {}
    if pairs:
        pair_flow = np.asarray(flow[entry_node[pe], judge_node[pj]]).ravel()
        chosen = [pairs[i] for i in np.flatnonzero(pair_flow > 0)]
    else:
        chosen = []
    counts = np.bincount([e for e, _ in chosen], minlength=n_e) if chosen else np.zeros(n_e, dtype=np.int64)
    for e in np.flatnonzero(counts < need):
        got[int(e)] = int(counts[e] + problem.pinned_per_entry[e])
    if result.flow_value < required:
        return None, got
    return chosen, got


def _greedy_solve(problem: _Problem, eligible: np.ndarray, seed: int) -> list[tuple[int, int]] | None:
    """Least-slack entries first; each takes its k best judges from its category's heap.

    Heap items are (reached minimum?, load / max_load, load in this category, random, judge, load,
    category load). Items go stale when the judge is picked elsewhere; a stale item is refreshed when
    popped instead of being searched for (lazy deletion).
    """
    rng = random.Random(seed)
    n_j = len(problem.judges)
    load = problem.pinned_per_judge.tolist()
    max_load = problem.max_all.tolist()
    min_load = problem.min_all.tolist()
    tiebreak = [rng.random() for _ in range(n_j)]
    n_categories = len(problem.categories)
    cat_load = [[0] * n_j for _ in range(n_categories)]
    entry_category = problem.entry_category.tolist()
    entry_school = problem.entry_school.tolist()
    judge_school = problem.judge_school.tolist()
    conflict_schools: list[set[int]] = [set() for _ in range(n_j)]
    for key in problem.conflict_school_keys.tolist():
        conflict_schools[key // problem.n_schools].add(key % problem.n_schools)
    blocked = problem.pair_block | problem.pins
    need = problem.need.tolist()
    heappush, heappop = heapq.heappush, heapq.heappop

    def item(j: int, c: int) -> tuple:
        return (load[j] >= min_load[j], load[j] / max_load[j], cat_load[c][j], tiebreak[j], j, load[j], cat_load[c][j])

    heaps = [[item(j, c) for j in problem.judges_in[name] if load[j] < max_load[j]]
             for c, name in enumerate(problem.categories)]
    for h in heaps:
        heapq.heapify(h)
    chosen: list[tuple[int, int]] = []
    slack = eligible - problem.k
    order = np.lexsort((np.array([rng.random() for _ in problem.entries]), slack)).tolist()
    for e in order:
        wanted = need[e]
        if not wanted:
            continue
        c = entry_category[e]
        heap, loads_here = heaps[c], cat_load[c]
        school = entry_school[e]
        picked: list[int] = []
        aside: list[tuple] = []
        while len(picked) < wanted and heap:
            top = heappop(heap)
            j = top[4]
            if top[5] != load[j] or top[6] != loads_here[j]:
                if load[j] < max_load[j]:
                    heappush(heap, item(j, c))
                continue
            if (school >= 0 and (school == judge_school[j] or school in conflict_schools[j])) or (e, j) in blocked:
                aside.append(top)
                continue
            picked.append(j)
        if len(picked) < wanted:
            return None
        for j in picked:
            load[j] += 1
            loads_here[j] += 1
            chosen.append((e, j))
            if load[j] < max_load[j]:
                heappush(heap, item(j, c))
        for top in aside:
            heappush(heap, top)
    if any(load[j] < min_load[j] for j in range(n_j)):
        return None
    return chosen


def assign(
    entries: Sequence[Entry],
    judges: Sequence[Judge],
    k: int,
    *,
    pins: Iterable[tuple[str, str]] = (),
    forbids: Iterable[tuple[str, str]] = (),
    solver: str = "auto",
    seed: int = 0,
    loads: Mapping[str, int] | None = None,
) -> Assignment:
    """Assign k judges per entry; InfeasibleAssignment (with reasons) when impossible.

    `loads` (judge id → entries) is work the judges already have outside `entries` (a refill of a few
    entries in a round under way): it counts towards each judge's min/max load and towards the balance,
    so the entries go to the judges with the least work in all. `Assignment.loads` counts `entries` only."""
    if solver not in ("auto", "flow", "greedy"):
        raise AssignmentInputError(f"unknown solver {solver!r}; choose auto, flow or greedy")
    problem = _Problem(entries, judges, k, pins, forbids, loads)
    eligible = problem.eligible_counts()
    reasons, short = problem.simple_reasons(eligible)
    if reasons:
        raise InfeasibleAssignment(reasons, short)
    if not int(problem.need.sum()) and not int(problem.min_left.sum()):
        return problem.result([], "pins only")

    if solver == "greedy":
        chosen = _greedy_solve(problem, eligible, seed)
        if chosen is not None:
            return problem.result(chosen, "greedy")
        pairs = problem.candidate_pairs(MAXFLOW_MAX_PAIRS)
        if pairs is None:
            raise InfeasibleAssignment(["the fast solver could not satisfy every entry and load bound, and the "
                                        "contest is too large to prove it impossible; loosen loads or add judges"])
        chosen, got = _maxflow_solve(problem, pairs)
        if chosen is not None:
            return problem.result(chosen, "greedy+maxflow")
        raise _infeasible_from_flow(problem, got)

    chosen, name = _flow_solve(problem, eligible, seed)
    if chosen is None:
        pairs = problem.candidate_pairs(MAXFLOW_MAX_PAIRS)
        if pairs is None:
            raise InfeasibleAssignment(["the entries cannot all get k judges within the judges' loads and "
                                        "conflicts; loosen loads or add judges"])
        _, got = _maxflow_solve(problem, pairs)
        raise _infeasible_from_flow(problem, got)
    return problem.result(chosen, name)


def _infeasible_from_flow(problem: _Problem, got: dict[int, int]) -> InfeasibleAssignment:
    short = {problem.entries[e].id: n for e, n in got.items()}
    reasons = []
    if short:
        listed = ", ".join(f"{e} (at most {n} with the loads met)" for e, n in list(short.items())[:20])
        reasons.append(f"the judges' loads leave {len(short)} entr{'y' if len(short) == 1 else 'ies'} "
                       f"short of k={problem.k}: {listed}")
    unreachable = [problem.judges[j].id for j in range(len(problem.judges)) if problem.min_left[j] > 0]
    if not short or unreachable:
        reasons.append("the minimum loads cannot all be met together with the conflicts and k; judges with a "
                       f"minimum: {', '.join(unreachable[:20])}")
    return InfeasibleAssignment(reasons, short)


def check_assignment(
    assignment: Assignment | Iterable[tuple[str, str]],
    entries: Sequence[Entry],
    judges: Sequence[Judge],
    k: int,
    forbids: Iterable[tuple[str, str]] = (),
) -> list[str]:
    """Every rule an assignment breaks, in words (empty list: it is valid)."""
    pairs = list(assignment.pairs if isinstance(assignment, Assignment) else assignment)
    entry_by_id = {e.id: e for e in entries}
    judge_by_id = {j.id: j for j in judges}
    forbidden = set(forbids)
    problems = []
    if len(set(pairs)) != len(pairs):
        problems.append("a pair appears more than once")
    per_entry: dict[str, int] = defaultdict(int)
    per_judge: dict[str, int] = defaultdict(int)
    for e_id, j_id in set(pairs):
        entry, judge = entry_by_id.get(e_id), judge_by_id.get(j_id)
        if entry is None or judge is None:
            problems.append(f"({e_id}, {j_id}): unknown entry or judge")
            continue
        per_entry[e_id] += 1
        per_judge[j_id] += 1
        why = conflict_reason(entry, judge)
        if why:
            problems.append(f"({e_id}, {j_id}): {why}")
        if judge.categories is not None and entry.category not in judge.categories:
            problems.append(f"({e_id}, {j_id}): judge does not judge category {entry.category}")
        if (e_id, j_id) in forbidden:
            problems.append(f"({e_id}, {j_id}): forbidden pair")
    for entry in entries:
        if per_entry[entry.id] != k:
            problems.append(f"entry {entry.id} has {per_entry[entry.id]} judges, not {k}")
    for judge in judges:
        n = per_judge[judge.id]
        if not judge.min_load <= n <= judge.max_load:
            problems.append(f"judge {judge.id} has {n} entries, outside {judge.min_load}–{judge.max_load}")
    return problems
