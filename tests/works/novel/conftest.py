"""Shared builders for the interactive-novel tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aigc_contest.works.novel import Novel

DATA = Path(__file__).parent / "data"


def make_novel(
    nodes: list[dict[str, Any]], start: str = "a", variables: dict[str, Any] | None = None, **extra: Any
) -> Novel:
    return Novel.model_validate({"start": start, "variables": variables or {}, "nodes": nodes, **extra})


@pytest.fixture
def gate_novel() -> Novel:
    """A clean story: the gate opens only after two acts of courage."""
    return make_novel(
        [
            {"id": "a", "title": "Gate", "text": "A locked gate.", "choices": [
                {"label": "Be brave", "target": "a", "sets": {"courage": "+1"}},
                {"label": "Open the gate", "target": "garden", "condition": "courage >= 2", "sets": {"name": "Mei"}},
                {"label": "Give up", "target": "home"},
            ]},
            {"id": "garden", "text": "Flowers!", "ending": "happy"},
            {"id": "home", "text": "Tea at home.", "ending": "neutral"},
        ],
        variables={"courage": {"type": "int", "initial": 0}, "name": {"type": "str", "initial": ""}},
        title="The Gate",
        author="Class 4B",
    )  # fmt: skip
