"""Convert a LoRA between the diffusers and Kohya key layouts, so it moves to and from the tools people use.

diffusers (what `save_lora_weights` writes, and what PEFT-style files hold):
    unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora.down.weight   (or lora_A)
    unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora.up.weight     (or lora_B)
Kohya (sd-scripts, A1111, ComfyUI): the module path with "_" for ".", a component prefix, and an alpha:
    lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight
    lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_up.weight
    lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.alpha

A layer's change is ``up @ down * alpha / rank``. A diffusers file states alpha once (our trainer's
`aigc_contest.alpha`, or diffusers' `lora_adapter_metadata`), else alpha equals the rank. Going to Kohya
writes that alpha per layer; coming from Kohya folds each layer's ``alpha / rank`` into its up matrix, so the
change is the same whatever alpha each layer had. Kohya writes "_" for ".", which loses where module names
end; the dots come back from the names diffusers and transformers modules use (`_COMPOUND_NAMES`).

Tensors are read and written with safetensors' numpy API: no torch needed, nothing unpickled.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np

from aigc_contest.finetune.inspect import _DOTTED, _KOHYA, METADATA_PREFIX, LoraFileError, inspect_lora_file

Layout = Literal["diffusers", "kohya"]

_KOHYA_PREFIX = {"unet": "lora_unet", "text_encoder": "lora_te", "text_encoder_2": "lora_te2",
                 "transformer": "lora_transformer"}  # fmt: skip
_COMPONENT_OF_PREFIX = {"lora_unet": "unet", "lora_te": "text_encoder", "lora_te1": "text_encoder",
                        "lora_te2": "text_encoder_2", "lora_transformer": "transformer"}  # fmt: skip
_DOWN = {"lora.down", "lora_linear_layer.down", "lora_A", "lora_down"}
_UP = {"lora.up", "lora_linear_layer.up", "lora_B", "lora_up"}
# Module-path segments that hold "_" themselves (diffusers UNets and transformers, CLIP text encoders).
_COMPOUND_NAMES = {
    "down_blocks", "up_blocks", "mid_block", "transformer_blocks", "single_transformer_blocks",
    "to_q", "to_k", "to_v", "to_out", "add_q_proj", "add_k_proj", "add_v_proj", "to_add_out",
    "proj_in", "proj_out", "proj_mlp", "time_emb_proj", "conv_shortcut", "conv_in", "conv_out", "conv_norm_out",
    "time_embedding", "add_embedding", "linear_1", "linear_2", "norm_out", "ff_context", "norm1_context",
    "text_model", "self_attn", "q_proj", "k_proj", "v_proj", "out_proj", "final_layer_norm", "layer_norm1",
    "layer_norm2", "position_embedding", "token_embedding", "context_embedder", "x_embedder",
}  # fmt: skip


def _module_path(kohya_module: str) -> str:
    """`down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q` → `down_blocks.0.attentions.0…to_q`."""
    tokens = kohya_module.split("_")
    segments: list[str] = []
    i = 0
    while i < len(tokens):
        for width in (4, 3, 2):
            candidate = "_".join(tokens[i : i + width])
            if i + width <= len(tokens) and candidate in _COMPOUND_NAMES:
                segments.append(candidate)
                i += width
                break
        else:
            segments.append(tokens[i])
            i += 1
    return ".".join(segments)


def _stated_alpha(metadata: Mapping[str, str]) -> float | None:
    if f"{METADATA_PREFIX}alpha" in metadata:
        try:
            return float(metadata[f"{METADATA_PREFIX}alpha"])
        except ValueError:
            return None
    for key, text in metadata.items():
        if key.endswith("lora_adapter_metadata"):
            try:
                value = json.loads(text).get("lora_alpha")
            except (ValueError, AttributeError):
                continue
            if isinstance(value, int | float):
                return float(value)
    return None


def to_kohya(
    tensors: Mapping[str, np.ndarray], metadata: Mapping[str, str]
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """A diffusers / PEFT LoRA's tensors in the Kohya layout, with one alpha per layer."""
    alpha = _stated_alpha(metadata)
    has_second_encoder = any(k.startswith("text_encoder_2.") for k in tensors)
    out: dict[str, np.ndarray] = {}
    for name, value in tensors.items():
        if _KOHYA.match(name):
            out[name] = value  # already Kohya
            continue
        match = _DOTTED.match(name)
        if match is None:
            raise LoraFileError(f"tensor {name!r} is not part of a LoRA layer", "not_lora")
        component = match.group("component") or "unet"
        if component == "base_model.model":
            component = "unet"
        prefix = _KOHYA_PREFIX[component]
        if component == "text_encoder" and has_second_encoder:
            prefix = "lora_te1"
        module = f"{prefix}_{match.group('module').replace('.', '_')}"
        part, param = match.group("part"), match.group("param")
        if part in _DOWN:
            out[f"{module}.lora_down.{param}"] = value
            if param == "weight":
                rank = value.shape[0]
                out[f"{module}.alpha"] = np.asarray(alpha if alpha is not None else rank, dtype=np.float32)
        elif part in _UP:
            out[f"{module}.lora_up.{param}"] = value
        elif match.group("extra") == "alpha":
            out[f"{module}.alpha"] = value.astype(np.float32)
        else:
            raise LoraFileError(f"tensor {name!r}: {match.group('extra')} has no Kohya spelling", "not_lora")
    kept = {k: v for k, v in metadata.items() if not k.endswith("lora_adapter_metadata")}
    kept["ss_network_module"] = "networks.lora"
    return out, kept


