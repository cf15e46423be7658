"""Errors services raise for people: a message to show, never a stack trace."""

from __future__ import annotations


class ServiceError(Exception):
    """A request the rules refuse; `message` is shown to the user as it is."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class PermissionDenied(ServiceError):
    def __init__(self, message: str = "You are not allowed to do that.") -> None:
        super().__init__(message, "forbidden")


def require(user: object, perm: str, obj: object = None) -> None:
    if not user.has_perm(perm, obj):  # type: ignore[attr-defined]
        raise PermissionDenied()
