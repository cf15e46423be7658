"""In a real browser, in 繁體中文: a child builds a prompt from picture cards with the keyboard only, and the
page reads aloud with a Cantonese voice (a Mandarin one on 简体 pages, English otherwise). The speech
engine is a stub put in before the page's scripts, so the test sees each utterance's text, lang and voice."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SPEECH_STUB = """
window.__spoken = [];
window.__voices = [{lang: "en-GB", name: "English voice"}, {lang: "zh-CN", name: "Mandarin voice"},
                   {lang: "zh-HK", name: "Cantonese voice"}];
Object.defineProperty(window, "speechSynthesis", {configurable: true, value: {
  speaking: false, pending: false,
  getVoices: function () { return window.__voices; },
  speak: function (u) { window.__spoken.push({text: u.text, lang: u.lang, voice: u.voice ? u.voice.name : null}); },
  cancel: function () {}, addEventListener: function () {}
}});
window.SpeechSynthesisUtterance = function (text) { this.text = text; this.lang = ""; this.voice = null; };
"""

MODELS_TOML = """
[[models]]
name = "image-tiny"
kind = "image"
backend = "diffusers"
path = "{folder}/image"
languages = ["en", "zh-Hans", "zh-Hant"]
test_model = true
defaults = {{ steps = 2, guidance = 5.0, size = "64x64", scheduler = "euler" }}
"""


@pytest.fixture
def listed_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A model in the list whose weights are never loaded: the page only reads the list."""
    models = tmp_path / "models.toml"
    models.write_text(MODELS_TOML.format(folder=tmp_path.as_posix()), encoding="utf-8")
    monkeypatch.setenv("AIGC_MODELS_FILE", str(models))


def _switch_language(page: Any, code: str) -> None:
    """The site's language switch (it keeps the choice in a cookie and comes back to this page)."""
    page.locator("#language-select").select_option(code)
    page.locator("form.lang-switch button[type=submit]").click()
    page.wait_for_load_state()


def _spoken(page: Any) -> list[dict[str, Any]]:
    return page.evaluate("window.__spoken.splice(0)")  # type: ignore[no-any-return]


def test_keyboard_picture_cards_and_cantonese_read_aloud(
    live_server: Any, image_setup: Any, listed_model: None, chromium_page: Any
) -> None:
    from playwright.sync_api import expect

    page = chromium_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.add_init_script(SPEECH_STUB)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", image_setup.student.username)
    page.fill("#id_password", "pw-12345678")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/studio/image/entries/{image_setup.entry.pk}/")
    _switch_language(page, "zh-hant")
    assert page.evaluate("document.documentElement.lang") == "zh-Hant"

    # keyboard only: from the prompt box, Tab to the cards; Enter or Space adds the card's word
    prompt = page.locator("#id_prompt")
    prompt.focus()
    for _ in range(4):  # the microphone (where the browser hears speech), "Hear my words", "Clear my words"
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.word"):
            break  # the first card
    assert page.evaluate("document.activeElement.dataset.word") == "一隻貓"
    page.keyboard.press("Enter")
    for word, key in (("看書", "Space"), ("在公園", "Enter"), ("開心", "Space")):
        for _ in range(8):  # to the first card of the next group
            page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.dataset.word") == word
        page.keyboard.press(key)
    expect(prompt).to_have_value("一隻貓，看書，在公園，開心")
    expect(prompt).to_have_attribute("lang", "zh-Hant")
    cat = page.get_by_role("button", name="一隻貓", exact=True)
    expect(cat).to_be_visible()
    assert cat.bounding_box()["height"] >= 48
    assert page.evaluate(
        "getComputedStyle(document.querySelector('.picture-card .emoji')).fontFamily"
    ).startswith('"Noto Color Emoji"')

    # read aloud: instructions, the prompt, in Cantonese
    _spoken(page)
    page.locator("#read-aloud").click()
    said = _spoken(page)
    assert said[-1]["lang"] == "zh-HK" and said[-1]["voice"] == "Cantonese voice" and "寫" in said[-1]["text"]
    page.locator("button.speak[data-speak-from=id_prompt]").click()
    assert _spoken(page)[-1] == {
        "text": "一隻貓，看書，在公園，開心",
        "lang": "zh-HK",
        "voice": "Cantonese voice",
    }
    expect(page.locator("#voice-note")).to_be_hidden()

    # the "read aloud" switch: buttons are named when reached, and the choice is kept on this device
    cat.focus()
    assert _spoken(page) == []
    switch = page.get_by_role("switch")
    switch.focus()
    page.keyboard.press("Space")
    expect(switch).to_be_checked()
    cat.focus()
    assert _spoken(page)[-1] == {"text": "一隻貓", "lang": "zh-HK", "voice": "Cantonese voice"}
    page.reload()
    expect(page.get_by_role("switch")).to_be_checked()

    # no Cantonese voice on this device: another Chinese voice, and the child is told
    page.evaluate("window.__voices = [{lang: 'zh-CN', name: 'Mandarin voice'}]")
    page.locator("#read-aloud").click()
    last = _spoken(page)[-1]
    assert last["lang"] == "zh-HK" and last["voice"] == "Mandarin voice"
    expect(page.locator("#voice-note")).to_be_visible()
    expect(page.locator("#voice-note")).to_contain_text(re.compile(r"\S"))

    # 简体 pages read in Mandarin, English pages in English
    for language, tag, voice in (("zh-hans", "zh-CN", "Mandarin voice"), ("en", "en", "English voice")):
        _switch_language(page, language)
        page.locator("#read-aloud").click()
        last = _spoken(page)[-1]
        assert (last["lang"], last["voice"]) == (tag, voice)
    assert errors == []
