"""The model card of a real (tiny) training run, as a dict and as a README.md."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest


@pytest.mark.ml
def test_model_card_records_base_data_recipe_run_and_file(trained_lora, tiny_pipeline_dir: Path, session_dataset) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.finetune.model_card import build_model_card
    from aigc_contest.generation.backends.diffusers_image import weights_hash

    result, config, _ = trained_lora
    card = build_model_card(result, config, session_dataset)
    json.dumps(card)  # plain JSON values only
    assert card["base_model"] == {"name": tiny_pipeline_dir.name, "sha256": weights_hash(tiny_pipeline_dir)}
    assert str(tiny_pipeline_dir.parent) not in json.dumps(card)  # no server path anywhere
    data = card["data"]
    assert data["images"] == 3 and data["sha256"] == session_dataset.sha256
    assert data["image_sizes"] == {"smallest": [80, 96], "largest": [80, 96]}
    # "a red square on a plain background" (34), "a blue …" (35), "a green …" (36)
    assert data["captions"]["characters"] == {"min": 34, "max": 36, "mean": 35.0}
    assert data["captions"]["words"] == {"min": 7, "max": 7, "mean": 7.0} and data["captions"]["distinct"] == 3
    recipe = card["recipe"]
    assert (recipe["rank"], recipe["alpha"], recipe["resolution"], recipe["seed"]) == (4, 4.0, 64, 7)
    assert recipe["learning_rate"] == 5e-3 and recipe["gradient_accumulation"] == 2
    assert recipe["mixed_precision"] == "float32"
    training = card["training"]
    assert training["steps"] == 6 and training["device"] == "cpu" and training["seconds"] > 0
    assert training["loss"]["last"] == result.losses[-1] and training["loss"]["min"] == min(result.losses)
    assert card["file"]["sha256"] == hashlib.sha256(result.path.read_bytes()).hexdigest()
    assert card["file"]["bytes"] == result.path.stat().st_size
    named = build_model_card(result, config, session_dataset, base_name="image-tiny")
    assert named["base_model"]["name"] == "image-tiny"


@pytest.mark.ml
def test_model_card_markdown_has_front_matter_and_every_section(trained_lora, session_dataset) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.finetune.model_card import build_model_card, render_model_card_markdown

    result, config, _ = trained_lora
    card = build_model_card(result, config, session_dataset, base_name="Wukong 華 \"1.0\"")
    text = render_model_card_markdown(card)
    front, body = text.split("---\n")[1], text.split("---\n", 2)[2]
    assert 'base_model: "Wukong 華 \\"1.0\\""' in front and "library_name: diffusers" in front
    for heading in ("## Base model", "## Training data", "## Recipe", "## Training run", "## File"):
        assert heading in body
    assert f"sha256: `{result.sha256}`" in body and session_dataset.sha256 in body
    assert "| rank | 4 |" in body and "| target modules | to_k, to_q, to_v, to_out.0 |" in body
    assert "Steps: 6\n" in body and "3 images" in body
    assert "a red square" not in text  # captions are summarised, never copied
