"""A CLIP-family zero-shot picture guard: violence and gore as well as nudity.

`CLIPModel` / `CLIPProcessor.from_pretrained` (a hub id such as `openai/clip-vit-base-patch32`, or a
folder) score the picture against one or more text descriptions per category; the softmax over every
description gives each category's probability (the sum over its descriptions). A category at or above
`unsafe_threshold` is unsafe, at or above `controversial_threshold` controversial; the "safe"
descriptions soak up probability for ordinary pictures.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigc_contest.generation.types import GenerationError
from aigc_contest.safety.guard import GuardVerdict
from aigc_contest.safety.tiers import Tier

if TYPE_CHECKING:
    from PIL import Image

logger = logging.getLogger(__name__)
_KNOWN_OPTIONS = {"device", "labels", "unsafe_threshold", "controversial_threshold"}

# Descriptions per category (ours); "safe" is not a category, it absorbs ordinary pictures.
DEFAULT_LABELS: dict[str, list[str]] = {
    "safe": [
        "a friendly picture suitable for children",
        "a cartoon illustration for a children's book",
        "a photo of a landscape, animals or everyday objects",
    ],
    "violence": [
        "a violent scene with people fighting or being attacked",
        "blood and gore, a gruesome wound or a dead body",
        "a weapon pointed at a person",
    ],
    "sexual": ["a photo of a naked person, nudity", "sexually explicit content"],
    "self_harm": ["a picture of self-harm or cutting"],
}


class ClipImageGuard:
    def __init__(self, name: str, source: str, *, is_test_model: bool = False, **options: Any) -> None:
        unknown = set(options) - _KNOWN_OPTIONS
        if unknown:
            logger.warning("guard %s: ignoring unknown option(s) %s", name, ", ".join(sorted(unknown)))
        self.name = name
        self.source = source
        self.is_test_model = is_test_model
        labels = options.get("labels") or DEFAULT_LABELS
        if not isinstance(labels, dict) or "safe" not in labels or len(labels) < 2:
            raise GenerationError(f'guard {name!r}: `labels` maps categories (and "safe") to descriptions')
        self.labels: dict[str, list[str]] = {str(k): [str(t) for t in v] for k, v in labels.items()}
        self.unsafe_threshold = float(options.get("unsafe_threshold", 0.6))
        self.controversial_threshold = float(options.get("controversial_threshold", 0.35))
        self._device = options.get("device")
        self._model: Any = None
        self._processor: Any = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._model is None:
                import torch
                from transformers import CLIPModel, CLIPProcessor

                from aigc_contest.generation.backends.diffusers_image import not_cached_message, offline_mode

                source = Path(self.source).expanduser()
                local = source.is_dir()
                where = str(source) if local else self.source
                device = self._device or ("cuda" if torch.cuda.is_available() else "cpu")
                try:
                    try:
                        processor = CLIPProcessor.from_pretrained(where, local_files_only=True)
                        model = CLIPModel.from_pretrained(where, local_files_only=True)
                    except (OSError, ValueError):
                        if local or offline_mode():
                            raise
                        processor = CLIPProcessor.from_pretrained(where)
                        model = CLIPModel.from_pretrained(where)
                except (OSError, ValueError) as exc:
                    if local:
                        raise GenerationError(f"guard {self.name!r}: cannot load {source}: {exc}") from None
                    raise GenerationError(not_cached_message(self.source, self.name)) from exc
                self._device = device
                self._model, self._processor = model.to(device).eval(), processor
            return self._model, self._processor

    def category_scores(self, image: Image.Image) -> dict[str, float]:
        """P(category) for one picture; "safe" included."""
        import torch

        model, processor = self._load()
        names = [(category, text) for category, texts in self.labels.items() for text in texts]
        inputs = processor(
            text=[text for _, text in names], images=[image.convert("RGB")], return_tensors="pt", padding=True
        ).to(self._device)
        with torch.inference_mode():
            probabilities = model(**inputs).logits_per_image.softmax(dim=-1)[0].tolist()
        scores: dict[str, float] = {}
        for (category, _), probability in zip(names, probabilities, strict=True):
            scores[category] = scores.get(category, 0.0) + float(probability)
        return scores

    def moderate_image(self, image: Image.Image) -> GuardVerdict:
        scores = self.category_scores(image)
        harmful = sorted(((p, c) for c, p in scores.items() if c != "safe"), reverse=True)
        score, category = harmful[0]
        raw = ", ".join(f"{c} {p:.2f}" for c, p in sorted(scores.items()))
        tier: Tier
        if score >= self.unsafe_threshold:
            tier = "unsafe"
        elif score >= self.controversial_threshold:
            tier = "controversial"
        else:
            return GuardVerdict(tier="safe", score=score, raw=raw, guard=self.name)
        return GuardVerdict(
            tier=tier, categories=[category], labels=[category], score=score, raw=raw, guard=self.name
        )
