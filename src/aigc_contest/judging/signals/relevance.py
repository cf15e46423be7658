"""Relevance to the theme (advisory): how close an entry's text and pictures sit to the theme's words.

An embedder from the models file (kind ``embedding``) turns the theme (its title and description, in
every language the competition writes it in) and each entry's text or pictures into unit vectors; the
cosine between them is the raw similarity. Raw cosines mean little on their own (each model has its own
scale), so each entry is placed among the other entries of the same category: the sentence a judge reads
says where it stands ("closer to the theme than 8 in 10 entries of this category"). With no embedder
configured nothing is computed and nothing is shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

Medium = Literal["text", "picture"]
MIN_PEERS = 5  # fewer entries than this in a category: report the similarity without a standing
_TEXT_CHARS = 2000  # an entry's text is embedded from its beginning: encoders read a few hundred tokens


class TextEmbedder(Protocol):
    name: str

    def embed_texts(self, texts: list[str]) -> np.ndarray: ...


class ImageEmbedder(TextEmbedder, Protocol):
    def embed_images(self, images: list[Any]) -> np.ndarray: ...


@dataclass(frozen=True)
class Relevance:
    key: str  # the caller's entry key
    medium: Medium
    similarity: float  # cosine, -1..1
    standing: float | None  # share of the category's other entries this one is closer than (0..1)
    peers: int
    model: str

    def sentence(self) -> str:
        what = "text" if self.medium == "text" else "pictures"
        if self.standing is None:
            return (
                f"Its {what} and the theme have a similarity of {self.similarity:.2f} "
                f"(too few entries in the category to compare)."
            )
        tenths = round(self.standing * 10)
        if tenths >= 8:
            lead = "much closer to the theme than most entries"
        elif tenths <= 2:
            lead = "further from the theme than most entries"
        else:
            lead = "about as close to the theme as most entries"
        return f"Its {what} are {lead} of this category (closer than {tenths} in 10)."


def theme_vector(embedder: TextEmbedder, theme_texts: Sequence[str]) -> np.ndarray:
    """One vector for a theme written in several languages: the normalised mean of each text's vector."""
    texts = [t.strip() for t in theme_texts if t and t.strip()]
    if not texts:
        raise ValueError("the theme has no words to compare with")
    vectors = embedder.embed_texts(texts)
    return _unit(vectors.mean(axis=0))


def text_relevance(
    embedder: TextEmbedder, theme_texts: Sequence[str], entries: Mapping[str, str]
) -> dict[str, Relevance]:
    """Relevance of each entry's text (key → text) to the theme, with each one's standing among them."""
    keys = [k for k, text in entries.items() if text and text.strip()]
    if not keys:
        return {}
    theme = theme_vector(embedder, theme_texts)
    vectors = embedder.embed_texts([entries[k].strip()[:_TEXT_CHARS] for k in keys])
    return _standings(keys, vectors @ theme, "text", embedder.name)


def picture_relevance(
    embedder: ImageEmbedder, theme_texts: Sequence[str], entries: Mapping[str, Sequence[Any]]
) -> dict[str, Relevance]:
    """Relevance of each entry's pictures (key → PIL images): the mean vector of its pictures."""
    keys = [k for k, images in entries.items() if images]
    if not keys:
        return {}
    theme = theme_vector(embedder, theme_texts)
    rows = [_unit(embedder.embed_images(list(entries[k])).mean(axis=0)) for k in keys]
    return _standings(keys, np.stack(rows) @ theme, "picture", embedder.name)


def _standings(keys: list[str], similarities: np.ndarray, medium: Medium, model: str) -> dict[str, Relevance]:
    values = similarities.astype(float)
    peers = len(keys) - 1
    result: dict[str, Relevance] = {}
    for index, key in enumerate(keys):
        standing = None
        if len(keys) >= MIN_PEERS:
            others = np.delete(values, index)
            standing = float((others < values[index]).sum() + 0.5 * (others == values[index]).sum()) / peers
        result[key] = Relevance(key, medium, round(float(values[index]), 4), standing, peers, model)
    return result


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
