"""The request of a signed-in page, for type checking."""

from __future__ import annotations

from django.http import HttpRequest

from aigc_contest.web.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """For type checking only: the request of a @login_required view, whose user is signed in."""

    user: User
