"""Shared fixtures for the web tests: fast password hashing, media in a temp folder, demo data, a browser."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def fast_hashing(settings: Any) -> None:
    # PBKDF2 with Django's default iterations costs ~0.3 s per password on a small machine; the demo alone
    # sets fifteen. What is tested here is the product's flow, not the hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Uploaded files go to a temp folder, never into the working tree's data folder."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def demo(fast_hashing: None, media_root: Path, settings: Any) -> list[Any]:
    """Both reference competitions with their schools, people and sample entries (submission open now)."""
    from aigc_contest.web.demo import load_demo

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return load_demo()


@pytest.fixture
def png_bytes() -> bytes:
    """A small real PNG drawn with Pillow."""
    from PIL import Image, ImageDraw

    size, colour = 96, (200, 80, 40)
    image = Image.new("RGB", (size, size), colour)
    ImageDraw.Draw(image).ellipse((size // 4, size // 4, 3 * size // 4, 3 * size // 4), fill=(30, 120, 220))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


