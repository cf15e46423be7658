"""Shared builders for the interactive-novel tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aigc_contest.works.novel import Novel

DATA = Path(__file__).parent / "data"


def make_novel(
    nodes: list[dict[str, Any]], start: str = "a", variables: dict[str, Any] | None = None, **extra: Any
) -> Novel:
    return Novel.model_validate({"start": start, "variables": variables or {}, "nodes": nodes, **extra})


