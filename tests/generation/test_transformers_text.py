"""The transformers backend on the tiny Qwen2 model: chat completion and llguidance-constrained JSON."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("llguidance")

from pydantic import BaseModel, ConfigDict, Field  # noqa: E402

from aigc_contest.generation.types import ChatMessage, GenerationError, TextRequest  # noqa: E402

pytestmark = pytest.mark.ml


class PageIdea(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=16)
    mood: Literal["happy", "calm", "brave"]
    lines: list[Annotated[str, Field(max_length=10)]] = Field(min_length=1, max_length=3)
    age: int = Field(ge=6, le=18)
    illustrated: bool


def text_request(**fields) -> TextRequest:  # type: ignore[no-untyped-def]
    base = {
        "model": "text-tiny",
        "messages": [ChatMessage(role="user", content="寫一個關於小貓的故事 / a story about a cat")],
        "max_tokens": 24,
        "seed": 3,
    }
    return TextRequest(**{**base, **fields})


def test_complete_through_chat_template(tiny_text_backend) -> None:  # type: ignore[no-untyped-def]
    result = tiny_text_backend.complete(text_request())
    again = tiny_text_backend.complete(text_request())
    assert result.text == again.text  # same seed, same sampling
    assert result.finish_reason in {"stop", "length"}
    assert result.provenance.model == "text-tiny" and result.provenance.is_test_model
    assert result.provenance.model_hash and len(result.provenance.model_hash) == 64
    assert result.provenance.model_id == "text-tiny"  # the configured name, never the folder it loads from
    greedy = tiny_text_backend.complete(text_request(temperature=0.0, seed=None, max_tokens=8))
    assert (
        greedy.text == tiny_text_backend.complete(text_request(temperature=0.0, seed=None, max_tokens=8)).text
    )


def test_constrained_json_is_always_valid(tiny_text_backend) -> None:  # type: ignore[no-untyped-def]
    """A random model only produces valid JSON because decoding is constrained."""
    for seed in range(4):
        value = tiny_text_backend.complete_json(
            text_request(seed=seed, max_tokens=200), PageIdea, max_attempts=1
        )
        assert isinstance(value, PageIdea)
        assert 6 <= value.age <= 18 and 1 <= len(value.lines) <= 3


def test_unconstrained_random_model_is_not_json(tiny_text_backend) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.generation.structured import StructuredAnswerError, parse_structured

    answer = tiny_text_backend.complete(text_request(max_tokens=40)).text
    with pytest.raises(StructuredAnswerError):
        parse_structured(answer, PageIdea)


def test_json_that_cannot_finish_in_time_fails_cleanly(tiny_text_backend) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(GenerationError, match="no valid PageIdea JSON in 2 attempt"):
        tiny_text_backend.complete_json(text_request(max_tokens=3), PageIdea, max_attempts=2)
