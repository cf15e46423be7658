"""Which entries of a round go on to the next one: the top N of each category, or those over a cut-off.

Takes plain rows (entry id, score, rank) of one category, as a round's results give them, and returns the
promoted entry ids best first. The top N keeps every entry tied with the N-th (ranks are competition ranks,
"1224", so entries sharing rank N all go on); an entry without a score or a rank never goes on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class ShortlistError(ValueError):
    """The rule is malformed: neither or both of top and cut-off, or a number out of range."""


@dataclass(frozen=True)
class ShortlistRule:
    MAX_TOP = 100_000  # more entries than any category holds; also what a database integer column keeps

    top: int | None = None  # the best N entries of each category (ties with the N-th go on too)
    cutoff: float | None = None  # every entry scoring at least this (0–100)

    def __post_init__(self) -> None:
        if (self.top is None) == (self.cutoff is None):
            raise ShortlistError("give either top or cutoff, not both and not neither")
        if self.top is not None and not 1 <= self.top <= self.MAX_TOP:
            raise ShortlistError(f"top must be between 1 and {self.MAX_TOP:,}")
        if self.cutoff is not None and not (math.isfinite(self.cutoff) and 0 <= self.cutoff <= 100):
            raise ShortlistError("cutoff must be between 0 and 100")

    def describe(self) -> str:
        return f"top {self.top}" if self.top is not None else f"score >= {self.cutoff:g}"


@dataclass(frozen=True)
class Candidate:
    entry: str
    score: float | None
    rank: int | None


def select(candidates: Iterable[Candidate], rule: ShortlistRule) -> list[Candidate]:
    """The candidates of one category that the rule promotes, best first (by rank, then score)."""
    ranked = [c for c in candidates if c.score is not None and c.rank is not None and math.isfinite(c.score)]
    ranked.sort(key=lambda c: (c.rank, -(c.score or 0.0), c.entry))
    if rule.top is not None:
        return [c for c in ranked if c.rank is not None and c.rank <= rule.top]
    assert rule.cutoff is not None
    return [c for c in ranked if c.score is not None and c.score >= rule.cutoff - 1e-9]


def select_by_category(rows: Sequence[tuple[str, str, float | None, int | None]],
                       rule: ShortlistRule) -> dict[str, list[Candidate]]:
    """Rows (category, entry, score, rank) → {category: promoted candidates, best first}."""
    grouped: dict[str, list[Candidate]] = {}
    for category, entry, score, rank in rows:
        grouped.setdefault(category, []).append(Candidate(entry, score, rank))
    return {category: select(found, rule) for category, found in grouped.items()}
