"""Fixtures; plain helpers live in storybook_helpers.py (a unique module name)."""

from __future__ import annotations

from pathlib import Path

import pytest
from storybook_helpers import build_book

from aigc_contest.works.storybook.model import Storybook, save_book


@pytest.fixture
def book() -> Storybook:
    return build_book()


@pytest.fixture(scope="session")
def book_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved book folder (book.json + assets/), shared by the export tests."""
    folder = tmp_path_factory.mktemp("book")
    save_book(build_book(), folder)
    return folder
