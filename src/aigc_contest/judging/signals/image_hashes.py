"""Perceptual hashes of pictures, computed in batches: pHash, inner pHash, dHash and colour pHashes.

Each picture is reduced once to a 32×32 RGB thumbnail by area averaging (PIL's BOX filter, or a plain
2×2 mean for a batch of 64×64 arrays); everything else is vectorised over the batch with numpy:

* **pHash** (the ``imagehash`` definition, on the thumbnail's luma): the 2-D DCT-II, its 8×8 lowest
  frequencies, a bit set where the coefficient is above their median;
* **inner pHash**: the same of the picture's central 90 % (5 % trimmed from each side), so that a copy
  cropped by a few per cent lands within a few bits of the original's inner or full pHash;
* **dHash**: the luma area-averaged to 9×8, a bit set where a pixel is brighter than its left-hand
  neighbour (robust to small local edits, which move pHash more);
* **colour pHashes**: pHash of the red, green and blue channels separately. Each is unchanged by a
  contrast or brightness change of its channel, so a recoloured copy keeps them while two pictures whose
  grey shapes merely look alike rarely share them. They confirm candidates; they are not searched.

Bits are packed most significant first, so ``f"{code:016x}"`` is the familiar hex form. Large JPEGs are
decoded at reduced size (``Image.draft``), which a 32-pixel thumbnail never notices.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

THUMB = 32
HASH_BITS = 64
INNER_TRIM = 0.05
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601-2, as PIL's "L" conversion


def _dct_matrix(n: int, keep: int) -> np.ndarray:
    k = np.arange(keep)[:, None]
    x = np.arange(n)[None, :]
    return 2.0 * np.cos(np.pi * k * (2 * x + 1) / (2 * n))  # scipy.fftpack.dct type II, unnormalised


def _area_matrix(n_in: int, n_out: int, lo: float = 0.0, hi: float | None = None) -> np.ndarray:
    """Rows average the input cells [lo, hi) that each output cell covers (fractional overlaps weighted)."""
    edges = np.linspace(lo, n_in if hi is None else hi, n_out + 1)
    matrix = np.zeros((n_out, n_in))
    for out in range(n_out):
        for cell in range(n_in):
            overlap = min(edges[out + 1], cell + 1) - max(edges[out], cell)
            if overlap > 0:
                matrix[out, cell] = overlap
    return matrix / matrix.sum(axis=1, keepdims=True)


_DCT = _dct_matrix(THUMB, 8)
# DCT of the central part, straight from the thumbnail: DCT(32) · area(central 90 % → 32)
_DCT_INNER = _DCT @ _area_matrix(THUMB, THUMB, THUMB * INNER_TRIM, THUMB * (1 - INNER_TRIM))
_ROWS_8 = _area_matrix(THUMB, 8)
_COLS_9 = _area_matrix(THUMB, 9)
_DCT32 = _DCT.astype(np.float32)
_WEIGHTS = np.uint64(1) << np.arange(63, -1, -1, dtype=np.uint64)


def _halve(batch: np.ndarray) -> np.ndarray:
    """(N, 64, 64, 3) uint8 → (N, 32, 32, 3) float32 by 2×2 means."""
    rows = batch[:, 0::2].astype(np.uint16)
    rows += batch[:, 1::2]
    return (rows[:, :, 0::2] + rows[:, :, 1::2]).astype(np.float32) * np.float32(0.25)


def thumbnail(image: Image.Image | np.ndarray) -> np.ndarray:
    """The 32×32×3 RGB thumbnail (float32) every hash is computed from."""
    if isinstance(image, np.ndarray):
        if image.shape == (2 * THUMB, 2 * THUMB, 3):
            return _halve(image[None])[0]
        image = Image.fromarray(image)
    if image.mode != "RGB":
        if "A" in image.getbands():  # transparent parts count as white
            background = Image.new("RGBA", image.size, (255, 255, 255, 255))
            image = Image.alpha_composite(background, image.convert("RGBA"))
        image = image.convert("RGB")
    if image.size != (THUMB, THUMB):
        image = image.resize((THUMB, THUMB), Image.Resampling.BOX)
    return np.asarray(image, dtype=np.float32)


def open_image(path: str | Path) -> Image.Image:
    """Open a picture file for hashing; JPEGs are decoded at the smallest size still ≥ 64 px."""
    image = Image.open(path)
    image.draft("RGB", (2 * THUMB, 2 * THUMB))
    image.load()
    return image


def _pack(bits: np.ndarray) -> np.ndarray:
    flat = bits.reshape(-1, HASH_BITS).astype(np.uint64)
    return (flat * _WEIGHTS).sum(axis=1, dtype=np.uint64)


def _above_median(low: np.ndarray) -> np.ndarray:
    flat = low.reshape(*low.shape[:-2], HASH_BITS)
    return _pack(flat > np.median(flat, axis=-1, keepdims=True)).reshape(low.shape[:-2])


@dataclass(frozen=True)
class ImageHashes:
    """Hash codes (uint64) of a batch of pictures, in input order; ``colour`` is (N, 3): R, G, B."""

    phash: np.ndarray
    inner: np.ndarray
    dhash: np.ndarray
    colour: np.ndarray

    def __len__(self) -> int:
        return len(self.phash)

    @classmethod
    def empty(cls) -> ImageHashes:
        nothing = np.empty(0, dtype=np.uint64)
        return cls(nothing, nothing, nothing, np.empty((0, 3), dtype=np.uint64))

    @classmethod
    def concat(cls, parts: Iterable[ImageHashes]) -> ImageHashes:
        parts = list(parts)
        if not parts:
            return cls.empty()
        return cls(
            *(
                np.concatenate([getattr(p, name) for p in parts])
                for name in ("phash", "inner", "dhash", "colour")
            )
        )

    def take(self, index: np.ndarray) -> ImageHashes:
        return ImageHashes(self.phash[index], self.inner[index], self.dhash[index], self.colour[index])


def phash_of_thumbnails(thumbs: np.ndarray) -> np.ndarray:
    """pHash of an (N, 32, 32) stack of grayscale thumbnails (equal to ``imagehash.phash`` of each)."""
    luma = np.asarray(thumbs, dtype=np.float64)
    return _above_median(np.matmul(_DCT, luma @ _DCT.T))


def hashes_from_thumbnails(thumbs: np.ndarray) -> ImageHashes:
    """Hashes of an (N, 32, 32, 3) stack of RGB thumbnails (or (N, 32, 32) grayscale ones)."""
    thumbs = np.asarray(thumbs, dtype=np.float32)
    if len(thumbs) == 0:
        return ImageHashes.empty()
    if thumbs.ndim == 3:
        thumbs = np.repeat(thumbs[..., None], 3, axis=3)
    luma = (thumbs @ _LUMA).astype(np.float64)  # (N, 32, 32)
    channels = np.moveaxis(thumbs, 3, 1)  # (N, 3, 32, 32)
    phash = _above_median(np.matmul(_DCT, luma @ _DCT.T))
    inner = _above_median(np.matmul(_DCT_INNER, luma @ _DCT_INNER.T))
    small = np.matmul(_ROWS_8, luma @ _COLS_9.T)  # (N, 8, 9)
    dhash = _pack(small[:, :, 1:] > small[:, :, :-1])
    colour = _above_median(np.matmul(_DCT32, channels @ _DCT32.T))  # (N, 3)
    return ImageHashes(phash, inner, dhash, colour)


def hash_images(images: Iterable[Image.Image | np.ndarray] | np.ndarray, batch: int = 8192) -> ImageHashes:
    """Hashes of every picture, in order.

    ``images``: PIL images or H×W×3 uint8 arrays, or one (N, 64, 64, 3) uint8 array of pictures of that
    size (thumbnailed in one vectorised step).
    """
    if isinstance(images, np.ndarray) and images.shape[1:] == (2 * THUMB, 2 * THUMB, 3):
        parts = []
        for start in range(0, len(images), batch):
            parts.append(hashes_from_thumbnails(_halve(images[start : start + batch])))
        return ImageHashes.concat(parts)
    parts = []
    stack: list[np.ndarray] = []
    for image in images:
        stack.append(thumbnail(image))
        if len(stack) == batch:
            parts.append(hashes_from_thumbnails(np.stack(stack)))
            stack = []
    if stack:
        parts.append(hashes_from_thumbnails(np.stack(stack)))
    return ImageHashes.concat(parts)
