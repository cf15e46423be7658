"""PDF screening and rebuilding: what a participant uploads as a PDF is parsed, checked and rewritten.

A PDF can carry things that run or reach out when it is opened in a browser's viewer (the owner's page,
the judge's scoring page, the public winners gallery): JavaScript, launch actions, attached files, rich
media, forms (XFA), form submission, links with script schemes. They hide easily from a byte search:
PDF names may be written with `#xx` escapes (`/J#61vaScript`), objects may sit compressed inside object
streams, and an incremental update appended after `%%EOF` may replace any object.

Three steps, every one on decoded names and values:

1. **Raw scan** of every name token in the file (comments, strings and stream data skipped), object
   streams decompressed and scanned the same way, whichever revision or dead object they belong to.
2. **Structural walk** with pypdf of every object the cross-reference sections name (all incremental
   updates merged as a viewer merges them, compressed objects included): forbidden names as keys or
   values, and every action (`/A`, `/OpenAction`, `/AA`, `/Next`) and URI with a scheme other than
   http, https or mailto.
3. **Rebuild**: a new file holding only what the platform shows, page by page: media and crop boxes,
   rotation, resources (fonts, images, graphics states, colour spaces, patterns, shadings) and content
   streams, plus plain links to http(s)/mailto addresses. Names trees, outlines, actions, forms, other
   annotations, embedded files, document metadata and everything else are left behind. The result is
   parsed again and put through steps 1 and 2; a file that fails anywhere is refused.

A file pypdf cannot read, or that is encrypted beyond an empty password, is refused too.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# Names that only active or outward-reaching content uses. Compared after `#xx` decoding, exactly
# (PDF names are case-sensitive; a viewer does not treat /javascript as /JavaScript).
FORBIDDEN_NAMES = frozenset(
    {
        "JavaScript", "JS", "Launch", "EmbeddedFile", "EmbeddedFiles", "RichMedia", "RichMediaExecute",
        "RichMediaContent", "XFA", "SubmitForm", "ImportData", "GoToR", "GoToE", "Rendition", "Movie",
        "Sound", "3D", "FileAttachment", "Screen",
    }
)  # fmt: skip
# Actions a plain document may use; anything else in an action dictionary is refused.
SAFE_ACTIONS = frozenset({"GoTo", "URI", "Named", "Thread"})
ACTION_KEYS = ("/A", "/OpenAction", "/Next", "/PA")  # where an action dictionary (or a list, for /Next) sits
SAFE_URI = re.compile(r"(?:https?://|mailto:)", re.IGNORECASE)
# What a rebuilt page keeps, and which resource kinds.
PAGE_KEYS = ("/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox", "/Rotate", "/UserUnit", "/Group")
RESOURCE_KEYS = (
    "/Font",
    "/XObject",
    "/ExtGState",
    "/ColorSpace",
    "/Pattern",
    "/Shading",
    "/ProcSet",
    "/Properties",
)
MAX_OBJECT_STREAM_BYTES = 64 * 1024 * 1024  # decompressed; an object stream is never near this
MAX_OBJECTS = 2_000_000


class PdfRefused(ValueError):
    """The PDF is refused; ``code`` is ``unsafe_pdf``, ``encrypted_pdf`` or ``corrupt``."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def _unsafe(what: str) -> PdfRefused:
    return PdfRefused(f"the PDF contains {what}", "unsafe_pdf")


@dataclass(frozen=True)
class SafePdf:
    data: bytes  # the rebuilt file: what is stored, hashed and served
    pages: int


# ------------------------------------------------------------------------------------- 1. raw scan

_TOKEN_RE = re.compile(
    rb"%[^\r\n]*"  # comment
    rb"|/[^\x00\t\n\x0c\r ()<>\[\]{}/%]*"  # name
    rb"|<<|>>"
    rb"|<[0-9A-Fa-f\x00\t\n\x0c\r ]*>"  # hex string
    rb"|\("  # literal string: skipped by hand (nesting, escapes)
    rb"|\bstream(?:\r\n|\n|\r)"
    rb"|\bobj\b"
)
_STRING_STOP_RE = re.compile(rb"[()\\]")
_HEX_ESCAPE_RE = re.compile(rb"#([0-9A-Fa-f]{2})")


