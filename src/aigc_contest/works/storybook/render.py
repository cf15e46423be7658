"""What every storybook export shares: safe text, per-language labels and fonts, prepared images.

Every piece of story text reaches an export only through `text()` / `attr()` / `paragraphs()`, which
escape it, so a page text can never add markup or script to a PDF, EPUB or HTML file.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from aigc_contest.generation.types import Language
from aigc_contest.works.ai_label import draw_label, is_generated
from aigc_contest.works.storybook.model import AgeBand, ImageAsset, Storybook, StorybookError

# Characters XML 1.0 forbids (EPUB XHTML is XML), plus lone surrogates; a model can emit any of them.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


def clean(value: str) -> str:
    return _XML_INVALID.sub("", value)


def text(value: str) -> str:
    """Escaped element content."""
    return html.escape(clean(value), quote=False)


def attr(value: str) -> str:
    """Escaped attribute value (use inside double quotes)."""
    return html.escape(clean(value), quote=True)


def paragraphs(value: str) -> str:
    """A page text as escaped <p> elements, one per non-empty line."""
    lines = [line.strip() for line in clean(value).splitlines()]
    return "".join(f"<p>{text(line)}</p>" for line in lines if line)


@dataclass(frozen=True)
class Labels:
    by: str
    competition: str
    theme: str
    page: str
    previous: str
    next: str
    read_aloud: str
    stop: str
    cover: str
    contents: str


LABELS: dict[Language, Labels] = {
    "en": Labels("by", "Competition", "Theme", "Page", "Previous", "Next", "Read aloud", "Stop", "Cover",
                 "Contents"),
    "zh-Hant": Labels("作者", "比賽", "主題", "頁", "上一頁", "下一頁", "朗讀", "停止", "封面", "目錄"),
    "zh-Hans": Labels("作者", "比赛", "主题", "页", "上一页", "下一页", "朗读", "停止", "封面", "目录"),
}

# Families resolved through fontconfig (Debian fonts-noto-cjk). Noto CJK carries Latin glyphs too, so
# English books and mixed-language text share one embedded family.
SANS: dict[Language, str] = {
    "en": '"Noto Sans CJK SC", "Noto Sans CJK TC", sans-serif',
    "zh-Hant": '"Noto Sans CJK TC", "Noto Sans CJK HK", "Noto Sans CJK SC", sans-serif',
    "zh-Hans": '"Noto Sans CJK SC", "Noto Sans CJK TC", sans-serif',
}
SERIF: dict[Language, str] = {
    "en": '"Noto Serif CJK SC", "Noto Serif CJK TC", serif',
    "zh-Hant": '"Noto Serif CJK TC", "Noto Serif CJK HK", "Noto Serif CJK SC", serif',
    "zh-Hans": '"Noto Serif CJK SC", "Noto Serif CJK TC", serif',
}
# Younger readers get bigger type (points).
FONT_SIZE_PT: dict[AgeBand, int] = {"6-8": 18, "9-11": 15, "12-14": 13, "15-18": 12}
# The browser speech-synthesis voice language for read-aloud.
SPEECH_LANG: dict[Language, str] = {"en": "en", "zh-Hant": "zh-HK", "zh-Hans": "zh-CN"}

# Text wrapping: long Latin words or URLs wrap instead of overflowing the page, in every format.
WRAP_CSS = ".text, h1, .meta { word-break: normal; overflow-wrap: break-word; hyphens: auto; }\n"
# Browsers and reading systems: strict CJK line breaking (no 。，」 at a line start, no small kana either).
# WeasyPrint does not know `line-break`; Pango already breaks by UAX #14 for the `lang` of the document.
TEXT_WRAP_CSS = WRAP_CSS + ".text, h1, .meta { line-break: strict; }\n"


@dataclass(frozen=True)
class PreparedImage:
    data: bytes
    media_type: str
    width: int
    height: int

    def data_uri(self) -> str:
        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode('ascii')}"


@dataclass
class ImagePreparer:
    """Loads book images once, downsizes them to `max_side` and re-encodes them as JPEG.

    Smaller, already-compressed images keep PDFs, EPUBs and HTML files small and fast to render.
    """

    base_dir: Path | None
    max_side: int = 1600
    quality: int = 85
    # The book's language: generated pictures get the visible AI-generated label in it (GB 45438-2025);
    # None leaves every picture unmarked.
    ai_label: str | None = None
    _cache: dict[str, PreparedImage] = field(default_factory=dict)

    def prepare(self, asset: ImageAsset, where: str) -> PreparedImage:
        from PIL import Image, UnidentifiedImageError

        try:
            raw = asset.read_bytes(self.base_dir)
        except StorybookError as exc:
            raise StorybookError(f"{where}: {exc.message}") from exc
        key = hashlib.sha256(raw).hexdigest()
        if key in self._cache:
            return self._cache[key]
        label = self.ai_label is not None and is_generated(asset.provenance, raw)
        try:
            with Image.open(io.BytesIO(raw)) as image:
                image.load()
                if label:
                    assert self.ai_label is not None
                    prepared = self._reencode(image, self.ai_label)
                elif image.format == "JPEG" and image.mode == "RGB" and max(image.size) <= self.max_side:
                    prepared = PreparedImage(raw, "image/jpeg", *image.size)  # already fine: keep the bytes
                else:
                    prepared = self._reencode(image)
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
            raise StorybookError(f"{where}: the image is not a readable picture ({exc})") from exc
        self._cache[key] = prepared
        return prepared

    def _reencode(self, image: object, label_language: str | None = None) -> PreparedImage:
        from PIL import Image

        assert isinstance(image, Image.Image)
        if image.mode in ("RGBA", "LA", "P"):
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, "white")  # transparent areas print as paper
            flat.paste(rgba, mask=rgba.getchannel("A"))
            image = flat
        elif image.mode != "RGB":
            image = image.convert("RGB")
        if max(image.size) > self.max_side:
            image = image.copy()
            image.thumbnail((self.max_side, self.max_side), Image.Resampling.LANCZOS)
        if label_language is not None:
            image = draw_label(image, label_language)  # after resizing: the 5 % holds at the final size
        out = io.BytesIO()
        image.save(out, "JPEG", quality=self.quality)
        return PreparedImage(out.getvalue(), "image/jpeg", *image.size)


def cover_lines(book: Storybook) -> list[tuple[str, str]]:
    """(css class, escaped HTML) lines under the cover title: author/team, competition, theme."""
    labels = LABELS[book.language]
    sep = "：" if book.language != "en" else ": "
    lines = []
    if book.author.strip():
        lines.append(("author", f"{text(labels.by)}{sep if book.language != 'en' else ' '}{text(book.author)}"))
    if book.competition.strip():
        lines.append(("competition", f"{text(labels.competition)}{sep}{text(book.competition)}"))
    if book.theme.strip():
        lines.append(("theme", f"{text(labels.theme)}{sep}{text(book.theme)}"))
    return lines
