"""Near-duplicate texts: MinHash with banded LSH over shingles, vectorised with numpy, then exact Jaccard.

Every text goes through ``matching_form`` (NFKC, OpenCC Traditional → Simplified, case folding), is cut
into tokens (one CJK character, or one run of other letters/digits) and into shingles of ``SHINGLE``
consecutive tokens: character 3-grams for Chinese, word 3-grams for English, both for mixed text. Token
and shingle hashes are computed for the whole corpus at once (a polynomial hash over code points, then a
64-bit mixer), so nothing depends on Python's per-process string hashing and results are reproducible.

MinHash uses ``PERMUTATIONS`` multiply-add-shift hash functions over 32-bit shingle hashes (2-universal);
the signature is cut into ``BANDS`` bands of ``ROWS`` rows, and texts sharing any band are candidates
(for Jaccard 0.5 the chance of becoming one is 0.87, for 0.6 it is 0.99). Candidates are then confirmed
by their exact Jaccard similarity on the shingle sets, which is what is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from aigc_contest.judging.signals.keyjoin import KeyTable
from aigc_contest.judging.signals.textnorm import cjk_count, has_traditional, matching_form

SHINGLE = 3
PERMUTATIONS = 128
BANDS = 32
ROWS = PERMUTATIONS // BANDS
THRESHOLD = 0.5  # exact Jaccard of the shingle sets at which a pair is reported
_SEED = 20260515
_P = np.uint64(0x100000001B3)  # FNV-style odd multiplier for the polynomial token hash
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijective 64-bit mixer (wrapping arithmetic)."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x ^= x >> np.uint64(27)
    x *= _M2
    x ^= x >> np.uint64(31)
    return x


def shingle_hashes(forms: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(hashes uint64, offsets) for texts already in matching form: text t's shingles are
    hashes[offsets[t]:offsets[t + 1]]. A text with fewer than SHINGLE tokens has one shingle (all of them);
    an empty text has none."""
    n = len(forms)
    if n == 0:
        return np.empty(0, dtype=np.uint64), np.zeros(1, dtype=np.int64)
    with np.errstate(over="ignore"):
        codes = np.frombuffer("\n".join(forms).encode("utf-32-le"), dtype=np.uint32)
        separator = (codes == 32) | (codes == 10)
        is_char = ~separator
        boundary = np.flatnonzero(np.diff(np.concatenate(([1], separator.view(np.int8), [1]))))
        token_start, token_end = boundary[0::2], boundary[1::2]  # runs of non-separators
        if len(token_start) == 0:
            return np.empty(0, dtype=np.uint64), np.zeros(n + 1, dtype=np.int64)
        length = token_end - token_start
        char_index = np.flatnonzero(is_char)
        first_char = np.concatenate(([0], np.cumsum(length)[:-1]))
        position = np.arange(len(char_index)) - np.repeat(first_char, length)
        powers = np.cumprod(np.full(int(length.max()), _P, dtype=np.uint64)) // _P
        powers[0] = np.uint64(1)
        contributions = (codes[char_index].astype(np.uint64) + np.uint64(1)) * powers[position]
        tokens = _mix(np.add.reduceat(contributions, first_char))
        token_text = np.searchsorted(np.flatnonzero(codes == 10), token_start)
        counts = np.bincount(token_text, minlength=n)
        token_offsets = np.concatenate(([0], np.cumsum(counts)))

        # windows of SHINGLE tokens inside one text
        m = len(tokens)
        starts = np.arange(max(m - SHINGLE + 1, 0))
        inside = (
            token_text[starts] == token_text[starts + SHINGLE - 1] if len(starts) else starts.astype(bool)
        )
        starts = starts[inside]
        shingle = np.zeros(len(starts), dtype=np.uint64)
        for k in range(SHINGLE):
            shingle = _mix(shingle ^ tokens[starts + k])
        shingle_text = token_text[starts]
        # texts too short for one window: one shingle of all their tokens
        short = np.flatnonzero((counts > 0) & (counts < SHINGLE))
        extra = np.zeros(len(short), dtype=np.uint64)
        for k in range(SHINGLE - 1):
            has = counts[short] > k
            index = np.minimum(token_offsets[short] + k, m - 1)
            extra = np.where(has, _mix(extra ^ tokens[index]), extra)
        all_text = np.concatenate((shingle_text, short))
        order = np.argsort(all_text, kind="stable")
        hashes = np.concatenate((shingle, extra))[order]
        per_text = np.bincount(all_text, minlength=n)
    return hashes, np.concatenate(([0], np.cumsum(per_text))).astype(np.int64)


