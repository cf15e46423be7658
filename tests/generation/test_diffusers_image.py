"""The diffusers backend on the tiny SD-style pipeline: seeds, batching, schedulers, LoRA, provenance."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from aigc_contest.generation.provenance import read_provenance  # noqa: E402
from aigc_contest.generation.types import GenerationError, ImageRequest, LoraSpec  # noqa: E402

pytestmark = pytest.mark.ml


def pixels(image) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.asarray(Image.open(io.BytesIO(image.png)).convert("RGB")).astype(np.int16)


def request(**fields) -> ImageRequest:  # type: ignore[no-untyped-def]
    base = {
        "model": "image-tiny",
        "prompt": "a cat on the moon",
        "width": 64,
        "height": 64,
        "steps": 2,
        "seed": 7,
    }
    return ImageRequest(**{**base, **fields})


def test_loads_through_from_pretrained_and_writes_png(tiny_image_backend) -> None:  # type: ignore[no-untyped-def]
    images = tiny_image_backend.generate(request(width=64, height=96))
    assert len(images) == 1
    image = Image.open(io.BytesIO(images[0].png))
    assert image.format == "PNG" and image.size == (64, 96)
    assert type(tiny_image_backend.pipeline).__name__ == "StableDiffusionPipeline"


def test_same_request_and_seed_give_same_pixels(tiny_image_backend) -> None:  # type: ignore[no-untyped-def]
    first = tiny_image_backend.generate(request())
    second = tiny_image_backend.generate(request())
    other = tiny_image_backend.generate(request(seed=8000))
    assert np.array_equal(pixels(first[0]), pixels(second[0]))
    assert not np.array_equal(pixels(first[0]), pixels(other[0]))


def test_image_i_of_n_is_image_alone_with_seed_plus_i(tiny_image_backend) -> None:  # type: ignore[no-untyped-def]
    images = tiny_image_backend.generate(request(n=3))
    assert [im.seed for im in images] == [7, 8, 9]
    assert [read_provenance(im.png).seed for im in images] == [7, 8, 9]
    alone = tiny_image_backend.generate(request(seed=9))[0]
    # Batch size changes float summation order only: at most a rounding step in 8-bit pixels.
    assert np.abs(pixels(alone) - pixels(images[2])).max() <= 2
    assert np.abs(pixels(images[0]) - pixels(images[2])).max() > 10


def test_compatible_requests_share_one_pipeline_call(tiny_image_backend, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    requests = [request(prompt="a red dragon", seed=1), request(prompt="a blue robot", seed=2, n=2)]
    one_by_one = [tiny_image_backend.generate(r) for r in requests]
    calls = []
    original = tiny_image_backend._run_chunk
    monkeypatch.setattr(
        tiny_image_backend, "_run_chunk", lambda jobs, *a: calls.append(len(jobs)) or original(jobs, *a)
    )
    batched = tiny_image_backend.generate_batch(requests)
    assert calls == [3]
    assert [[im.seed for im in group] for group in batched] == [[1], [2, 3]]
    for alone_group, batch_group in zip(one_by_one, batched, strict=True):
        for alone, together in zip(alone_group, batch_group, strict=True):
            assert np.allclose(pixels(alone), pixels(together), atol=2)
            assert read_provenance(together.png).prompt == alone.provenance.prompt


def test_incompatible_requests_are_split(tiny_image_backend, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls = []
    original = tiny_image_backend._run_chunk
    monkeypatch.setattr(
        tiny_image_backend, "_run_chunk", lambda jobs, *a: calls.append(len(jobs)) or original(jobs, *a)
    )
    result = tiny_image_backend.generate_batch([request(), request(width=96)])
    assert sorted(calls) == [1, 1]
    assert Image.open(io.BytesIO(result[1][0].png)).size == (96, 64)


def test_progress_reports_every_step(tiny_image_backend) -> None:  # type: ignore[no-untyped-def]
    seen: list[tuple[int, int]] = []
    tiny_image_backend.generate(request(steps=3), progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


@pytest.mark.parametrize(
    "scheduler", ["euler", "euler_a", "ddim", "lcm", "dpm++", "dpm++_karras", "unipc", "pndm"]
)
def test_schedulers_swap_by_name(tiny_image_backend, scheduler: str) -> None:  # type: ignore[no-untyped-def]
    image = tiny_image_backend.generate(request(scheduler=scheduler))[0]
    assert image.provenance.scheduler == scheduler
    # the pipeline's own scheduler is restored afterwards
    assert type(tiny_image_backend.pipeline.scheduler).__name__ == "EulerDiscreteScheduler"


def test_unknown_scheduler_is_a_clear_error(tiny_image_backend) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(GenerationError, match="unknown scheduler 'wobbly'"):
        tiny_image_backend.generate(request(scheduler="wobbly"))


@pytest.fixture(scope="module")
def tiny_lora_file(tiny_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random LoRA for the tiny UNet, saved in the diffusers LoRA format."""
    from diffusers import StableDiffusionPipeline, UNet2DConditionModel
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft import LoraConfig, get_peft_model_state_dict

    unet = UNet2DConditionModel.from_pretrained(tiny_models_dir / "image-tiny", subfolder="unet")
    torch.manual_seed(3)
    unet.add_adapter(
        LoraConfig(
            r=4,
            lora_alpha=4,
            init_lora_weights="gaussian",
            target_modules=["to_k", "to_q", "to_v", "to_out.0"],
        )
    )
    with torch.no_grad():  # gaussian init leaves B at zero; make the LoRA visibly change the output
        for name, parameter in unet.named_parameters():
            if "lora_B" in name:
                parameter.normal_(std=0.5)
    folder = tmp_path_factory.mktemp("lora")
    StableDiffusionPipeline.save_lora_weights(
        folder, unet_lora_layers=convert_state_dict_to_diffusers(get_peft_model_state_dict(unet))
    )
    return folder / "pytorch_lora_weights.safetensors"


