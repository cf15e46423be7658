"""`aigc-contest models …` and `generate …` on the tiny models, including the done-when check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from aigc_contest.cli.main import main  # noqa: E402
from aigc_contest.generation.provenance import read_provenance  # noqa: E402

pytestmark = pytest.mark.ml
PROMPT = "一隻小貓在月亮上"


@pytest.fixture
def models_env(tiny_models_file: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AIGC_MODELS_FILE", str(tiny_models_file))
    return tiny_models_file


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


@pytest.mark.slow
def test_done_when_check(models_env: Path, tmp_path: Path) -> None:
    """Two PNGs with seeds 7 and 8 in their metadata; a re-run gives identical pixels."""
    command = [
        sys.executable,
        "-m",
        "aigc_contest.cli.main",
        "generate",
        "image",
        PROMPT,
        "--model",
        "image-tiny",
        "--seed",
        "7",
        "-n",
        "2",
        "--out",
        str(tmp_path / "a"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ, timeout=300)
    assert done.returncode == 0, done.stderr
    first = sorted((tmp_path / "a").glob("*.png"))
    assert len(first) == 2
    infos = [read_provenance(p) for p in first]
    assert sorted(i.seed for i in infos) == [7, 8]
    assert all(i.original_prompt == PROMPT for i in infos)  # image-tiny reads English only: translated
    assert (
        main(
            [
                "generate",
                "image",
                PROMPT,
                "--model",
                "image-tiny",
                "--seed",
                "7",
                "-n",
                "2",
                "--out",
                str(tmp_path / "b"),
            ]
        )
        == 0
    )
    second = sorted((tmp_path / "b").glob("*.png"))
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(pixels(a), pixels(b))


def test_unsafe_prompt_exits_3_with_reason(
    models_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["generate", "image", "a naked body with blood and gore", "--out", str(tmp_path)])
    assert code == 3
    assert "error:" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_image_json_output_and_defaults(
    models_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "generate",
                "image",
                "a red kite",
                "--seed",
                "3",
                "--size",
                "64x96",
                "--steps",
                "1",
                "--out",
                str(tmp_path),
                "--json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["model"] == "image-tiny" and data["test_model"] is True
    [image] = data["images"]
    assert image["seed"] == 3 and image["provenance"]["steps"] == 1
    assert Image.open(image["path"]).size == (64, 96)


def test_bad_size_is_a_usage_error(
    models_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["generate", "image", "a cat", "--size", "big", "--out", str(tmp_path)]) == 2
    assert main(["generate", "image", "a cat", "--size", "63x64", "--out", str(tmp_path)]) == 2
    assert "multiple of 8" in capsys.readouterr().err


def test_unknown_model(models_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "image", "a cat", "--model", "nope"]) == 1
    assert "no model named 'nope'" in capsys.readouterr().err


def test_text_with_json_schema(models_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string", "maxLength": 12},
            "pages": {"type": "integer", "minimum": 1, "maximum": 9},
            "happy": {"type": "boolean"},
        },
        "required": ["title", "pages", "happy"],
        "additionalProperties": False,
    }
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(schema))
    assert main(["generate", "text", "寫一本關於龍的書", "--json-schema", str(path), "--seed", "1"]) == 0
    value = json.loads(capsys.readouterr().out)
    assert (
        set(value) == {"title", "pages", "happy"} and 1 <= value["pages"] <= 9 and len(value["title"]) <= 12
    )


def test_plain_text(models_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "text", "hello", "--max-tokens", "5", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["model"] == "text-tiny" and data["provenance"]["is_test_model"] is True


def test_models_list(models_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(m["name"], m["default"], m["test_model"]) for m in data["models"]] == [
        ("text-tiny", True, True),
        ("image-tiny", True, True),
    ]
    assert main(["models", "list"]) == 0
    assert "test model (random weights)" in capsys.readouterr().out


def test_models_tiny_writes_a_usable_models_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from aigc_contest.generation.registry import load_registry

    assert main(["models", "tiny", str(tmp_path / "m")]) == 0
    registry = load_registry(tmp_path / "m" / "models.toml")
    assert registry.names() == ["text-tiny", "image-tiny"]
    assert all(e.test_model for e in registry.entries)
    assert (tmp_path / "m" / "image-tiny" / "model_index.json").exists()
    assert (tmp_path / "m" / "text-tiny" / "tokenizer.json").exists()
