"""In a real browser without speech recognition: the microphone records with MediaRecorder, the page turns
the recording into 16 kHz WAV itself, and the server's speech model (a tiny random-weight Whisper) writes
the words, which pass the safety layer before they reach the box. The microphone is a tone played into a
MediaStream (getUserMedia is replaced before the page's scripts), so no device is needed."""

from __future__ import annotations

import io
import re
import wave
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.ml, pytest.mark.django_db(transaction=True)]

FAKE_MICROPHONE = """
delete window.SpeechRecognition;
delete window.webkitSpeechRecognition;
Object.defineProperty(window, "webkitSpeechRecognition", {value: undefined, configurable: true});
navigator.mediaDevices.getUserMedia = function () {
  var context = new AudioContext();
  var tone = context.createOscillator();
  tone.frequency.value = 330;
  var out = context.createMediaStreamDestination();
  tone.connect(out);
  tone.start();
  return Promise.resolve(out.stream);
};
"""


def test_recording_goes_to_the_speech_model_and_is_screened(
    live_server: Any, speech_models_file: Path, make_school: Any, make_user: Any, chromium_page: Any,
    make_competition: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from playwright.sync_api import expect

    from aigc_contest.web.entries import services as entry_services
    from aigc_contest.web.voice import services

    heard: list[bytes] = []
    screened: list[str] = []
    real_transcribe, real_check = services.transcribe_recording, services.check_text

    def keep_recording(user: Any, data: bytes, language: str | None) -> Any:
        heard.append(data)
        return real_transcribe(user, data, language)

    def spy(text: str, policy: Any = None) -> Any:
        screened.append(text)
        return real_check(text, policy)

    monkeypatch.setattr(services, "transcribe_recording", keep_recording)
    monkeypatch.setattr(services, "check_text", spy)
    # an image model entry too, so the studio shows its form (its weights are never loaded)
    speech_models_file.write_text(
        speech_models_file.read_text(encoding="utf-8")
        + '\n[[models]]\nname = "image-tiny"\nkind = "image"\nbackend = "diffusers"\npath = "unused"\n',
        encoding="utf-8",
    )
    _, category, _ = make_competition("sen-comp", levels=("sen",), work_types=("image",), any_theme=True)
    school = make_school("sen-school", "sen")
    teacher, student = make_user("teacher.s", "teacher", school), make_user("mei", "student", school)
    team = entry_services.create_team(teacher, category, name="Stars", members=[student])
    entry = entry_services.start_entry(student, team, title="My happy place", work_type="image")

    page = chromium_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.add_init_script(FAKE_MICROPHONE)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "mei")
    page.fill("#id_password", "pw-12345678")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/studio/image/entries/{entry.pk}/")
    assert page.evaluate("!window.SpeechRecognition && !window.webkitSpeechRecognition")
    button = page.locator("[data-testid=voice-id_prompt] .voice-button")
    expect(button).to_be_visible()
    button.focus()
    page.keyboard.press("Enter")  # start recording
    expect(button).to_have_attribute("data-listening", "true")
    page.wait_for_timeout(1200)
    page.keyboard.press("Enter")  # "Stop, I have finished"
    status = page.locator("[data-testid=voice-id_prompt] .voice-status")
    expect(status).not_to_have_text("")
    expect(status).not_to_have_text(re.compile("…"), timeout=20_000)  # neither listening nor working any more

    assert len(heard) == 1
    with wave.open(io.BytesIO(heard[0])) as recording:  # what the page made of the MediaRecorder recording
        assert (recording.getframerate(), recording.getnchannels(), recording.getsampwidth()) == (
            16_000,
            1,
            2,
        )
        assert 0.5 < recording.getnframes() / 16_000 < 5
    assert len(screened) == 1  # the model's (gibberish) words went through the safety layer
    value = page.locator("#id_prompt").input_value()
    assert value == screened[0] or "refusal" in (status.get_attribute("class") or "")
    assert errors == []
