"""Speech to text: the audio a page records, checked and turned into the samples a speech model reads.

The browser records with MediaRecorder, decodes its own recording and sends 16-bit PCM WAV (mono, any
rate), so the server needs no audio library: `decode_wav` reads it with the standard library, refuses
what is too big, too long, silent-empty or not WAV, and resamples to the 16 kHz a Whisper-family model
expects. `whisper_language` maps the page's speech tag (zh-HK Cantonese, zh-CN Mandarin, en) onto the
model's language names. Pure Python and numpy; the models themselves are in generation/backends.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from typing import Any

import numpy as np

from aigc_contest.generation.types import GenerationError

SAMPLE_RATE = 16_000
MAX_AUDIO_BYTES = 2 * 1024 * 1024  # 30 s of 16 kHz 16-bit mono is under 1 MiB
MAX_SECONDS = 30.0
MIN_SECONDS = 0.2
SPEECH_LANGUAGES = ("zh-HK", "zh-CN", "en")


class AudioError(GenerationError):
    """Audio the server will not transcribe; `code` says why (too_big, too_long, too_short, not_wav)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str | None  # the language the model was asked for (None: it chose)
    seconds: float  # length of the audio
    tokens: int  # tokens the model generated
    model: str
    is_test_model: bool = False


def decode_wav(
    data: bytes, *, max_bytes: int = MAX_AUDIO_BYTES, max_seconds: float = MAX_SECONDS
) -> np.ndarray:
    """Mono float32 samples at SAMPLE_RATE from PCM WAV bytes (8/16/32-bit, any rate, any channels)."""
    if len(data) > max_bytes:
        raise AudioError(f"the recording is {len(data)} bytes; the most is {max_bytes}", "too_big")
    try:
        with wave.open(io.BytesIO(data)) as reader:
            channels, width, rate = reader.getnchannels(), reader.getsampwidth(), reader.getframerate()
            frames = reader.getnframes()
            if rate <= 0 or channels <= 0:
                raise AudioError("the recording has no sample rate", "not_wav")
            if frames / rate > max_seconds:
                raise AudioError(
                    f"the recording is {frames / rate:.1f} s; the most is {max_seconds:g} s", "too_long"
                )
            raw = reader.readframes(frames)
    except (wave.Error, EOFError) as exc:
        raise AudioError(f"not a PCM WAV recording ({exc})", "not_wav") from None
    dtype: Any = {1: np.uint8, 2: "<i2", 4: "<i4"}.get(width)
    if dtype is None:
        raise AudioError(f"{width * 8}-bit samples are not supported (use 16-bit PCM)", "not_wav")
    samples = np.frombuffer(raw[: len(raw) - len(raw) % (width * channels)], dtype=dtype).astype(np.float32)
    if width == 1:
        samples = (samples - 128.0) / 128.0
    else:
        samples /= float(2 ** (8 * width - 1))
    samples = samples.reshape(-1, channels).mean(axis=1)
    if samples.size / rate < MIN_SECONDS:
        raise AudioError("the recording is too short to hold any words", "too_short")
    return resample(samples, rate)


def resample(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Linear resampling: enough for speech recognition, which looks at 80 mel bands below 8 kHz."""
    if rate == target:
        return samples.astype(np.float32, copy=False)
    count = int(round(samples.size * target / rate))
    positions = np.arange(count, dtype=np.float64) * (rate / target)
    return np.interp(positions, np.arange(samples.size), samples).astype(np.float32)


def whisper_language(tag: str | None, known: set[str] | None = None) -> str | None:
    """The Whisper language for a speech tag: zh-HK -> Cantonese ("yue", where the model knows it, else
    "zh"), zh-CN / zh -> "zh", en -> "en". `known`: the model's languages (None: any)."""
    tag = (tag or "").replace("_", "-").lower()
    if tag in {"zh-hk", "zh-mo", "yue", "zh-hant"}:
        wanted = ["yue", "zh"]
    elif tag.startswith("zh") or tag == "cmn":
        wanted = ["zh"]
    elif tag.startswith("en"):
        wanted = ["en"]
    else:
        return None
    for language in wanted:
        if known is None or language in known:
            return language
    return None
