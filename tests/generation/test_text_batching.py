"""Batched local text generation on the tiny Qwen2 model: left-padded prompts of different lengths give
the same answers as one request at a time, each row keeping its own length, seed and stream."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from aigc_contest.generation.types import ChatMessage, TextRequest  # noqa: E402

pytestmark = pytest.mark.ml

PROMPTS = [
    "a cat",
    "寫一個關於小貓的故事 / a story about a cat who walks a long way over the hills to the sea",
    "hi",
    "a dragon who bakes bread for the whole village every morning",
    "一隻小狗",
]


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from aigc_contest.generation.backends.transformers_text import TransformersTextBackend
    from aigc_contest.generation.tiny import build_text_model

    folder: Path = tmp_path_factory.mktemp("tiny-text") / "text"
    model, tokenizer = build_text_model()
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return TransformersTextBackend("text-tiny", str(folder), is_test_model=True, device="cpu", max_batch=4)


def requests(**fields) -> list[TextRequest]:  # type: ignore[no-untyped-def]
    return [
        TextRequest(
            model="text-tiny",
            messages=[ChatMessage(role="user", content=prompt)],
            max_tokens=6 + 4 * i,
            **{"temperature": 0.0, **fields},
        )
        for i, prompt in enumerate(PROMPTS)
    ]


def test_greedy_batch_equals_one_at_a_time(backend) -> None:  # type: ignore[no-untyped-def]
    asked = requests()
    alone = [backend.complete(request) for request in asked]
    together = backend.complete_batch(asked)  # 5 requests, max_batch 4: two padded batches
    assert [r.text for r in together] == [r.text for r in alone]
    assert [r.finish_reason for r in together] == [r.finish_reason for r in alone]
    for request, result in zip(asked, together, strict=True):
        used = result.provenance.extra["usage"]["completion_tokens"]
        assert used <= request.max_tokens  # each row stops at its own length, not the batch's longest
        assert used == request.max_tokens or result.finish_reason == "stop"
    prompt_lengths = {r.provenance.extra["usage"]["prompt_tokens"] for r in together}
    assert len(prompt_lengths) > 1  # the prompts really needed padding


def test_seeded_sampling_batch_equals_one_at_a_time(backend) -> None:  # type: ignore[no-untyped-def]
    asked = [r.model_copy(update={"seed": 10 + i}) for i, r in enumerate(requests(temperature=0.9))]
    alone = [backend.complete(request).text for request in asked]
    assert [r.text for r in backend.complete_batch(asked)] == alone
    assert [r.text for r in backend.complete_batch(list(reversed(asked)))] == list(reversed(alone))


def test_a_stream_that_stops_ends_only_its_own_row(backend) -> None:  # type: ignore[no-untyped-def]
    asked = requests()[:3]
    alone = [backend.complete(request).text for request in asked]
    seen: list[str] = []

    def stop_at_once(piece: str) -> bool:
        seen.append(piece)
        return False

    results = backend.complete_batch(asked, on_text=[None, stop_at_once, None])
    assert results[1].finish_reason == "stopped" and len(seen) == 1
    assert results[1].text.startswith(seen[0]) and len(results[1].text) < len(alone[1])
    assert [results[0].text, results[2].text] == [alone[0], alone[2]]


def test_mixed_temperatures_are_grouped_not_mixed(backend) -> None:  # type: ignore[no-untyped-def]
    greedy = requests()[:2]
    sampled = [r.model_copy(update={"temperature": 0.7, "seed": 5}) for r in requests()[2:4]]
    mixed = [greedy[0], sampled[0], greedy[1], sampled[1]]
    expected = [backend.complete(r).text for r in mixed]
    assert [r.text for r in backend.complete_batch(mixed)] == expected


def test_constrained_json_batch_equals_one_at_a_time(backend) -> None:  # type: ignore[no-untyped-def]
    """Each row follows its own llguidance matcher: batched structured answers are valid and the same."""
    from typing import Literal

    from pydantic import BaseModel, ConfigDict, Field

    class Idea(BaseModel):
        model_config = ConfigDict(extra="forbid")
        title: str = Field(min_length=1, max_length=12)
        mood: Literal["happy", "calm", "brave"]
        age: int = Field(ge=6, le=18)

    asked = [
        r.model_copy(update={"max_tokens": 80, "seed": i}) for i, r in enumerate(requests(temperature=0.8))
    ]
    asked += [r.model_copy(update={"max_tokens": 80}) for r in requests()[:2]]  # greedy ones too
    alone = [backend.complete_json(request, Idea, max_attempts=2) for request in asked]
    together = backend.complete_json_batch(asked, Idea, max_attempts=2)
    assert all(isinstance(value, Idea) for value in together)
    assert together == alone


def test_constrained_json_batch_reports_each_failure_in_its_place(backend) -> None:  # type: ignore[no-untyped-def]
    from typing import Literal

    from pydantic import BaseModel, ConfigDict

    from aigc_contest.generation.types import GenerationError

    class Name(BaseModel):
        model_config = ConfigDict(extra="forbid")
        name: Literal["Pip", "Mei"]

    short, roomy = (
        requests()[0].model_copy(update={"max_tokens": 2}),
        requests()[1].model_copy(update={"max_tokens": 60}),
    )
    failed, value = backend.complete_json_batch([short, roomy], Name, max_attempts=2)
    assert isinstance(failed, GenerationError) and "no valid Name JSON in 2 attempt" in str(failed)
    assert value == backend.complete_json(roomy, Name, max_attempts=2)


def test_sequential_steps_in_threads_meet_in_batches(backend) -> None:  # type: ignore[no-untyped-def]
    """Several jobs' step-by-step writing (each its own sequence of requests) runs batched, same answers."""
    from typing import Literal

    from pydantic import BaseModel, ConfigDict

    from aigc_contest.generation.batching import Gather, run_together

    class Mood(BaseModel):
        model_config = ConfigDict(extra="forbid")
        mood: Literal["happy", "calm", "brave"]

    def steps(job: int) -> list[str]:
        asked = [r.model_copy(update={"max_tokens": 40}) for r in requests(temperature=0.8)]
        first = backend.complete(asked[job % len(asked)].model_copy(update={"seed": job})).text
        mood = backend.complete_json(asked[(job + 1) % len(asked)].model_copy(update={"seed": job}), Mood)
        last = backend.complete(asked[(job + 2) % len(asked)].model_copy(update={"seed": 100 + job})).text
        return [first, mood.mood, last]

    alone = [steps(job) for job in range(6)]
    gather = Gather(6, patience=5.0)
    together = run_together([lambda job=job: steps(job) for job in range(6)], gather=gather)
    assert together == alone
    assert max(gather.batches) == 6 and sum(gather.batches) == 18  # three rounds of all six
