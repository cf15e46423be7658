"""LoRA training on a tiny random SD pipeline, loaded through the real from_pretrained path."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

pytestmark = pytest.mark.ml


def test_loss_decreases_on_a_fixed_batch(tiny_pipeline_dir: Path) -> None:
    torch = pytest.importorskip("torch")
    from aigc_contest.finetune.lora import LoraTrainer, TrainingConfig, load_base_pipeline

    pipe, _ = load_base_pipeline(str(tiny_pipeline_dir))
    trainer = LoraTrainer(pipe, TrainingConfig(base=str(tiny_pipeline_dir), rank=4, learning_rate=1e-2))
    generator = torch.Generator().manual_seed(0)
    latents = torch.randn(2, 4, 8, 8, generator=generator)
    noise = torch.randn(2, 4, 8, 8, generator=generator)
    timesteps = torch.tensor([500, 500])
    tokens = pipe.tokenizer(["a red cat", "a blue dog"], padding="max_length", max_length=77, return_tensors="pt")
    with torch.no_grad():
        embeddings = pipe.text_encoder(tokens.input_ids)[0]
        before = trainer.loss(latents, embeddings, noise, timesteps).item()
    assert trainer.trainable_parameters == 9984  # rank 4 on to_q/k/v/out of the tiny UNet's attention
    for _ in range(25):
        trainer.backward(trainer.loss(latents, embeddings, noise, timesteps))
        trainer.optimizer_step()
    with torch.no_grad():
        after = trainer.loss(latents, embeddings, noise, timesteps).item()
    assert after < 0.8 * before


def test_training_writes_a_diffusers_lora_with_its_record(trained_lora, tiny_pipeline_dir, session_dataset) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.finetune.inspect import inspect_lora_file
    from aigc_contest.generation.backends.diffusers_image import weights_hash

    result, config, calls = trained_lora
    assert result.path.name == "pytorch_lora_weights.safetensors" and result.device == "cpu"
    assert [c[:2] for c in calls] == [(step, 6) for step in range(1, 7)] and len(result.losses) == 6
    info = inspect_lora_file(result.path)
    assert info.format == "diffusers" and info.rank == 4 and info.alpha == 4.0
    assert info.target_modules == ["to_k", "to_out.0", "to_q", "to_v"]
    training = info.training
    assert training["base_model"] == str(tiny_pipeline_dir)
    assert training["base_model_hash"] == weights_hash(tiny_pipeline_dir)
    assert training["dataset_hash"] == session_dataset.sha256 and training["dataset_images"] == "3"
    assert (training["rank"], training["steps"], training["seed"], training["resolution"]) == ("4", "6", "7", "64")
    assert training["created_at"].endswith("+00:00") and training["mixed_precision"] == "float32"
    assert not list(result.path.parent.glob(".*"))  # no staging leftovers


def test_same_seed_gives_the_same_weights_on_cpu(trained_lora, session_dataset, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.finetune.lora import train_lora

    result, config, _ = trained_lora
    again = train_lora(session_dataset, config, tmp_path / "again")
    assert again.weights_sha256 == result.weights_sha256 and again.losses == result.losses
    other = train_lora(session_dataset, config.model_copy(update={"seed": 8, "steps": 2}), tmp_path / "other")
    assert other.weights_sha256 != result.weights_sha256


def test_trained_lora_changes_generation_and_unloads_cleanly(trained_lora, tiny_pipeline_dir: Path) -> None:  # type: ignore[no-untyped-def]
    import numpy as np
    from PIL import Image

    from aigc_contest.generation.backends.diffusers_image import DiffusersImageBackend
    from aigc_contest.generation.types import ImageRequest, LoraSpec

    result, _, _ = trained_lora
    backend = DiffusersImageBackend("image-tiny", str(tiny_pipeline_dir), is_test_model=True)
    plain = ImageRequest(model="image-tiny", prompt="a red square", width=64, height=64, steps=2, seed=3)
    with_lora = plain.model_copy(update={"loras": (LoraSpec(name=str(result.path), scale=1.0),)})

    def pixels(request: ImageRequest) -> np.ndarray:
        [image] = backend.generate(request)
        return np.asarray(Image.open(io.BytesIO(image.png)), dtype=np.int16)

    before = pixels(plain)
    changed = pixels(with_lora)
    assert np.abs(changed - before).mean() > 0.5
    # Provenance names the LoRA by its file name and weights hash, never by the server path.
    recorded = backend.generate(with_lora)[0].provenance.loras[0]
    assert recorded.name == result.path.name and "/" not in recorded.name
    assert recorded.sha256 == hashlib.sha256(result.path.read_bytes()).hexdigest()
    assert np.array_equal(pixels(plain), before)  # the adapter is switched off again afterwards
    backend.pipeline.unload_lora_weights()
    assert np.array_equal(pixels(plain), before)


def test_pipelines_other_than_sd_style_are_refused(tiny_pipeline_dir: Path) -> None:
    from aigc_contest.finetune.lora import LoraTrainer, TrainingConfig, TrainingError, load_base_pipeline

    pipe, _ = load_base_pipeline(str(tiny_pipeline_dir))
    pipe.text_encoder_2 = pipe.text_encoder  # the shape of an SDXL pipeline
    with pytest.raises(TrainingError, match="Stable Diffusion 1.x/2.x"):
        LoraTrainer(pipe, TrainingConfig(base=str(tiny_pipeline_dir)))
    with pytest.raises(TrainingError, match="neither a pipeline folder nor a hub id"):
        load_base_pipeline(str(tiny_pipeline_dir / "missing"))
