"""Password guessing is throttled with django-axes, on the sign-in form, the back office and HTTP Basic.

Failures are counted over the last `AXES_COOLOFF_TIME` in tiers (`settings.AIGC_LOCKOUT_TIERS`), and a sign-in
is refused, even with the right password, once any tier is full:
- one account from one address (the usual guesser, or a child who forgot): a few failures;
- one account from any address (guessing spread over many machines): more;
- any account from one address (one machine trying many accounts): more again, as a whole school may share
  one address and children mistype.
A teacher unlocks their school's students, an organiser anyone (`unlock`); the lock also ends by itself.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _


def _tiers() -> list[tuple[Any, int]]:
    return list(settings.AIGC_LOCKOUT_TIERS)


class TieredLockoutHandler(AxesDatabaseHandler):
    """axes' database handler with one limit per lockout parameter (axes itself has one limit for all)."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        # axes compares this figure with AXES_FAILURE_LIMIT (the first tier's limit): each tier's count is
        # scaled so that it reaches that figure exactly when the tier's own limit is reached.
        base = _tiers()[0][1]
        figures = [0]
        for attempts, (_parameter, limit) in zip(self.get_user_attempts(request, credentials), _tiers(), strict=False):
            count = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            figures.append(count * base // limit)
        return max(figures)


def _cool_off() -> timedelta:
    return get_cool_off() or timedelta(minutes=15)


def lockout_message() -> str:
    minutes = round(_cool_off().total_seconds() / 60)
    return _(
        "Too many wrong passwords. Signing in to this account from here is paused for %(minutes)d minutes. "
        "A teacher or the organiser can unlock it sooner."
    ) % {"minutes": minutes}


def lockout_response(request: HttpRequest, response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    """What a locked sign-in answers (status 429), in the page's language: the API a JSON error like its
    others, pages the sign-in page with the message."""
    message = lockout_message()
    if request.path.startswith("/api/"):
        locked: HttpResponse = JsonResponse({"detail": message}, status=429)
    else:
        locked = render(request, "registration/locked_out.html", {"message": message}, status=429)
    # The lock lasts at most the cool-off time from the last failure: tell clients when to come back.
    locked["Retry-After"] = str(max(60, round(float(settings.AXES_COOLOFF_TIME) * 3600)))
    return locked


def locked_usernames(usernames: list[str]) -> set[str]:
    """Which of these login names cannot sign in somewhere now (one of their lock tiers is full)."""
    if not usernames:
        return set()
    tiers = dict((p if isinstance(p, str) else "+".join(p), limit) for p, limit in _tiers())
    per_address = tiers.get("username+ip_address")
    anywhere = tiers.get("username")
    since = timezone.now() - _cool_off()
    rows = (AccessAttempt.objects.filter(username__in=usernames, attempt_time__gte=since)
            .values("username").annotate(total=Sum("failures_since_start"), most=Max("failures_since_start")))
    return {
        row["username"] for row in rows
        if (per_address and row["most"] >= per_address) or (anywhere and row["total"] >= anywhere)
    }


def unlock(username: str) -> int:
    """Forget the failed attempts of one login name (every address); returns how many records went."""
    from axes.utils import reset

    return reset(username=username)


def signing_in_paused(request: HttpRequest, username: str) -> bool:
    """Whether a sign-in as `username` from this request's address would be refused now (a tier is full).
    Pages that make an account and sign it in ask first, so a paused address makes nothing."""
    from axes.handlers.proxy import AxesProxyHandler

    return not AxesProxyHandler.is_allowed(request, {"username": username})
