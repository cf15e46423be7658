"""`finetune export`: Kohya ↔ diffusers conversion keeps every layer's change to the model, and the keys
come back exactly after a round trip."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from aigc_contest.cli.main import main
from aigc_contest.finetune.convert import _module_path, export_lora, layer_changes, to_diffusers, to_kohya
from aigc_contest.finetune.inspect import inspect_lora_file

safetensors_numpy = pytest.importorskip("safetensors.numpy")

MODULES = [
    "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q",
    "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0",
    "unet.mid_block.attentions.0.proj_in",
    "unet.up_blocks.1.attentions.2.transformer_blocks.0.ff.net.0.proj",
    "unet.up_blocks.1.resnets.0.time_emb_proj",
    "text_encoder.text_model.encoder.layers.3.self_attn.q_proj",
    "text_encoder.text_model.encoder.layers.3.mlp.fc1",
]


def _diffusers_lora(rank: int = 4, dim: int = 16, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    tensors = {}
    for module in MODULES:
        tensors[f"{module}.lora.down.weight"] = rng.standard_normal((rank, dim)).astype(np.float32)
        tensors[f"{module}.lora.up.weight"] = rng.standard_normal((dim, rank)).astype(np.float32)
    return tensors


def test_kohya_names_get_their_dots_back() -> None:
    for module in MODULES:
        path = module.split(".", 1)[1]
        assert _module_path(path.replace(".", "_")) == path


def test_round_trip_keeps_keys_and_every_layers_change() -> None:
    tensors = _diffusers_lora()
    metadata = {"aigc_contest.alpha": "8", "aigc_contest.steps": "120"}  # alpha 8, rank 4: scale 2
    before = layer_changes(tensors, metadata)
    kohya, kohya_meta = to_kohya(tensors, metadata)
    assert (
        "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_out_0.lora_down.weight" in kohya
    )
    assert float(kohya["lora_te_text_model_encoder_layers_3_self_attn_q_proj.alpha"]) == 8.0
    changes = layer_changes(kohya, kohya_meta)
    assert set(changes) == set(before)
    for name, change in before.items():
        np.testing.assert_allclose(changes[name], change, rtol=1e-5)
    back, back_meta = to_diffusers(kohya, kohya_meta)
    assert set(back) == set(tensors)
    assert "aigc_contest.alpha" not in back_meta  # folded into the up matrices: scale 1 from here on
    for name, change in before.items():
        np.testing.assert_allclose(layer_changes(back, back_meta)[name], change, rtol=1e-5)


def test_per_layer_alphas_of_a_kohya_file_are_folded_in(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    kohya = {}
    for n, alpha in enumerate((1.0, 4.0, 16.0)):
        module = f"lora_unet_down_blocks_{n}_attentions_0_transformer_blocks_0_attn2_to_k"
        kohya[f"{module}.lora_down.weight"] = rng.standard_normal((4, 8)).astype(np.float32)
        kohya[f"{module}.lora_up.weight"] = rng.standard_normal((8, 4)).astype(np.float32)
        kohya[f"{module}.alpha"] = np.asarray(alpha, dtype=np.float32)
    source = tmp_path / "kohya.safetensors"
    safetensors_numpy.save_file(kohya, str(source), metadata={"ss_network_module": "networks.lora"})
    assert inspect_lora_file(source).format == "kohya"
    out = tmp_path / "diffusers.safetensors"
    result = export_lora(source, "diffusers", out)
    assert result["format"] == "diffusers" and result["layers"] == 3
    converted = safetensors_numpy.load_file(str(out))
    for n, alpha in enumerate((1.0, 4.0, 16.0)):
        module = f"unet.down_blocks.{n}.attentions.0.transformer_blocks.0.attn2.to_k"
        expected = kohya[
            f"lora_unet_down_blocks_{n}_attentions_0_transformer_blocks_0_attn2_to_k.lora_up.weight"
        ]
        np.testing.assert_allclose(converted[f"{module}.lora.up.weight"], expected * alpha / 4, rtol=1e-6)


def test_the_command_converts_and_refuses_what_is_not_a_lora(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "ours.safetensors"
    safetensors_numpy.save_file(_diffusers_lora(), str(source), metadata={"aigc_contest.alpha": "4"})
    out = tmp_path / "kohya" / "ours-kohya.safetensors"
    assert main(["finetune", "export", str(source), "--format", "kohya", "--out", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (
        result["source_format"] == "diffusers"
        and result["format"] == "kohya"
        and result["layers"] == len(MODULES)
    )
    assert inspect_lora_file(out).format == "kohya"
    pickle = tmp_path / "model.ckpt"
    pickle.write_bytes(b"\x80\x04K\x01.")
    assert (
        main(
            ["finetune", "export", str(pickle), "--format", "kohya", "--out", str(tmp_path / "x.safetensors")]
        )
        == 4
    )
    assert "pickle" in capsys.readouterr().err
    assert not (tmp_path / "x.safetensors").exists()
    assert main(["finetune", "export", str(source), "--format", "kohya", "--out", str(source)]) != 0


def test_a_lora_trained_here_converts_both_ways_and_loads_into_diffusers(
    trained_lora, tiny_pipeline_dir, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("diffusers")
    from diffusers import StableDiffusionPipeline
    from safetensors import safe_open

    result, _config, _calls = trained_lora
    with safe_open(str(result.path), framework="np") as handle:
        metadata = dict(handle.metadata() or {})
    before = layer_changes(safetensors_numpy.load_file(str(result.path)), metadata)
    kohya = tmp_path / "kohya.safetensors"
    export_lora(result.path, "kohya", kohya)
    back = tmp_path / "diffusers" / "pytorch_lora_weights.safetensors"
    export_lora(kohya, "diffusers", back)
    with safe_open(str(back), framework="np") as handle:
        back_meta = dict(handle.metadata() or {})
    after = layer_changes(safetensors_numpy.load_file(str(back)), back_meta)
    assert set(after) == set(before) and before
    for name, change in before.items():
        np.testing.assert_allclose(after[name], change, rtol=1e-4, atol=1e-7)
    # diffusers itself loads both files: the Kohya one through its own converter, ours as it is.
    pipeline = StableDiffusionPipeline.from_pretrained(str(tiny_pipeline_dir))
    pipeline.load_lora_weights(str(kohya), adapter_name="kohya")
    pipeline.load_lora_weights(str(back.parent), adapter_name="back")
    assert set(pipeline.get_list_adapters()["unet"]) == {"kohya", "back"}
