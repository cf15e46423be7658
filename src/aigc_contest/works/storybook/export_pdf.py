"""PDF export with WeasyPrint: a cover, one page per story page, page numbers, Noto CJK fonts embedded.

Two page formats: a square 210 × 210 mm picture book and A4 portrait. Fonts are picked by family name
through fontconfig and subset on embedding (fast when libharfbuzz-subset is installed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from aigc_contest.works.storybook.model import Page, Storybook
from aigc_contest.works.storybook.render import (
    FONT_SIZE_PT,
    SANS,
    SERIF,
    WRAP_CSS,
    ImagePreparer,
    attr,
    cover_lines,
    paragraphs,
    text,
)

PdfLayout = Literal["square", "a4"]

# Page box, margins and the tallest picture for each layout, in millimetres.
_PAGE = {
    "square": {"size": "210mm 210mm", "height": 210, "margin": "14mm 16mm 18mm", "image_h": 112, "left_h": 150},
    "a4": {"size": "210mm 297mm", "height": 297, "margin": "20mm 20mm 24mm", "image_h": 165, "left_h": 220},
}


# Text longer than this does not fit beside or over a picture on one page; it goes under the picture
# (image-top), where it may flow on to the next page instead of being clipped.
_OVERLAY_MAX_CHARS = 360


def _fitted_layout(page: Page) -> str:
    if page.image is None or page.layout == "text-only":
        return "text-only"
    if page.layout in ("full-bleed", "image-left") and len(page.text) > _OVERLAY_MAX_CHARS:
        return "image-top"
    return page.layout


def _css(book: Storybook, layout: PdfLayout) -> str:
    page = _PAGE[layout]
    sans, serif = SANS[book.language], SERIF[book.language]
    size = FONT_SIZE_PT[book.age_band]
    return f"""
@page {{
  size: {page["size"]}; margin: {page["margin"]};
  @bottom-center {{ content: counter(page); font: 9pt {sans}; color: #777; }}
}}
@page cover {{ @bottom-center {{ content: none; }} }}
@page bleed {{ margin: 0; @bottom-center {{ content: none; }} }}
html {{ font-family: {sans}; font-size: {size}pt; line-height: 1.6; color: #222; }}
body {{ margin: 0; }}
{WRAP_CSS}
section {{ break-before: page; }}
section:first-child {{ break-before: auto; }}
.cover {{ page: cover; text-align: center; }}
.cover img {{ display: block; margin: 0 auto 8mm; max-width: 100%; max-height: {page["image_h"]}mm; }}
.cover h1 {{ font-family: {serif}; font-weight: bold; font-size: 24pt; line-height: 1.3; margin: 0 0 6mm; }}
.cover .meta {{ font-size: 11pt; margin: 1.5mm 0; color: #444; }}
.cover.no-image {{ padding-top: 40mm; }}
figure {{ margin: 0; text-align: center; }}
figure img {{ max-width: 100%; max-height: {page["image_h"]}mm; border-radius: 2mm; }}
.text p {{ margin: 0 0 0.5em; }}
.image-top .text {{ margin-top: 6mm; }}
/* a table row, the most dependable side-by-side layout in print */
.image-left {{ display: table; width: 100%; height: {page["left_h"]}mm; }}
.image-left figure, .image-left .text {{ display: table-cell; vertical-align: middle; }}
.image-left figure {{ width: 55%; }}
.image-left figure img {{ width: 100%; max-height: {page["left_h"]}mm; object-fit: contain; }}
.image-left .text {{ padding-left: 6mm; }}
.full-bleed {{ page: bleed; position: relative; height: {page["height"]}mm; overflow: hidden; }}
.full-bleed figure img {{
  width: 210mm; height: {page["height"]}mm; object-fit: cover; max-height: none; border-radius: 0;
}}
.full-bleed .text {{
  position: absolute; left: 10mm; right: 10mm; bottom: 10mm; padding: 4mm 6mm;
  background: rgba(255, 255, 255, 0.85); border-radius: 3mm;
}}
.full-bleed .number {{ display: block; text-align: center; font-size: 9pt; color: #777; margin-top: 1mm; }}
.text-only .text {{ padding-top: 30mm; text-align: center; font-size: 1.15em; }}
"""


def book_html_for_pdf(book: Storybook, base_dir: Path | None, layout: PdfLayout = "square") -> str:
    """The print HTML the PDF is rendered from (images inline as data URIs, every text escaped)."""
    images = ImagePreparer(base_dir, max_side=1600, ai_label=book.language)
    parts = [
        f'<!DOCTYPE html><html lang="{book.language}"><head><meta charset="utf-8">'
        f'<meta name="author" content="{attr(book.author)}"><meta name="keywords" content="{attr(book.theme)}">'
        f"<title>{text(book.title)}</title><style>{_css(book, layout)}</style></head><body>"
    ]
    cover = book.cover()
    cover_img = ""
    if cover is not None:
        cover_img = f'<img src="{images.prepare(cover, "cover").data_uri()}" alt="">'
    parts.append(f'<section class="cover{"" if cover_img else " no-image"}">{cover_img}<h1>{text(book.title)}</h1>')
    parts.extend(f'<p class="meta {css}">{line}</p>' for css, line in cover_lines(book))
    parts.append("</section>")
    for number, page in enumerate(book.pages, start=2):  # the cover is page 1
        layout_class = _fitted_layout(page)
        figure = ""
        if page.image is not None and layout_class != "text-only":
            uri = images.prepare(page.image, f"page {page.id}").data_uri()
            figure = f'<figure><img src="{uri}" alt="{attr(page.illustration_prompt)}"></figure>'
        # Full-bleed pages have no margin box, so they carry their number inside the text box.
        number_html = f'<span class="number">{number}</span>' if layout_class == "full-bleed" else ""
        parts.append(
            f'<section class="page {layout_class}" id="page-{attr(page.id)}">{figure}'
            f'<div class="text">{paragraphs(page.text)}{number_html}</div></section>'
        )
    parts.append("</body></html>")
    return "".join(parts)


def _data_only_fetcher() -> object:
    """A URL fetcher that loads data: URIs only: an export never reads local files or the network."""
    from weasyprint import urls

    if hasattr(urls, "URLFetcher"):  # WeasyPrint ≥ 68
        return urls.URLFetcher(allowed_protocols=["data"])

    def fetch(url: str) -> dict[str, object]:
        if not url.startswith("data:"):
            raise ValueError(f"blocked URL in a storybook export: {url[:40]}")
        return urls.default_url_fetcher(url)  # type: ignore[attr-defined, no-any-return]

    return fetch


def export_pdf(book: Storybook, base_dir: Path | None, out: str | Path, layout: PdfLayout = "square") -> Path:
    """Write the book as a PDF to `out`; `base_dir` is the book folder its image paths are relative to."""
    from weasyprint import HTML

    if layout not in _PAGE:
        raise ValueError(f"unknown PDF layout {layout!r}; use square or a4")
    document = book_html_for_pdf(book, base_dir, layout)
    out = Path(out)
    HTML(string=document, url_fetcher=_data_only_fetcher()).write_pdf(out)
    return out
