"""`aigc-contest novel create`: a scripted model injected, and once the tiny random model end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aigc_contest.cli.main import main
from aigc_contest.works.novel import Novel, validate

from .fakes import BROKEN_SKELETON, GOOD_SKELETON, ScriptedBackend


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def install(backend: ScriptedBackend) -> ScriptedBackend:
        monkeypatch.setattr("aigc_contest.cli.novel._text_backend", lambda name: (backend, name or "scripted"))
        return backend

    return install


def test_create_writes_a_valid_novel_and_a_playable_page(scripted, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    scripted(ScriptedBackend([BROKEN_SKELETON], passages=["<script>alert(1)</script> A door opens."]))
    out = tmp_path / "story"
    code = main(["novel", "create", "--theme", "a broken map", "--lang", "en", "--nodes", "5", "--out", str(out),
                 "--json"])  # fmt: skip
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["mechanically_repaired"] is True and report["nodes"] >= 6
    novel = Novel.from_json((out / "novel.json").read_text(encoding="utf-8"))
    assert validate(novel) == []
    page = (out / "novel.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page and "\\u003cscript\\u003ealert(1)" in page
    assert "Content-Security-Policy" in page


def test_create_exits_3_when_the_theme_is_refused(scripted, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    backend = scripted(ScriptedBackend([GOOD_SKELETON]))
    code = main(["novel", "create", "--theme", "kill yourself", "--lang", "en", "--out", str(tmp_path / "x")])
    assert code == 3
    assert "safety" in capsys.readouterr().err
    assert backend.requests == [] and not (tmp_path / "x").exists()


def test_create_refuses_bad_arguments_with_a_message(scripted, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    scripted(ScriptedBackend([GOOD_SKELETON]))
    assert main(["novel", "create", "--theme", "t", "--lang", "en", "--nodes", "40", "--out", str(tmp_path)]) == 2
    assert "--nodes must be between 3 and 16" in capsys.readouterr().err


def test_create_without_a_text_model_says_how_to_configure_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "AIGC_MODELS_FILE"}
    result = subprocess.run(
        [sys.executable, "-m", "aigc_contest.cli.main", "novel", "create", "--theme", "moon", "--lang", "en",
         "--out", str(tmp_path / "o")],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "no text model configured" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.ml
@pytest.mark.slow
def test_create_with_the_tiny_random_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Gibberish, but schema-valid and repaired into a graph with no defects."""
    pytest.importorskip("torch")
    pytest.importorskip("llguidance")
    from aigc_contest.generation.tiny import build_tiny_models

    models = tmp_path / "models"
    build_tiny_models(models)
    monkeypatch.setenv("AIGC_MODELS_FILE", str(models / "models.toml"))
    out = tmp_path / "story"
    code = main(["novel", "create", "--theme", "a moon cat", "--lang", "en", "--nodes", "3", "--out", str(out)])
    assert code == 0
    novel = Novel.from_json((out / "novel.json").read_text(encoding="utf-8"))
    assert [d for d in validate(novel) if d.code != "text-too-long"] == []
    assert (out / "novel.html").stat().st_size > 1000
