"""The visible AI-generated label (GB 45438-2025 explicit label) drawn on pictures in exported works.

The standard asks that a generated picture carry a mark people can see, in a corner, with text at least
5 % of the picture's shorter side tall, besides the metadata label (the PNG `AIGC` chunk our pictures
already carry). Exports (PDF, EPUB, HTML) re-encode their pictures anyway, so the mark is drawn then, in
the book's language: 「AI生成」 for Chinese books, "AI-generated" for English ones. Pictures that say
nothing of being generated (a child's own scanned drawing) are left as they are.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image, ImageFont

LABEL_TEXT = {"en": "AI-generated", "zh-Hant": "AI生成", "zh-Hans": "AI生成"}
MIN_TEXT_SHARE = 0.05  # text height over the shorter side (the standard's floor)
TEXT_SHARE = 0.06  # drawn a little above the floor, so resampling never takes it under
_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    for candidate in _FONT_CANDIDATES:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)


def is_generated(provenance: dict[str, Any] | None, raw: bytes | None = None) -> bool:
    """Whether a picture was made by a model: its provenance says so, or its file carries a generator's
    record or the GB 45438 implicit label."""
    if provenance and any(provenance.get(key) for key in ("model", "backend", "model_id")):
        return True
    if raw is None or not raw.startswith(b"\x89PNG"):
        return False
    from aigc_contest.generation.provenance import AIGC_LABEL_GENERATED, read_provenance

    try:
        info = read_provenance(raw)
    except ValueError:
        return False
    labelled = bool(info.aigc_label and info.aigc_label.get("Label") == AIGC_LABEL_GENERATED)
    return labelled or info.source != "none"


def draw_label(image: Image.Image, language: str = "en") -> Image.Image:
    """A copy of `image` (RGB) with the label in its bottom-right corner: white text on a dark panel, the
    text's height at least 5 % of the shorter side."""
    from PIL import ImageDraw

    text = LABEL_TEXT.get(language, LABEL_TEXT["en"])
    labelled = image.convert("RGB").copy()
    shorter = min(labelled.size)
    size = max(10, round(shorter * TEXT_SHARE))
    font = _font(size)
    draw = ImageDraw.Draw(labelled, "RGBA")
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    padding = max(2, size // 4)
    width, height = right - left + 2 * padding, bottom - top + 2 * padding
    x0, y0 = labelled.width - width - padding, labelled.height - height - padding
    draw.rounded_rectangle((x0, y0, x0 + width, y0 + height), radius=padding, fill=(0, 0, 0, 170))
    draw.text((x0 + padding - left, y0 + padding - top), text, font=font, fill=(255, 255, 255, 255))
    return labelled


def label_height(image: Image.Image, language: str = "en") -> int:
    """The drawn text's height in pixels (what the 5 % rule is measured on)."""
    from PIL import ImageDraw

    size = max(10, round(min(image.size) * TEXT_SHARE))
    left, top, right, bottom = ImageDraw.Draw(image).textbbox(
        (0, 0), LABEL_TEXT.get(language, "AI"), font=_font(size)
    )
    return round(bottom - top)


def labelled_png(raw: bytes, language: str = "en") -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(raw)) as image:
        image.load()
        out = io.BytesIO()
        draw_label(image, language).save(out, "PNG")
    return out.getvalue()
