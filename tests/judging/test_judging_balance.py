"""Balanced assignment by exact min-cost flow: loads within one wherever the rules allow, the same optimum
when the flow runs on sampled candidates, and infeasible instances refused with the cause named."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aigc_contest.judging import Entry, InfeasibleAssignment, Judge, assign, check_assignment
from aigc_contest.judging import assignment as module


def _squares(loads: dict[str, int]) -> int:
    return sum(n * n for n in loads.values())


def test_loads_differ_by_at_most_one():
    entries = [Entry(f"e{i}", "art", f"s{i % 5}") for i in range(100)]
    judges = [Judge(f"j{j}", 100, school=f"t{j}") for j in range(7)]
    result = assign(entries, judges, 3)
    assert result.solver == "flow"
    assert sorted(set(result.loads.values())) == [42, 43] and sum(result.loads.values()) == 300


def test_same_school_and_teacher_conflicts_are_respected_and_loads_still_balance():
    # j0 shares a school with half the entries and teaches e1: it can only take the other half, minus e1
    entries = [
        Entry(f"e{i}", "art", "s0" if i % 2 else "s1", frozenset({"j0"}) if i == 1 else frozenset())
        for i in range(40)
    ]
    judges = [Judge("j0", 40, school="s1")] + [Judge(f"j{j}", 40, school=f"t{j}") for j in range(1, 4)]
    result = assign(entries, judges, 2)
    assert check_assignment(result, entries, judges, 2) == []
    assert all(e_id in {f"e{i}" for i in range(1, 40, 2)} - {"e1"} for e_id, j in result.pairs if j == "j0")
    assert result.loads["j0"] == 19  # all it may take; the other three share the rest within one
    assert sorted(result.loads[j] for j in ("j1", "j2", "j3")) == [20, 20, 21]


def test_categories_bound_the_balance_and_the_rest_is_within_one():
    # art has 30 entries and one art-only judge beside two judges of both; books have 6 entries
    entries = [Entry(f"a{i}", "art") for i in range(30)] + [Entry(f"b{i}", "book") for i in range(6)]
    judges = [
        Judge("art", 50, categories=frozenset({"art"})),
        Judge("both1", 50, categories=frozenset({"art", "book"})),
        Judge("both2", 50, categories=frozenset({"art", "book"})),
        Judge("book", 50, categories=frozenset({"book"})),
    ]
    loads = assign(entries, judges, 2).loads
    # 72 sheets; "book" can judge each of the 6 books once at most, the other three share 66
    assert loads == {"art": 22, "both1": 22, "both2": 22, "book": 6}
    narrow = [
        Judge("art", 50, categories=frozenset({"art"})),
        Judge("art2", 50, categories=frozenset({"art"})),
        Judge("book", 50, categories=frozenset({"book"})),
        Judge("book2", 50, categories=frozenset({"book"})),
    ]
    loads = assign(entries, narrow, 2).loads
    assert loads == {"art": 30, "art2": 30, "book": 6, "book2": 6}  # categories forbid any better


def test_minimum_loads_are_met_before_balancing():
    entries = [Entry(f"e{i}", "art") for i in range(20)]
    judges = [Judge("keen", 20, min_load=12), Judge("j1", 20), Judge("j2", 20)]
    loads = assign(entries, judges, 1).loads
    assert loads == {"keen": 12, "j1": 4, "j2": 4}


def _instance(seed: int, n_entries: int, n_judges: int, k: int):
    rng = random.Random(seed)
    categories = ["art", "book", "novel"]
    judges = [
        Judge(
            f"j{j}",
            max_load=rng.randint(n_entries * k // n_judges, 2 * n_entries * k // n_judges + 2),
            school=f"s{rng.randrange(6)}",
            conflicts=frozenset({f"e{rng.randrange(n_entries)}"}),
            categories=frozenset(rng.sample(categories, rng.randint(1, 3))),
        )
        for j in range(n_judges)
    ]
    entries = [
        Entry(
            f"e{i}",
            rng.choice(categories),
            f"s{rng.randrange(6)}",
            frozenset({f"j{rng.randrange(n_judges)}"}),
        )
        for i in range(n_entries)
    ]
    return entries, judges


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**9), st.integers(20, 80), st.integers(6, 14), st.integers(1, 3))
def test_sampled_flow_finds_the_same_optimum_as_the_full_flow(seed, n_entries, n_judges, k):
    entries, judges = _instance(seed, n_entries, n_judges, k)
    try:
        full = assign(entries, judges, k)
    except InfeasibleAssignment:
        return
    saved = module.FULL_MAX_PAIRS, module.SAMPLED_PER_NEED
    module.FULL_MAX_PAIRS, module.SAMPLED_PER_NEED = 0, 1  # force sparse samples
    try:
        sampled = assign(entries, judges, k, seed=seed)
    finally:
        module.FULL_MAX_PAIRS, module.SAMPLED_PER_NEED = saved
    assert check_assignment(sampled, entries, judges, k) == []
    assert _squares(sampled.loads) == _squares(full.loads)


def test_improving_exchanges_turn_any_valid_assignment_into_the_optimum():
    entries, judges = _instance(11, 200, 20, 2)
    greedy = assign(entries, judges, 2, solver="greedy")
    exact = assign(entries, judges, 2)
    problem = module._Problem(entries, judges, 2, (), ())
    e_index, j_index = problem.e_index, problem.j_index
    chosen = [(e_index[e], j_index[j]) for e, j in greedy.pairs]
    polished = problem.result(module._polish(problem, chosen), "polished")
    assert check_assignment(polished, entries, judges, 2) == []
    assert _squares(polished.loads) == _squares(exact.loads) <= _squares(greedy.loads)


def test_conflicts_that_leave_too_few_judges_are_named():
    entries = [Entry("e1", "art", "s1"), Entry("e2", "art", "s2")]
    judges = [
        Judge("j1", 5, school="s1"),
        Judge("j2", 5, school="s3"),
        Judge("j3", 5, conflicts=frozenset({"e1"})),
    ]
    with pytest.raises(InfeasibleAssignment) as caught:
        assign(entries, judges, 2)
    assert caught.value.short == {"e1": 1}
    assert "1 entry cannot get k=2 judges without a conflict: e1 (1 eligible)" in str(caught.value)


def test_too_little_capacity_in_a_category_is_named():
    entries = [Entry(f"a{i}", "art") for i in range(10)] + [Entry("b0", "book")]
    judges = [
        Judge("art1", 4, categories=frozenset({"art"})),
        Judge("art2", 4, categories=frozenset({"art"})),
        Judge("book", 30, categories=frozenset({"book"})),
    ]
    with pytest.raises(
        InfeasibleAssignment, match="category art: its judges can take 8 entries but 10 are needed"
    ):
        assign(entries, judges, 1)


def test_total_capacity_and_minimum_loads_are_named():
    entries = [Entry(f"e{i}", "art") for i in range(10)]
    with pytest.raises(
        InfeasibleAssignment, match="the judges can take 6 more entries in all but 10 are needed"
    ):
        assign(entries, [Judge("j1", 3), Judge("j2", 3)], 1)
    with pytest.raises(InfeasibleAssignment, match="minimum loads add up to 12 but only 10"):
        assign(entries, [Judge("j1", 10, min_load=6), Judge("j2", 10, min_load=6)], 1)


def test_work_outside_the_entries_counts_towards_balance_and_bounds():
    entry = [Entry("e9", "art", "s1")]
    judges = [Judge("busy", 10), Judge("idle", 10), Judge("full", 10), Judge("own", 10, school="s1")]
    outside = {"busy": 7, "idle": 2, "full": 10, "own": 0}
    result = assign(entry, judges, 1, loads=outside)
    assert result.pairs == [("e9", "idle")]  # "own" has less work but shares the school; "full" has no room
    result = assign(entry, judges, 2, loads=outside)
    assert sorted(j for _, j in result.pairs) == ["busy", "idle"]
    with pytest.raises(InfeasibleAssignment):
        assign(entry, judges, 3, loads=outside)
