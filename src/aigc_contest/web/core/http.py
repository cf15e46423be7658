"""Serving participants' files safely."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseBase

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


def stored_file_response(path: str, mime: str) -> FileResponse:
    """A stored, already checked file (a work's video) shown inline, never sniffed as another type and never
    cached by a shared cache; 404 when it is not there. The caller has checked the permission."""
    if not path:
        raise Http404
    try:
        handle = default_storage.open(path, "rb")
    except OSError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=mime)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    harden_work_response(response, mime)
    return response
