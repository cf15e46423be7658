"""The core's shortlist rule: top N per category (ties with the N-th go on) or a score cut-off."""

from __future__ import annotations

import pytest

from aigc_contest.judging.shortlist import (
    Candidate,
    ShortlistError,
    ShortlistRule,
    select,
    select_by_category,
)


def _ids(found: list[Candidate]) -> list[str]:
    return [c.entry for c in found]


def test_top_n_keeps_entries_tied_with_the_last_place() -> None:
    rows = [Candidate("a", 90, 1), Candidate("b", 80, 2), Candidate("c", 80, 2), Candidate("d", 70, 4)]
    assert _ids(select(rows, ShortlistRule(top=2))) == ["a", "b", "c"]
    assert _ids(select(rows, ShortlistRule(top=1))) == ["a"]
    assert _ids(select(rows, ShortlistRule(top=10))) == ["a", "b", "c", "d"]


def test_cutoff_takes_every_entry_at_or_over_it_and_never_an_unscored_one() -> None:
    rows = [Candidate("a", 60.0, 2), Candidate("b", 75.5, 1), Candidate("c", None, None), Candidate("d", 59.99, 3)]
    assert _ids(select(rows, ShortlistRule(cutoff=60))) == ["b", "a"]
    assert _ids(select(rows, ShortlistRule(cutoff=0))) == ["b", "a", "d"]


def test_per_category() -> None:
    rows = [("x", "1", 50.0, 1), ("x", "2", 40.0, 2), ("y", "3", 30.0, 1)]
    found = select_by_category(rows, ShortlistRule(top=1))
    assert {k: _ids(v) for k, v in found.items()} == {"x": ["1"], "y": ["3"]}


@pytest.mark.parametrize("kwargs", [{}, {"top": 1, "cutoff": 5.0}, {"top": 0}, {"cutoff": 101.0},
                                    {"cutoff": float("nan")}])
def test_a_malformed_rule_is_refused(kwargs) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ShortlistError):
        ShortlistRule(**kwargs)


def test_a_shortlist_larger_than_any_category_is_refused() -> None:
    from aigc_contest.judging.shortlist import ShortlistError, ShortlistRule

    assert ShortlistRule(top=ShortlistRule.MAX_TOP).top == 100_000
    with pytest.raises(ShortlistError, match="between 1 and 100,000"):
        ShortlistRule(top=450_385_491_213_917)  # a number no database integer column keeps
