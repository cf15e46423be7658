"""Fixtures; plain helpers live in novel_helpers.py (a unique module name)."""

from __future__ import annotations

import pytest
from novel_helpers import make_novel

from aigc_contest.works.novel import Novel


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
