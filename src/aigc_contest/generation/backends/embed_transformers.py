"""A text embedder run locally with transformers: mean-pooled, L2-normalised sentence vectors.

`AutoTokenizer` / `AutoModel.from_pretrained` on a hub id or a folder (a multilingual sentence encoder
such as `sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2` or `BAAI/bge-m3`); the token vectors
of the last layer are averaged over the attention mask, as those models are trained to be used. Chinese
(Traditional and Simplified) and English texts land in one space, so a theme written in one language can
be compared with a story written in another.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np

from aigc_contest.generation.backends.hf_loading import load_pretrained, pick_device

logger = logging.getLogger(__name__)
_KNOWN_OPTIONS = {"device", "max_length", "batch_size"}


class TransformersTextEmbedder:
    sees_images = False

    def __init__(self, name: str, source: str, *, is_test_model: bool = False, **options: Any) -> None:
        unknown = set(options) - _KNOWN_OPTIONS
        if unknown:
            logger.warning("embedder %s: ignoring unknown option(s) %s", name, ", ".join(sorted(unknown)))
        self.name = name
        self.source = source
        self.is_test_model = is_test_model
        self.max_length = int(options.get("max_length", 512))
        self.batch_size = int(options.get("batch_size", 16))
        self._device: str | None = options.get("device")
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._model is None:
                from transformers import AutoModel, AutoTokenizer

                tokenizer = load_pretrained(AutoTokenizer, self.source, self.name)
                model = load_pretrained(AutoModel, self.source, self.name)
                self._device = pick_device(self._device)
                self._model, self._tokenizer = model.to(self._device).eval(), tokenizer
            return self._model, self._tokenizer

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """One unit-length row per text."""
        import torch

        model, tokenizer = self._load()
        rows: list[np.ndarray] = []
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            inputs = tokenizer(
                batch, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
            ).to(self._device)
            with torch.inference_mode():
                hidden = model(**inputs).last_hidden_state
            mask = inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
            rows.append(torch.nn.functional.normalize(pooled.float(), dim=-1).cpu().numpy())
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return np.concatenate(rows).astype(np.float32)
