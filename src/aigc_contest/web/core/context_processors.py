from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest

logger = logging.getLogger(__name__)


def site(request: HttpRequest) -> dict[str, Any]:
    return {"site_name": "aigc-contest", "test_models": _test_models_in_use()}


def _test_models_in_use() -> list[str]:
    """Names of configured random-weight test models: every page says their output is not real."""
    try:
        from aigc_contest.generation.registry import shared_registry

        registry = shared_registry()
        return [name for name in registry.names() if registry.get(name).test_model]
    except Exception:  # noqa: BLE001 - a broken models file must not break every page; `check` reports it
        logger.warning("could not read the models file", exc_info=True)
        return []
