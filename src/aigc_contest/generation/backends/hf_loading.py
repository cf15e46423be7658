"""Loading a transformers component from a hub id or a local folder, offline first.

The order every local backend follows: the local folder (or the hub cache) with `local_files_only`, then
the hub unless `HF_HUB_OFFLINE` is set; a clear message when the weights are nowhere to be had.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aigc_contest.generation.types import GenerationError


def load_pretrained(loader: Any, source: str, name: str, **kwargs: Any) -> Any:
    """`loader.from_pretrained(source)` (e.g. `CLIPModel`), offline first; GenerationError when it fails."""
    from aigc_contest.generation.backends.diffusers_image import not_cached_message, offline_mode

    folder = Path(source).expanduser()
    local = folder.is_dir()
    where = str(folder) if local else source
    try:
        try:
            return loader.from_pretrained(where, local_files_only=True, **kwargs)
        except (OSError, ValueError):
            if local or offline_mode():
                raise
            return loader.from_pretrained(where, **kwargs)
    except (OSError, ValueError) as exc:
        if local:
            raise GenerationError(f"model {name!r}: cannot load {folder}: {exc}") from None
        raise GenerationError(not_cached_message(source, name)) from exc


def pick_device(requested: str | None) -> str:
    import torch

    return requested or ("cuda" if torch.cuda.is_available() else "cpu")