def decode_name(raw: bytes) -> str:
    """A name token (without its slash) with `#xx` escapes decoded."""
    decoded = _HEX_ESCAPE_RE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)
    return decoded.decode("latin-1")


def _skip_string(data: bytes, pos: int) -> int:
    """`pos` is just after an opening parenthesis; the position just after its closing one."""
    depth = 1
    while depth:
        match = _STRING_STOP_RE.search(data, pos)
        if match is None:
            return len(data)
        char = match.group()
        pos = match.end()
        if char == b"\\":
            pos += 1
        elif char == b"(":
            depth += 1
        else:
            depth -= 1
    return pos


def raw_names(data: bytes, *, depth: int = 0) -> Iterator[str]:
    """Every name in `data` (a whole file, or the objects of an object stream), decoded; object streams
    met on the way are decompressed and scanned too."""
    pos = 0
    since_obj: list[str] = []  # the names of the current object's dictionary, for its stream
    while True:
        match = _TOKEN_RE.search(data, pos)
        if match is None:
            return
        token = match.group()
        pos = match.end()
        if token.startswith(b"/"):
            name = decode_name(token[1:])
            since_obj.append(name)
            yield name
        elif token == b"(":
            pos = _skip_string(data, pos)
        elif token == b"obj":
            since_obj = []
        elif token.startswith(b"stream"):
            end = data.find(b"endstream", pos)
            end = len(data) if end < 0 else end
            if "ObjStm" in since_obj and depth < 2:
                body = _inflate(data[pos:end]) if "FlateDecode" in since_obj else None
                if body is not None:
                    yield from raw_names(body, depth=depth + 1)
            since_obj = []
            pos = end + len(b"endstream")


def _inflate(body: bytes) -> bytes | None:
    decompressor = zlib.decompressobj()
    try:
        out = decompressor.decompress(body, MAX_OBJECT_STREAM_BYTES)
    except zlib.error:
        return None
    return out


def _check_raw(data: bytes) -> None:
    for name in raw_names(data):
        if name in FORBIDDEN_NAMES:
            raise _unsafe(f"/{name}")


# ------------------------------------------------------------------------------- 2. structural walk


def _uri_is_safe(value: Any) -> bool:
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    # Viewers ignore leading spaces and control characters in a scheme ("\tjavascript:").
    text = "".join(ch for ch in text if ord(ch) > 0x20)
    return bool(SAFE_URI.match(text))


def _check_action(action: Any) -> None:
    from pypdf.generic import ArrayObject, DictionaryObject

    if isinstance(action, ArrayObject):  # a destination, not an action (an /OpenAction may be either)
        return
    if not isinstance(action, DictionaryObject) or ("/S" not in action and action.get("/Type") != "/Action"):
        return  # not an action: e.g. a tagged PDF's attribute object under /A
    kind = str(action.get("/S", ""))[1:]
    if kind not in SAFE_ACTIONS:
        raise _unsafe(f"a /{kind or '?'} action")
    if kind == "URI" and not _uri_is_safe(action.get("/URI", "")):
        raise _unsafe("a link that is not a web or e-mail address")


