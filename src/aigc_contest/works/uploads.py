"""Checks on a file a participant uploads, before anything is stored.

The type is sniffed from the bytes (never trusted from the name or the browser), sizes and pixel counts
are bounded, and images are decoded under a decompression-bomb guard so a 50 KB file cannot expand to
gigabytes in memory.

A PDF is parsed, checked for active content (scripts, launch actions, attached files, forms, rich media,
script links, however their names are escaped, compressed or appended) and rebuilt with only pages,
resources and plain links (:mod:`aigc_contest.works.pdfsafe`): `UploadInfo.content` is that rebuilt file,
and `sha256` and `size` describe it, because it is what is stored and served.

A fine-tuned model (a LoRA) is accepted as `.safetensors` only where a caller allows the "safetensors" kind:
its header is parsed and checked without torch, and pickle-based checkpoints are never accepted.
"""

from __future__ import annotations

import hashlib
import io
import threading
import warnings
from dataclasses import dataclass, field

from aigc_contest.finetune.inspect import LoraFileError, inspect_lora_bytes, looks_like_safetensors
from aigc_contest.works.pdfsafe import PdfRefused, SafePdf, make_safe_pdf

ALLOWED_KINDS = {
    "png": ("image/png", ".png"),
    "jpeg": ("image/jpeg", ".jpg"),
    "webp": ("image/webp", ".webp"),
    "pdf": ("application/pdf", ".pdf"),
    "safetensors": ("application/octet-stream", ".safetensors"),
}
# Model files are accepted only where a caller asks for them (a fine-tuned model entry).
DEFAULT_KINDS = frozenset({"png", "jpeg", "webp", "pdf"})
MAX_SAFETENSORS_BYTES = 512 * 1024 * 1024  # a LoRA, even a large SDXL one, is far smaller
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000  # 40 MP: far above any competition image, far below a bomb
DEFAULT_MAX_SIDE = 12_000
_STRICT_DECODE_LOCK = threading.Lock()


