"""LoRA file inspection from the safetensors header alone: no torch, and never a pickle."""

from __future__ import annotations

import json
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from finetune_helpers import diffusers_lora_tensors, safetensors_bytes

from aigc_contest.finetune.inspect import (
    LoraFileError,
    inspect_lora_bytes,
    inspect_lora_file,
    looks_like_safetensors,
)

TRAINING = {"aigc_contest.rank": "4", "aigc_contest.steps": "300", "aigc_contest.base_model": "tiny/sd"}


def test_diffusers_lora_is_described(tmp_path: Path) -> None:
    file = tmp_path / "pytorch_lora_weights.safetensors"
    file.write_bytes(safetensors_bytes(diffusers_lora_tensors(rank=4), {"format": "pt", **TRAINING}))
    info = inspect_lora_file(file)
    assert info.format == "diffusers" and info.components == ["unet"]
    assert info.rank == 4 and info.ranks == [4] and info.modules == 8
    assert info.target_modules == ["to_k", "to_out.0", "to_q", "to_v"]
    assert info.tensor_count == 16 and info.total_params == 16 * 4 * 32
    assert info.training == {"rank": "4", "steps": "300", "base_model": "tiny/sd"}
    assert info.metadata["format"] == "pt" and info.dtypes == ["F32"]
    assert info.file_size == file.stat().st_size
    assert inspect_lora_bytes(file.read_bytes()) == info


def test_reference_reader_agrees_with_the_hand_written_files(tmp_path: Path) -> None:
    safetensors = pytest.importorskip("safetensors")
    file = tmp_path / "lora.safetensors"
    file.write_bytes(safetensors_bytes(diffusers_lora_tensors(), TRAINING))
    with safetensors.safe_open(str(file), framework="numpy") as handle:
        assert handle.metadata() == TRAINING and len(list(handle.keys())) == 16


def test_kohya_lora_with_alpha_and_text_encoder() -> None:
    tensors = {
        "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.lora_down.weight": ("F16", [8, 32]),
        "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.lora_up.weight": ("F16", [32, 8]),
        "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.alpha": ("F16", []),
        "lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight": ("F16", [8, 32]),
        "lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight": ("F16", [32, 8]),
        "lora_te_text_model_encoder_layers_0_self_attn_q_proj.alpha": ("F16", []),
    }
    alpha = struct.pack("<e", 4.0)
    data = safetensors_bytes(tensors, values={n: alpha for n in tensors if n.endswith(".alpha")})
    info = inspect_lora_bytes(data)
    assert info.format == "kohya" and info.components == ["text_encoder", "unet"]
    assert info.rank == 8 and info.alpha == 4.0 and info.target_modules == ["q_proj", "to_k"]


def test_peft_names_and_mixed_ranks() -> None:
    tensors = {
        "unet.mid_block.attentions.0.proj_in.lora_A.weight": ("F32", [16, 32]),
        "unet.mid_block.attentions.0.proj_in.lora_B.weight": ("F32", [32, 16]),
        "unet.mid_block.attentions.0.transformer_blocks.0.ff.net.0.proj.lora_A.weight": ("F32", [4, 32]),
        "unet.mid_block.attentions.0.transformer_blocks.0.ff.net.0.proj.lora_B.weight": ("F32", [32, 4]),
        "unet.up_blocks.0.resnets.0.conv1.lora_A.weight": ("F32", [4, 32, 3, 3]),
        "unet.up_blocks.0.resnets.0.conv1.lora_B.weight": ("F32", [32, 4, 1, 1]),
    }
    info = inspect_lora_bytes(safetensors_bytes(tensors))
    assert info.format == "peft" and info.rank == 4 and info.ranks == [4, 16]
    assert info.target_modules == ["conv1", "ff.net.0.proj", "proj_in"]


