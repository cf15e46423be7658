"""A LoRA's model card: what it was trained from, on what, how, and which file came out.

`build_model_card(result, config, dataset)` gives a JSON-ready dict (what an entry stores and an API
returns); `render_model_card_markdown(card)` writes it as a README.md in the usual model-card shape (a
YAML front matter block, then sections), the file that goes next to the weights when the LoRA is shared.

The card never names a place on the server's disk: a base model that is a local folder is named by the
`base_name` given (its name in the models file) or else by the folder's name, as provenance records do.
Captions are summarised (count, lengths, how many distinct), not copied: they are the team's data.
"""

from __future__ import annotations

import json
import statistics
from typing import Any

from aigc_contest.finetune.dataset import TrainingDataset
from aigc_contest.finetune.inspect import METADATA_PREFIX
from aigc_contest.finetune.lora import TrainingConfig, TrainingResult

CARD_FORMAT = 1


def build_model_card(
    result: TrainingResult, config: TrainingConfig, dataset: TrainingDataset, *, base_name: str | None = None
) -> dict[str, Any]:
    """The model card of a finished run as a dict of plain JSON values."""
    from aigc_contest.generation.provenance import is_local_source, public_lora_name

    training = {k.removeprefix(METADATA_PREFIX): v for k, v in result.metadata.items()}
    base_hash = result.base_hash or training.get("base_model_hash") or None
    if base_name is None:
        base_name = public_lora_name(config.base) if is_local_source(config.base) else config.base
    caption_lengths = [len(item.caption) for item in dataset.items]
    word_counts = [len(item.caption.split()) for item in dataset.items]
    losses = result.losses
    return {
        "format": CARD_FORMAT,
        "base_model": {"name": base_name, "sha256": base_hash},
        "data": {
            "images": len(dataset),
            "sha256": dataset.sha256,
            "layout": dataset.layout,
            "image_sizes": _size_range(dataset),
            "captions": {
                "distinct": len({item.caption for item in dataset.items}),
                "characters": _stats(caption_lengths),
                "words": _stats(word_counts),
                "truncated": int(training.get("truncated_captions", "0") or 0),
            },
        },
        "recipe": {
            "method": "LoRA on the UNet attention projections",
            "rank": config.rank,
            "alpha": config.lora_alpha,
            "target_modules": list(config.target_modules),
            "learning_rate": config.learning_rate,
            "optimizer": "AdamW (weight decay 0.01)",
            "resolution": config.resolution,
            "batch_size": config.batch_size,
            "gradient_accumulation": config.gradient_accumulation,
            "seed": config.seed,
            "mixed_precision": training.get("mixed_precision", config.mixed_precision),
            "random_flip": config.random_flip,
            "max_grad_norm": config.max_grad_norm,
        },
        "training": {
            "steps": result.steps_done or len(losses),
            "resumed_from": result.resumed_from,
            "seconds": round(max(result.total_seconds, result.seconds), 3),  # every call of a resumed run
            "device": result.device,
            "loss": {
                "first": losses[0] if losses else None,
                "last": losses[-1] if losses else None,
                "min": min(losses) if losses else None,
            },
            "created_at": training.get("created_at"),
            "trainer": training.get("trainer"),
        },
        "file": {
            "name": result.path.name,
            "format": "diffusers",
            "sha256": result.sha256,
            "weights_sha256": result.weights_sha256,
            "bytes": result.path.stat().st_size if result.path.exists() else None,
        },
    }


def _stats(values: list[int]) -> dict[str, float | int | None]:
    if not values:
        return {"min": None, "max": None, "mean": None}
    return {"min": min(values), "max": max(values), "mean": round(statistics.fmean(values), 1)}


def _size_range(dataset: TrainingDataset) -> dict[str, list[int] | None]:
    if not dataset.items:
        return {"smallest": None, "largest": None}
    by_area = sorted(dataset.items, key=lambda item: (item.width * item.height, item.width))
    return {
        "smallest": [by_area[0].width, by_area[0].height],
        "largest": [by_area[-1].width, by_area[-1].height],
    }


def render_model_card_markdown(card: dict[str, Any]) -> str:
    """The card as a README.md: YAML front matter (base model, tags, license placeholder), then sections."""
    base, data, recipe = card["base_model"], card["data"], card["recipe"]
    training, file = card["training"], card["file"]
    captions = data["captions"]
    loss = training["loss"]

    def yaml_string(value: Any) -> str:
        return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid YAML scalar

    def number(value: Any) -> str:
        if value is None:
            return "–"
        return f"{value:.4f}" if isinstance(value, float) else str(value)

    lines = [
        "---",
        f"base_model: {yaml_string(base['name'])}",
        "library_name: diffusers",
        "tags:",
        "  - lora",
        "  - text-to-image",
        "  - diffusers",
        "---",
        "",
        f"# LoRA for {base['name']}",
        "",
        f"A rank-{recipe['rank']} LoRA trained on {data['images']} images for {training['steps']} steps.",
        "",
        "## Base model",
        "",
        f"- Name: {base['name']}",
        f"- Weights sha256: `{base['sha256'] or 'unknown'}`",
        "",
        "## Training data",
        "",
        f"- Images: {data['images']} ({data['layout']})",
        f"- Data set sha256: `{data['sha256']}`",
    ]
    sizes = data.get("image_sizes") or {}
    if sizes.get("smallest"):
        small, large = sizes["smallest"], sizes["largest"]
        lines.append(f"- Image sizes: {small[0]}×{small[1]} to {large[0]}×{large[1]} pixels")
    chars, words = captions["characters"], captions["words"]
    lines += [
        f"- Captions: {captions['distinct']} distinct; {number(chars['min'])}–{number(chars['max'])} characters "
        f"(mean {number(chars['mean'])}), {number(words['min'])}–{number(words['max'])} words",
    ]
    if captions.get("truncated"):
        lines.append(f"- Captions longer than the text encoder's window (cut): {captions['truncated']}")
    lines += [
        "",
        "## Recipe",
        "",
        "| Setting | Value |",
        "| --- | --- |",
    ]
    for key, value in recipe.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        lines.append(f"| {key.replace('_', ' ')} | {shown} |")
    lines += [
        "",
        "## Training run",
        "",
        f"- Steps: {training['steps']}"
        + (f" (resumed from a checkpoint at step {training['resumed_from']})" if training.get("resumed_from") else ""),
        f"- Time: {training['seconds']:.1f} s on {training['device']}",
        f"- Loss: first {number(loss['first'])}, last {number(loss['last'])}, lowest {number(loss['min'])}",
    ]
    if training.get("created_at"):
        lines.append(f"- Finished: {training['created_at']}")
    if training.get("trainer"):
        lines.append(f"- Trainer: {training['trainer']}")
    lines += [
        "",
        "## File",
        "",
        f"- `{file['name']}` ({file['format']} format"
        + (f", {file['bytes']:,} bytes" if file.get("bytes") else "")
        + ")",
        f"- sha256: `{file['sha256']}`",
        f"- Weights sha256 (tensor bytes only): `{file['weights_sha256']}`",
        "",
        "## Use",
        "",
        "```python",
        "pipe.load_lora_weights(\".\", weight_name=" + json.dumps(file["name"]) + ")",
        "```",
        "",
    ]
    return "\n".join(lines)
