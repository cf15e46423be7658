"""Voice input: a child's spoken words become text in a prompt box, screened like typed text first.

Two ways in, one way out. Where the browser recognises speech itself, the page sends the words it heard;
elsewhere it sends the recording (16-bit PCM WAV, made in the browser from its MediaRecorder recording)
and the models file's speech model transcribes it. Either way the text passes the safety layer with the
child's school settings before the page shows it: a refusal is recorded for the teachers (like a typed
prompt) and the child reads a kind message, never the words that were blocked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from aigc_contest.generation.registry import RegistryError, shared_registry
from aigc_contest.generation.speech import (
    MAX_AUDIO_BYTES,
    MAX_SECONDS,
    SPEECH_LANGUAGES,
    AudioError,
    decode_wav,
)
from aigc_contest.generation.types import GenerationError
from aigc_contest.safety import check_text
from aigc_contest.web.moderation import selectors as moderation_selectors
from aigc_contest.web.moderation.models import SafetyEvent
from aigc_contest.web.moderation.services import record_verdict

logger = logging.getLogger(__name__)
TEXT_MAX = 1000
Status = Literal["ok", "refused", "empty", "error", "unavailable"]


@dataclass(frozen=True)
class VoiceResult:
    status: Status
    text: str = ""  # only when the words passed the safety layer
    message: str = ""  # what the child reads when there are no words to show
    http_status: int = 200

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "text": self.text, "message": self.message}


def speech_model_configured() -> bool:
    """Whether the models file has a speech model (the recording path is offered only then)."""
    try:
        return shared_registry().has_speech()
    except RegistryError:
        return False


def speech_tag(requested: str | None) -> str:
    """The speech tag for the request: the page's own (zh-HK, zh-CN, en), else from the page language."""
    if requested in SPEECH_LANGUAGES:
        return requested
    code = (get_language() or "en").lower()
    if code.startswith("zh"):
        return "zh-CN" if code in {"zh-hans", "zh-cn", "zh-sg"} else "zh-HK"
    return "en"


def screen_words(user: Any, text: str) -> VoiceResult:
    """The heard words, if the safety layer lets them through; else a kind message (and an audit event)."""
    text = " ".join((text or "").split())
    if not text:
        return VoiceResult("empty", message=_("I did not hear any words. Please try again."))
    if len(text) > TEXT_MAX:
        return VoiceResult("error", message=_("That was a lot of words. Please say your idea in a shorter way."),
                           http_status=400)  # fmt: skip
    verdict = check_text(text, moderation_selectors.policy_for(user))
    record_verdict(user, SafetyEvent.Where.PROMPT, verdict, text)
    if not verdict.allowed:
        return VoiceResult("refused", message=verdict.message(get_language() or "en"))
    return VoiceResult("ok", text=text)


def audio_refusal(code: str) -> VoiceResult:
    """The kind message for a recording the server will not transcribe (AudioError's codes)."""
    if code in {"too_big", "too_long"}:
        message = _("That recording is too long. Please say your idea in up to %(n)d seconds.") % {
            "n": int(MAX_SECONDS)
        }
        return VoiceResult("error", message=message, http_status=413)
    if code == "too_short":
        return VoiceResult("empty", message=_("I did not hear any words. Please try again."))
    return VoiceResult(
        "error",
        message=_("That recording could not be read. Please try again, or type your words."),
        http_status=400,
    )


def transcribe_recording(user: Any, data: bytes, language: str | None) -> VoiceResult:
    """Turn a WAV recording into screened words with the speech model (at most MAX_AUDIO_BYTES and
    MAX_SECONDS; the caller checks the size before reading the upload)."""
    unavailable = VoiceResult(
        "unavailable",
        message=_("Speaking your words is not working right now. Please type them or use the picture cards."),
        http_status=503,
    )
    try:
        backend = shared_registry().speech()
    except RegistryError:
        backend = None
    if backend is None:
        return unavailable
    try:
        samples = decode_wav(data, max_bytes=MAX_AUDIO_BYTES, max_seconds=MAX_SECONDS)
    except AudioError as exc:
        return audio_refusal(exc.code)
    try:
        transcript = backend.transcribe(samples, speech_tag(language))
    except GenerationError:
        logger.exception("the speech model could not transcribe a recording")
        return unavailable
    return screen_words(user, transcript.text)
