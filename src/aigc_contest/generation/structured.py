"""Structured (JSON) answers from any chat model: extract, validate with pydantic, retry with the errors.

Local constrained decoding and remote `response_format` both make valid JSON likely, never certain, so every
answer is re-validated here; a failed answer goes back to the model with a short list of what was wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from aigc_contest.generation.types import ChatMessage, GenerationError, TextRequest

T = TypeVar("T", bound=BaseModel)

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
_MAX_ERRORS_LISTED = 8
_MAX_ANSWER_ECHO = 300


class StructuredAnswerError(ValueError):
    """One answer that is not a valid instance of the schema; `problems` are short English lines."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def schema_instructions(schema: type[BaseModel]) -> str:
    """Message text asking for JSON that follows `schema` (contains the word JSON, which DashScope requires)."""
    schema_text = json.dumps(schema.model_json_schema(), ensure_ascii=False, separators=(",", ":"))
    return (
        "Answer with a single JSON object only, no prose and no code fences. "
        f"The JSON must follow this JSON schema:\n{schema_text}"
    )


def with_schema_instructions(messages: list[ChatMessage], schema: type[BaseModel]) -> list[ChatMessage]:
    """`messages` with the schema instructions in the system message (one system message, first).

    Several chat templates accept only one system message at the start, so the instructions are merged
    into an existing one rather than added as a second.
    """
    instructions = schema_instructions(schema)
    if messages and messages[0].role == "system":
        merged = ChatMessage(role="system", content=f"{messages[0].content}\n\n{instructions}")
        return [merged, *messages[1:]]
    return [ChatMessage(role="system", content=instructions), *messages]


def extract_json_text(answer: str) -> str:
    """The JSON value inside a model answer: tolerates ```json fences and prose before or after it."""
    candidates: list[str] = [m.group(1) for m in _FENCE.finditer(answer)]
    candidates.append(answer)
    decoder = json.JSONDecoder()
    for text in candidates:
        stripped = text.strip()
        for start, char in enumerate(stripped):
            if char not in "{[":
                continue
            try:
                _, end = decoder.raw_decode(stripped, start)
            except json.JSONDecodeError:
                continue
            return stripped[start:end]
    raise StructuredAnswerError(["the answer contains no JSON object"])


def parse_structured(answer: str, schema: type[T]) -> T:
    """Validate one answer against `schema`, or raise StructuredAnswerError listing the problems."""
    json_text = extract_json_text(answer)
    try:
        return schema.model_validate_json(json_text)
    except ValidationError as exc:
        raise StructuredAnswerError(_describe_validation_errors(exc)) from None


def _describe_validation_errors(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors(include_url=False)[:_MAX_ERRORS_LISTED]:
        location = ".".join(str(part) for part in error["loc"]) or "(top level)"
        problems.append(f"{location}: {error['msg']}")
    hidden = exc.error_count() - len(problems)
    if hidden > 0:
        problems.append(f"... and {hidden} more problem(s)")
    return problems


def retry_message(problems: list[str]) -> str:
    """The user message sent after an invalid answer."""
    listed = "\n".join(f"- {p}" for p in problems)
    return (
        "Your previous answer was not valid JSON for the required schema. Problems:\n"
        f"{listed}\n"
        "Reply again with the corrected JSON object only."
    )


def complete_json_with_retries(
    generate: Callable[[list[ChatMessage]], str],
    request: TextRequest,
    schema: type[T],
    max_attempts: int = 3,
) -> T:
    """Ask `generate` for JSON matching `schema`; after an invalid answer, retry with the validation errors.

    `generate(messages)` returns the raw answer text. The caller is expected to have put
    `schema_instructions(schema)` (or an equivalent) into `request.messages`.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    messages = list(request.messages)
    problems: list[str] = []
    answer = ""
    for _attempt in range(max_attempts):
        answer = generate(messages)
        try:
            return parse_structured(answer, schema)
        except StructuredAnswerError as exc:
            problems = exc.problems
        messages = [
            *messages,
            ChatMessage(role="assistant", content=answer),
            ChatMessage(role="user", content=retry_message(problems)),
        ]
    shown = answer if len(answer) <= _MAX_ANSWER_ECHO else answer[:_MAX_ANSWER_ECHO] + "…"
    raise GenerationError(
        f"the model gave no valid {schema.__name__} JSON in {max_attempts} attempt(s); "
        f"last problems: {'; '.join(problems)}; last answer began: {shown!r}"
    )
