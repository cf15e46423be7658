"""Advisory metrics of a fine-tuning entry on the judge's page, where the models file names a CLIP-family
embedding model (`backend = "clip"`): prompt adherence of the LoRA's sample pictures and their similarity
to the (private) training set, from `aigc_contest.finetune.metrics`. Only the numbers reach the judge,
never a training picture. Computed on demand and kept in Django's cache by what they depend on (the
LoRA's hash, the pictures' hashes, the embedder); shown with the other model-based signal (relevance)."""

from __future__ import annotations

import hashlib
import io
import logging
from typing import Any

from django.core.cache import cache
from django.core.files.storage import default_storage

from aigc_contest.web.works import selectors as work_selectors

log = logging.getLogger(__name__)
CACHE_SECONDS = 24 * 3600
MAX_TRAINING = 200


def _picture(path: str) -> Any:
    from PIL import Image, UnidentifiedImageError

    try:
        with default_storage.open(path, "rb") as handle:
            image = Image.open(io.BytesIO(handle.read()))
            image.load()
        return image.convert("RGB")
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
        return None


def _clip_embedder() -> Any:
    from aigc_contest.generation.registry import RegistryError, shared_registry

    try:
        return shared_registry().embedder(images=True)
    except RegistryError as exc:
        log.warning("fine-tuning metrics: the models file cannot be read: %s", exc)
        return None


def _samples(work: Any, lora: dict[str, Any]) -> list[tuple[str, str]]:
    """(storage name, prompt) of the LoRA's sample pictures, else of the LoRA side of the judges' sheet."""
    found = [(str(s["path"]), str(s.get("prompt") or "")) for s in lora.get("samples") or []
             if isinstance(s, dict) and s.get("path")]  # fmt: skip
    if found:
        return found
    pairs, _waiting = work_selectors.comparison_pairs(work, str(lora.get("sha256") or ""))
    return [(pair.lora.file.name, pair.prompt) for pair in pairs]


def metrics_for(entry: Any) -> Any:
    """The entry's FinetuneMetrics, or None (no CLIP model, no LoRA, nothing to measure, or it failed)."""
    work = work_selectors.work_for(entry)
    document: dict[str, Any] = (work.document if work else None) or {}
    lora = document.get("lora")
    if work is None or not isinstance(lora, dict):
        return None
    embedder = _clip_embedder()
    if embedder is None:
        return None
    samples = _samples(work, lora)
    training = [str(i["path"]) for i in (document.get("images") or [])[:MAX_TRAINING] if i.get("path")]
    if not samples:
        return None
    digest = hashlib.sha256(repr((embedder.name, lora.get("sha256"), samples,
                                  [i.get("sha256") for i in document.get("images") or []])).encode()).hexdigest()  # fmt: skip
    key = f"finetune-metrics:{digest}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    from aigc_contest.finetune.metrics import advisory_metrics
    from aigc_contest.generation.types import GenerationError

    pictures = [(image, prompt) for path, prompt in samples if (image := _picture(path)) is not None]
    train = [image for path in training if (image := _picture(path)) is not None]
    try:
        result = advisory_metrics(embedder, pictures, train)
    except (GenerationError, ValueError, RuntimeError, OSError) as exc:
        log.warning("fine-tuning metrics of entry %s could not be computed: %s", entry.pk, exc)
        return None
    cache.set(key, result, CACHE_SECONDS)
    return result
