"""Chinese prompts for models that read other languages."""

from __future__ import annotations

from aigc_contest.generation.prompting import adapt_image_request, detect_language
from aigc_contest.generation.types import ImageRequest


def test_detect_language() -> None:
    assert detect_language("a cat on the moon") == "en"
    assert detect_language("一隻小貓在月亮上") == "zh-Hant"
    assert detect_language("一只小猫在月亮上") == "zh-Hans"
    assert detect_language("月亮") == "zh-Hans"  # same characters in both scripts


def test_english_only_model_gets_a_translation_and_keeps_the_original() -> None:
    calls: list[str] = []

    def translate(text: str) -> str:
        calls.append(text)
        return "a kitten on the moon" if "貓" in text else "blurry"

    request = ImageRequest(model="m", prompt="一隻小貓在月亮上", negative_prompt="模糊")
    adapted = adapt_image_request(request, ("en",), translate)
    assert (adapted.prompt, adapted.original_prompt, adapted.negative_prompt) == (
        "a kitten on the moon",
        "一隻小貓在月亮上",
        "blurry",
    )
    assert calls == ["一隻小貓在月亮上", "模糊"]


def test_no_translation_when_the_model_reads_the_language() -> None:
    request = ImageRequest(model="m", prompt="一只小猫")
    assert adapt_image_request(request, ("zh-Hans", "en"), lambda _: "never") is request
    english = ImageRequest(model="m", prompt="a cat")
    assert adapt_image_request(english, ("en",), lambda _: "never") is english


def test_traditional_to_simplified_needs_no_llm() -> None:
    request = ImageRequest(model="m", prompt="一隻小貓在月亮上")
    adapted = adapt_image_request(request, ("zh-Hans",), None)
    assert adapted.prompt == "一只小猫在月亮上"
    assert adapted.original_prompt == "一隻小貓在月亮上"


def test_without_a_text_model_the_prompt_is_kept() -> None:
    request = ImageRequest(model="m", prompt="一隻小貓")
    assert adapt_image_request(request, ("en",), None) is request
