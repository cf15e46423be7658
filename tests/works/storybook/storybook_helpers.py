"""Storybooks built in the test: small Pillow PNGs, every layout, 繁/简 text and hostile markup."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from aigc_contest.works.storybook.model import Character, ImageAsset, Page, Storybook

MARKUP_SCRIPT = "<script>alert(1)</script>"
MARKUP_IMG = "<img src=x onerror=alert(1)>"
TRAD_SAMPLE = "繁體字：會發光的貝殼"
SIMP_SAMPLE = "简体字：会发光的贝壳"
LONG_WORD = "Supercalifragilisticexpialidocious" * 3


def make_png(color: tuple[int, int, int], size: tuple[int, int] = (96, 96), alpha: bool = False) -> bytes:
    image = Image.new("RGBA" if alpha else "RGB", size, (*color, 128) if alpha else color)
    ImageDraw.Draw(image).ellipse((10, 10, size[0] - 10, size[1] - 10), fill=(250, 220, 90))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def page_texts(n: int) -> list[str]:
    texts = [f"第{k}頁。小美和小明在海邊散步，看見一隻會說話的海龜。Page {k} text." for k in range(1, n + 1)]
    texts[0] = f"{TRAD_SAMPLE}\n{SIMP_SAMPLE}"
    texts[1] = f"{MARKUP_SCRIPT}\n{MARKUP_IMG}"
    texts[2] = f"A long word must wrap: {LONG_WORD}."
    # Many commas and full stops in a narrow column: a line must never begin with closing punctuation.
    texts[3] = "她笑了，他也笑了。「真好！」海龜說，「明天再來吧。」" * 4
    return texts


def build_book(n: int = 6, language: str = "zh-Hant") -> Storybook:
    layouts = ["image-top", "image-left", "full-bleed", "text-only"]
    characters = [
        Character(name="Mei", appearance="a nine-year-old girl", hair="black bob with a red clip",
                  clothes="yellow raincoat and blue boots", palette=["yellow", "teal"]),
        Character(name="Turtle", appearance="a small green sea turtle", clothes="a tiny orange scarf"),
    ]
    pages = [
        Page(
            id=f"p{k}",
            text=text,
            illustration_prompt=f"scene {k} on the beach",
            characters=["Mei"] if k % 2 else ["Mei", "Turtle"],
            image=ImageAsset(data=make_png((30 * k % 255, 120, 200), alpha=k == 1)),
            candidates=[ImageAsset(data=make_png((200, 30 * k % 255, 90)))],
            layout=layouts[(k - 1) % len(layouts)] if k != 4 else "image-left",
        )
        for k, text in enumerate(page_texts(n), start=1)
    ]
    return Storybook(
        language=language, title="會發光的貝殼 <b>Shell</b>", author='海星隊 "><script>x()</script>',
        competition="香港學界 AIGC 創作大賽", theme="海洋", age_band="6-8", style="watercolor",
        characters=characters, pages=pages,
    )