def check_structure(reader: Any) -> None:
    """Walk every object of the file: forbidden names anywhere, unsafe actions and URIs."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    roots: list[Any] = [reader.trailer]
    for generation, objects in reader.xref.items():
        roots.extend(IndirectObject(number, generation, reader) for number in objects)
    roots.extend(IndirectObject(number, 0, reader) for number in reader.xref_objStm)
    seen: set[tuple[int, int]] = set()
    stack = list(roots)
    visited = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        visited += 1
        if visited > MAX_OBJECTS:
            raise PdfRefused("the PDF has too many objects to check", "corrupt")
        if isinstance(item, NameObject):
            if item[1:] in FORBIDDEN_NAMES:
                raise _unsafe(str(item))
        elif isinstance(item, DictionaryObject):  # streams too
            for name, value in item.items():
                if name[1:] in FORBIDDEN_NAMES:
                    raise _unsafe(str(name))
                if name in ACTION_KEYS:
                    target = value.get_object()
                    actions = (
                        list(target) if isinstance(target, ArrayObject) and name == "/Next" else [target]
                    )
                    for action in actions:
                        _check_action(action.get_object())
                elif name == "/AA":
                    triggers = value.get_object()
                    if isinstance(triggers, DictionaryObject):
                        for action in triggers.values():
                            _check_action(action.get_object())
                elif (
                    name == "/URI"
                    and not isinstance(value.get_object(), DictionaryObject)
                    and not _uri_is_safe(value.get_object())
                ):
                    raise _unsafe("a link that is not a web or e-mail address")
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)


# --------------------------------------------------------------------------------------- 3. rebuild


def _safe_links(page: Any) -> list[tuple[list[float], str]]:
    """The page's plain links to http(s)/mailto addresses, as (rectangle, address)."""
    from pypdf.generic import ArrayObject, DictionaryObject

    links: list[tuple[list[float], str]] = []
    annotations = page.get("/Annots")
    annotations = annotations.get_object() if annotations is not None else None
    if not isinstance(annotations, ArrayObject):
        return links
    for ref in annotations:
        annot = ref.get_object()
        if not isinstance(annot, DictionaryObject) or annot.get("/Subtype") != "/Link":
            continue
        action = annot.get("/A")
        action = action.get_object() if action is not None else None
        if not isinstance(action, DictionaryObject) or action.get("/S") != "/URI":
            continue
        uri = action.get("/URI")
        rect = annot.get("/Rect")
        rect = rect.get_object() if rect is not None else None
        if (
            uri is None
            or not _uri_is_safe(uri.get_object())
            or not isinstance(rect, ArrayObject)
            or len(rect) != 4
        ):
            continue
        try:
            box = [float(v.get_object()) for v in rect]
        except (TypeError, ValueError):
            continue
        links.append((box, str(uri.get_object())))
    return links


def _rebuild(reader: Any) -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    writer = PdfWriter()
    for number, page in enumerate(reader.pages):
        box = page.mediabox
        new = writer.add_blank_page(float(box.width) or 612, float(box.height) or 792)
        for key in PAGE_KEYS:
            if key in page:
                new[NameObject(key)] = page[key].clone(writer)
        resources = page.get("/Resources")
        resources = resources.get_object() if resources is not None else None
        kept = DictionaryObject()
        if isinstance(resources, DictionaryObject):
            for key in RESOURCE_KEYS:
                if key in resources:
                    kept[NameObject(key)] = resources[key].clone(writer)
        new[NameObject("/Resources")] = kept
        contents = page.get("/Contents")
        if contents is not None:
            new[NameObject("/Contents")] = contents.clone(writer)
        for rect, uri in _safe_links(page):
            writer.add_annotation(
                number,
                DictionaryObject(
                    {
                        NameObject("/Type"): NameObject("/Annot"),
                        NameObject("/Subtype"): NameObject("/Link"),
                        NameObject("/Rect"): ArrayObject(FloatObject(v) for v in rect),
                        NameObject("/Border"): ArrayObject([NumberObject(0)] * 3),
                        NameObject("/A"): DictionaryObject(
                            {NameObject("/S"): NameObject("/URI"), NameObject("/URI"): TextStringObject(uri)}
                        ),
                    }
                ),
            )
    writer.metadata = None
    writer.compress_identical_objects()  # drops objects nothing refers to
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _read(data: bytes) -> Any:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        try:
            decrypted = reader.decrypt("")
        except Exception as exc:  # pypdf raises several kinds (missing AES support, bad data)
            raise PdfRefused("the PDF is password-protected", "encrypted_pdf") from exc
        if not decrypted:
            raise PdfRefused("the PDF is password-protected", "encrypted_pdf")
    return reader


def make_safe_pdf(data: bytes) -> SafePdf:
    """Check `data` and rebuild it; PdfRefused says why a file is refused."""
    from pypdf.errors import PyPdfError

    _check_raw(data)
    try:
        reader = _read(data)
        check_structure(reader)
        pages = len(reader.pages)
        if pages == 0:
            raise PdfRefused("the PDF has no pages", "corrupt")
        rebuilt = _rebuild(reader)
        # The result is checked as if it had been uploaded.
        _check_raw(rebuilt)
        again = _read(rebuilt)
        check_structure(again)
        if len(again.pages) != pages:
            raise PdfRefused("the PDF could not be rebuilt page for page", "corrupt")
    except PdfRefused:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError,
            RecursionError, zlib.error) as exc:  # fmt: skip
        raise PdfRefused("the PDF could not be read", "corrupt") from exc
    return SafePdf(rebuilt, pages)
