"""Lists shown in a sentence use the reader's language's separator (Chinese writes 、, not an English comma)."""

from __future__ import annotations

from django.template import Context, Template
from django.utils import translation


def render(language: str, items: list[str]) -> str:
    with translation.override(language):
        return Template("{% load content %}{{ items|listing }}").render(Context({"items": items}))


def test_lists_follow_the_language() -> None:
    assert render("en", ["Picture", "Storybook"]) == "Picture, Storybook"
    assert render("zh-hant", ["圖像", "繪本"]) == "圖像、繪本"
    assert render("zh-hans", ["图像", "绘本"]) == "图像、绘本"
    assert render("en", []) == ""
