"""Helpers for the fine-tuning tests (a module, not conftest, so test files can import it)."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

from PIL import Image

COLOURS = {"red": (200, 40, 40), "blue": (40, 40, 200), "green": (40, 180, 60)}


def write_image(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (80, 96)) -> None:
    """A flat colour with a contrasting square, so the images differ in content, not only in tint."""
    image = Image.new("RGB", size, colour)
    image.paste(tuple(255 - c for c in colour), (16, 16, 56, 56))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


def make_caption_dataset(root: Path) -> Path:
    for name, colour in COLOURS.items():
        write_image(root / f"{name}.png", colour)
        (root / f"{name}.txt").write_text(f"a {name} square on a plain background", encoding="utf-8")
    return root


def safetensors_bytes(tensors: dict[str, tuple[str, list[int]]], metadata: dict[str, str] | None = None,
                      values: dict[str, bytes] | None = None) -> bytes:
    """A safetensors file written by hand from the format rules: name -> (dtype, shape), zero-filled
    unless `values` gives a tensor's bytes."""
    sizes = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8}
    header: dict[str, Any] = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    buffer = b""
    for name, (dtype, shape) in tensors.items():
        count = 1
        for dim in shape:
            count *= dim
        data = (values or {}).get(name, b"\0" * (count * sizes[dtype]))
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(buffer), len(buffer) + len(data)]}
        buffer += data
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)  # the reference writer pads the header to 8 bytes
    return struct.pack("<Q", len(encoded)) + encoded + buffer


def diffusers_lora_tensors(rank: int = 4, dim: int = 32) -> dict[str, tuple[str, list[int]]]:
    tensors: dict[str, tuple[str, list[int]]] = {}
    for block in ("down_blocks.0", "up_blocks.1"):
        for layer in ("to_q", "to_k", "to_v", "to_out.0"):
            module = f"unet.{block}.attentions.0.transformer_blocks.0.attn1.{layer}"
            tensors[f"{module}.lora.down.weight"] = ("F32", [rank, dim])
            tensors[f"{module}.lora.up.weight"] = ("F32", [dim, rank])
    return tensors
