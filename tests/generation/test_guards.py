"""Guard models from the models file: registry entries, a tiny random Qwen-like guard and a tiny random CLIP
loaded through the real from_pretrained path, an OpenAI-compatible guard on a local HTTP server, and the
generation service consulting the guard for prompts, streamed text and pictures."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from tests.generation.fake_servers import FakeOpenAI, ScriptedAnswer

from aigc_contest.generation.guards import attach_guards
from aigc_contest.generation.registry import RegistryError, parse_registry
from aigc_contest.generation.types import ChatMessage, TextRequest
from aigc_contest.safety import SafetyPolicy, SafetyRefusal, check_image, check_text

SAFE = "Safety: Safe\nCategories: None"
UNSAFE_VIOLENT = "Safety: Unsafe\nCategories: Violent"
CONTROVERSIAL = "Safety: Controversial\nCategories: Violent"
SELF_HARM = "Safety: Unsafe\nCategories: Suicide & Self-Harm"


def guard_entry(name: str, backend: str, **fields: Any) -> str:
    lines = [f'[[models]]\nname = "{name}"\nkind = "guard"\nbackend = "{backend}"']
    for key, value in fields.items():
        lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


def openai_guard_toml(server: FakeOpenAI, images: bool = False, options: str = "") -> str:
    options = options or ("{ images = true }" if images else "")
    options = f"options = {options}\n" if options else ""
    return (
        guard_entry(
            "guard-remote",
            "openai",
            id='"Qwen3Guard-Gen-0.6B"',
            base_url=f'"{server.base_url}"',
            api_key_env='"GUARD_KEY"',
        )
        + options
    )


# ---------------------------------------------------------------- the models file


def test_guard_entries_are_parsed_and_checked() -> None:
    registry = parse_registry(
        guard_entry("g-local", "transformers", path='"/models/Qwen3Guard-Gen-0.6B"')
        + guard_entry("g-clip", "clip", id='"openai/clip-vit-base-patch32"')
    )
    assert registry.names("guard") == ["g-local", "g-clip"]
    assert [e.summary()["kind"] for e in registry.entries] == ["guard", "guard"]
    with pytest.raises(RegistryError) as error:
        parse_registry(guard_entry("bad", "diffusers", path='"/x"'))
    assert "guard model uses one of" in " ".join(error.value.details)
    with pytest.raises(RegistryError):
        parse_registry(guard_entry("no-source", "clip"))
    # guards are never the default text model
    with pytest.raises(RegistryError, match="no text model"):
        registry.default("text")


def test_no_guard_configured_leaves_the_policy_alone() -> None:
    policy = SafetyPolicy()
    assert attach_guards(policy, parse_registry("")) is policy
    assert attach_guards(None, parse_registry("")) is None


# ---------------------------------------------------------------- the OpenAI-compatible guard


def test_remote_guard_safe_unsafe_and_controversial(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARD_KEY", "sk-guard")
    with FakeOpenAI(
        api_key="sk-guard", script=[SAFE, UNSAFE_VIOLENT, CONTROVERSIAL, CONTROVERSIAL]
    ) as server:
        policy = attach_guards(SafetyPolicy(), parse_registry(openai_guard_toml(server)))
        assert policy is not None and policy.text_guard is not None and policy.image_guard is None
        assert check_text("a kite in the wind", policy).tier == "safe"
        # The guard refuses what the offline layers let through.
        unsafe = check_text("the boy walks home after school", policy)
        assert (unsafe.allowed, unsafe.category, unsafe.layer) == (False, "violence", "guard")
        held = check_text("the soldiers in the war story", policy)
        assert held.held_for_review
        senior = check_text(
            "the soldiers in the war story", policy.model_copy(update={"age_band": "senior_secondary"})
        )
        assert senior.allowed
        bodies = server.chat_bodies
    assert [b["messages"] for b in bodies][0] == [{"role": "user", "content": "a kite in the wind"}]
    assert all(b["model"] == "Qwen3Guard-Gen-0.6B" and b["temperature"] == 0.0 for b in bodies)


def test_remote_guard_that_is_down_or_rude_falls_back_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARD_KEY", "sk-guard")
    with FakeOpenAI(
        api_key="sk-guard",
        script=[ScriptedAnswer(status=500, error={"message": "boom"}), "I am a helpful assistant!"],
    ) as server:
        registry = parse_registry(openai_guard_toml(server, options="{ max_retries = 0 }"))
        policy = attach_guards(SafetyPolicy(), registry)
        assert policy is not None
        for _ in range(2):
            verdict = check_text("a kite", policy)
            assert verdict.allowed and "guard guard-remote" in verdict.warnings[0]


def test_remote_image_capable_guard_sees_pictures(monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    monkeypatch.setenv("GUARD_KEY", "sk-guard")
    buffer = io.BytesIO()
    Image.new("RGB", (48, 32), (180, 0, 0)).save(buffer, format="PNG")
    with FakeOpenAI(api_key="sk-guard", script=["Safety: Unsafe\nCategories: Violent", SAFE]) as server:
        policy = attach_guards(SafetyPolicy(), parse_registry(openai_guard_toml(server, images=True)))
        assert policy is not None and policy.image_guard is not None
        gore = check_image(buffer.getvalue(), policy)
        assert (gore.allowed, gore.category, gore.layer) == (False, "violence", "image_guard")
        assert check_image(buffer.getvalue(), policy).allowed
        content = server.chat_bodies[0]["messages"][0]["content"]
    assert content[0]["type"] == "text" and "Violent" in content[0]["text"]
    assert content[1]["image_url"]["url"].startswith("data:image/png;base64,")


# ---------------------------------------------------------------- streamed text


def chat_toml(server: FakeOpenAI) -> str:
    return (
        f'[[models]]\nname = "chat"\nkind = "text"\nbackend = "openai"\nid = "qwen-plus"\n'
        f'base_url = "{server.base_url}"\napi_key_env = "CHAT_KEY"\n'
    )


def test_streamed_answer_is_screened_as_it_grows_and_stopped_at_the_first_unsafe_passage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aigc_contest.generation.service import generate_text

    monkeypatch.setenv("GUARD_KEY", "sk-guard")
    monkeypatch.setenv("CHAT_KEY", "sk-chat-key")
    story = (
        ("Once upon a time a fox lived in the wood. " * 3) + "Then the story turned very dark. " + "x" * 400
    )
    request = TextRequest(model="chat", messages=[ChatMessage(role="user", content="a story about a fox")])
    with (
        FakeOpenAI(script=[story], stream_chunk_chars=10) as chat,
        FakeOpenAI(api_key="sk-guard", script=[SAFE, SAFE, UNSAFE_VIOLENT], default=SAFE) as guard,
    ):
        registry = parse_registry(chat_toml(chat) + openai_guard_toml(guard))
        with pytest.raises(SafetyRefusal) as refusal:
            generate_text(request, registry, policy=SafetyPolicy(guard_stream_chars=40))
        assert refusal.value.verdict.category == "violence" and refusal.value.verdict.layer == "guard"
        assert chat.chat_bodies[0]["stream"] is True
        checks = guard.chat_bodies
        # the prompt, then the growing answer (as response moderation) until the unsafe verdict
        assert checks[0]["messages"] == [{"role": "user", "content": "a story about a fox"}]
        assert len(checks) == 3
        judged = checks[2]["messages"][1]["content"]
        assert checks[2]["messages"][0]["content"] == "a story about a fox"
        assert story.startswith(judged) and len(judged) < len(story) - 300  # stopped well before the end

        # A clean answer streams to the end, screened on the way and once more whole.
        guard.script[:] = []
        chat.script[:] = ["A short happy tale. The fox found a friend."]
        result = generate_text(request, registry, policy=SafetyPolicy(guard_stream_chars=20))
        assert result.text == "A short happy tale. The fox found a friend."
        assert result.provenance.extra["stream_checks"] >= 1


def test_without_a_guard_text_is_not_streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    from aigc_contest.generation.service import generate_text

    monkeypatch.setenv("CHAT_KEY", "sk-chat-key")
    with FakeOpenAI(script=["hello"]) as chat:
        request = TextRequest(model="chat", messages=[ChatMessage(role="user", content="hi")])
        assert generate_text(request, parse_registry(chat_toml(chat))).text == "hello"
        assert "stream" not in chat.chat_bodies[0]


def test_prompts_and_pictures_go_through_the_guard_in_the_service(monkeypatch: pytest.MonkeyPatch) -> None:
    from aigc_contest.generation.service import prepare_image_request
    from aigc_contest.generation.types import ImageRequest

    monkeypatch.setenv("GUARD_KEY", "sk-guard")
    with FakeOpenAI(api_key="sk-guard", script=[SELF_HARM]) as guard:
        registry = parse_registry(
            '[[models]]\nname = "img"\nkind = "image"\nbackend = "diffusers"\npath = "/nowhere"\n'
            + openai_guard_toml(guard)
        )
        with pytest.raises(SafetyRefusal) as refusal:
            prepare_image_request(
                ImageRequest(model="img", prompt="a girl who wants to disappear"),
                registry,
                policy=SafetyPolicy(),
                translate=False,
            )
    assert refusal.value.verdict.category == "self_harm"
    assert "adult you trust" in refusal.value.message("en")


# ---------------------------------------------------------------- tiny random local guards (real loading)


@pytest.fixture(scope="module")
def tiny_guard_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from aigc_contest.generation.tiny import build_clip_guard, build_text_model

    directory = tmp_path_factory.mktemp("tiny-guards")
    model, tokenizer = build_text_model(seed=5)  # a tiny random Qwen2 causal LM with its own tokenizer
    model.save_pretrained(directory / "guard-tiny", safe_serialization=True)
    tokenizer.save_pretrained(directory / "guard-tiny")
    build_clip_guard(directory / "clip-tiny")
    return {"text": directory / "guard-tiny", "clip": directory / "clip-tiny"}


@pytest.mark.ml
def test_tiny_random_guard_is_loaded_and_its_gibberish_is_treated_as_unchecked(tiny_guard_dirs) -> None:  # type: ignore[no-untyped-def]
    registry = parse_registry(
        guard_entry(
            "guard-tiny",
            "transformers",
            path=f'"{tiny_guard_dirs["text"].as_posix()}"',
            test_model="true",
            options="{ max_new_tokens = 12 }",
        )
    )
    policy = attach_guards(SafetyPolicy(), registry)
    assert policy is not None
    guard = policy.text_guard
    found = guard.moderate([{"role": "user", "content": "一隻小貓 a little cat"}])
    assert found.tier is None and found.guard == "guard-tiny"  # a random model cannot say "Safety: Safe"
    assert guard._model._model is not None  # really loaded through from_pretrained
    verdict = check_text("a little cat on the moon", policy)
    assert verdict.allowed and "unreadable answer" in verdict.warnings[0]
    strict = check_text("a little cat on the moon", policy.model_copy(update={"require_guard": True}))
    assert (strict.allowed, strict.category) == (False, "unchecked")
    assert check_text("a massacre", policy).layer == "keywords"


@pytest.mark.ml
def test_tiny_random_clip_guard_scores_pictures_for_violence_and_nudity(tiny_guard_dirs) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    def registry(unsafe: float, controversial: float):  # type: ignore[no-untyped-def]
        return parse_registry(
            guard_entry(
                "clip-tiny",
                "clip",
                path=f'"{tiny_guard_dirs["clip"].as_posix()}"',
                test_model="true",
                options=f"{{ unsafe_threshold = {unsafe}, controversial_threshold = {controversial} }}",
            )
        )

    picture = Image.new("RGB", (40, 30), (150, 20, 20))
    guard = registry(0.6, 0.35).guard(images=True)
    scores = guard.category_scores(picture)
    assert set(scores) == {"safe", "violence", "sexual", "self_harm"}
    assert abs(sum(scores.values()) - 1.0) < 1e-5
    strictest = attach_guards(SafetyPolicy(), registry(0.0, 0.0))
    refused = check_image(picture, strictest)
    assert (refused.allowed, refused.layer) == (False, "image_guard")
    assert refused.category in {"violence", "sexual", "self_harm"}
    lenient = attach_guards(SafetyPolicy(), registry(1.01, 1.01))
    assert check_image(picture, lenient).allowed


@pytest.mark.ml
def test_tiny_text_model_streams_and_stops_when_asked(tiny_text_backend) -> None:  # type: ignore[no-untyped-def]
    request = TextRequest(
        model="text-tiny",
        messages=[ChatMessage(role="user", content="a cat")],
        max_tokens=24,
        temperature=0.0,
    )
    pieces: list[str] = []
    full = tiny_text_backend.complete(request, on_text=lambda piece: pieces.append(piece) or True)
    assert "".join(pieces) == full.text and len(pieces) > 1
    seen: list[str] = []
    stopped = tiny_text_backend.complete(request, on_text=lambda piece: seen.append(piece) or len(seen) < 2)
    assert stopped.finish_reason == "stopped" and len(stopped.text) < len(full.text)


def test_models_list_shows_guards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from aigc_contest.cli.main import main

    models = tmp_path / "models.toml"
    models.write_text(
        guard_entry("g1", "transformers", path='"/models/guard"') + guard_entry("g2", "clip", id='"clip"'),
        encoding="utf-8",
    )
    monkeypatch.setenv("AIGC_MODELS_FILE", str(models))
    assert main(["models", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["models"]
    assert [(m["name"], m["kind"], m["default"]) for m in rows] == [
        ("g1", "guard", True),
        ("g2", "guard", False),
    ]
    assert main(["models", "list"]) == 0
