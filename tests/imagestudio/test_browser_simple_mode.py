"""In a real browser, simple steps for a student who needs learning support.

With the keyboard only, in 繁體中文: from the entry page to the simple steps, an idea from picture cards
and the microphone (the browser's speech recognition, stubbed, hears Cantonese: zh-HK), pictures made by
a tiny random-weight model (the worker runs in this thread), one chosen, checked, "Are you sure?", sent.
Then axe-core finds no serious or critical WCAG 2 A/AA problem on any of the screens, in English, 繁體中文
and 简体中文. With AIGC_SCREENSHOTS=DIR the screens are saved there as small PNGs (docs/images holds the
ones the documentation shows: `AIGC_SCREENSHOTS=docs/images pytest tests/imagestudio/test_browser_simple_mode.py`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
LANGUAGES = {"en": "en", "zh-hant": "zh-Hant", "zh-hans": "zh-Hans"}
# The browser's speech recognition, stubbed: it "hears" window.__heard and records the language it was given.
RECOGNITION_STUB = """
window.__heard = "在公園";
window.__recognitions = [];
function FakeRecognition() { this.lang = ""; window.__recognitions.push(this); }
FakeRecognition.prototype.start = function () {
  var self = this;
  setTimeout(function () {
    var result = [{transcript: window.__heard}];
    result.isFinal = true;
    if (self.onresult) self.onresult({resultIndex: 0, results: [result]});
    if (self.onend) self.onend();
  }, 50);
};
FakeRecognition.prototype.stop = function () {};
window.SpeechRecognition = FakeRecognition;
window.webkitSpeechRecognition = FakeRecognition;
"""


def _sign_in(page: Any, base: str, user: Any) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw-12345678")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def _language(page: Any, base: str, code: str) -> None:
    """The site's language cookie (what its language switch sets), then the same screen again."""
    page.context.add_cookies([{"name": "django_language", "value": code, "url": base}])


