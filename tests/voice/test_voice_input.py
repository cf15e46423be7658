"""Voice input's endpoint and button: the words a child said are screened like typed text before the page
shows them (refusals recorded, kindly worded, the words never echoed), recordings are limited in size and
length, and the recording path is offered only when a speech model is configured."""

from __future__ import annotations

import io
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.django_db

URL = "/voice/transcribe/"


def _wav(seconds: float, rate: int = 16_000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes((np.sin(np.arange(int(seconds * rate)) / 8) * 5000).astype("<i2").tobytes())
    return buffer.getvalue()


def _audio(data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("speech.wav", data, content_type="audio/wav")


@pytest.fixture
def student(make_school: Any, make_user: Any) -> Any:
    return make_user("mei", "student", make_school("sen-school", "sen"), needs_support=True)


@pytest.fixture
def no_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIGC_MODELS_FILE", raising=False)


def test_browser_words_are_screened_then_returned(client: Any, student: Any, no_models: None) -> None:
    client.force_login(student)
    answer = client.post(URL, {"text": "  a happy cat   reading a book ", "lang": "en"})
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "text": "a happy cat reading a book", "message": ""}


def test_unsafe_words_are_refused_kindly_and_recorded(client: Any, student: Any, no_models: None) -> None:
    from aigc_contest.web.moderation.models import SafetyEvent

    client.force_login(student)
    answer = client.post(URL, {"text": "a naked person", "lang": "zh-HK"}, HTTP_ACCEPT_LANGUAGE="zh-hant")
    body = answer.json()
    assert answer.status_code == 200 and body["status"] == "refused" and body["text"] == ""
    assert body["message"] and "naked" not in body["message"]
    event = SafetyEvent.objects.get()
    assert event.user == student and event.where == "prompt" and event.outcome == "refused"


def test_nothing_heard_says_so(client: Any, student: Any, no_models: None) -> None:
    client.force_login(student)
    body = client.post(URL, {"text": "   "}).json()
    assert body["status"] == "empty" and "did not hear" in body["message"]


def test_recording_without_a_speech_model_is_unavailable(client: Any, student: Any, no_models: None) -> None:
    client.force_login(student)
    answer = client.post(URL, {"audio": _audio(_wav(1.0)), "lang": "en"})
    assert answer.status_code == 503 and answer.json()["status"] == "unavailable"
    assert "type them" in answer.json()["message"]


def test_only_signed_in_students_and_teachers(client: Any, make_user: Any, student: Any) -> None:
    assert client.post(URL, {"text": "a cat"}).status_code == 302  # to the sign-in page
    client.force_login(make_user("judy", "judge"))
    assert client.post(URL, {"text": "a cat"}).status_code == 403
    client.force_login(student)
    assert client.get(URL).status_code == 405


def test_page_has_the_button_and_offers_recording_only_with_a_model(
    client: Any, student: Any, make_competition: Any, make_user: Any, no_models: None,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:  # fmt: skip
    from aigc_contest.web.entries import services

    _, category, _ = make_competition("sen-comp", levels=("sen",), work_types=("image",), any_theme=True)
    teacher = make_user("teacher.s", "teacher", student.school)
    team = services.create_team(teacher, category, name="Stars", members=[student])
    entry = services.start_entry(student, team, title="My happy place", work_type="image")
    models = tmp_path / "models.toml"
    image = '[[models]]\nname = "image-tiny"\nkind = "image"\nbackend = "diffusers"\npath = "x"\n'
    models.write_text(image, encoding="utf-8")
    monkeypatch.setenv("AIGC_MODELS_FILE", str(models))
    client.force_login(student)
    page = client.get(f"/studio/image/entries/{entry.pk}/").content.decode()
    assert 'data-target="id_prompt"' in page and 'data-server=""' in page and "js/voice_input.js" in page
    models.write_text(image + '\n[[models]]\nname = "w"\nkind = "speech"\nbackend = "transformers"\npath = "y"\n',
                      encoding="utf-8")  # fmt: skip
    page = client.get(f"/studio/image/entries/{entry.pk}/").content.decode()
    assert 'data-server="yes"' in page


@pytest.mark.parametrize(
    ("data", "status", "word"),
    [
        (_wav(31.0, rate=8000), 413, "too long"),
        (b"not a recording at all", 400, "could not be read"),
        (_wav(0.05), 200, "did not hear"),
    ],
)
@pytest.mark.ml
def test_bad_recordings_are_refused_with_a_clear_message(
    client: Any, student: Any, speech_models_file: Path, data: bytes, status: int, word: str
) -> None:
    client.force_login(student)
    answer = client.post(URL, {"audio": _audio(data), "lang": "en"})
    assert answer.status_code == status and word in answer.json()["message"]


def test_oversized_upload_is_refused_from_its_length(client: Any, student: Any, no_models: None) -> None:
    from aigc_contest.generation.speech import MAX_AUDIO_BYTES

    client.force_login(student)
    answer = client.post(URL, {"audio": _audio(b"\0" * (MAX_AUDIO_BYTES + 100_000))})
    assert answer.status_code == 413 and "too long" in answer.json()["message"]


@pytest.mark.ml
@pytest.mark.parametrize(
    ("voice", "words", "tag"), [("yue", "一隻貓喺公園睇書", "zh-HK"), ("en", "a cat in the park", "en")]
)
def test_spoken_recording_is_transcribed_and_screened(
    client: Any, student: Any, speech_models_file: Path, espeak: Callable[[str, str], bytes],
    monkeypatch: pytest.MonkeyPatch, voice: str, words: str, tag: str,
) -> None:  # fmt: skip
    from aigc_contest.web.voice import services

    screened: list[str] = []
    real_check = services.check_text

    def spy(text: str, policy: Any = None) -> Any:
        screened.append(text)
        return real_check(text, policy)

    monkeypatch.setattr(services, "check_text", spy)
    client.force_login(student)
    answer = client.post(URL, {"audio": _audio(espeak(words, voice)), "lang": tag})
    body = answer.json()
    # random weights: gibberish words, but the real model ran and its words went through the safety layer
    assert answer.status_code == 200 and body["status"] in {"ok", "refused"}, body
    assert len(screened) == 1 and screened[0].strip()
    if body["status"] == "ok":
        assert body["text"] == screened[0]


@pytest.mark.ml
def test_unsafe_transcript_is_refused(
    client: Any, student: Any, speech_models_file: Path, espeak: Callable[[str, str], bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from aigc_contest.generation.backends.speech_whisper import WhisperSpeechBackend
    from aigc_contest.web.moderation.models import SafetyEvent

    real = WhisperSpeechBackend.transcribe

    def heard_unsafe(self: Any, samples: Any, language: str | None = None) -> Any:
        transcript = real(self, samples, language)  # the model runs; then it "hears" unsafe words
        return type(transcript)(**{**transcript.__dict__, "text": "a naked person"})

    monkeypatch.setattr(WhisperSpeechBackend, "transcribe", heard_unsafe)
    client.force_login(student)
    body = client.post(URL, {"audio": _audio(espeak("hello", "en")), "lang": "en"}).json()
    assert body["status"] == "refused" and body["text"] == "" and "naked" not in body["message"]
    assert SafetyEvent.objects.filter(user=student, outcome="refused").count() == 1
