"""The OpenAI-compatible chat backend against a local server speaking the chat completions protocol."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from pydantic import BaseModel, ConfigDict, Field

from aigc_contest.generation.backends.openai_chat import OpenAIChatBackend
from aigc_contest.generation.types import ChatMessage, GenerationError, TextRequest
from aigc_contest.safety.verdict import SafetyRefusal

try:  # tests/generation may or may not be a package
    from .fake_servers import (
        CONTENT_FILTER_ERROR,
        MODEL_NOT_FOUND_ERROR,
        RATE_LIMIT_ERROR,
        FakeOpenAI,
        ScriptedAnswer,
    )
except ImportError:
    from fake_servers import (
        CONTENT_FILTER_ERROR,
        MODEL_NOT_FOUND_ERROR,
        RATE_LIMIT_ERROR,
        FakeOpenAI,
        ScriptedAnswer,
    )


class Character(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=30)
    age: int = Field(ge=1, le=120)


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def backend_for(server: FakeOpenAI, **options: object) -> OpenAIChatBackend:
    options.setdefault("max_retries", 0)  # the SDK's own retries would sleep for seconds
    return OpenAIChatBackend("qwen", "qwen-plus", base_url=server.base_url, api_key=server.api_key, **options)


def ask(text: str = "Tell me about a brave rabbit", seed: int | None = None) -> TextRequest:
    return TextRequest(
        model="qwen", messages=[ChatMessage(role="user", content=text)], max_tokens=64, seed=seed
    )


def test_complete_sends_the_request_and_keeps_provenance(server: FakeOpenAI) -> None:
    server.script = ["A brave rabbit named Pip."]
    result = backend_for(server, test_model=True).complete(ask(seed=5))
    assert result.text == "A brave rabbit named Pip."
    assert result.finish_reason == "stop"
    assert result.provenance.backend == "openai_chat"
    assert (result.provenance.model, result.provenance.model_id) == ("qwen", "qwen-plus")
    assert result.provenance.prompt == "Tell me about a brave rabbit"
    assert result.provenance.seed == 5 and result.provenance.is_test_model
    assert result.provenance.extra["usage"] == {"prompt_tokens": 11, "completion_tokens": 7}
    (request,) = server.requests
    assert request.headers["authorization"] == f"Bearer {server.api_key}"
    assert request.body["model"] == "qwen-plus"
    assert request.body["messages"] == [{"role": "user", "content": "Tell me about a brave rabbit"}]
    assert request.body["max_tokens"] == 64 and request.body["seed"] == 5
    assert "response_format" not in request.body


def test_complete_json_retries_with_the_validation_errors(server: FakeOpenAI) -> None:
    server.script = [
        '{"name": "Pip", "age": "very old"',
        'Here you go:\n```json\n{"name": "Pip", "age": 7}\n```',
    ]
    character = backend_for(server).complete_json(ask(), Character)
    assert character == Character(name="Pip", age=7)
    first, second = server.chat_bodies
    assert first["response_format"] == {"type": "json_object"}
    assert first["messages"][0]["role"] == "system"
    assert "JSON" in first["messages"][0]["content"] and '"age"' in first["messages"][0]["content"]
    # The second request repeats the conversation, the bad answer, and what was wrong with it.
    assert second["messages"][:2] == first["messages"]
    assert second["messages"][2] == {"role": "assistant", "content": '{"name": "Pip", "age": "very old"'}
    assert second["messages"][3]["role"] == "user"
    assert "no JSON object" in second["messages"][3]["content"]


def test_complete_json_lists_schema_errors_for_the_model(server: FakeOpenAI) -> None:
    server.script = ['{"name": "Pip", "age": 500, "hat": "red"}', '{"name": "Pip", "age": 50}']
    assert backend_for(server).complete_json(ask(), Character).age == 50
    correction = server.chat_bodies[1]["messages"][-1]["content"]
    assert "age: Input should be less than or equal to 120" in correction
    assert "hat: Extra inputs are not permitted" in correction


def test_strict_schema_uses_json_schema_response_format(server: FakeOpenAI) -> None:
    server.script = ['{"name": "Mei", "age": 9}']
    backend_for(server, strict_schema=True).complete_json(ask(), Character)
    response_format = server.chat_bodies[0]["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "Character"
    assert response_format["json_schema"]["strict"] is True
    assert response_format["json_schema"]["schema"] == Character.model_json_schema()


def test_complete_json_gives_up_with_a_clear_reason(server: FakeOpenAI) -> None:
    server.default = "I would rather tell you a story."
    with pytest.raises(GenerationError, match="no valid Character JSON in 3 attempt"):
        backend_for(server).complete_json(ask(), Character)
    assert len(server.chat_bodies) == 3


def test_the_fake_server_enforces_the_json_word_rule(server: FakeOpenAI) -> None:
    """The rule our system message satisfies is really checked: without it DashScope answers 400."""
    import httpx

    body = {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "response_format": {"type": "json_object"},
    }
    answer = httpx.post(
        f"{server.base_url}/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {server.api_key}"},
    )
    assert answer.status_code == 400 and "json" in answer.json()["error"]["message"]


def test_content_inspection_error_is_a_safety_refusal(server: FakeOpenAI) -> None:
    server.script = [CONTENT_FILTER_ERROR]
    with pytest.raises(SafetyRefusal) as caught:
        backend_for(server).complete(ask("something unkind"))
    assert caught.value.verdict.layer == "remote"
    assert "remote:data_inspection_failed" in caught.value.verdict.matched


def test_content_filter_finish_reason_is_a_safety_refusal(server: FakeOpenAI) -> None:
    server.script = [ScriptedAnswer(content="", finish_reason="content_filter")]
    with pytest.raises(SafetyRefusal):
        backend_for(server).complete(ask())


def test_refused_key_is_reported_without_the_key(server: FakeOpenAI) -> None:
    backend = OpenAIChatBackend(
        "qwen", "qwen-plus", base_url=server.base_url, api_key="sk-wrong-123", max_retries=0
    )
    with pytest.raises(GenerationError, match="refused the API key") as caught:
        backend.complete(ask())
    assert "sk-wrong-123" not in str(caught.value)


def test_rate_limit_and_unknown_model_have_clear_reasons(server: FakeOpenAI) -> None:
    server.script = [RATE_LIMIT_ERROR, MODEL_NOT_FOUND_ERROR]
    backend = backend_for(server)
    with pytest.raises(GenerationError, match="rate limiting"):
        backend.complete(ask())
    with pytest.raises(GenerationError, match="does not know the model 'qwen-plus'"):
        backend.complete(ask())


def test_timeout_is_reported(server: FakeOpenAI) -> None:
    server.script = [ScriptedAnswer(content="late", delay=0.6)]
    with pytest.raises(GenerationError, match="did not answer within 0.2 s"):
        backend_for(server, timeout=0.2).complete(ask())


def test_unreachable_server_is_reported() -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = OpenAIChatBackend("qwen", "qwen-plus", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    with pytest.raises(GenerationError, match="could not connect to 127.0.0.1"):
        backend.complete(ask())


def test_missing_key_for_openai_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(GenerationError, match="OPENAI_API_KEY"):
        OpenAIChatBackend("gpt", "gpt-4o-mini").complete(ask())


def test_missing_key_for_dashscope_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    backend = OpenAIChatBackend(
        "qwen", "qwen-plus", base_url="https://dashscope.aliyuncs.com/compatible-mode/v1"
    )
    with pytest.raises(GenerationError, match="DASHSCOPE_API_KEY"):
        backend.complete(ask())


def test_self_hosted_servers_need_no_key(server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server.api_key = "not-needed"  # what the backend sends when none is configured
    result = OpenAIChatBackend("local", "qwen2.5:0.5b", base_url=server.base_url, max_retries=0).complete(
        ask()
    )
    assert result.text == "Hello!"


def test_dashscope_key_comes_from_its_environment_variable(
    server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A base URL on a dashscope host reads DASHSCOPE_API_KEY; checked on the resolver, no network needed.
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-from-env")
    backend = OpenAIChatBackend(
        "qwen", "qwen-plus", base_url="https://dashscope.aliyuncs.com/compatible-mode/v1"
    )
    assert backend._resolve_api_key() == "sk-from-env"


def test_capabilities_come_from_options() -> None:
    backend = OpenAIChatBackend("q", "m", base_url="http://x/v1", languages=["en", "zh-Hans"], max_batch=4)
    assert backend.capabilities.languages == ("en", "zh-Hans")
    assert backend.capabilities.max_batch == 4 and backend.capabilities.json_schema


def test_complete_batch_keeps_several_requests_in_flight(server: FakeOpenAI) -> None:
    """The scaled path: a vLLM/SGLang server batches concurrent requests; answers come back in order."""
    server.default = "The same answer."
    server.script = [ScriptedAnswer(content="", status=500)]  # the first request to arrive fails alone
    backend = backend_for(server, max_batch=4)
    asked = [ask(f"a story number {i}") for i in range(6)]
    results = backend.complete_batch(asked)
    assert len(server.chat_bodies) == 6
    failed = [r for r in results if isinstance(r, Exception)]
    assert len(failed) == 1 and isinstance(failed[0], GenerationError)
    assert all(r.text == "The same answer." for r in results if not isinstance(r, Exception))
    sent = sorted(body["messages"][-1]["content"] for body in server.chat_bodies)
    assert sent == sorted(r.messages[-1].content for r in asked)
