"""Relevance to the theme through real embedders (tiny random weights) loaded from the models file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aigc_contest.generation.registry import RegistryError, parse_registry
from aigc_contest.judging.signals.relevance import MIN_PEERS, Relevance, picture_relevance, text_relevance

pytest.importorskip("torch")
pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def embedder_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from aigc_contest.generation.tiny import build_clip_guard, build_text_embedder

    directory = tmp_path_factory.mktemp("embedders")
    return {
        "text": build_text_embedder(directory / "text-embedder"),
        "clip": build_clip_guard(directory / "clip-embedder"),
    }


def _registry(dirs: dict[str, Path]):  # type: ignore[no-untyped-def]
    return parse_registry(
        f"""
[[models]]
name = "clip-embed"
kind = "embedding"
backend = "clip"
path = "{dirs["clip"]}"
test_model = true

[[models]]
name = "text-embed"
kind = "embedding"
backend = "transformers"
path = "{dirs["text"]}"
test_model = true
"""
    )


def test_embedding_kind_is_validated() -> None:
    with pytest.raises(RegistryError) as caught:
        parse_registry('[[models]]\nname = "e"\nkind = "embedding"\nbackend = "diffusers"\nid = "x"\n')
    assert "embedding model uses one of" in " ".join(caught.value.details)
    assert parse_registry("").embedder() is None


def test_text_relevance_with_a_tiny_sentence_encoder(embedder_dirs) -> None:  # type: ignore[no-untyped-def]
    registry = _registry(embedder_dirs)
    embedder = registry.embedder()
    assert embedder.name == "text-embed"  # a sentence encoder is preferred for texts
    vectors = embedder.embed_texts(["a cat on the moon", "月亮上的貓", "a cat on the moon"])
    assert vectors.shape == (3, 32)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(vectors[0], vectors[2], atol=1e-5)  # the same text, the same vector
    theme = ["Our green city", "我們的綠色城市"]
    entries = {
        f"e{i}": text
        for i, text in enumerate(
            [
                "trees on every roof",
                "a robot plants flowers",
                "the green city",
                "a dragon eats noodles",
                "recycling in school",
                "our green city",
            ]
        )
    }
    result = text_relevance(embedder, theme, entries)
    assert set(result) == set(entries)
    assert all(isinstance(r, Relevance) and -1.0 <= r.similarity <= 1.0 for r in result.values())
    standings = sorted(r.standing for r in result.values() if r.standing is not None)
    assert len(standings) == len(entries) >= MIN_PEERS
    assert standings[0] == 0.0 and standings[-1] == 1.0  # the closest and the furthest are placed at the ends
    best = max(result.values(), key=lambda r: r.similarity)
    assert "closer than 10 in 10" in best.sentence()


def test_picture_relevance_with_a_tiny_clip(embedder_dirs) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    registry = _registry(embedder_dirs)
    embedder = registry.embedder(images=True)
    assert embedder.name == "clip-embed"
    pictures = {
        "red": [Image.new("RGB", (40, 40), (220, 30, 30))],
        "two": [Image.new("RGB", (40, 40), (30, 200, 30)), Image.new("RGB", (40, 40), (30, 30, 200))],
    }
    result = picture_relevance(embedder, ["a green park"], pictures)
    assert set(result) == {"red", "two"}
    assert all(r.standing is None and r.medium == "picture" for r in result.values())  # too few to compare
    assert "too few entries" in result["red"].sentence()
