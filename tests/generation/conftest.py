"""Tiny random-weight models, built once per test session and loaded through the real from_pretrained path."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    from aigc_contest.generation.tiny import build_tiny_models

    directory = tmp_path_factory.mktemp("tiny-models")
    build_tiny_models(directory)
    return directory


@pytest.fixture(scope="session")
def tiny_models_file(tiny_models_dir: Path) -> Path:
    return tiny_models_dir / "models.toml"


@pytest.fixture(scope="session")
def tiny_registry(tiny_models_file: Path):  # type: ignore[no-untyped-def]
    """One registry for the session, so pipelines stay loaded between tests (as in a worker)."""
    from aigc_contest.generation.registry import load_registry

    return load_registry(tiny_models_file)


@pytest.fixture(scope="session")
def tiny_image_backend(tiny_registry):  # type: ignore[no-untyped-def]
    return tiny_registry.image_backend("image-tiny")


@pytest.fixture(scope="session")
def tiny_text_backend(tiny_registry):  # type: ignore[no-untyped-def]
    return tiny_registry.text_backend("text-tiny")
