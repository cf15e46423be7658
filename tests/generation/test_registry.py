"""The models file: parsing, defaults, and errors a person can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigc_contest.generation.registry import RegistryError, load_registry, parse_registry

GOOD = """
[[models]]
name = "qwen"
kind = "text"
backend = "openai"
id = "qwen-plus"
base_url = "https://dashscope.aliyuncs.com/compatible-mode/v1"
api_key_env = "TEST_DASHSCOPE_KEY"
languages = ["en", "zh-Hans", "zh-Hant"]

[[models]]
name = "sd-turbo"
kind = "image"
backend = "diffusers"
id = "stabilityai/sd-turbo"
defaults = { steps = 1, guidance = 0.0, size = "512x512", scheduler = "euler" }

[[models]]
name = "local-sd"
kind = "image"
backend = "diffusers"
path = "weights/sd"
options = { dtype = "bf16", max_batch = 2 }

[[models]]
name = "wanx"
kind = "image"
backend = "dashscope"
id = "wanx2.1-t2i-turbo"
languages = ["zh-Hans", "en"]
"""


def test_parses_entries_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "models.toml"
    path.write_text(GOOD)
    registry = load_registry(path)
    assert registry.names() == ["qwen", "sd-turbo", "local-sd", "wanx"]
    assert registry.default("text").name == "qwen"
    assert registry.default("image").name == "sd-turbo"
    assert registry.resolve(None, "image").defaults.size_tuple() == (512, 512)
    assert registry.get("local-sd").path == str((tmp_path / "weights/sd").resolve())
    assert registry.get("local-sd").options == {"dtype": "bf16", "max_batch": 2}
    assert registry.get("wanx").languages == ("zh-Hans", "en")


def test_env_variable_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.toml"
    path.write_text(GOOD)
    monkeypatch.setenv("AIGC_MODELS_FILE", str(path))
    assert load_registry().source == path.resolve()
    monkeypatch.delenv("AIGC_MODELS_FILE")
    empty = load_registry()
    assert empty.entries == []
    with pytest.raises(RegistryError, match="models tiny"):
        empty.default("image")


def test_unknown_model_and_wrong_kind() -> None:
    registry = parse_registry(GOOD)
    with pytest.raises(RegistryError, match=r"no model named 'nope'.*known: qwen, sd-turbo"):
        registry.get("nope")
    with pytest.raises(RegistryError, match="makes text, not image"):
        registry.resolve("qwen", "image")


def test_missing_api_key_is_named() -> None:
    registry = parse_registry(GOOD)
    with pytest.raises(RegistryError, match="TEST_DASHSCOPE_KEY"):
        registry.text_backend("qwen")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[[models]]\nname = 'a'\nkind = 'image'\nbackend = 'transformers'\nid = 'x'",
            "backend 'transformers' makes text",
        ),
        ("[[models]]\nname = 'a'\nkind = 'image'\nbackend = 'diffusers'", "needs `id`"),
        ("[[models]]\nname = 'a'\nkind = 'text'\nbackend = 'openai'", "remote model needs `id`"),
        ("[[models]]\nname = 'a'\nkind = 'video'\nbackend = 'diffusers'\nid = 'x'", "kind"),
        ("[[models]]\nname = 'a'\nkind = 'image'\nbackend = 'diffusers'\nid = 'x'\ncolour = 1", "colour"),
        (
            "[[models]]\nname = 'a'\nkind = 'image'\nbackend = 'diffusers'\nid = 'x'\nlanguages = ['fr']",
            "languages",
        ),
        (
            "[[models]]\nname = 'a'\nkind = 'image'\nbackend = 'diffusers'\nid = 'x'\ndefaults = {size = 'big'}",
            "size",
        ),
        ("[[models]]\nname = 'a'\nkind = 'image'\nbackend = 'diffusers'\nid = 'x'\n" * 2, "used twice"),
    ],
)
def test_entry_problems_are_listed(text: str, message: str) -> None:
    with pytest.raises(RegistryError) as caught:
        parse_registry(text)
    assert message in " ".join([str(caught.value), *caught.value.details])


def test_file_level_errors(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="not valid TOML"):
        parse_registry("[[models]\n")
    with pytest.raises(RegistryError, match="unknown top-level keys"):
        parse_registry("model = 1")
    with pytest.raises(RegistryError, match="does not exist"):
        load_registry(tmp_path / "missing.toml")


def test_offline_hub_id_not_cached_fails_fast(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Answers before torch or diffusers are even imported."""
    from aigc_contest.generation.types import GenerationError

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    backend = parse_registry(GOOD).image_backend("sd-turbo")
    with pytest.raises(
        GenerationError,
        match=r"not in the local Hugging Face cache.*hf download stabilityai/sd-turbo.*`path`",
    ):
        _ = backend.pipeline
