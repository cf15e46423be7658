"""JSON extraction, validation and the retry-with-errors loop shared by every text backend."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field

from aigc_contest.generation.structured import (
    StructuredAnswerError,
    complete_json_with_retries,
    extract_json_text,
    schema_instructions,
    with_schema_instructions,
)
from aigc_contest.generation.types import ChatMessage, GenerationError, TextRequest


class Outline(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(max_length=40)
    pages: int = Field(ge=1, le=12)


def request(*messages: ChatMessage) -> TextRequest:
    return TextRequest(model="m", messages=list(messages) or [ChatMessage(role="user", content="A story")])


@pytest.mark.parametrize(
    "answer, expected",
    [
        ('{"title": "Moon", "pages": 3}', '{"title": "Moon", "pages": 3}'),
        ('```json\n{"title": "Moon", "pages": 3}\n```', '{"title": "Moon", "pages": 3}'),
        ('Sure! Here it is:\n```\n{"a": [1, 2]}\n```\nEnjoy.', '{"a": [1, 2]}'),
        ('Here: {"title": "a } brace", "pages": 2} hope it helps', '{"title": "a } brace", "pages": 2}'),
        ("Not this {broken, but this: [1, 2]", "[1, 2]"),
        ('好的：{"title": "月亮", "pages": 2}', '{"title": "月亮", "pages": 2}'),
    ],
)
def test_extract_json_tolerates_fences_and_prose(answer: str, expected: str) -> None:
    assert extract_json_text(answer) == expected


def test_extract_json_without_json_says_so() -> None:
    with pytest.raises(StructuredAnswerError, match="no JSON"):
        extract_json_text("I cannot write that story, sorry.")


def test_schema_instructions_contain_the_word_json_and_the_schema() -> None:
    text = schema_instructions(Outline)
    assert "JSON" in text
    assert '"pages"' in text and '"maximum":12' in text


def test_instructions_merge_into_an_existing_system_message() -> None:
    messages = [
        ChatMessage(role="system", content="You write for children."),
        ChatMessage(role="user", content="Go"),
    ]
    merged = with_schema_instructions(messages, Outline)
    assert [m.role for m in merged] == ["system", "user"]
    assert merged[0].content.startswith("You write for children.") and "JSON schema" in merged[0].content
    added = with_schema_instructions([ChatMessage(role="user", content="Go")], Outline)
    assert [m.role for m in added] == ["system", "user"]


def test_retry_sends_back_the_answer_and_the_validation_errors() -> None:
    answers = iter(
        ['{"title": "Moon"}', '```json\n{"title": "Moon", "pages": 99}\n```', '{"title": "Moon", "pages": 4}']
    )
    seen: list[list[ChatMessage]] = []

    def generate(messages: list[ChatMessage]) -> str:
        seen.append(messages)
        return next(answers)

    result = complete_json_with_retries(generate, request(), Outline)
    assert result == Outline(title="Moon", pages=4)
    assert [len(m) for m in seen] == [1, 3, 5]
    assert seen[1][1] == ChatMessage(role="assistant", content='{"title": "Moon"}')
    assert seen[1][2].role == "user" and "pages: Field required" in seen[1][2].content
    assert "pages: Input should be less than or equal to 12" in seen[2][4].content


def test_gives_up_after_max_attempts_with_the_last_problem() -> None:
    calls = []

    def generate(messages: list[ChatMessage]) -> str:
        calls.append(messages)
        return '{"title": "Moon", "pages": "many", "colour": "red"}'

    with pytest.raises(GenerationError) as caught:
        complete_json_with_retries(generate, request(), Outline, max_attempts=2)
    assert len(calls) == 2
    message = str(caught.value)
    assert "Outline" in message and "2 attempt" in message
    assert (
        "pages: Input should be a valid integer" in message
        and "colour: Extra inputs are not permitted" in message
    )


def test_no_json_at_all_is_reported() -> None:
    with pytest.raises(GenerationError, match="no JSON object"):
        complete_json_with_retries(lambda m: "Once upon a time…", request(), Outline, max_attempts=1)


def test_max_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError):
        complete_json_with_retries(lambda m: "{}", request(), Outline, max_attempts=0)
