"""Pages say so when the configured models are random-weight test models."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_banner_names_test_models(client, tmp_path, monkeypatch):
    models = tmp_path / "models.toml"
    models.write_text(
        '[[models]]\nname = "image-tiny"\nkind = "image"\nbackend = "diffusers"\npath = "x"\ntest_model = true\n'
        '[[models]]\nname = "real-one"\nkind = "text"\nbackend = "transformers"\npath = "y"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("AIGC_MODELS_FILE", str(models))
    body = client.get("/").content.decode()
    assert "Test models (random weights)" in body and "image-tiny" in body and "real-one" not in body


def test_no_banner_without_test_models(client, monkeypatch):
    monkeypatch.delenv("AIGC_MODELS_FILE", raising=False)
    assert "Test models (random weights)" not in client.get("/").content.decode()


def test_broken_models_file_does_not_break_pages(client, tmp_path, monkeypatch):
    bad = tmp_path / "bad.toml"
    bad.write_text("[[models]\nname=", encoding="utf-8")
    monkeypatch.setenv("AIGC_MODELS_FILE", str(bad))
    assert client.get("/").status_code == 200
