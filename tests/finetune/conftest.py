"""Shared fixtures: small image/caption data sets, hand-written safetensors files, and (for the ml tests)
a tiny SD pipeline saved once per session and a LoRA trained on it once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from finetune_helpers import make_caption_dataset


@pytest.fixture
def caption_dataset(tmp_path: Path) -> Path:
    return make_caption_dataset(tmp_path / "data")


# ------------------------------------------------------------------------------------------------ ml


@pytest.fixture(scope="session")
def tiny_pipeline_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    pytest.importorskip("peft")
    from aigc_contest.generation.tiny import build_image_pipeline

    directory = tmp_path_factory.mktemp("tiny-pipeline")
    build_image_pipeline().save_pretrained(directory, safe_serialization=True)
    return directory


@pytest.fixture(scope="session")
def session_dataset(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from aigc_contest.finetune.dataset import load_dataset

    return load_dataset(make_caption_dataset(tmp_path_factory.mktemp("lora-data")))


@pytest.fixture(scope="session")
def trained_lora(tiny_pipeline_dir: Path, session_dataset, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One training run shared by the tests that only look at its result."""
    from aigc_contest.finetune.lora import TrainingConfig, train_lora

    config = TrainingConfig(
        base=str(tiny_pipeline_dir), steps=6, resolution=64, learning_rate=5e-3, seed=7, gradient_accumulation=2
    )
    calls: list[tuple[int, int, float]] = []
    result = train_lora(session_dataset, config, tmp_path_factory.mktemp("lora-out"), progress=lambda *a: calls.append(a))
    return result, config, calls
