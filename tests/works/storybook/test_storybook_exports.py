"""PDF, EPUB and HTML exports: every text present, fonts embedded, epubcheck clean, markup never live."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from lxml import etree
from storybook_helpers import LONG_WORD, MARKUP_IMG, MARKUP_SCRIPT, SIMP_SAMPLE, TRAD_SAMPLE, build_book

from aigc_contest.works.storybook.export import export_book
from aigc_contest.works.storybook.model import ImageAsset, StorybookError, load_book, save_book

POPPLER = shutil.which("pdftotext") and shutil.which("pdffonts") and shutil.which("pdfinfo")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext, pdffonts) not installed")


def squash(value: str) -> str:
    return re.sub(r"\s+", "", value)


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=60).stdout


@pytest.fixture(scope="module")
def exports(book_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("exports")
    book, base = load_book(book_folder / "book.json")
    return {
        "pdf": export_book(book, base, "pdf", out / "book.pdf"),
        "a4": export_book(book, base, "pdf", out / "book-a4.pdf", layout="a4"),
        "epub": export_book(book, base, "epub", out / "book.epub"),
        "html": export_book(book, base, "html", out / "book.html"),
    }


# --- PDF -----------------------------------------------------------------------------------------------
@needs_poppler
def test_pdf_holds_every_page_text_cover_and_cjk(exports: dict[str, Path]) -> None:
    book = build_book()
    pdf_text = run("pdftotext", "-enc", "UTF-8", str(exports["pdf"]), "-")
    flat = squash(pdf_text)
    for page in book.pages:
        assert squash(page.text) in flat, page.id
    assert TRAD_SAMPLE in pdf_text and SIMP_SAMPLE in pdf_text
    for cover_text in (book.title, book.author, book.competition, book.theme):
        assert squash(cover_text) in flat
    # Markup in a story is printed as text, never interpreted.
    assert MARKUP_SCRIPT in pdf_text and squash(MARKUP_IMG) in flat


@needs_poppler
def test_pdf_embeds_noto_cjk_fonts(exports: dict[str, Path]) -> None:
    rows = [line.split() for line in run("pdffonts", str(exports["pdf"])).splitlines()[2:]]
    noto = [row for row in rows if "Noto" in row[0] and "CJK" in row[0]]
    assert noto, rows
    assert all(row[-5] == "yes" for row in noto)  # the "emb" column
    assert all(row[-5] == "yes" for row in rows)  # and nothing left unembedded


@needs_poppler
@pytest.mark.parametrize(("key", "size"), [("pdf", "595.276 x 595.276"), ("a4", "595.276 x 841.89")])
def test_pdf_page_formats_and_count(exports: dict[str, Path], key: str, size: str) -> None:
    info = run("pdfinfo", str(exports[key]))
    assert re.search(rf"Page size:\s+{re.escape(size)} pts", info)
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) == 1 + len(build_book().pages)  # type: ignore[union-attr]


@needs_poppler
def test_pdf_page_numbers_and_cjk_line_breaking(exports: dict[str, Path]) -> None:
    pages = run("pdftotext", "-enc", "UTF-8", "-layout", str(exports["pdf"]), "-").split("\f")
    assert not re.search(r"^\s*1\s*$", pages[0], re.M)  # the cover carries no number
    assert re.search(r"^\s*2\s*$", pages[1], re.M) and re.search(r"^\s*5\s*$", pages[4], re.M)
    raw = run("pdftotext", "-enc", "UTF-8", str(exports["pdf"]), "-")
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    assert sum("，" in line for line in lines) > 4  # the narrow comma-rich column did wrap
    starts = [line for line in lines if line[0] in "，。、！？」』）"]
    assert starts == []
    # The long Latin word wraps instead of running off the page: it is split over lines.
    assert LONG_WORD not in raw and squash(LONG_WORD) in squash(raw)


@needs_poppler
def test_pdf_long_text_on_an_overlay_layout_is_never_clipped(tmp_path: Path) -> None:
    book = build_book(n=4, language="en")
    long_text = " ".join(f"Sentence number {k} keeps the story going." for k in range(60))
    book = book.edit_page("p3", text=long_text, layout="full-bleed").edit_page("p2", text=long_text)
    out = export_book(book, None, "pdf", tmp_path / "long.pdf")
    lines = run("pdftotext", "-enc", "UTF-8", str(out), "-").splitlines()
    flat = squash("".join(line for line in lines if not line.strip().isdigit()))  # drop page numbers
    # Both long pages (full-bleed p3 and image-left p2) keep every sentence.
    assert all(flat.count(squash(f"Sentence number {k} keeps")) == 2 for k in range(60))


# --- EPUB ----------------------------------------------------------------------------------------------
def epubcheck_command() -> list[str] | None:
    found = shutil.which("epubcheck")
    if not found:
        return None
    with open(found, "rb") as handle:  # Debian installs the jar itself as /usr/bin/epubcheck
        is_jar = handle.read(2) == b"PK"
    if is_jar:
        java = shutil.which("java")
        # A short-lived JVM: the client compiler and serial GC halve epubcheck's start-up time.
        return [java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", found] if java else None
    return [found]


@pytest.mark.parametrize("which", ["illustrated zh-Hant", "English without pictures"])
def test_epub_passes_epubcheck(exports: dict[str, Path], tmp_path: Path, which: str) -> None:
    command = epubcheck_command()
    if command is None:
        pytest.skip("epubcheck is not installed")
    epub_file = exports["epub"]
    if which == "English without pictures":
        book = build_book(n=4, language="en")
        for page in book.pages:
            book = book.edit_page(page.id, image=None)
        epub_file = export_book(book, None, "epub", tmp_path / "plain.epub")
    result = subprocess.run([*command, str(epub_file)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors / 0 warnings" in result.stdout


def test_epub_metadata_pages_images_and_escaping(exports: dict[str, Path]) -> None:
    book = build_book()
    with zipfile.ZipFile(exports["epub"]) as archive:
        names = archive.namelist()
        opf = archive.read("EPUB/content.opf").decode()
        pages = sorted(n for n in names if re.fullmatch(r"EPUB/page-\d{3}\.xhtml", n))
        assert len(pages) == len(book.pages)
        assert 'properties="cover-image"' in opf and "urn:uuid:" in opf and ">zh-Hant</dc:language>" in opf
        assert "EPUB/nav.xhtml" in names and "EPUB/style/book.css" in names
        assert sum(n.startswith("EPUB/images/") for n in names) >= 3
        texts = []
        for name in [*pages, "EPUB/title.xhtml"]:
            root = etree.fromstring(archive.read(name))
            assert root.get("lang") == "zh-Hant"
            assert root.xpath("//*[local-name()='script']") == []
            assert root.xpath("//@*[starts-with(local-name(), 'on')]") == []
            assert {src for src in root.xpath("//*[local-name()='img']/@src")} <= {
                n.removeprefix("EPUB/") for n in names
            }
            texts.append("".join(root.itertext()))
    joined = "\n".join(texts)
    assert MARKUP_SCRIPT in joined and MARKUP_IMG in joined and "<script>x()</script>" in joined
    for page in book.pages:
        assert squash(page.text) in squash(joined)


# --- HTML ----------------------------------------------------------------------------------------------
class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_self_contained_and_escapes_story_markup(exports: dict[str, Path]) -> None:
    book = build_book()
    document = exports["html"].read_text(encoding="utf-8")
    parsed = Collector()
    parsed.feed(document)
    scripts = [attrs for tag, attrs in parsed.tags if tag == "script"]
    assert len(scripts) == 1 and scripts[0].get("nonce")  # only the book's own reader script
    assert not [attrs for _, attrs in parsed.tags if any(name.startswith("on") for name in attrs)]
    images = [attrs["src"] for tag, attrs in parsed.tags if tag == "img"]
    assert images and all((src or "").startswith("data:image/jpeg;base64,") for src in images)
    assert not [a for t, a in parsed.tags if t in ("link", "iframe", "object")]
    text = "".join(parsed.text)
    assert MARKUP_SCRIPT in text and MARKUP_IMG in text and "<script>x()</script>" in text
    for page in book.pages:
        assert squash(page.text) in squash(text)
    html_tag = next(attrs for tag, attrs in parsed.tags if tag == "html")
    assert html_tag == {"lang": "zh-Hant", "data-speech-lang": "zh-HK"}
    csp = next(a for t, a in parsed.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "script-src 'nonce-" in (csp["content"] or "") and "default-src 'none'" in (csp["content"] or "")
    assert "speechSynthesis" in document and "朗讀" in text
    assert "line-break: strict" in document and "overflow-wrap: break-word" in document


@pytest.mark.parametrize(("language", "speech"), [("zh-Hans", "zh-CN"), ("en", "en")])
def test_html_read_aloud_language(tmp_path: Path, language: str, speech: str) -> None:
    book = build_book(n=4, language=language)
    out = export_book(book, None, "html", tmp_path / "b.html")
    assert f'<html lang="{language}" data-speech-lang="{speech}">' in out.read_text(encoding="utf-8")


# --- errors --------------------------------------------------------------------------------------------
def test_missing_or_broken_images_name_the_page(tmp_path: Path) -> None:
    book = build_book(n=4)
    save_book(book, tmp_path)
    loaded, base = load_book(tmp_path)
    broken = loaded.edit_page("p3", image=ImageAsset(path="assets/gone.png").model_dump())
    for fmt in ("html", "epub"):
        with pytest.raises(StorybookError, match="page p3: image assets/gone.png not found"):
            export_book(broken, base, fmt, tmp_path / f"x.{fmt}")  # type: ignore[arg-type]
    not_a_picture = loaded.edit_page("p2", image=ImageAsset(data=b"hello").model_dump())
    with pytest.raises(StorybookError, match="page p2: the image is not a readable picture"):
        export_book(not_a_picture, base, "html", tmp_path / "y.html")
