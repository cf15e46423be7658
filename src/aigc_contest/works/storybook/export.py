"""Export a book to any supported format by name (used by the command line and the web pages)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from aigc_contest.works.storybook.model import Storybook

ExportFormat = Literal["pdf", "epub", "html"]
FORMATS: tuple[ExportFormat, ...] = ("pdf", "epub", "html")
PDF_LAYOUTS = ("square", "a4")


def export_book(
    book: Storybook, base_dir: Path | None, fmt: ExportFormat, out: str | Path, layout: str = "square"
) -> Path:
    """Write `book` as `fmt` to `out`; `base_dir` is the folder its relative image paths start from."""
    if fmt == "pdf":
        from aigc_contest.works.storybook.export_pdf import export_pdf

        if layout not in PDF_LAYOUTS:
            raise ValueError(f"unknown PDF layout {layout!r}; use square or a4")
        return export_pdf(book, base_dir, out, layout)  # type: ignore[arg-type]
    if fmt == "epub":
        from aigc_contest.works.storybook.export_epub import export_epub

        return export_epub(book, base_dir, out)
    if fmt == "html":
        from aigc_contest.works.storybook.export_html import export_html

        return export_html(book, base_dir, out)
    raise ValueError(f"unknown export format {fmt!r}; use pdf, epub or html")
