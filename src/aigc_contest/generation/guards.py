"""Guard models from the models file, attached to the safety policy every check uses.

A `kind = "guard"` entry is built by the registry like any backend (transformers / openai: Qwen3Guard-style text guards, openai with
`images = true`: an image-capable guard, clip: a CLIP zero-shot picture guard). `attach_guards` puts the
registry's first text guard and first picture guard on a SafetyPolicy (unless the policy already has its
own, or sets `use_guard = False`), so the keyword layer and the guard combine in safety.check_text /
check_image. Policies travel to workers as plain data without their guards; each process re-attaches its
own, keeping the guard loaded between jobs.
"""

from __future__ import annotations

import logging
from typing import Any

from aigc_contest.generation.registry import ModelRegistry, shared_registry
from aigc_contest.safety.policy import DEFAULT_POLICY, SafetyPolicy

logger = logging.getLogger(__name__)


def attach_guards(policy: SafetyPolicy | None, registry: ModelRegistry | None = None) -> SafetyPolicy | None:
    """`policy` (None: the platform default) with the models file's guards on it; unchanged without any.

    A guard that cannot be built (a missing key, a bad option) is logged and left off: the offline layers
    still screen, and `require_guard` refuses as "unchecked" if the policy asks for a guard."""

    base = policy or DEFAULT_POLICY
    if not base.use_guard:
        return policy
    try:
        registry = registry or shared_registry()
    except Exception:  # noqa: BLE001 - a broken models file is reported where models are used
        logger.exception("cannot read the models file for guard models")
        return policy
    changes: dict[str, Any] = {}
    for field, images in (("text_guard", False), ("image_guard", True)):
        if getattr(base, field) is not None:
            continue
        try:
            guard = registry.guard(images=images)
        except Exception:  # noqa: BLE001
            logger.exception("cannot build the %s guard", "picture" if images else "text")
            guard = None
        if guard is not None:
            changes[field] = guard
    return base.model_copy(update=changes) if changes else policy
