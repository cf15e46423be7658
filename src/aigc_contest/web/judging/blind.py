"""Works as judges (and the public gallery) see them: personal metadata gone.

Images are re-encoded with Pillow with an empty info dictionary, which drops EXIF (camera, GPS, author),
XMP, ICC profiles and JPEG comments. Only the AI provenance text chunks of a PNG are carried over, because
"use of AI models" is a criterion: A1111 `parameters`, the platform's JSON provenance (with every personal
field removed, at any depth) and the AIGC label. Nothing else is kept.

PDFs are first screened and rebuilt (:mod:`aigc_contest.works.pdfsafe`), then rewritten with pypdf without the document information dictionary (Author, Creator, Title…) and
without any XMP metadata stream, on the document, its pages or its images.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aigc_contest.generation.provenance import (
    AIGC_LABEL_KEY,
    JSON_KEY,
    PARAMETERS_KEY,
    without_paths,
    without_paths_json,
)

PROVENANCE_KEYS = (PARAMETERS_KEY, JSON_KEY, AIGC_LABEL_KEY)
# Fields of the JSON provenance that could say who made the work, compared case-insensitively with "-" and
# spaces read as "_" ("E-mail", "Display Name"). Each is removed wherever it appears, with all it holds.
PERSONAL_FIELDS = frozenset(
    {
        "user", "username", "user_name", "userid", "user_id", "uploader", "owner", "author", "creator",
        "artist", "submitter", "maker", "person", "people", "profile", "account", "contact",
        "display_name", "real_name", "full_name", "first_name", "last_name", "given_name", "family_name",
        "surname", "nickname", "student", "students", "pupil", "teacher", "teachers", "parent", "guardian",
        "email", "e_mail", "email_address", "mail", "phone", "mobile", "tel", "telephone", "address",
        "birthday", "birth_date", "date_of_birth", "school", "class", "class_name", "grade", "team",
        "team_name", "member", "members",
    }
)  # fmt: skip
# In an object that held a personal field, these name the person too.
PERSON_NAME_FIELDS = frozenset({"name"})


def _field_key(key: object) -> str:
    return str(key).strip().lower().replace("-", "_").replace(" ", "_")


@dataclass
class BlindImage:
    data: bytes
    mime: str
    provenance: dict[str, str] = field(default_factory=dict)  # kept text chunks, as written in the file


def _without_personal(value: Any) -> Any:
    """The JSON value with every personal field removed, however deeply it is nested."""
    if isinstance(value, dict):
        keys = {k: _field_key(k) for k in value}
        person_like = any(key in PERSONAL_FIELDS for key in keys.values())
        return {
            k: _without_personal(v)
            for k, v in value.items()
            if keys[k] not in PERSONAL_FIELDS and not (person_like and keys[k] in PERSON_NAME_FIELDS)
        }
    if isinstance(value, list):
        return [_without_personal(item) for item in value]
    return value


def _scrub_json(text: str) -> str:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return ""  # unreadable provenance could hide anything: it is not passed on
    return json.dumps(_without_personal(data), ensure_ascii=False, separators=(",", ":"))


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
            # No server path leaves with the work (files made before records named models by name had them).
            value = (
                without_paths_json(_scrub_json(text[key])) if key == JSON_KEY else without_paths(text[key])
            )
            if value:
                kept[key] = value
    # Pillow writes what `info` holds (comment, ICC profile, EXIF, dpi…) back into the new file: start empty,
    # keeping only the transparency a palette or grey picture needs to look the same.
    transparency = image.info.get("transparency")
    image.info = {} if transparency is None else {"transparency": transparency}

    buffer = io.BytesIO()
    if source_format == "JPEG":
        rgb = image.convert("RGB")
        rgb.info = {}
        rgb.save(buffer, format="JPEG", quality=92)
        return BlindImage(buffer.getvalue(), "image/jpeg", {})
    info = PngInfo()
    for key, value in kept.items():
        info.add_itxt(key, value)
    if image.mode not in {"RGB", "RGBA", "L", "LA", "P"}:
        image = image.convert("RGBA")
        image.info = {}
    image.save(buffer, format="PNG", pnginfo=info)
    return BlindImage(buffer.getvalue(), "image/png", kept)


def blind_pdf(data: bytes) -> bytes:
    """The PDF without its information dictionary and XMP metadata; ValueError when pypdf cannot read it."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PyPdfError
    from pypdf.generic import DictionaryObject, NameObject

    from aigc_contest.works.pdfsafe import make_safe_pdf

    # Files stored before uploads were rebuilt are screened and rebuilt here too (PdfRefused is a
    # ValueError): a judge or a gallery visitor never opens a PDF with active content.
    data = make_safe_pdf(data).data
    try:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
        writer.metadata = None  # no /Info in the trailer, not even a Producer line
        # Every indirect dictionary and stream (catalogue, pages, images, fonts); pypdf has no public iterator.
        for obj in writer._objects:
            if isinstance(obj, DictionaryObject):  # streams are dictionaries too
                for key in ("/Metadata", "/PieceInfo"):
                    obj.pop(NameObject(key), None)
        # Objects no longer referenced (the old /Info, the XMP streams) would still be written: drop them.
        writer.compress_identical_objects()  # defaults: duplicates and unreferenced objects go
        buffer = io.BytesIO()
        writer.write(buffer)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ValueError("not a readable PDF") from exc
    return buffer.getvalue()