def test_lora_changes_output_then_restores_it(tiny_image_backend, tiny_lora_file: Path) -> None:  # type: ignore[no-untyped-def]
    base = pixels(tiny_image_backend.generate(request())[0])
    lora_request = request(loras=(LoraSpec(name=str(tiny_lora_file), scale=1.0),))
    with_lora = tiny_image_backend.generate(lora_request)[0]
    assert np.abs(pixels(with_lora) - base).max() > 10
    import hashlib

    # Named by its file name and content hash, never by the server path it was loaded from.
    assert with_lora.provenance.loras[0].name == tiny_lora_file.name
    assert with_lora.provenance.loras[0].sha256 == hashlib.sha256(tiny_lora_file.read_bytes()).hexdigest()
    again = pixels(tiny_image_backend.generate(request())[0])
    assert np.abs(again - base).max() <= 1
    # loaded once: a second use reuses the adapter
    assert np.array_equal(pixels(tiny_image_backend.generate(lora_request)[0]), pixels(with_lora))
    assert len(tiny_image_backend._loras) == 1


def test_missing_lora_is_a_clear_error(tiny_image_backend, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(GenerationError, match="could not load LoRA"):
        tiny_image_backend.generate(request(loras=(LoraSpec(name=str(tmp_path / "nope.safetensors")),)))


def test_provenance_in_png(tiny_image_backend) -> None:  # type: ignore[no-untyped-def]
    image = tiny_image_backend.generate(
        request(prompt="一隻小貓在月亮上", negative_prompt="模糊", guidance=4.5)
    )[0]
    info = read_provenance(image.png)
    assert info.source == "aigc-contest"
    assert (info.prompt, info.negative_prompt, info.seed, info.steps, info.cfg) == (
        "一隻小貓在月亮上",
        "模糊",
        7,
        2,
        4.5,
    )
    assert (info.width, info.height, info.model) == (64, 64, "image-tiny")
    assert info.model_hash and len(info.model_hash) == 64
    assert info.provenance is not None and info.provenance.is_test_model
    assert info.aigc_label is not None and info.aigc_label["Label"] == "1"
    assert "Seed: 7" in info.text_chunks["parameters"]


def test_provenance_names_the_model_by_its_name_and_hash_not_its_folder(
    tiny_image_backend, tiny_models_dir
) -> None:  # type: ignore[no-untyped-def]
    image = tiny_image_backend.generate(request())[0]
    assert image.provenance.model_id == "image-tiny"
    assert image.provenance.model_hash and len(image.provenance.model_hash) == 64
    chunks = Image.open(io.BytesIO(image.png)).text  # type: ignore[attr-defined]
    assert all(str(tiny_models_dir) not in value for value in chunks.values())


def test_lora_weight_zero_is_the_base_model_and_the_weight_is_applied(tiny_image_backend, tiny_lora_file: Path) -> None:  # type: ignore[no-untyped-def]
    base = pixels(tiny_image_backend.generate(request())[0])

    def at(scale: float) -> np.ndarray:
        return pixels(tiny_image_backend.generate(request(loras=(LoraSpec(name=str(tiny_lora_file), scale=scale),)))[0])

    assert np.array_equal(at(0.0), base)
    half, full = at(0.5), at(1.0)
    assert np.abs(full - base).mean() > 5 and np.abs(half - base).mean() > 1
    assert np.abs(half - full).mean() > 1  # the weight is applied, not only on or off
    image = tiny_image_backend.generate(request(loras=(LoraSpec(name=str(tiny_lora_file), scale=0.5),)))[0]
    assert [(lora.name, lora.scale) for lora in image.provenance.loras] == [(tiny_lora_file.name, 0.5)]
    assert read_provenance(image.png).provenance.loras[0].sha256 == image.provenance.loras[0].sha256
    assert np.array_equal(pixels(tiny_image_backend.generate(request())[0]), base)  # nothing left behind


def test_a_lora_file_replaced_at_the_same_path_is_loaded_afresh(tiny_image_backend, tiny_lora_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from safetensors.torch import load_file, save_file

    path = tmp_path / "team.safetensors"
    shutil.copyfile(tiny_lora_file, path)
    spec = request(loras=(LoraSpec(name=str(path), scale=1.0),))
    first = tiny_image_backend.generate(spec)[0]
    tensors = {name: -tensor if "lora.up" in name or "lora_B" in name else tensor
               for name, tensor in load_file(str(path)).items()}
    save_file(tensors, str(path))  # a new training run writes its LoRA over the old one
    second = tiny_image_backend.generate(spec)[0]
    assert first.provenance.loras[0].sha256 != second.provenance.loras[0].sha256
    assert not np.array_equal(pixels(first), pixels(second))
