"""A CLIP-family embedder: pictures and short texts in one space (for a picture's relevance to a theme).

`CLIPModel` / `CLIPProcessor.from_pretrained` on a hub id or a folder (`openai/clip-vit-base-patch32`;
a Chinese CLIP checkpoint for Chinese themes). Vectors are L2-normalised, so a dot product is the cosine.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from aigc_contest.generation.backends.hf_loading import load_pretrained, pick_device

if TYPE_CHECKING:
    from PIL import Image

logger = logging.getLogger(__name__)
_KNOWN_OPTIONS = {"device", "batch_size"}


class ClipEmbedder:
    sees_images = True

    def __init__(self, name: str, source: str, *, is_test_model: bool = False, **options: Any) -> None:
        unknown = set(options) - _KNOWN_OPTIONS
        if unknown:
            logger.warning("embedder %s: ignoring unknown option(s) %s", name, ", ".join(sorted(unknown)))
        self.name = name
        self.source = source
        self.is_test_model = is_test_model
        self.batch_size = int(options.get("batch_size", 16))
        self._device: str | None = options.get("device")
        self._model: Any = None
        self._processor: Any = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._model is None:
                from transformers import CLIPModel, CLIPProcessor

                processor = load_pretrained(CLIPProcessor, self.source, self.name)
                model = load_pretrained(CLIPModel, self.source, self.name)
                self._device = pick_device(self._device)
                self._model, self._processor = model.to(self._device).eval(), processor
            return self._model, self._processor

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        import torch

        model, processor = self._load()
        rows = []
        for start in range(0, len(texts), self.batch_size):
            inputs = processor(
                text=texts[start : start + self.batch_size],
                return_tensors="pt",
                padding=True,
                truncation=True,
            ).to(self._device)
            with torch.inference_mode():
                features = _as_tensor(model.get_text_features(**inputs))
            rows.append(torch.nn.functional.normalize(features.float(), dim=-1).cpu().numpy())
        return np.concatenate(rows).astype(np.float32) if rows else np.zeros((0, 0), dtype=np.float32)

    def embed_images(self, images: list[Image.Image]) -> np.ndarray:
        import torch

        model, processor = self._load()
        rows = []
        for start in range(0, len(images), self.batch_size):
            batch = [image.convert("RGB") for image in images[start : start + self.batch_size]]
            inputs = processor(images=batch, return_tensors="pt").to(self._device)
            with torch.inference_mode():
                features = _as_tensor(model.get_image_features(**inputs))
            rows.append(torch.nn.functional.normalize(features.float(), dim=-1).cpu().numpy())
        return np.concatenate(rows).astype(np.float32) if rows else np.zeros((0, 0), dtype=np.float32)


def _as_tensor(output: Any) -> Any:
    """transformers 5 may return a model output object where 4.x returned the tensor."""
    if hasattr(output, "pooler_output") and not hasattr(output, "shape"):
        return output.pooler_output
    return output
