"""Assignment: never a conflict or a broken load bound, exactly k judges, clear infeasibility errors."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aigc_contest.judging import (
    AssignmentInputError,
    Entry,
    InfeasibleAssignment,
    Judge,
    assign,
    check_assignment,
    conflict_reason,
)
from aigc_contest.judging.csv_assignments import (
    parse_assignment_csv,
    read_assignment_csv,
    write_assignment_csv,
)
from aigc_contest.judging.scores import ScoreDefects


def _random_people(rng: random.Random, n_entries: int, n_judges: int, n_categories: int, n_schools: int):
    categories = [f"c{i}" for i in range(n_categories)]
    schools = [f"s{i}" for i in range(n_schools)]
    judges = []
    for j in range(n_judges):
        judges.append(dict(
            id=f"j{j}", school=rng.choice(schools + [None]),
            conflicts=frozenset(f"e{rng.randrange(n_entries)}" for _ in range(rng.randint(0, 2))),
            conflict_schools=frozenset(rng.sample(schools, rng.randint(0, 1))),
            categories=None if rng.random() < 0.3 else frozenset(rng.sample(categories, rng.randint(1, n_categories))),
        ))
    entries = [Entry(f"e{i}", rng.choice(categories), rng.choice(schools),
                     frozenset(f"j{rng.randrange(n_judges)}" for _ in range(rng.randint(0, 2))))
               for i in range(n_entries)]
    return entries, judges


def _planted_instance(seed: int, n_entries: int, n_judges: int, n_categories: int, n_schools: int, k: int):
    """A random instance that is feasible by construction: loads are set around a planted valid assignment."""
    rng = random.Random(seed)
    entries, judge_specs = _random_people(rng, n_entries, n_judges, n_categories, n_schools)
    probe = [Judge(max_load=10**6, **spec) for spec in judge_specs]
    planted_load = [0] * n_judges
    kept = []
    for entry in entries:
        allowed = [j for j, judge in enumerate(probe) if conflict_reason(entry, judge) is None
                   and (judge.categories is None or entry.category in judge.categories)]
        if len(allowed) < k:
            continue  # drop entries the random people cannot serve
        kept.append(entry)
        for j in rng.sample(allowed, k):
            planted_load[j] += 1
    judges = [Judge(max_load=planted_load[j] + rng.randint(0, 2), min_load=max(planted_load[j] - rng.randint(0, 2), 0),
                    **spec) for j, spec in enumerate(judge_specs)]
    return kept, judges


instances = st.tuples(st.integers(0, 10**9), st.integers(1, 25), st.integers(2, 10), st.integers(1, 3),
                      st.integers(1, 4), st.integers(1, 3))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances)
def test_feasible_instances_get_valid_assignments_from_both_solvers(params):
    entries, judges = _planted_instance(*params)
    k = params[-1]
    for solver in ("flow", "greedy"):
        result = assign(entries, judges, k, solver=solver, seed=params[0])
        assert check_assignment(result, entries, judges, k) == []
        per_entry = result.judges_of()
        assert all(len(per_entry.get(e.id, [])) == k for e in entries)
        for e_id, j_id in result.pairs:
            entry = next(e for e in entries if e.id == e_id)
            judge = next(j for j in judges if j.id == j_id)
            assert conflict_reason(entry, judge) is None
            assert judge.min_load <= result.loads[j_id] <= judge.max_load


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**9), st.integers(1, 15), st.integers(2, 10), st.integers(1, 2))
def test_any_instance_is_either_solved_validly_or_refused_by_both_solvers(seed, n_entries, n_judges, k):
    rng = random.Random(seed)
    entries, specs = _random_people(rng, n_entries, n_judges, 2, 6)
    judges = [Judge(max_load=rng.randint(1, 12), min_load=rng.randint(0, 2), **spec) for spec in specs]
    judges = [j if j.min_load <= j.max_load else Judge(j.id, j.min_load, j.min_load, j.school, j.conflicts,
                                                       j.conflict_schools, j.categories) for j in judges]
    outcomes = []
    for solver in ("flow", "greedy"):
        try:
            result = assign(entries, judges, k, solver=solver)
        except InfeasibleAssignment as exc:
            assert exc.reasons and str(exc).startswith("no assignment is possible")
            outcomes.append(False)
        else:
            assert check_assignment(result, entries, judges, k) == []
            outcomes.append(True)
    assert outcomes[0] == outcomes[1]


def test_infeasible_error_names_the_entries_that_cannot_get_k_judges():
    entries = [Entry("e1", "art", "s1"), Entry("e2", "art", "s2"), Entry("e3", "art", "s1", frozenset({"j3"}))]
    judges = [Judge("j1", 5, school="s1"), Judge("j2", 5, school="s2"), Judge("j3", 5, school="s9")]
    assert check_assignment(assign(entries, judges, 1), entries, judges, 1) == []
    with pytest.raises(InfeasibleAssignment) as caught:
        assign(entries, judges, 3)
    assert caught.value.short == {"e1": 2, "e2": 2, "e3": 1}
    assert "3 entries cannot get k=3 judges without a conflict: e1 (2 eligible)" in str(caught.value)


def test_infeasible_by_loads_names_the_short_entries():
    entries = [Entry(f"e{i}", "art", "s0") for i in range(4)]
    judges = [Judge("j1", 4, school="s1"), Judge("j2", 2, school="s2", conflicts=frozenset({"e0", "e1"}))]
    # e0, e1 can only get j1; e2, e3 can get both, but j2's two slots plus j1's four cannot give 8 pairs
    with pytest.raises(InfeasibleAssignment) as caught:
        assign(entries, judges, 2)
    assert {"e0", "e1"} <= set(caught.value.short)


@pytest.mark.parametrize("solver", ["flow", "greedy"])
def test_structural_infeasibility_is_found_by_the_flow(solver):
    entries = [Entry(f"e{i}", "art") for i in range(4)]
    judges = [Judge("j1", 1), Judge("j2", 10, conflicts=frozenset({"e0", "e1"}))]
    # enough capacity in all, and every entry has an eligible judge, but e0 and e1 share j1's one slot
    with pytest.raises(InfeasibleAssignment) as caught:
        assign(entries, judges, 1, solver=solver)
    assert len(caught.value.short) == 1 and set(caught.value.short) <= {"e0", "e1"}
    assert "short of k=1" in str(caught.value)


def test_min_loads_that_cannot_be_met_are_refused():
    entries = [Entry("e1", "art"), Entry("e2", "art")]
    judges = [Judge("j1", 5, min_load=2), Judge("j2", 5, min_load=2), Judge("j3", 5)]
    with pytest.raises(InfeasibleAssignment, match="minimum loads"):
        assign(entries, judges, 1)


def test_pins_and_forbids_are_obeyed():
    entries = [Entry(f"e{i}", "art", f"s{i % 3}") for i in range(9)]
    judges = [Judge(f"j{j}", 9, school=f"t{j}") for j in range(4)]
    pins = [("e0", "j3"), ("e1", "j3")]
    forbids = [("e2", "j0"), ("e2", "j1")]
    for solver in ("flow", "greedy"):
        result = assign(entries, judges, 2, pins=pins, forbids=forbids, solver=solver)
        assert {("e0", "j3"), ("e1", "j3")} <= set(result.pairs)
        assert result.pinned == set(pins)
        assert sorted(result.judges_of()["e2"]) == ["j2", "j3"]
        assert check_assignment(result, entries, judges, 2, forbids=forbids) == []


def test_pin_across_a_conflict_is_refused():
    entries = [Entry("e1", "art", "s1")]
    judges = [Judge("j1", 3, school="s1"), Judge("j2", 3)]
    with pytest.raises(AssignmentInputError, match="same school"):
        assign(entries, judges, 1, pins=[("e1", "j1")])


def test_flow_balances_loads_with_capacity_as_a_cap_and_greedy_in_proportion():
    entries = [Entry(f"e{i}", "art") for i in range(60)]
    judges = [Judge("small", 20), Judge("big1", 40), Judge("big2", 40), Judge("big3", 40)]
    loads = assign(entries, judges, 2, solver="flow").loads  # 120 sheets: 30 each, but "small" stops at 20
    assert loads["small"] == 20 and sorted(loads[b] for b in ("big1", "big2", "big3")) == [33, 33, 34]
    roomy = [Judge("small", 35), Judge("big1", 40), Judge("big2", 40), Judge("big3", 40)]
    assert set(assign(entries, roomy, 2, solver="flow").loads.values()) == {30}
    loads = assign(entries, judges, 2, solver="greedy").loads
    assert loads["small"] == pytest.approx(120 * 20 / 140, abs=1.5)


def test_multi_category_judge_is_spread_across_categories():
    entries = [Entry(f"a{i}", "art") for i in range(20)] + [Entry(f"b{i}", "book") for i in range(20)]
    judges = [Judge("both", 20, categories=frozenset({"art", "book"})),
              Judge("art", 30, categories=frozenset({"art"})), Judge("book", 30, categories=frozenset({"book"}))]
    result = assign(entries, judges, 1, solver="flow")
    mine = [e for e, j in result.pairs if j == "both"]
    arts = sum(e.startswith("a") for e in mine)
    assert abs(arts - (len(mine) - arts)) <= 2


def test_check_assignment_reports_violations():
    entries = [Entry("e1", "art", "s1", frozenset({"j2"}))]
    judges = [Judge("j1", 0, school="s1"), Judge("j2", 1)]
    problems = check_assignment([("e1", "j1"), ("e1", "j2")], entries, judges, 1)
    assert "(e1, j1): same school" in problems
    assert "(e1, j2): judge is the entrant's teacher" in problems
    assert "entry e1 has 2 judges, not 1" in problems
    assert "judge j1 has 1 entries, outside 0–0" in problems


def test_assignment_csv_round_trip(tmp_path):
    entries = [Entry(f"e{i}", "art") for i in range(5)]
    judges = [Judge(f"j{j}", 5) for j in range(3)]
    result = assign(entries, judges, 2, pins=[("e0", "j1")])
    path = tmp_path / "assignment.csv"
    write_assignment_csv(path, result)
    back = read_assignment_csv(path)
    assert sorted(back.pairs) == sorted(result.pairs) and back.pinned == {("e0", "j1")}
    assert check_assignment(back, entries, judges, 2) == []


def test_assignment_csv_defects_have_line_numbers():
    with pytest.raises(ScoreDefects) as caught:
        parse_assignment_csv("entry,judge,pinned\ne1,j1,0\ne1,j1,1\ne2,,0\ne3,j2,maybe\n")
    assert [d.line for d in caught.value.defects] == [3, 4, 5]


def test_exact_max_flow_takes_over_when_the_greedy_pass_gets_stuck(monkeypatch):
    from aigc_contest.judging import assignment as module

    monkeypatch.setattr(module, "_greedy_solve", lambda *args: None)
    entries, judges = _planted_instance(7, 25, 8, 2, 3, 2)
    result = assign(entries, judges, 2, solver="greedy")
    assert result.solver == "greedy+maxflow"
    assert check_assignment(result, entries, judges, 2) == []


def test_large_contest_uses_the_fast_solver_and_stays_valid():
    rng = random.Random(5)
    entries = [Entry(f"e{i}", f"c{i % 3}", f"s{rng.randrange(40)}", frozenset({f"j{rng.randrange(200)}"}))
               for i in range(3000)]
    judges = [Judge(f"j{j}", max_load=140, min_load=40, school=f"s{rng.randrange(40)}",
                    conflicts=frozenset({f"e{rng.randrange(3000)}"}), categories=frozenset({f"c{j % 3}", f"c{(j + 1) % 3}"}))
              for j in range(100)]
    result = assign(entries, judges, 3)
    assert result.solver == "flow"
    assert check_assignment(result, entries, judges, 3) == []
    assert max(result.loads.values()) - min(result.loads.values()) <= 1