# ---------------------------------------------------------------- names in what judges read

NAME_MARK = "▇▇▇"
# What is never rewritten in a card: pictures carried inside it, and links with the text that shows them
# (an address is shown as it is; the organiser is told which entries show one, rather than a link that
# pretends to hide whose it is).
_KEPT_IN_CARD = re.compile(r"<a\b[^>]*>.*?</a>|data:[^\"'\s)]*", re.IGNORECASE | re.DOTALL)


def _name_pattern(names: Iterable[str], *, escaped: bool) -> re.Pattern[str] | None:
    words = sorted({" ".join(n.split()) for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True)
    if not words:
        return None
    parts = []
    for word in words:
        text = re.escape(html.escape(word) if escaped else word).replace(r"\ ", r"\s+")
        # Words of letters are matched whole (a team "Ink" leaves "Inkwell" alone); CJK names have no spaces.
        parts.append(rf"(?<!\w){text}(?!\w)" if word[0].isascii() and word[-1].isascii() else text)
    return re.compile("|".join(parts), re.IGNORECASE)


def without_names(text: str, names: Iterable[str]) -> str:
    """The text with each of `names` (a team's name, its members' names and login names, its school's)
    replaced by a mark, so a judge reads the work, not whose it is."""
    pattern = _name_pattern(names, escaped=False)
    return pattern.sub(NAME_MARK, text) if pattern and text else text


def blind_card(card: str, names: Iterable[str]) -> str:
    """An application's HTML card without the team's names in its text (links and pictures left whole)."""
    pattern = _name_pattern(names, escaped=True)
    if pattern is None:
        return card
    pieces, at = [], 0
    for kept in _KEPT_IN_CARD.finditer(card):
        pieces.append(pattern.sub(NAME_MARK, card[at:kept.start()]))
        pieces.append(kept.group(0))
        at = kept.end()
    pieces.append(pattern.sub(NAME_MARK, card[at:]))
    return "".join(pieces)


def address_names(url: str, names: Iterable[str]) -> bool:
    """Whether an address spells one of the names (letters and digits compared, "Lisbon Makers" in
    …/lisbon-makers/…)."""
    squeezed = re.sub(r"[\W_]+", "", url.lower())
    return any(len(key) >= 3 and key in squeezed for key in (re.sub(r"[\W_]+", "", n.lower()) for n in names))
