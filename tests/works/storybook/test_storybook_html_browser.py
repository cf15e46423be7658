"""The self-contained HTML book in Debian's Chromium: navigation, read-aloud language, nothing injected."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aigc_contest.works.storybook.export import export_book
from aigc_contest.works.storybook.model import load_book

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]

# Record speech and alerts instead of making sound or dialogs.
SPY = """
window.__alerts = [];
window.alert = function (m) { window.__alerts.push(String(m)); };
window.__spoken = [];
if (window.speechSynthesis) {
  window.speechSynthesis.speak = function (u) { window.__spoken.push([u.lang, u.text]); };
}
"""


@pytest.mark.browser
def test_reader_navigates_and_reads_aloud_in_the_book_language(book_folder: Path, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed")
    book, base = load_book(book_folder)
    out = export_book(book, base, "html", tmp_path / "book.html")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.add_init_script(SPY)
        page.goto(out.as_uri())
        total = len(book.pages) + 1
        assert page.locator("#counter").inner_text() == f"1 / {total}"
        assert page.locator(".sheet.current").get_attribute("id") == "cover"
        page.click("#next")
        page.click("#next")
        assert page.locator(".sheet.current").get_attribute("id") == "page-p2"
        assert page.locator("#counter").inner_text() == f"3 / {total}"
        assert page.locator(".sheet:visible").count() == 1
        page.keyboard.press("ArrowLeft")
        assert page.locator(".sheet.current").get_attribute("id") == "page-p1"
        page.click("#speak")
        spoken = page.evaluate("window.__spoken")
        assert spoken and spoken[0][0] == "zh-HK" and "繁體字" in spoken[0][1]
        page.click("#next")  # the page with <script> and <img onerror> as text
        assert "<script>alert(1)</script>" in page.locator(".sheet.current").inner_text()
        assert page.locator(".sheet.current img[onerror]").count() == 0
        assert page.evaluate("window.__alerts") == []
        assert errors == []  # includes Content-Security-Policy violations
        browser.close()
