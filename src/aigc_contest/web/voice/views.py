"""POST /voice/transcribe/: the words a child said, screened, as JSON for static/js/voice_input.js.

Form fields: `lang` (zh-HK, zh-CN or en: the page's speech language) and either `text` (what the
browser's own speech recognition heard) or `audio` (a WAV recording for the server's speech model).
Answers `{"status": "ok"|"refused"|"empty"|"error"|"unavailable", "text", "message"}`; `text` only when
the words passed the safety layer, `message` (in the page's language) otherwise. 413 for a recording
over the size limit (checked from the request's length before anything is read), 400 for one that is
not a WAV file, 503 when no speech model is configured or it failed.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from aigc_contest.generation.speech import MAX_AUDIO_BYTES
from aigc_contest.web.core.shortcuts import require_perm
from aigc_contest.web.voice import services

UPLOAD_OVERHEAD = 64 * 1024  # the multipart envelope and the other fields


@login_required
@require_POST
def transcribe(request: HttpRequest) -> JsonResponse:
    require_perm(request, "voice.use_voice_input")
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_AUDIO_BYTES + UPLOAD_OVERHEAD:
        result = services.audio_refusal("too_big")
    elif "audio" in request.FILES:
        upload = request.FILES.get("audio")
        if upload is None or upload.size is None or upload.size > MAX_AUDIO_BYTES:
            result = services.audio_refusal("too_big")
        else:
            result = services.transcribe_recording(request.user, upload.read(), request.POST.get("lang"))
    else:
        result = services.screen_words(request.user, request.POST.get("text", ""))
    return JsonResponse(result.as_json(), status=result.http_status)