class UploadRejected(ValueError):
    """The upload is refused; `reason` says why in words a student or teacher can act on."""

    def __init__(self, reason: str, code: str, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.params = params  # the numbers in the reason, so a page can word it in its own language


@dataclass(frozen=True)
class UploadInfo:
    kind: str  # png | jpeg | webp | pdf | safetensors
    mime: str
    extension: str
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None
    pages: int | None = None
    meta: dict[str, object] = field(default_factory=dict)
    # The bytes to store: the upload itself, or for a PDF the rebuilt file (sha256 and size are of these).
    content: bytes = field(default=b"", repr=False)


def extension_for_mime(mime: str) -> str:
    """The file-name extension of a type the platform stores (".png" for image/png), or ""."""
    for known_mime, extension in ALLOWED_KINDS.values():
        if known_mime == mime and known_mime != "application/octet-stream":
            return extension
    return _OTHER_EXTENSIONS.get(mime, "")


_OTHER_EXTENSIONS = {"text/html": ".html", "application/epub+zip": ".epub", "application/json": ".json",
                     "text/plain": ".txt", "image/gif": ".gif"}  # fmt: skip


def download_name(filename: str | None, extension: str, *, fallback: str = "work") -> str:
    """The name a file is stored and downloaded under: the participant's own name without any folder, with
    the extension of the file's real type in place of whatever it ended in ("virus.exe" of a PNG is
    "virus.png"). An empty `extension` keeps the name as it is."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>:|?*').strip().strip(".")
    stem = name
    if extension and "." in name:
        stem = name.rsplit(".", 1)[0].rstrip(". ")
    stem = (stem or fallback)[: 150 - len(extension)]
    if not extension:
        return stem
    return stem if stem.lower().endswith(extension.lower()) else stem + extension


def sniff_kind(head: bytes) -> str | None:
    """The file type from its magic number, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.lstrip()[:5] == b"%PDF-":
        return "pdf"
    if looks_like_safetensors(head):  # 8-byte header length, then a JSON object
        return "safetensors"
    return None


def inspect_upload(
    data: bytes,
    *,
    allowed: set[str] | frozenset[str] = DEFAULT_KINDS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_side: int = DEFAULT_MAX_SIDE,
) -> UploadInfo:
    """Validate an upload completely; raise UploadRejected with a clear reason on the first problem."""
    if not data:
        raise UploadRejected("The file is empty.", "empty")
    if len(data) > max_bytes:
        raise UploadRejected(
            f"The file is {len(data) / 1_048_576:.1f} MB; the limit is {max_bytes / 1_048_576:.0f} MB.",
            "too_large",
            size_mb=round(len(data) / 1_048_576, 1),
            limit_mb=round(max_bytes / 1_048_576),
        )
    kind = sniff_kind(data[:1024])
    if kind is None or kind not in allowed:
        names = ", ".join(k.upper() for k in sorted(allowed))
        raise UploadRejected(f"This type of file is not accepted here. Please upload {names}.", "wrong_type", allowed=names)
    mime, extension = ALLOWED_KINDS[kind]
    if kind == "pdf":
        safe = _check_pdf(data)
        digest = hashlib.sha256(safe.data).hexdigest()
        return UploadInfo(kind, mime, extension, len(safe.data), digest, pages=safe.pages, content=safe.data)
    sha256 = hashlib.sha256(data).hexdigest()
    if kind == "safetensors":
        return UploadInfo(kind, mime, extension, len(data), sha256, meta=_check_lora(data), content=data)
    width, height = _check_image(data, kind, max_pixels=max_pixels, max_side=max_side)
    return UploadInfo(kind, mime, extension, len(data), sha256, width=width, height=height, content=data)


def _check_image(data: bytes, kind: str, *, max_pixels: int, max_side: int) -> tuple[int, int]:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size check below decides
            probe = Image.open(io.BytesIO(data))
        with probe:
            # The header alone gives the size: refuse a bomb before decoding a single pixel.
            width, height = probe.size
            if probe.format is None or probe.format.lower() != {"jpeg": "jpeg", "png": "png", "webp": "webp"}[kind]:
                raise UploadRejected("The file's contents do not match an image type we accept.", "wrong_type")
    except UploadRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise UploadRejected("The image is too large to open safely.", "too_many_pixels") from exc
    except Exception as exc:
        raise UploadRejected("The image could not be read; it may be damaged.", "corrupt") from exc
    if width * height > max_pixels or max(width, height) > max_side:
        raise UploadRejected(
            f"The image is {width}×{height} pixels, too large to accept "
            f"(at most {max_pixels // 1_000_000} million pixels and {max_side} pixels a side).",
            "too_many_pixels",
        )
    # The pixel count is already bounded above, so decoding is bounded too; Pillow's own bomb guard
    # (and its text-chunk limits) stay on as a second line.
    from PIL import ImageFile

    try:
        # Some libraries (WeasyPrint) switch on Pillow's process-wide "load truncated images"; an upload
        # check must see truncation, so it is switched off for the duration of this decode.
        with _STRICT_DECODE_LOCK, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            previous, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
            try:
                with Image.open(io.BytesIO(data)) as image:
                    image.load()  # decodes every pixel: truncated or corrupt data fails here
            finally:
                ImageFile.LOAD_TRUNCATED_IMAGES = previous
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UploadRejected("The image is too large to open safely.", "too_many_pixels") from exc
    except Exception as exc:
        raise UploadRejected("The image could not be read; it may be damaged or cut short.", "corrupt") from exc
    return width, height


def _check_lora(data: bytes) -> dict[str, object]:
    """A LoRA for a UNet or text encoder, checked from its header; returns what a page shows about it."""
    if len(data) > MAX_SAFETENSORS_BYTES:
        limit_mb = MAX_SAFETENSORS_BYTES // 1_048_576
        raise UploadRejected(
            f"The model file is {len(data) / 1_048_576:.0f} MB; the limit is {limit_mb} MB.",
            "too_large",
            size_mb=round(len(data) / 1_048_576, 1),
            limit_mb=limit_mb,
        )
    try:
        info = inspect_lora_bytes(data)
    except LoraFileError as exc:
        if exc.code == "not_lora":
            raise UploadRejected(
                f"The file is not a LoRA for an image model ({exc.reason}).", "not_lora"
            ) from exc
        raise UploadRejected("The model file could not be read; it may be damaged or cut short.", "corrupt") from exc
    return {
        "format": info.format,
        "components": info.components,
        "rank": info.rank,
        "alpha": info.alpha,
        "target_modules": info.target_modules,
        "tensors": info.tensor_count,
        "parameters": info.total_params,
        "training": info.training,
    }


def _check_pdf(data: bytes) -> SafePdf:
    """The PDF parsed, screened for active content and rebuilt (see :mod:`aigc_contest.works.pdfsafe`)."""
    try:
        return make_safe_pdf(data)
    except PdfRefused as exc:
        if exc.code == "unsafe_pdf":
            raise UploadRejected(
                "The PDF contains scripts, forms, attached files or other active content, which are not "
                "allowed. Please export a plain PDF.",
                "unsafe_pdf",
            ) from exc
        if exc.code == "encrypted_pdf":
            raise UploadRejected(
                "The PDF is protected with a password. Please export it again without one.", "encrypted_pdf"
            ) from exc
        raise UploadRejected("The PDF could not be read; it may be damaged. Please export it again.", "corrupt") from exc
