"""Every generated picture in an export carries the visible AI-generated label (GB 45438-2025): in a corner,
text at least 5 % of the shorter side tall, in the book's language; a child's own drawing is left alone."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from aigc_contest.works.ai_label import MIN_TEXT_SHARE, draw_label, is_generated, label_height
from aigc_contest.works.storybook.model import ImageAsset
from aigc_contest.works.storybook.render import ImagePreparer


def _png(size: tuple[int, int] = (400, 300)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 180, 230)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("language", ["en", "zh-Hant", "zh-Hans"])
@pytest.mark.parametrize("size", [(400, 300), (1600, 900), (64, 64)])
def test_the_label_is_tall_enough_and_sits_in_the_bottom_right_corner(
    language: str, size: tuple[int, int]
) -> None:
    plain = Image.new("RGB", size, (120, 180, 230))
    labelled = np.asarray(draw_label(plain, language)).astype(int)
    assert label_height(plain, language) >= MIN_TEXT_SHARE * min(size)
    changed = np.argwhere(np.abs(labelled - np.asarray(plain).astype(int)).sum(axis=2) > 30)
    assert changed.size, "something was drawn"
    rows, cols = changed[:, 0], changed[:, 1]
    assert rows.min() > size[1] * 0.5 and cols.max() >= size[0] * 0.9  # the bottom-right corner
    if min(size) >= 300:
        assert cols.min() > size[0] * 0.5  # and no more of the picture than a corner
    assert np.any(labelled[rows, cols].min(axis=1) > 240)  # white text on the dark panel


def test_only_generated_pictures_are_labelled_in_exports() -> None:
    from aigc_contest.generation.provenance import png_with_provenance
    from aigc_contest.generation.types import Provenance

    record = Provenance(backend="diffusers", model="sd-tiny", model_id="tiny", prompt="a turtle")
    generated = png_with_provenance(Image.new("RGB", (300, 300), (120, 180, 230)), record)
    drawing = _png((300, 300))
    assert is_generated({}, generated) and not is_generated({}, drawing)
    assert is_generated({"model": "sd-turbo"}, drawing)  # the book's own record says so

    preparer = ImagePreparer(None, ai_label="zh-Hant")
    labelled = preparer.prepare(ImageAsset(data=generated), "page 1")
    untouched = preparer.prepare(ImageAsset(data=drawing), "page 2")
    corner = (slice(250, 300), slice(150, 300))
    assert np.asarray(Image.open(io.BytesIO(labelled.data)))[corner].min() < 60  # the dark panel
    assert np.asarray(Image.open(io.BytesIO(untouched.data)))[corner].min() > 100
    unlabelled = ImagePreparer(None).prepare(ImageAsset(data=generated), "page 1")
    assert np.asarray(Image.open(io.BytesIO(unlabelled.data)))[corner].min() > 100
