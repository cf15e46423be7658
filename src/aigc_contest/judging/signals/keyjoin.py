"""Vectorised equi-joins on integer keys: the building block of both near-duplicate indexes.

``KeyTable`` sorts one side's keys once; ``pairs_with`` finds every (query, row) whose keys are equal with
two ``searchsorted`` calls, and ``self_pairs`` every i < j inside the table. Work is done in chunks so that
memory stays bounded by the number of matches, not by the square of the corpus.
"""

from __future__ import annotations

import numpy as np

CHUNK = 1 << 16


def _expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each query q with matches sorted[lo[q]:hi[q]]: (q repeated, positions in sorted order)."""
    counts = hi - lo
    total = int(counts.sum())
    if total == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    query = np.repeat(np.arange(len(lo), dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    position = np.arange(total, dtype=np.int64) - np.repeat(starts - lo, counts)
    return query, position


class KeyTable:
    """One side of an equi-join: keys sorted once, looked up many times."""

    def __init__(self, keys: np.ndarray, key_space: int | None = None, max_group: int | None = None) -> None:
        """``key_space``: keys are known to lie in 0..key_space-1 (small): look-ups become direct addressing.
        ``max_group``: keys shared by more rows than this are skipped (they carry little information and
        would make the join quadratic)."""
        self.max_group = max_group
        self.order = np.argsort(keys, kind="stable").astype(np.int64)
        self.sorted = keys[self.order]
        self._starts: np.ndarray | None = None
        if key_space is not None:
            counts = np.bincount(keys.astype(np.int64), minlength=key_space)
            self._starts = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)

    def _ranges(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._starts is not None:
            index = queries.astype(np.int64)
            return self._starts[index], self._starts[index + 1]
        return (
            np.searchsorted(self.sorted, queries, side="left"),
            np.searchsorted(self.sorted, queries, side="right"),
        )

    def pairs_with(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All (i, j) with queries[i] == keys[j]."""
        out_q, out_r = [], []
        for start in range(0, len(queries), CHUNK):
            chunk = queries[start : start + CHUNK]
            lo, hi = self._ranges(chunk)
            q, pos = _expand(lo, hi)
            out_q.append(q + start)
            out_r.append(self.order[pos])
        if not out_q:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        return np.concatenate(out_q), np.concatenate(out_r)

    def self_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """All (i, j), i < j, with keys[i] == keys[j]."""
        n = len(self.sorted)
        if n < 2:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        # group boundaries in sorted order; for each row, the rows after it in its group
        new_group = np.empty(n, dtype=bool)
        new_group[0] = True
        np.not_equal(self.sorted[1:], self.sorted[:-1], out=new_group[1:])
        group_end = np.flatnonzero(np.append(new_group[1:], True)) + 1  # end (exclusive) of each group
        sizes = np.diff(np.append(np.flatnonzero(new_group), n))
        if self.max_group is not None:
            group_end = np.where(sizes > self.max_group, group_end - sizes, group_end)  # no pairs
        ends = np.repeat(group_end, sizes)
        ends = np.maximum(ends, np.arange(1, n + 1))
        lo = np.arange(1, n + 1, dtype=np.int64)
        first, pos = _expand(lo, ends)
        a, b = self.order[first], self.order[pos]
        return np.minimum(a, b), np.maximum(a, b)
