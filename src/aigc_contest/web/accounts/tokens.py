"""Personal API tokens: made, listed, revoked and checked here (the API's Bearer authentication asks
:func:`user_for_token`).

A token is ``aigc_`` followed by 43 random URL-safe characters (256 bits). Only its SHA-256 is stored, so a
stolen database gives no usable token; a fast hash is enough because the token is random, not a password.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from aigc_contest.web.accounts.models import ApiToken, User
from aigc_contest.web.accounts.services import record_change
from aigc_contest.web.core.errors import PermissionDenied, ServiceError

TOKEN_PREFIX = "aigc_"
MAX_TOKENS = 20  # live tokens per person
MAX_DAYS = 366
_TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def may_hold_tokens(user: User) -> bool:
    """Adults who run things hold tokens; students do not."""
    return bool(user.is_authenticated and user.is_active and user.has_perm("accounts.manage_api_tokens"))


def live_tokens(user: User) -> list[ApiToken]:
    now = timezone.now()
    return [
        t
        for t in user.api_tokens.filter(revoked_at__isnull=True)
        if t.expires_at is None or t.expires_at > now
    ]


def create_token(user: User, *, name: str, days: int | None = 90) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the record and the token text (shown once, never again)."""
    if not may_hold_tokens(user):
        raise PermissionDenied("Your account cannot make API tokens.")
    name = " ".join(name.split())
    if not name:
        raise ServiceError("Give the token a name, such as the script that will use it.", code="invalid")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise ServiceError(f"A token lasts from 1 to {MAX_DAYS} days.", code="invalid")
    if len(live_tokens(user)) >= MAX_TOKENS:
        raise ServiceError(
            f"You already have {MAX_TOKENS} tokens: revoke one you no longer use.", code="limit_reached"
        )
    text = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = timezone.now() + timedelta(days=days) if days is not None else None
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name[:100],
            prefix=text[: len(TOKEN_PREFIX) + 8],
            key_sha256=_digest(text),
            expires_at=expires,
        )
        record_change(user, token, "api token made")
    return token, text


def revoke_token(user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(pk=token_id, user=user).first()
    if token is None:
        raise ServiceError("No such token.", code="not_found")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_change(user, token, "api token revoked")
    return token


def user_for_token(text: str) -> User | None:
    """The active owner of a live token, or None (unknown, revoked, expired, or an account now disabled)."""
    if not text.startswith(TOKEN_PREFIX) or len(text) > 100:
        return None
    token = ApiToken.objects.select_related("user").filter(key_sha256=_digest(text)).first()
    now = timezone.now()
    if (
        token is None
        or token.revoked_at is not None
        or (token.expires_at is not None and token.expires_at <= now)
    ):
        return None
    if not token.user.is_active or not may_hold_tokens(token.user):
        return None
    if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