class _Trap:
    """Unpickling this object would create a file: proof that a checkpoint was (not) unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("name", ["lora.ckpt", "lora.bin", "lora.pt", "lora.safetensors"])
def test_pickle_files_are_refused_and_never_unpickled(tmp_path: Path, name: str) -> None:
    marker = tmp_path / "unpickled"
    file = tmp_path / name
    file.write_bytes(pickle.dumps({"state_dict": _Trap(marker)}, protocol=4))
    with pytest.raises(LoraFileError) as caught:
        inspect_lora_file(file)
    assert caught.value.code == "pickle" and "safetensors" in caught.value.reason
    assert not marker.exists()


def test_zipped_torch_checkpoint_content_is_refused_whatever_its_name(tmp_path: Path) -> None:
    file = tmp_path / "renamed.safetensors"
    file.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    with pytest.raises(LoraFileError, match="pickle-based"):
        inspect_lora_file(file)


def _header_only(header: bytes, length: int | None = None) -> bytes:
    return struct.pack("<Q", len(header) if length is None else length) + header


@pytest.mark.parametrize(
    "data,code,message",
    [
        (b"", "not_safetensors", "too short"),
        (_header_only(b"{}", length=1 << 40), "header_too_large", "more than"),
        (_header_only(b"{}", length=400), "not_safetensors", "does not fit"),
        (_header_only(b"[1, 2]"), "not_safetensors", "no JSON header"),
        (_header_only(b"{not json}"), "corrupt", "not valid JSON"),
        (_header_only(b'{"a": 1, "a": 2}'), "corrupt", "duplicate key"),
        (_header_only(b'{"__metadata__": {"rank": 4}}'), "corrupt", "strings to strings"),
        (_header_only(b"{}"), "not_lora", "no tensors"),
    ],
)
def test_malformed_files_are_refused(data: bytes, code: str, message: str) -> None:
    with pytest.raises(LoraFileError, match=message) as caught:
        inspect_lora_bytes(data)
    assert caught.value.code == code


def test_tensor_data_must_fill_the_file_exactly() -> None:
    data = safetensors_bytes(diffusers_lora_tensors())
    with pytest.raises(LoraFileError, match="cut short"):
        inspect_lora_bytes(data[:-4])
    header_length = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + header_length])
    first, second = list(header)[:2]
    header[second]["data_offsets"] = header[first]["data_offsets"]  # two tensors on the same bytes
    encoded = json.dumps(header).encode()
    with pytest.raises(LoraFileError, match="overlaps"):
        inspect_lora_bytes(struct.pack("<Q", len(encoded)) + encoded + data[8 + header_length :])


def test_a_wrong_byte_count_for_the_shape_is_refused() -> None:
    encoded = json.dumps({"unet.x.to_q.lora.down.weight": {"dtype": "F32", "shape": [4, 4], "data_offsets": [0, 8]}})
    with pytest.raises(LoraFileError, match="does not match its shape"):
        inspect_lora_bytes(_header_only(encoded.encode()) + b"\0" * 8)


@pytest.mark.parametrize(
    "name",
    [
        "model.diffusion_model.input_blocks.0.0.weight",  # a full checkpoint, not a LoRA
        "unet.down_blocks.0.attentions.0.proj_in.weight",  # a base weight inside an otherwise LoRA file
        "lm_head.lora_A.weight",  # a LoRA, but for a language model
    ],
)
def test_tensor_names_that_are_not_an_image_lora_are_refused(name: str) -> None:
    tensors = {**diffusers_lora_tensors(), name: ("F32", [4, 4])}
    with pytest.raises(LoraFileError, match="does not look like part of a LoRA") as caught:
        inspect_lora_bytes(safetensors_bytes(tensors))
    assert caught.value.code == "not_lora" and name in caught.value.reason


def test_a_down_matrix_without_its_up_matrix_is_refused() -> None:
    tensors = diffusers_lora_tensors()
    del tensors["unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora.up.weight"]
    with pytest.raises(LoraFileError, match="attn1.to_q has no LoRA up"):
        inspect_lora_bytes(safetensors_bytes(tensors))


def test_sniffing() -> None:
    assert looks_like_safetensors(safetensors_bytes(diffusers_lora_tensors())[:64])
    assert not looks_like_safetensors(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    assert not looks_like_safetensors(_header_only(b"{}", length=1 << 40))


def test_inspect_runs_without_torch(tmp_path: Path) -> None:
    file = tmp_path / "lora.safetensors"
    file.write_bytes(safetensors_bytes(diffusers_lora_tensors(), TRAINING))
    code = (
        "import sys; sys.modules['torch'] = None\n"  # importing torch would now fail
        "from aigc_contest.finetune.inspect import inspect_lora_file\n"
        f"print(inspect_lora_file({str(file)!r}).rank)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "4"
