"""`{% voice_input "id_prompt" %}`: a microphone button for the prompt box with that id.

It renders templates/includes/voice_input.html, which loads static/js/voice_input.js. The button uses
the browser's own speech recognition where there is one, else records and asks the server's speech
model (only offered when the models file has one); with neither it stays hidden.
"""

from __future__ import annotations

from typing import Any

from django import template

from aigc_contest.generation.speech import MAX_SECONDS
from aigc_contest.web.voice.services import speech_model_configured

register = template.Library()


@register.inclusion_tag("includes/voice_input.html", takes_context=True)
def voice_input(context: template.Context, *target: Any) -> dict[str, Any]:
    """`target`: the prompt box's id, or its parts (`{% voice_input "scene-" page.id %}`)."""
    request = context.get("request")
    return {
        "target": "".join(str(part) for part in target),
        "server_speech": speech_model_configured(),
        "max_seconds": int(MAX_SECONDS),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
