"""Prompt building and the LLM step schemas: verbatim character sheets, fixed seeds, bounded schemas."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from aigc_contest.works.storybook.model import Storybook
from aigc_contest.works.storybook.prompts import (
    STYLE_PRESETS,
    book_from_steps,
    character_sheet_messages,
    illustration_prompt,
    illustration_seed,
    outline_messages,
    page_texts_messages,
    portrait_prompt,
    rewrite_page_messages,
    style_prefix,
    writing_guidance,
)
from aigc_contest.works.storybook.schemas import (
    CharacterSheet,
    Outline,
    PageTexts,
    outline_schema,
    page_texts_schema,
)


def test_illustration_prompt_is_style_then_sheets_verbatim_then_scene(book: Storybook) -> None:
    mei, turtle = book.character("Mei"), book.character("Turtle")
    two = book.page("p2")  # Mei and Turtle
    prompt = illustration_prompt(book, two)
    assert prompt.startswith(STYLE_PRESETS["watercolor"])
    assert mei.sheet() in prompt and turtle.sheet() in prompt
    assert prompt.index(mei.sheet()) < prompt.index(turtle.sheet()) < prompt.index("Scene: scene 2 on the beach")
    one = illustration_prompt(book, book.page("p1"))  # Mei only
    assert mei.sheet() in one and turtle.sheet() not in one
    # The sheet is identical on every page: the same words describe Mei everywhere.
    assert all(mei.sheet() in illustration_prompt(book, page) for page in book.pages)
    assert mei.sheet() in portrait_prompt(book, mei)


def test_custom_style_is_used_as_written_and_empty_style_has_a_default() -> None:
    assert style_prefix("linocut print, two colours") == "linocut print, two colours"
    assert style_prefix("Watercolor") == STYLE_PRESETS["watercolor"]
    assert style_prefix("  ")


def test_seed_is_the_main_characters_fixed_seed(book: Storybook) -> None:
    mei = book.character("Mei")
    assert {illustration_seed(book, page) for page in book.pages} == {mei.seed}
    nobody = book.edit_page("p3", characters=[])
    seed = illustration_seed(nobody, nobody.page("p3"))
    assert seed != mei.seed and seed == illustration_seed(nobody, nobody.page("p3"))


def test_writing_guidance_depends_on_age_and_language() -> None:
    young, old = writing_guidance("6-8", "en"), writing_guidance("15-18", "en")
    assert "at most 10 words" in young and young != old
    assert "Chinese characters" in writing_guidance("6-8", "zh-Hant")
    assert "Traditional Chinese" in writing_guidance("9-11", "zh-Hant")
    assert "Simplified Chinese" in writing_guidance("9-11", "zh-Hans")


def _walk(schema: dict[str, Any], node: Any, path: str, problems: list[str]) -> None:
    if isinstance(node, dict):
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].split("/")[-1]]
        kind = node.get("type")
        if kind == "string" and "maxLength" not in node:
            problems.append(f"{path}: unbounded string")
        if kind == "array" and "maxItems" not in node:
            problems.append(f"{path}: unbounded array")
        if kind == "object" and node.get("additionalProperties") is not False:
            problems.append(f"{path}: extra keys allowed")
        for key, value in node.get("properties", {}).items():
            _walk(schema, value, f"{path}.{key}", problems)
        if "items" in node:
            _walk(schema, node["items"], f"{path}[]", problems)
        for option in node.get("anyOf", []):
            _walk(schema, option, path, problems)


@pytest.mark.parametrize("model", [Outline, CharacterSheet, PageTexts, outline_schema(5), page_texts_schema(5)])
def test_every_string_and_array_in_the_llm_schemas_is_bounded(model: type) -> None:
    schema = model.model_json_schema()  # type: ignore[attr-defined]
    problems: list[str] = []
    _walk(schema, schema, "$", problems)
    assert problems == []


def test_exact_page_count_schemas() -> None:
    page = {"text": "t", "scene": "s", "characters": []}
    assert len(page_texts_schema(2).model_validate({"pages": [page, page]}).pages) == 2
    with pytest.raises(ValidationError):
        page_texts_schema(2).model_validate({"pages": [page]})
    with pytest.raises(ValidationError):
        PageTexts.model_validate({"pages": [{**page, "extra": 1}]})
    with pytest.raises(ValueError, match="1 to 64 pages"):
        outline_schema(0)


def test_step_messages_and_assembling_a_book() -> None:
    messages = outline_messages("海洋保育", "zh-Hant", "9-11", 3, style="ink-wash", schema=outline_schema(3))
    assert [m.role for m in messages] == ["system", "user"]
    assert all("JSON" in m.content for m in messages)  # DashScope json_object mode needs the word
    assert "海洋保育" in messages[1].content and "exactly 3" in messages[1].content
    assert "Traditional Chinese" in messages[0].content

    outline = Outline(
        title="海龜回家", synopsis="小美幫海龜回到大海。",
        characters=[{"name": "小美", "role": "girl"}, {"name": "海龜", "role": "turtle"}],
        beats=["a", "b", "c"],
    )
    sheet = CharacterSheet(characters=[
        {"name": "小美", "appearance": "girl", "hair": "black", "clothes": "red dress", "palette": ["red"]},
        {"name": "海龜", "appearance": "turtle", "hair": "none", "clothes": "none", "palette": ["green"]},
    ])
    assert "小美: girl" in character_sheet_messages(outline, "zh-Hant", "9-11")[1].content
    assert "1. a\n2. b\n3. c" in page_texts_messages(outline, sheet, "zh-Hant", "9-11")[1].content
    texts = page_texts_schema(3).model_validate({"pages": [
        {"text": "一", "scene": "beach", "characters": ["小美", "Ghost"]},
        {"text": "二", "scene": "sea", "characters": ["海龜"]},
        {"text": "三", "scene": "home", "characters": []},
    ]})
    book = book_from_steps(outline, sheet, texts, language="zh-Hant", age_band="9-11", style="ink-wash",
                           theme="海洋")
    assert [p.id for p in book.pages] == ["p1", "p2", "p3"]
    assert book.page("p1").characters == ["小美"]  # the misspelt "Ghost" is dropped
    assert book.character("海龜").sheet() in illustration_prompt(book, book.page("p2"))
    rewrite = rewrite_page_messages(book, "p2", "make it funnier")
    assert "Previous page: 一" in rewrite[1].content and "Next page: 三" in rewrite[1].content
