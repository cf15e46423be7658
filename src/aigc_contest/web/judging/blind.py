"""Images as judges (and the public gallery) see them: pixels re-encoded, personal metadata gone.

Re-encoding with Pillow drops EXIF (camera, GPS, author), XMP and ICC comments. Only the AI provenance
text chunks of a PNG are carried over, because "use of AI models" is a criterion: A1111 `parameters`,
the platform's JSON provenance (with its `user` field removed) and the AIGC label. Nothing else is kept.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

from aigc_contest.generation.provenance import AIGC_LABEL_KEY, JSON_KEY, PARAMETERS_KEY

PROVENANCE_KEYS = (PARAMETERS_KEY, JSON_KEY, AIGC_LABEL_KEY)
# Fields of the JSON provenance that could say who made the work.
PERSONAL_FIELDS = ("user", "owner", "author", "school", "team")


@dataclass
class BlindImage:
    data: bytes
    mime: str
    provenance: dict[str, str] = field(default_factory=dict)  # kept text chunks, as written in the file


def _scrub_json(text: str) -> str:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return text
    if isinstance(data, dict):
        for key in PERSONAL_FIELDS:
            data.pop(key, None)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def blind_image(data: bytes) -> BlindImage:
    """Re-encode an uploaded PNG/JPEG/WebP; ValueError when the bytes are not an image Pillow can read."""
    from PIL import Image, ImageOps, UnidentifiedImageError
    from PIL.PngImagePlugin import PngInfo

    try:
        image: Image.Image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError("not a readable image") from exc
    source_format = image.format
    text = dict(getattr(image, "text", {}) or {})
    # Apply the EXIF orientation before EXIF is dropped, so the picture keeps its intended way up.
    image = ImageOps.exif_transpose(image)
    kept: dict[str, str] = {}
    for key in PROVENANCE_KEYS:
        if key in text:
            kept[key] = _scrub_json(text[key]) if key == JSON_KEY else text[key]

    buffer = io.BytesIO()
    if source_format == "JPEG":
        image.convert("RGB").save(buffer, format="JPEG", quality=92)
        return BlindImage(buffer.getvalue(), "image/jpeg", {})
    info = PngInfo()
    for key, value in kept.items():
        info.add_itxt(key, value)
    if image.mode not in {"RGB", "RGBA", "L", "LA", "P"}:
        image = image.convert("RGBA")
    image.save(buffer, format="PNG", pnginfo=info)
    return BlindImage(buffer.getvalue(), "image/png", kept)
