"""Friendly starting ideas for the image studio, in each language of the site (studio content)."""

from __future__ import annotations

from aigc_contest.safety.messages import canonical_language

EXAMPLE_PROMPTS: dict[str, tuple[str, ...]] = {
    "en": (
        "A happy cat reading a book under a big tree",
        "My favourite place: a quiet beach at sunset",
        "A robot friend helping me tidy my room",
        "How I feel today: a bright rainbow after the rain",
    ),
    "zh-Hant": (
        "一隻開心的貓在大樹下看書",
        "我最喜歡的地方：日落時安靜的海灘",
        "機械人朋友幫我收拾房間",
        "我今天的心情：雨後一道彩虹",
    ),
    "zh-Hans": (
        "一只开心的猫在大树下看书",
        "我最喜欢的地方：日落时安静的海滩",
        "机器人朋友帮我收拾房间",
        "我今天的心情：雨后一道彩虹",
    ),
}


def examples_for(language: str | None) -> tuple[str, tuple[str, ...]]:
    """(BCP 47 tag for the `lang` attribute, example prompts) in the page's language."""
    tag = canonical_language(language)
    return tag, EXAMPLE_PROMPTS[tag]
