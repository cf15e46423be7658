"""Storybook export speed: a 24-page bilingual (繁體中文 + English) book with 1024 px images → PDF, EPUB, HTML.

Run: .venv/bin/python benchmarks/storybook_export.py   (target: PDF under 5 s)
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw

from aigc_contest.works.storybook.export import export_book
from aigc_contest.works.storybook.model import Character, ImageAsset, Page, Storybook, load_book, save_book

PAGES = 24
IMAGE_SIZE = 1024
LAYOUTS = ("image-top", "image-left", "full-bleed", "text-only")


def picture(index: int) -> bytes:
    """A busy 1024 px PNG (gradients and shapes) so JPEG re-encoding does real work."""
    image = Image.linear_gradient("L").resize((IMAGE_SIZE, IMAGE_SIZE)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for k in range(40):
        x, y = (index * 97 + k * 53) % IMAGE_SIZE, (index * 31 + k * 89) % IMAGE_SIZE
        draw.ellipse((x, y, x + 120, y + 120), fill=((k * 40) % 256, (index * 10) % 256, (k * 7) % 256))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def build_book() -> Storybook:
    mei = Character(name="Mei", appearance="a nine-year-old girl", hair="black bob with a red clip",
                    clothes="yellow raincoat, blue boots", palette=["yellow", "teal", "coral"])
    pages = [
        Page(
            id=f"p{n}",
            text=(
                f"第 {n} 頁：小美在海邊撿到一個會發光的貝殼，她小心地把它放進口袋。「你好！」貝殼輕輕地說。\n"
                f"Page {n}: Mei found a glowing shell on the beach and slipped it into her pocket. "
                "“Hello!” the shell whispered."
            ),
            illustration_prompt="a girl on a beach at sunset holding a glowing shell",
            characters=["Mei"],
            image=ImageAsset(data=picture(n)),
            layout=LAYOUTS[n % len(LAYOUTS)],
        )
        for n in range(1, PAGES + 1)
    ]
    return Storybook(
        language="zh-Hant", title="會發光的貝殼 The Glowing Shell", author="海星隊 Team Starfish",
        competition="香港學界 AIGC 創作大賽 2026", theme="海洋 The Ocean", age_band="9-11",
        style="watercolor", characters=[mei], pages=pages,
    )


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "book"
        save_book(build_book(), folder)
        book, base_dir = load_book(folder)
        print(f"{PAGES}-page bilingual storybook, {IMAGE_SIZE} px PNG images")
        for fmt in ("pdf", "epub", "html"):
            out = Path(tmp) / f"book.{fmt}"
            started = time.perf_counter()
            export_book(book, base_dir, fmt, out)  # type: ignore[arg-type]
            seconds = time.perf_counter() - started
            print(f"{fmt:5s} {seconds:6.2f} s  {out.stat().st_size / 1e6:6.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
