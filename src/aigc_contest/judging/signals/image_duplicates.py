"""Near-duplicate pictures: candidate pairs from multi-index Hamming search, then one decision rule.

Candidates are the pairs within ``PHASH_RADIUS`` bits on pHash (a copy's full picture against the
other's full picture or its central 90 %) or within ``DHASH_RADIUS`` bits on dHash (hash pieces shared
by very many pictures are not probed, see ``*_MAX_BUCKET``). A candidate is a near duplicate when its
best pHash distance plus its dHash distance is small and its colour-channel pHashes agree.
Re-encoding and colour shifts barely move either hash; crops of a few per cent move pHash of the full
picture but not of the central part; small local edits move pHash more than dHash.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aigc_contest.judging.signals.hamming import HammingIndex, popcount
from aigc_contest.judging.signals.image_hashes import HASH_BITS, ImageHashes

PHASH_RADIUS = 7  # pHash distances are even (32 bits set in each), so 7 means 6
DHASH_RADIUS = 5
DHASH_BLOCKS = 3  # 21–22-bit pieces: dHash values crowd together, wider pieces keep buckets small
# A hash piece shared by more pictures than this (smooth or blank pictures) is not probed, so one crowded
# value cannot make the search quadratic; those pairs can still meet through another piece or hash.
PHASH_MAX_BUCKET = 2000
DHASH_MAX_BUCKET = 400


@dataclass(frozen=True)
class ImageRule:
    """When a candidate pair counts as a near duplicate (distances in bits of 64)."""

    structure: int = 30  # best pHash + dHash distance at most this (of 128) …
    colour: int = 56  # … and the colour pHashes no further apart than this (of 192)


@dataclass(frozen=True)
class ImagePairs:
    """Pairs (a[k], b[k]) with their pHash / dHash distances; ``inner[k]``: pHash matched on the centre."""

    a: np.ndarray
    b: np.ndarray
    phash: np.ndarray
    dhash: np.ndarray
    colour: np.ndarray
    inner: np.ndarray

    def __len__(self) -> int:
        return len(self.a)

    def similarity(self) -> np.ndarray:
        return 1.0 - (self.phash + self.dhash) / (2 * HASH_BITS)

    def explanation(self, k: int) -> str:
        where = " (pHash of the central part)" if self.inner[k] else " (pHash)"
        return (
            f"The pictures differ in {int(self.phash[k])} of 64 hash bits{where}, "
            f"{int(self.dhash[k])} of 64 (dHash) and {int(self.colour[k])} of 192 (colour channels)."
        )


def _decide(
    left: ImageHashes, right: ImageHashes, a: np.ndarray, b: np.ndarray, rule: ImageRule
) -> ImagePairs:
    n_right = np.int64(max(len(right), 1))
    key = np.unique(a.astype(np.int64) * n_right + b.astype(np.int64))
    a, b = key // n_right, key % n_right
    full = popcount(left.phash[a] ^ right.phash[b])
    inner = np.minimum(popcount(left.inner[a] ^ right.phash[b]), popcount(left.phash[a] ^ right.inner[b]))
    best = np.minimum(full, inner)
    dd = popcount(left.dhash[a] ^ right.dhash[b])
    dc = popcount(left.colour[a] ^ right.colour[b]).sum(axis=1)
    keep = (best + dd <= rule.structure) & (dc <= rule.colour)
    return ImagePairs(a[keep], b[keep], best[keep], dd[keep], dc[keep], (inner < full)[keep])


def _phash_index(codes: np.ndarray) -> HammingIndex:
    return HammingIndex(codes, PHASH_RADIUS, max_bucket=PHASH_MAX_BUCKET)


def _dhash_index(codes: np.ndarray) -> HammingIndex:
    return HammingIndex(codes, DHASH_RADIUS, DHASH_BLOCKS, max_bucket=DHASH_MAX_BUCKET)


def _cat(*parts: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def image_self_pairs(hashes: ImageHashes, rule: ImageRule | None = None) -> ImagePairs:
    """Near-duplicate pairs (a < b) within one set of pictures."""
    rule = rule or ImageRule()
    phash = _phash_index(hashes.phash)
    dhash = _dhash_index(hashes.dhash)
    pa, pb, _ = phash.self_pairs()
    da, db, _ = dhash.self_pairs()
    qa, qb, _ = phash.search(hashes.inner)  # a's centre against b's full picture
    other = qa != qb
    qa, qb = qa[other], qb[other]
    a, b = _cat((pa, pb), (da, db), (np.minimum(qa, qb), np.maximum(qa, qb)))
    return _decide(hashes, hashes, a, b, rule)


def image_cross_pairs(query: ImageHashes, indexed: ImageHashes, rule: ImageRule | None = None) -> ImagePairs:
    """Near-duplicate pairs (a in ``query``, b in ``indexed``): this edition against past ones or a
    reference set."""
    rule = rule or ImageRule()
    if len(query) == 0 or len(indexed) == 0:
        empty = np.empty(0, dtype=np.int64)
        return ImagePairs(empty, empty, empty, empty, empty, np.empty(0, dtype=bool))
    phash = _phash_index(indexed.phash)
    query_phash = _phash_index(query.phash)
    fa, fb, _ = phash.search(query.phash)
    ia, ib, _ = phash.search(query.inner)
    rb, ra, _ = query_phash.search(indexed.inner)
    da, db, _ = _dhash_index(indexed.dhash).search(query.dhash)
    a, b = _cat((fa, fb), (ia, ib), (ra, rb), (da, db))
    return _decide(query, indexed, a, b, rule)
