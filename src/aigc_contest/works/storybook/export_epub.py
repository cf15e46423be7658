"""EPUB 3 export with ebooklib: title page, one XHTML file per page, images as items, nav, cover image.

The result passes epubcheck. Fonts are not embedded (reading systems bring their own CJK fonts); the
stylesheet names the Noto CJK families first and falls back to the reader's default.
"""

from __future__ import annotations

from pathlib import Path

from aigc_contest.works.storybook.model import Storybook
from aigc_contest.works.storybook.render import (
    FONT_SIZE_PT,
    LABELS,
    SANS,
    SERIF,
    TEXT_WRAP_CSS,
    ImagePreparer,
    attr,
    cover_lines,
    paragraphs,
    text,
)


def _css(book: Storybook) -> str:
    return f"""
html {{ font-family: {SANS[book.language]}; line-height: 1.6; }}
body {{ margin: 0 4%; font-size: {FONT_SIZE_PT[book.age_band] / 12:.2f}em; }}
{TEXT_WRAP_CSS}
h1 {{ font-family: {SERIF[book.language]}; text-align: center; font-size: 1.6em; }}
.cover {{ text-align: center; }}
.meta {{ text-align: center; margin: 0.3em 0; font-size: 0.8em; }}
figure {{ margin: 0 0 1em; text-align: center; }}
img {{ max-width: 100%; max-height: 70vh; }}
.text p {{ margin: 0 0 0.5em; }}
.text-only .text {{ margin-top: 20vh; text-align: center; }}
"""


def _page_title(book: Storybook, number: int) -> str:
    labels = LABELS[book.language]
    return f"{labels.page} {number}" if book.language == "en" else f"第 {number} {labels.page}"


def export_epub(book: Storybook, base_dir: Path | None, out: str | Path) -> Path:
    """Write the book as an EPUB 3 file to `out`."""
    from ebooklib import epub

    images = ImagePreparer(base_dir, max_side=1400, ai_label=book.language)
    ebook = epub.EpubBook()
    ebook.set_identifier(f"urn:uuid:{book.id}")
    ebook.set_title(book.title)
    ebook.set_language(book.language)
    if book.author.strip():
        ebook.add_author(book.author)
    if book.theme.strip():
        ebook.add_metadata("DC", "subject", book.theme)

    style = epub.EpubItem(uid="style", file_name="style/book.css", media_type="text/css", content=_css(book))
    ebook.add_item(style)

    def chapter(uid: str, file_name: str, title: str, body: str) -> epub.EpubHtml:
        item = epub.EpubHtml(uid=uid, title=title, file_name=file_name, lang=book.language)
        item.content = f"<html><head><title>{text(title)}</title></head><body>{body}</body></html>"
        item.add_item(style)
        ebook.add_item(item)
        return item

    cover_img = ""
    cover = book.cover()
    if cover is not None:
        prepared = images.prepare(cover, "cover")
        ebook.set_cover("images/cover.jpg", prepared.data, create_page=False)
        cover_img = f'<figure><img src="images/cover.jpg" alt="{attr(book.title)}"/></figure>'
    meta = "".join(f'<p class="meta {css}">{line}</p>' for css, line in cover_lines(book))
    title_page = chapter(
        "title-page", "title.xhtml", book.title,
        f'<section class="cover">{cover_img}<h1>{text(book.title)}</h1>{meta}</section>',
    )

    pages = []
    written: dict[bytes, str] = {}  # the same picture on two pages is stored once
    for number, page in enumerate(book.pages, start=1):
        figure = ""
        if page.image is not None and page.layout != "text-only":
            prepared = images.prepare(page.image, f"page {page.id}")
            if prepared.data not in written:
                name = f"images/page-{number:03d}.jpg"
                ebook.add_item(
                    epub.EpubImage(uid=f"img-{number:03d}", file_name=name, media_type=prepared.media_type,
                                   content=prepared.data)
                )
                written[prepared.data] = name
            figure = f'<figure><img src="{written[prepared.data]}" alt="{attr(page.illustration_prompt)}"/></figure>'
        layout = page.layout if figure or page.layout == "text-only" else "text-only"
        pages.append(
            chapter(
                f"page-{number:03d}", f"page-{number:03d}.xhtml", _page_title(book, number),
                f'<section class="page {layout}">{figure}<div class="text">{paragraphs(page.text)}</div></section>',
            )
        )

    ebook.toc = [epub.Link("title.xhtml", book.title, "toc-title"), *pages]
    ebook.add_item(epub.EpubNcx())
    nav = epub.EpubNav(title=LABELS[book.language].contents)
    ebook.add_item(nav)
    ebook.spine = [title_page, *pages, nav]
    out = Path(out)
    epub.write_epub(str(out), ebook, {"epub3_pages": False})
    return out
