"""Provenance chunks: our own round trip (Chinese included), and PNGs made by A1111 and ComfyUI."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from aigc_contest.generation.provenance import (
    a1111_parameters,
    parse_a1111,
    png_with_provenance,
    read_provenance,
)
from aigc_contest.generation.types import LoraSpec, Provenance

AIGC_KEYS = [
    "Label",
    "ContentProducer",
    "ProduceID",
    "ReservedCode1",
    "ContentPropagator",
    "PropagateID",
    "ReservedCode2",
]


def png(chunks: dict[str, str], size: tuple[int, int] = (32, 24)) -> bytes:
    info = PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def provenance(**fields) -> Provenance:  # type: ignore[no-untyped-def]
    base = {
        "backend": "diffusers",
        "model": "sd-turbo",
        "model_id": "stabilityai/sd-turbo",
        "model_hash": "ab" * 32,
        "prompt": "一只小猫在月亮上, 繁體：貓咪",
        "original_prompt": "一隻小貓在月亮上",
        "negative_prompt": "模糊, blurry",
        "seed": 42,
        "steps": 4,
        "guidance": 0.0,
        "scheduler": "euler_a",
        "width": 32,
        "height": 24,
        "loras": [LoraSpec(name="styles/crayon.safetensors", scale=0.8)],
        "user": "student-7",
    }
    return Provenance(**{**base, **fields})


def test_round_trip_with_chinese_prompt() -> None:
    record = provenance()
    data = png_with_provenance(Image.new("RGB", (32, 24)), record)
    info = read_provenance(data)
    assert info.source == "aigc-contest"
    assert info.provenance == record
    assert (info.prompt, info.original_prompt, info.negative_prompt) == (
        record.prompt,
        "一隻小貓在月亮上",
        "模糊, blurry",
    )
    assert (info.seed, info.steps, info.cfg, info.sampler) == (42, 4, 0.0, "Euler a")
    assert (info.width, info.height, info.model, info.model_hash) == (32, 24, "sd-turbo", "ab" * 32)
    # the A1111 chunk alone says the same thing to other tools
    a1111 = parse_a1111(info.text_chunks["parameters"])
    assert (a1111.prompt, a1111.negative_prompt, a1111.seed, a1111.steps) == (
        record.prompt,
        "模糊, blurry",
        42,
        4,
    )
    assert (a1111.sampler, a1111.cfg, a1111.width, a1111.model) == ("Euler a", 0.0, 32, "sd-turbo")
    assert a1111.model_hash == "ab" * 5
    assert a1111.original_prompt == "一隻小貓在月亮上"


def test_aigc_label_has_the_gb45438_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "x.png"
    path.write_bytes(png_with_provenance(Image.new("RGB", (8, 8)), provenance(), produce_id="job-1"))
    info = read_provenance(path)
    assert info.aigc_label is not None
    assert list(info.aigc_label) == AIGC_KEYS
    assert info.aigc_label["Label"] == "1"
    assert info.aigc_label["ContentProducer"] == "aigc-contest"
    assert info.aigc_label["ProduceID"] == "job-1"
    assert info.aigc_label["ReservedCode1"].startswith("sha256:")
    assert json.loads(info.text_chunks["AIGC"])["ProduceID"] == "job-1"


def test_non_ascii_prompt_is_stored_as_itxt() -> None:
    data = png_with_provenance(Image.new("RGB", (8, 8)), provenance())
    assert b"iTXt" in data and b"tEXtparameters" not in data
    ascii_only = png_with_provenance(
        Image.new("RGB", (8, 8)), provenance(prompt="cat", negative_prompt="", original_prompt=None, loras=[])
    )
    assert b"tEXtparameters" in ascii_only


def test_a1111_png() -> None:
    text = (
        "masterpiece, a castle in the clouds,\nsecond line of prompt\n"
        "Negative prompt: lowres, bad hands\n"
        "Steps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234567, Size: 512x768, "
        'Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Lora hashes: "crayon: 0a1b2c", Version: v1.6.0'
    )
    info = read_provenance(png({"parameters": text}))
    assert info.source == "a1111"
    assert info.prompt == "masterpiece, a castle in the clouds,\nsecond line of prompt"
    assert info.negative_prompt == "lowres, bad hands"
    assert (info.steps, info.sampler, info.cfg, info.seed) == (20, "DPM++ 2M Karras", 7.0, 1234567)
    assert (info.width, info.height) == (512, 768)
    assert (info.model, info.model_hash) == ("v1-5-pruned-emaonly", "6ce0161689")
    assert info.parameters["Lora hashes"] == "crayon: 0a1b2c"
    assert info.parameters["Version"] == "v1.6.0"


def test_a1111_without_negative_prompt() -> None:
    info = read_provenance(
        png({"parameters": "a fox\nSteps: 30, Sampler: Euler a, CFG scale: 5.5, Seed: 9, Size: 64x64"})
    )
    assert (info.prompt, info.negative_prompt, info.seed, info.cfg) == ("a fox", None, 9, 5.5)


def test_comfyui_png() -> None:
    graph = {
        "3": {
            "class_type": "KSampler",
            "inputs": {
                "seed": 156680208700286,
                "steps": 20,
                "cfg": 8.0,
                "sampler_name": "euler",
                "scheduler": "normal",
                "denoise": 1.0,
                "model": ["4", 0],
                "positive": ["6", 0],
                "negative": ["7", 0],
                "latent_image": ["5", 0],
            },
        },
        "4": {
            "class_type": "CheckpointLoaderSimple",
            "inputs": {"ckpt_name": "v1-5-pruned-emaonly.safetensors"},
        },
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "一條龍在雲裡飛", "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "text, watermark", "clip": ["4", 1]}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
    }
    data = png({"prompt": json.dumps(graph, ensure_ascii=False), "workflow": json.dumps({"nodes": []})})
    info = read_provenance(data)
    assert info.source == "comfyui"
    assert (info.prompt, info.negative_prompt) == ("一條龍在雲裡飛", "text, watermark")
    assert (info.seed, info.steps, info.cfg, info.sampler) == (156680208700286, 20, 8.0, "euler normal")
    assert (info.width, info.height, info.model) == (512, 512, "v1-5-pruned-emaonly.safetensors")
    assert "workflow" in info.text_chunks


def test_bare_and_foreign_pngs() -> None:
    info = read_provenance(png({}))
    assert info.source == "none" and info.prompt is None and info.aigc_label is None
    odd = read_provenance(png({"prompt": "not json", "Comment": "hello"}))
    assert odd.source == "none" and odd.text_chunks["Comment"] == "hello"
    with pytest.raises(ValueError, match="not an image"):
        read_provenance(b"definitely not a png")


def test_parameters_quote_values_with_commas() -> None:
    text = a1111_parameters(provenance(original_prompt='cats, dogs: and "birds"'))
    assert 'Original prompt: "cats, dogs: and \\"birds\\""' in text
    assert parse_a1111(text).original_prompt == 'cats, dogs: and "birds"'


# ------------------------------------------------------------------------------- no server paths


def test_a_local_model_is_named_by_its_configured_name_never_its_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "srv" / "test-models" / "image-tiny"
    folder.mkdir(parents=True)
    lora = tmp_path / "srv" / "loras" / "crayon.safetensors"
    record = provenance(model="image-tiny", model_id=str(folder), loras=[LoraSpec(name=str(lora), scale=0.5)],
                        extra={"note": f"made from {folder}"})  # fmt: skip
    data = png_with_provenance(Image.new("RGB", (8, 8)), record)
    chunks = Image.open(io.BytesIO(data)).text  # type: ignore[attr-defined]
    assert all(str(tmp_path) not in value and "/srv/" not in value for value in chunks.values())
    info = read_provenance(data)
    assert info.provenance is not None
    assert info.provenance.model_id == "image-tiny" and info.provenance.model_hash == "ab" * 32
    assert [lo.name for lo in info.provenance.loras] == ["crayon.safetensors"]
    assert info.provenance.extra == {"note": "made from image-tiny"}
    # A hub id stays what it is: it names the model for anyone.
    hub = read_provenance(png_with_provenance(Image.new("RGB", (8, 8)), provenance(model_revision="c0ffee")))
    assert hub.provenance is not None
    assert (hub.provenance.model_id, hub.provenance.model_revision) == ("stabilityai/sd-turbo", "c0ffee")


def test_paths_in_older_files_are_cut_where_works_are_shown() -> None:
    from aigc_contest.web.judging.blind import blind_image

    old_record = provenance(model="image-tiny", model_id="/home/runner/test-models/image-tiny",
                            loras=[LoraSpec(name="/srv/media/loras/crayon.safetensors")]).model_dump_json()  # fmt: skip
    data = png({"aigc-contest": old_record,
                "parameters": "a cat\nSteps: 2, Seed: 1, Model: image-tiny, Lora hashes: /srv/media/loras/crayon.safetensors: 1"})  # fmt: skip
    shown = blind_image(data).provenance
    assert all("/home/" not in v and "/srv/" not in v for v in shown.values())
    record = json.loads(shown["aigc-contest"])
    assert record["model_id"] == "image-tiny" and record["loras"][0]["name"] == "crayon.safetensors"
    assert "Lora hashes: crayon.safetensors: 1" in shown["parameters"]
