"""No two pages claim the same address: Django would silently serve the first one."""

from __future__ import annotations

from collections import Counter

from django.urls import URLPattern, URLResolver, get_resolver


def _routes(patterns, prefix: str = "") -> list[str]:  # type: ignore[no-untyped-def]
    found: list[str] = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found.extend(_routes(pattern.url_patterns, route))
        elif isinstance(pattern, URLPattern):
            found.append(route)
    return found


def test_every_route_is_claimed_once() -> None:
    # The API (django-ninja) lists a path once per router and dispatches by method, so it is left out.
    counts = Counter(r for r in _routes(get_resolver().url_patterns) if not r.startswith("api/v1/"))
    assert [route for route, n in counts.items() if n > 1] == []
