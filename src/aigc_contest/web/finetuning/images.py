"""A small perceptual hash (dHash) for flagging near-duplicate pictures in a training set."""

from __future__ import annotations

import io

DUPLICATE_DISTANCE = 6  # of 64 bits: the same picture resized, recompressed or slightly retouched


def dhash(data: bytes, size: int = 8) -> str:
    """64-bit difference hash as 16 hex digits: each bit says whether a pixel of the 9×8 grey thumbnail is
    brighter than its right-hand neighbour, so it survives scaling and recompression."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        grey = image.convert("L").resize((size + 1, size), Image.Resampling.LANCZOS)
        pixels = list(grey.tobytes())
    bits = 0
    for row in range(size):
        for col in range(size):
            left, right = pixels[row * (size + 1) + col], pixels[row * (size + 1) + col + 1]
            bits = (bits << 1) | (1 if left > right else 0)
    return f"{bits:0{size * size // 4}x}"


def hamming(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def near_duplicates(hashes: list[str], distance: int = DUPLICATE_DISTANCE) -> dict[int, int]:
    """Index -> the index of an earlier picture it nearly duplicates (pictures without a hash are skipped)."""
    found: dict[int, int] = {}
    for i, current in enumerate(hashes):
        if not current:
            continue
        for j in range(i):
            if hashes[j] and j not in found and hamming(current, hashes[j]) <= distance:
                found[i] = j
                break
    return found
