"""Near-duplicate pictures: perceptual hashes, the multi-index Hamming search and the decision rule."""

from __future__ import annotations

import io

import imagehash
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageEnhance

from aigc_contest.judging.signals import Works, near_duplicates, reference_matches
from aigc_contest.judging.signals.hamming import HammingIndex
from aigc_contest.judging.signals.image_hashes import hash_images, phash_of_thumbnails


def picture(seed: int, size: tuple[int, int] = (160, 120)) -> Image.Image:
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", size, tuple(int(c) for c in rng.integers(0, 256, 3)))
    draw = ImageDraw.Draw(image)
    w, h = size
    for _ in range(7):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        rx, ry = int(rng.integers(w // 12, w // 3)), int(rng.integers(h // 12, h // 3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape([x - rx, y - ry, x + rx, y + ry], fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    return image


def crop(image: Image.Image) -> Image.Image:
    w, h = image.size
    return image.crop((int(0.05 * w), int(0.03 * h), int(0.96 * w), int(0.94 * h)))


def reencode(image: Image.Image) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=35)
    return Image.open(io.BytesIO(buffer.getvalue()))


def colour_shift(image: Image.Image) -> Image.Image:
    brighter = ImageEnhance.Brightness(image).enhance(1.15)
    return ImageEnhance.Contrast(brighter).enhance(0.85)


@pytest.fixture(scope="module")
def originals() -> list[Image.Image]:
    return [picture(seed) for seed in range(40)]


@pytest.mark.parametrize("edit", [crop, reencode, colour_shift])
def test_planted_near_copy_is_found_with_its_reason(originals, edit):
    images = {f"o{i}": image for i, image in enumerate(originals)}
    images["copy"] = edit(originals[7])
    pairs = near_duplicates(Works.build(images=images))
    assert [(p.a, p.b) for p in pairs] == [("o7", "copy")]
    pair = pairs[0]
    assert pair.kind == "image" and 0.8 <= pair.similarity <= 1 and pair.advisory
    assert pair.explanation.startswith("The pictures differ in ") and "of 64 hash bits" in pair.explanation
    assert pair.explanation.count(".") == 1 and pair.explanation.endswith(".")


def test_unrelated_pictures_are_not_paired(originals):
    assert near_duplicates(Works.build(images={f"o{i}": im for i, im in enumerate(originals)})) == []


def test_past_edition_and_reference_set_are_queried_the_same_way(originals):
    current = Works.build(images={"new": crop(originals[3]), "other": originals[0]})
    past = Works.build(images={"2025/a": originals[3], "2025/b": originals[5]})
    pairs = near_duplicates(current, past)
    assert [(p.a, p.b) for p in pairs] == [("new", "2025/a")]
    assert pairs[0].explanation.startswith("From a past edition: the pictures differ")
    reference = Works.build(images={"famous.png": colour_shift(originals[0])})
    hits = reference_matches(current, reference, "Public paintings")
    assert [(h.a, h.b) for h in hits] == [("other", "famous.png")]
    assert "reference set “Public paintings”" in hits[0].explanation


def test_phash_is_imagehash_phash_of_the_thumbnail():
    rng = np.random.default_rng(5)
    thumbs = [
        np.asarray(picture(int(s)).convert("L").resize((32, 32), Image.Resampling.BOX), dtype=np.float64)
        for s in rng.integers(0, 1000, 8)
    ]
    ours = phash_of_thumbnails(np.stack(thumbs))
    for code, thumb in zip(ours, thumbs, strict=True):
        theirs = int(str(imagehash.phash(Image.fromarray(thumb.astype(np.uint8)))), 16)
        assert int(code) == theirs


def test_batch_and_single_paths_agree():
    arrays = np.stack([np.asarray(picture(s, (64, 64))) for s in range(6)])
    batch = hash_images(arrays)
    single = hash_images([Image.fromarray(a) for a in arrays])
    assert (batch.phash == single.phash).all() and (batch.dhash == single.dhash).all()
    assert (batch.colour == single.colour).all()


@pytest.mark.parametrize(("radius", "blocks"), [(0, 4), (3, 4), (7, 4), (8, 3), (5, 2), (11, 6)])
def test_hamming_index_finds_exactly_the_pairs_within_the_radius(radius, blocks):
    rng = np.random.default_rng(radius)
    base = rng.integers(0, 2**63, 300, dtype=np.int64).astype(np.uint64) << np.uint64(1)
    flips = [
        np.uint64(sum(1 << int(b) for b in rng.choice(64, int(rng.integers(0, 14)), replace=False)))
        for _ in range(300)
    ]
    codes = np.concatenate([base, base ^ np.array(flips, dtype=np.uint64), base[:20]])
    index = HammingIndex(codes, radius, blocks)
    a, b, d = index.self_pairs()
    distance = np.bitwise_count(codes[:, None] ^ codes[None, :])
    ii, jj = np.nonzero(np.triu(distance <= radius, 1))
    assert set(zip(a.tolist(), b.tolist(), strict=True)) == set(zip(ii.tolist(), jj.tolist(), strict=True))
    assert (d == distance[a, b]).all()
    qa, qb, _ = index.search(codes[:50] ^ np.uint64(1))
    qdist = np.bitwise_count((codes[:50] ^ np.uint64(1))[:, None] ^ codes[None, :])
    qi, qj = np.nonzero(qdist <= radius)
    assert set(zip(qa.tolist(), qb.tolist(), strict=True)) == set(zip(qi.tolist(), qj.tolist(), strict=True))


def test_crowded_hash_values_are_skipped_but_other_pairs_still_found():
    crowded = np.full(500, 0x0F0F0F0F0F0F0F0F, dtype=np.uint64)
    pair = np.array([0x123456789ABCDEF0, 0x123456789ABCDEF1], dtype=np.uint64)
    codes = np.concatenate([crowded, pair])
    a, b, _ = HammingIndex(codes, 5, 3, max_bucket=100).self_pairs()
    assert list(zip(a.tolist(), b.tolist(), strict=True)) == [(500, 501)]
    assert len(HammingIndex(codes, 5, 3).self_pairs()[0]) == 500 * 499 // 2 + 1
