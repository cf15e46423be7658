"""Serving participants' files safely."""

from __future__ import annotations

from django.http import HttpResponseBase

# A submitted HTML work (a playable novel, a storybook) runs with scripts in an opaque origin: it can
# never read the viewer's session or call the site as them, whoever made it.
HTML_WORK_CSP = (
    "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; media-src data:; font-src data:"
)


def harden_work_response(response: HttpResponseBase, mime: str) -> HttpResponseBase:
    response["X-Content-Type-Options"] = "nosniff"
    if mime == "text/html":
        response["Content-Security-Policy"] = HTML_WORK_CSP
    return response
