"""Serving participants' files safely."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponseBase

if TYPE_CHECKING:
    from aigc_contest.web.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """For type checking only: the request of a @login_required view, whose user is signed in."""

    user: User

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