def to_diffusers(
    tensors: Mapping[str, np.ndarray], metadata: Mapping[str, str]
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """A Kohya LoRA's tensors in the diffusers layout; each layer's alpha / rank is folded into its up
    matrix, so the file loads with scale 1 and changes the model exactly as the Kohya file did."""
    layers: dict[str, dict[str, np.ndarray]] = {}
    out: dict[str, np.ndarray] = {}
    for name, value in tensors.items():
        match = _KOHYA.match(name)
        if match is None:
            dotted = _DOTTED.match(name)
            if dotted is None:
                raise LoraFileError(f"tensor {name!r} is not part of a LoRA layer", "not_lora")
            out[name] = value  # already diffusers
            continue
        component = _COMPONENT_OF_PREFIX[match.group("component")]
        key = f"{component}.{_module_path(match.group('module'))}"
        part = match.group("part") or match.group("extra")
        layers.setdefault(key, {})[f"{part}.{match.group('param')}" if match.group("param") else part] = value
    for key, parts in layers.items():
        down, up = parts.get("lora_down.weight"), parts.get("lora_up.weight")
        if down is None or up is None:
            raise LoraFileError(f"layer {key} lacks its lora_down or lora_up matrix", "not_lora")
        rank = down.shape[0]
        scale = float(parts["alpha"].reshape(-1)[0]) / rank if "alpha" in parts else 1.0
        out[f"{key}.lora.down.weight"] = down
        out[f"{key}.lora.up.weight"] = (
            (up.astype(np.float32) * scale).astype(up.dtype) if scale != 1.0 else up
        )
        for bias in ("lora_down.bias", "lora_up.bias"):
            if bias in parts:
                out[f"{key}.{bias.replace('lora_', 'lora.')}"] = parts[bias]
    kept = {k: v for k, v in metadata.items() if not k.startswith("ss_") and k != f"{METADATA_PREFIX}alpha"}
    if any(k.startswith("ss_") for k in metadata):
        kept[f"{METADATA_PREFIX}converted_from"] = "kohya"
    return out, kept


def export_lora(source: str | Path, layout: Layout, out: str | Path) -> dict[str, Any]:
    """Convert the LoRA file `source` to `layout` and write it to `out` (atomically). The source is
    inspected first: anything that is not a plain LoRA safetensors file is refused."""
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    info = inspect_lora_file(source)
    with safe_open(str(source), framework="np") as handle:
        metadata = dict(handle.metadata() or {})
    tensors = load_file(str(source))
    converted, kept = to_kohya(tensors, metadata) if layout == "kohya" else to_diffusers(tensors, metadata)
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.partial")
    save_file(converted, str(temporary), metadata=kept)
    temporary.replace(target)
    written = inspect_lora_file(target)
    return {"source_format": info.format, "format": written.format, "layers": written.modules,
            "rank": written.rank, "path": str(target)}  # fmt: skip


def layer_changes(tensors: Mapping[str, np.ndarray], metadata: Mapping[str, str]) -> dict[str, np.ndarray]:
    """Each layer's change to the model (``up @ down * alpha / rank``), keyed by its diffusers module path:
    what a conversion must keep."""
    kohya = any(_KOHYA.match(k) for k in tensors)
    plain, _meta = to_diffusers(tensors, metadata) if kohya else (dict(tensors), dict(metadata))
    alpha = None if kohya else _stated_alpha(metadata)
    changes: dict[str, np.ndarray] = {}
    for name, down in plain.items():
        match = _DOTTED.match(name)
        if match is None or match.group("part") not in _DOWN or match.group("param") != "weight":
            continue
        component = match.group("component") or "unet"
        prefix = name[: match.start("part")]
        up_name = next(
            (f"{prefix}{u}.weight" for u in ("lora.up", "lora_B", "lora_linear_layer.up", "lora_up")
             if f"{prefix}{u}.weight" in plain), None,
        )  # fmt: skip
        if up_name is None:
            continue
        up = plain[up_name].astype(np.float64)
        rank = down.shape[0]
        scale = (alpha / rank) if alpha is not None else 1.0
        flat_down = down.astype(np.float64).reshape(rank, -1)
        changes[f"{component}.{match.group('module')}"] = up.reshape(up.shape[0], rank) @ flat_down * scale
    return changes