def minhash(hashes: np.ndarray, offsets: np.ndarray, permutations: int = PERMUTATIONS) -> np.ndarray:
    """(T, permutations) uint32 signatures; rows of texts without shingles are all 0xFFFFFFFF."""
    n = len(offsets) - 1
    signature = np.full((n, permutations), np.iinfo(np.uint32).max, dtype=np.uint32)
    present = np.flatnonzero(np.diff(offsets) > 0)
    if len(present) == 0:
        return signature
    rng = np.random.default_rng(_SEED)
    a = rng.integers(0, 2**63, permutations, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.integers(0, 2**63, permutations, dtype=np.uint64)
    x = hashes >> np.uint64(32)  # 32-bit keys for multiply-add-shift
    value = np.empty_like(x)
    starts = offsets[present]
    with np.errstate(over="ignore"):
        for k in range(permutations):
            np.multiply(x, a[k], out=value)
            value += b[k]
            value >>= np.uint64(32)
            signature[present, k] = np.minimum.reduceat(value, starts)
    return signature


def _band_keys(signature: np.ndarray) -> np.ndarray:
    """(BANDS, T) uint64 keys: each band's ROWS values mixed into one 64-bit key."""
    n = len(signature)
    rows = signature.reshape(n, BANDS, ROWS).astype(np.uint64)
    key = np.zeros((n, BANDS), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for r in range(ROWS):
            key = _mix(key ^ (rows[:, :, r] + np.uint64(r << 40)))
    return np.ascontiguousarray(key.T)


@dataclass
class TextIndex:
    """Shingle sets and MinHash signatures of a corpus of texts, ready for near-duplicate search."""

    texts: list[str]
    hashes: np.ndarray
    offsets: np.ndarray
    signature: np.ndarray
    bands: np.ndarray
    _sets: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, texts: Sequence[str]) -> TextIndex:
        texts = list(texts)
        hashes, offsets = shingle_hashes([matching_form(t) for t in texts])
        signature = minhash(hashes, offsets)
        return cls(texts, hashes, offsets, signature, _band_keys(signature))

    def __len__(self) -> int:
        return len(self.texts)

    def shingle_set(self, t: int) -> np.ndarray:
        found = self._sets.get(t)
        if found is None:
            found = np.unique(self.hashes[self.offsets[t] : self.offsets[t + 1]])
            self._sets[t] = found
        return found

    def _empty(self) -> np.ndarray:
        return np.diff(self.offsets) == 0


def _confirm(left: TextIndex, right: TextIndex, a: np.ndarray, b: np.ndarray, threshold: float) -> TextPairs:
    n_right = np.int64(max(len(right), 1))
    key = np.unique(a * n_right + b)
    a, b = key // n_right, key % n_right
    keep = ~left._empty()[a] & ~right._empty()[b]
    a, b = a[keep], b[keep]
    estimate = (left.signature[a] == right.signature[b]).mean(axis=1)
    plausible = estimate >= threshold - 0.2  # 128 permutations: std ≤ 0.045, so nothing real is dropped
    a, b = a[plausible], b[plausible]
    jaccard = np.empty(len(a))
    for k, (i, j) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
        x, y = left.shingle_set(i), right.shingle_set(j)
        common = len(np.intersect1d(x, y, assume_unique=True))
        jaccard[k] = common / (len(x) + len(y) - common)
    keep = jaccard >= threshold
    return TextPairs(left, right, a[keep], b[keep], jaccard[keep])


@dataclass(frozen=True)
class TextPairs:
    left: TextIndex
    right: TextIndex
    a: np.ndarray
    b: np.ndarray
    similarity: np.ndarray

    def __len__(self) -> int:
        return len(self.a)

    def explanation(self, k: int) -> str:
        i, j = int(self.a[k]), int(self.b[k])
        first, second = self.left.texts[i], self.right.texts[j]
        cjk = cjk_count(first) + cjk_count(second)
        unit = (
            "three-character sequences"
            if cjk * 2 >= len(first) + len(second) - first.count(" ") - second.count(" ")
            else "three-word sequences"
        )
        scripts = ""
        if has_traditional(first) != has_traditional(second):
            scripts = ", one written in Traditional and the other in Simplified characters"
        return (
            f"The texts share {round(100 * float(self.similarity[k]))} % of their {unit} "
            f"(Jaccard similarity){scripts}."
        )


def text_self_pairs(index: TextIndex, threshold: float = THRESHOLD) -> TextPairs:
    """Near-duplicate pairs (a < b) within one corpus."""
    found_a, found_b = [], []
    for band in index.bands:
        a, b = KeyTable(band).self_pairs()
        found_a.append(a)
        found_b.append(b)
    if not found_a:
        empty = np.empty(0, dtype=np.int64)
        return _confirm(index, index, empty, empty, threshold)
    return _confirm(index, index, np.concatenate(found_a), np.concatenate(found_b), threshold)


def text_cross_pairs(query: TextIndex, indexed: TextIndex, threshold: float = THRESHOLD) -> TextPairs:
    """Near-duplicate pairs (a in ``query``, b in ``indexed``)."""
    found_a, found_b = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int64)]
    if len(query) and len(indexed):
        for band_query, band_indexed in zip(query.bands, indexed.bands, strict=True):
            a, b = KeyTable(band_indexed).pairs_with(band_query)
            found_a.append(a)
            found_b.append(b)
    return _confirm(query, indexed, np.concatenate(found_a), np.concatenate(found_b), threshold)
