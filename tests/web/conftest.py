"""Shared fixtures for the web tests: fast password hashing, media in a temp folder, demo data, a browser."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


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
    from aigc_contest.web.core.demo import load_demo

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


@pytest.fixture
def chromium_page() -> Iterator[Any]:
    """A fresh page in Debian's Chromium, driven by Playwright's sync API.

    The sync API runs an asyncio loop in this thread, which makes Django refuse ORM calls from the test
    ("async context") unless DJANGO_ALLOW_ASYNC_UNSAFE is set; it is set only while the browser runs.
    """
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_api.sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="en-GB")
        context.set_default_timeout(10_000)
        page = context.new_page()
        yield page
        context.close()
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
