"""Errors services raise for people: a message to show, never a stack trace."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils.translation import gettext_lazy as _


class ServiceError(Exception):
    """A request the rules refuse; `message` is shown to the user as it is."""

    def __init__(self, message: Any, code: str = "invalid") -> None:
        message = str(message)  # resolve lazy translations in the language of the request
        super().__init__(message)
        self.message = message
        self.code = code


class PermissionDenied(ServiceError, DjangoPermissionDenied):
    """Also Django's PermissionDenied, so an uncaught one is a 403 page, never a 500."""

    def __init__(self, message: Any = None) -> None:
        super().__init__(message or _("You are not allowed to do that."), "forbidden")


def require(user: object, perm: str, obj: object = None) -> None:
    if not user.has_perm(perm, obj):  # type: ignore[attr-defined]
        raise PermissionDenied()
