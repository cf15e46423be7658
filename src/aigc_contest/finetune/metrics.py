"""Advisory metrics of a fine-tuned model for judges, through a CLIP-family embedder (pictures and texts in
one space, vectors L2-normalised: `generation.backends.embed_clip.ClipEmbedder`, which loads `CLIPModel`
with `from_pretrained`):

- prompt adherence: the CLIP score of each sample picture against the prompt it was drawn from,
  100 · max(cos, 0) (Hessel et al. 2021 without their 2.5 rescaling), averaged over the samples;
- similarity to the training set: for each sample, its highest cosine with any training picture, averaged
  (near 1: the LoRA may be copying its training pictures; low: it drifted from them).

Evidence for a person, never a score: the numbers depend on the CLIP model, and random test weights make
them meaningless (the caller says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from PIL import Image


class Embedder(Protocol):
    def embed_texts(self, texts: list[str]) -> np.ndarray: ...

    def embed_images(self, images: list[Image.Image]) -> np.ndarray: ...


@dataclass(frozen=True)
class FinetuneMetrics:
    samples: int
    training_images: int
    prompt_adherence: float | None  # mean CLIP score, 0..100; None without samples with prompts
    adherence_per_sample: tuple[float, ...]
    training_similarity: float | None  # mean max cosine, -1..1; None without training pictures
    embedder: str = ""
    is_test_model: bool = False

    def sentences(self) -> list[str]:
        said = []
        if self.prompt_adherence is not None:
            said.append(f"Prompt adherence: the sample pictures score {self.prompt_adherence:.1f} of 100 against "
                        f"their prompts (CLIP score, mean of {self.samples}).")  # fmt: skip
        if self.training_similarity is not None:
            said.append(f"Similarity to the training set: each sample's closest training picture has a cosine of "
                        f"{self.training_similarity:.2f} on average (1 would be a copy), over "
                        f"{self.training_images} training pictures.")  # fmt: skip
        return said


def _normalised(vectors: Any) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim != 2 or not array.size:
        return np.zeros((0, 0), dtype=np.float32)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return array / np.where(norms == 0, 1.0, norms)


def clip_scores(embedder: Embedder, images: list[Image.Image], prompts: list[str]) -> list[float]:
    """100 · max(cos(image_i, prompt_i), 0) for each pair."""
    if not images:
        return []
    if len(images) != len(prompts):
        raise ValueError("one prompt per picture")
    pictures = _normalised(embedder.embed_images(images))
    texts = _normalised(embedder.embed_texts(prompts))
    cosines = np.sum(pictures * texts, axis=1)
    return [round(100.0 * max(float(c), 0.0), 2) for c in cosines]


def training_similarity(embedder: Embedder, samples: list[Image.Image], training: list[Image.Image]) -> float | None:
    """Mean over the samples of the highest cosine with any training picture."""
    if not samples or not training:
        return None
    a = _normalised(embedder.embed_images(samples))
    b = _normalised(embedder.embed_images(training))
    return round(float(np.mean(np.max(a @ b.T, axis=1))), 4)


def advisory_metrics(embedder: Embedder, samples: list[tuple[Image.Image, str]], training: list[Image.Image],
                     ) -> FinetuneMetrics:  # fmt: skip
    """Both metrics for the samples (picture, prompt) of a LoRA and its training pictures."""
    prompted = [(image, prompt) for image, prompt in samples if prompt and prompt.strip()]
    scores = clip_scores(embedder, [i for i, _ in prompted], [p for _, p in prompted])
    similarity = training_similarity(embedder, [i for i, _ in samples], training)
    return FinetuneMetrics(
        samples=len(samples), training_images=len(training),
        prompt_adherence=round(sum(scores) / len(scores), 2) if scores else None,
        adherence_per_sample=tuple(scores), training_similarity=similarity,
        embedder=str(getattr(embedder, "name", "")), is_test_model=bool(getattr(embedder, "is_test_model", False)),
    )  # fmt: skip