def _tab_to(page: Any, test: str, limit: int = 120, *, back: bool = False) -> None:
    """Press Tab (Shift+Tab with `back`) until the focused element `e` passes the JavaScript test."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if page.evaluate(f"(() => {{ const e = document.activeElement; return !!(e && ({test})); }})()"):
            return
    raise AssertionError(f"the keyboard never reached {test}")


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("AIGC_SCREENSHOTS")
    if not folder:
        return
    from PIL import Image

    path = Path(folder) / f"sen-simple-{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
    with Image.open(path) as image:
        small = image.convert("RGB").resize((image.width * 2 // 3, image.height * 2 // 3), Image.LANCZOS)
    small.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def _wait_for_job(page: Any) -> Any:
    from aigc_contest.web.jobs import runner
    from aigc_contest.web.jobs.models import Job

    page.wait_for_url(re.compile(r"/simple/pictures/\d+/$"))
    job = Job.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    assert runner.run_available("gpu") == 1  # the worker, in this thread
    return job


def test_keyboard_only_picture_cards_voice_and_submission_in_traditional_chinese(
    live_server: Any, image_setup: Any, image_models: Any, jobs_in_process: Any, chromium_page: Any
) -> None:
    from playwright.sync_api import expect

    from aigc_contest.web.moderation.models import SafetyEvent

    page, base, entry = chromium_page, live_server.url, image_setup.entry
    page.set_viewport_size({"width": 960, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.add_init_script(RECOGNITION_STUB)
    _sign_in(page, base, image_setup.student)
    _language(page, base, "zh-hant")

    # from the entry page to the simple steps with the keyboard
    page.goto(f"{base}/entries/{entry.pk}/")
    assert page.evaluate("document.documentElement.lang") == "zh-Hant"
    _tab_to(page, "e.dataset.testid === 'simple-steps-link'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/simple/idea/$"))
    assert page.evaluate("document.activeElement.id") == "step-heading"  # the screen starts at its step
    expect(page.locator("[aria-current=step]")).to_have_count(1)
    _shot(page, "1-idea")

    # picture cards: who, doing what, feeling (Enter or Space)
    for word, key in (("一隻貓", "Enter"), ("看書", "Space")):
        _tab_to(page, f"e.dataset.word === '{word}'")
        page.keyboard.press(key)
    prompt = page.locator("#id_prompt")
    expect(prompt).to_have_value("一隻貓，看書")
    for target in (page.get_by_role("button", name="一隻貓", exact=True), page.locator("#make-button")):
        box = target.bounding_box()
        assert box["height"] >= 64 and box["width"] >= 64, box  # 64 px targets

    # the microphone: the browser hears Cantonese; the words are screened by the server, then added
    _tab_to(page, "e.classList.contains('voice-button')")
    page.keyboard.press("Enter")
    expect(prompt).to_have_value("一隻貓，看書，在公園")
    assert page.evaluate("window.__recognitions[0].lang") == "zh-HK"
    _shot(page, "2-voice")
    # unsafe words heard are refused kindly and never put in the box
    page.evaluate("window.__heard = 'a naked person'")
    _tab_to(page, "e.classList.contains('voice-button')")  # the words box has the focus now
    page.keyboard.press("Enter")
    status = page.locator(".voice-status")
    expect(status).to_have_class(re.compile(r"refusal"))
    expect(prompt).to_have_value("一隻貓，看書，在公園")
    assert "naked" not in status.inner_text()
    assert SafetyEvent.objects.filter(user=image_setup.student, outcome="refused").count() == 1

    _tab_to(page, "e.dataset.word === '開心'", back=True)
    page.keyboard.press("Enter")
    expect(prompt).to_have_value("一隻貓，看書，在公園，開心")
    _tab_to(page, "e.id === 'make-button'")
    page.keyboard.press("Enter")

    # the pictures: a waiting screen that follows by itself, then one big button per picture
    job = _wait_for_job(page)
    assert job.params["prompt"] == "一隻貓，看書，在公園，開心" and job.params["n"] == 2
    pick = page.locator("button.pick").nth(1)
    expect(pick).to_be_visible(timeout=20_000)
    _shot(page, "3-choose")
    _tab_to(page, "e.classList.contains('pick') && e.value")
    page.keyboard.press("Tab")  # the second picture
    page.keyboard.press("Enter")

    # check, then "Are you sure?", then sent
    page.wait_for_url(re.compile(r"/simple/check/$"))
    expect(page.locator(".simple-picture img")).to_be_visible()
    _shot(page, "4-check")
    _tab_to(page, "e.dataset.testid === 'send-link'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/simple/send/$"))
    entry.refresh_from_db()
    assert entry.status == "draft"  # nothing is sent before the child says yes
    _shot(page, "5-confirm")
    _tab_to(page, "e.dataset.testid === 'confirm-yes'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/simple/sent/$"))
    _shot(page, "6-sent")
    entry.refresh_from_db()
    assert entry.status == "submitted"
    version = entry.versions.get()
    assert (
        version.mime == "image/png" and version.meta["provenance"]["prompt"] == "一隻貓，看書，在公園，開心"
    )
    html = page.locator("main").inner_html()
    assert version.file_sha256[:16] not in html and "SHA" not in page.locator("main").inner_text()
    assert errors == []


@pytest.fixture
def axe_source() -> str:
    if not AXE.exists():
        message = f"axe-core is not installed at {AXE} (run `npm ci` in the project folder)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


def _audit(page: Any, axe_source: str, label: str) -> list[str]:
    page.wait_for_load_state("load")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)  # through the DevTools protocol: the page's CSP allows no inline script
    found = page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']},"
        " resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(' '))}))"
    )
    return [f"{label}: [{v['impact']}] {v['id']} - {v['help']} at {', '.join(v['targets'][:4])}"
            for v in found if v["impact"] in BLOCKING]  # fmt: skip


def test_simple_steps_have_no_serious_violations_in_three_languages(
    live_server: Any,
    image_setup: Any,
    image_models: Any,
    jobs_in_process: Any,
    chromium_page: Any,
    axe_source: str,
) -> None:
    page, base, entry = chromium_page, live_server.url, image_setup.entry
    page.add_init_script(RECOGNITION_STUB)
    _sign_in(page, base, image_setup.student)
    simple = f"{base}/studio/image/entries/{entry.pk}/simple"
    findings: list[str] = []

    def audit_all(label: str, url: str | None = None, then: str = "en") -> None:
        for code, html_lang in LANGUAGES.items():
            _language(page, base, code)
            page.goto(url or page.url)
            assert page.evaluate("document.documentElement.lang") == html_lang
            findings.extend(_audit(page, axe_source, f"{label} ({code})"))
        _language(page, base, then)

    audit_all("idea", f"{simple}/idea/")
    # a refused idea, the voice message, an empty idea
    for code in LANGUAGES:
        _language(page, base, code)
        page.goto(f"{simple}/idea/")
        page.evaluate("window.__heard = 'a naked person'")
        page.locator(".voice-button").click()
        page.locator(".voice-status.refusal").wait_for()
        findings.extend(_audit(page, axe_source, f"idea, voice refused ({code})"))
        page.locator("#make-button").click()
        page.wait_for_load_state()
        findings.extend(_audit(page, axe_source, f"idea, nothing written ({code})"))
        page.locator("#id_prompt").fill("a naked person")
        page.locator("#make-button").click()
        page.wait_for_load_state()
        assert page.locator("[data-testid=refusal]").is_visible()
        findings.extend(_audit(page, axe_source, f"idea, refused ({code})"))
    _language(page, base, "en")
    page.goto(f"{simple}/idea/")
    page.locator("#id_prompt").fill("a happy cat in the park")
    page.locator("#make-button").click()
    page.wait_for_url(re.compile(r"/simple/pictures/\d+/$"))
    pictures = page.url
    audit_all("waiting", pictures)
    _wait_for_job(page)
    audit_all("choose", pictures)
    page.locator("button.pick").first.click()
    page.wait_for_url(re.compile(r"/simple/check/$"))
    audit_all("check", f"{simple}/check/")
    audit_all("send: are you sure?", f"{simple}/send/")
    page.locator("[data-testid=confirm-yes]").click()
    page.wait_for_url(re.compile(r"/simple/sent/$"))
    audit_all("sent", f"{simple}/sent/")
    audit_all("take back: are you sure?", f"{simple}/take-back/")
    page.locator("[data-testid=confirm-yes]").click()
    page.wait_for_url(re.compile(r"/simple/check/$"))
    findings.extend(_audit(page, axe_source, "taken back (en)"))
    audit_all("full studio with the microphone", f"{base}/studio/image/entries/{entry.pk}/")
    if findings:
        pytest.fail(f"{len(findings)} serious or critical accessibility violations:\n" + "\n".join(findings),
                    pytrace=False)  # fmt: skip
