"""Speech to text: WAV checks and resampling, the `speech` kind in the models file, and a Whisper-family
model loaded with the real loading code (a tiny random one) transcribing espeak-ng speech."""

from __future__ import annotations

import io
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from aigc_contest.generation.registry import RegistryError, parse_registry
from aigc_contest.generation.speech import SAMPLE_RATE, AudioError, decode_wav, whisper_language


def _wav(seconds: float, rate: int = 22_050, channels: int = 1) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        t = np.arange(int(seconds * rate)) / rate
        tone = (np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2")
        writer.writeframes(np.repeat(tone, channels).tobytes())
    return buffer.getvalue()


def test_wav_is_resampled_to_16k_mono() -> None:
    samples = decode_wav(_wav(1.0, rate=44_100, channels=2))
    assert samples.dtype == np.float32 and abs(samples.size - SAMPLE_RATE) <= 1
    assert 0.2 < float(np.abs(samples).max()) < 0.3  # 8000 / 32768


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"RIFF....not audio", "not_wav"),
        (b"\0" * 64, "not_wav"),
        (_wav(0.05), "too_short"),
        (_wav(31.0, rate=8000), "too_long"),
    ],
)
def test_bad_audio_is_refused_with_a_reason(data: bytes, code: str) -> None:
    with pytest.raises(AudioError) as caught:
        decode_wav(data)
    assert caught.value.code == code


def test_too_big_is_refused_before_reading() -> None:
    with pytest.raises(AudioError) as caught:
        decode_wav(b"\0" * 100, max_bytes=99)
    assert caught.value.code == "too_big"


def test_page_speech_tags_map_to_whisper_languages() -> None:
    assert whisper_language("zh-HK", {"en", "zh", "yue"}) == "yue"
    assert whisper_language("zh-HK", {"en", "zh"}) == "zh"  # a model without Cantonese: Chinese
    assert whisper_language("zh-CN", {"en", "zh", "yue"}) == "zh"
    assert whisper_language("en", None) == "en"
    assert whisper_language("fr", {"en"}) is None


def test_speech_kind_in_the_models_file() -> None:
    registry = parse_registry(
        '[[models]]\nname = "whisper"\nkind = "speech"\nbackend = "transformers"\nid = "openai/whisper-small"\n'
    )
    assert registry.has_speech() and registry.names("speech") == ["whisper"]
    assert type(registry.speech()).__name__ == "WhisperSpeechBackend"
    assert parse_registry("").speech() is None
    with pytest.raises(RegistryError) as caught:
        parse_registry('[[models]]\nname = "w"\nkind = "speech"\nbackend = "openai"\nid = "whisper-1"\n')
    assert "speech model uses one of" in caught.value.details[0]


@pytest.mark.ml
@pytest.mark.parametrize(("voice", "words", "tag", "language"), [
    ("en", "A happy cat is reading a book in the park.", "en", "en"),
    ("yue", "一隻貓喺公園睇書", "zh-HK", "yue"),
    ("cmn", "一只猫在公园看书", "zh-CN", "zh"),
])  # fmt: skip
def test_whisper_backend_transcribes_espeak_speech(
    tiny_whisper: Path, espeak: Callable[[str, str], bytes], voice: str, words: str, tag: str, language: str
) -> None:
    registry = parse_registry(
        f'[[models]]\nname = "speech-tiny"\nkind = "speech"\nbackend = "transformers"\n'
        f'path = "{tiny_whisper.as_posix()}"\ntest_model = true\noptions = {{ device = "cpu", max_new_tokens = 12 }}\n'
    )
    backend = registry.speech()
    samples = decode_wav(espeak(words, voice))
    assert 0.5 < samples.size / SAMPLE_RATE < 10
    transcript = backend.transcribe(samples, tag)
    # random weights: the words are gibberish, but the real pipeline ran in the asked-for language
    assert isinstance(transcript.text, str) and transcript.text.strip()
    assert transcript.language == language and transcript.tokens > 0
    assert transcript.model == "speech-tiny" and transcript.is_test_model
    assert backend.languages() == {"en", "zh", "yue"}


@pytest.mark.ml
def test_missing_local_folder_is_a_clear_error(tmp_path: Path) -> None:
    from aigc_contest.generation.backends.speech_whisper import WhisperSpeechBackend
    from aigc_contest.generation.types import GenerationError

    backend = WhisperSpeechBackend("w", str(tmp_path))
    with pytest.raises(GenerationError, match="cannot load"):
        backend.transcribe(np.zeros(SAMPLE_RATE, dtype=np.float32), "en")
