"""Reads for competitions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from aigc_contest.web.contests.models import Category, Competition, Theme


def public_competitions() -> QuerySet[Competition]:
    return Competition.objects.filter(is_public=True).prefetch_related("categories")


def competition_by_slug(slug: str) -> Competition:
    return get_object_or_404(
        Competition.objects.filter(is_public=True).prefetch_related(
            Prefetch("categories", queryset=Category.objects.prefetch_related("themes")),
            "themes",
            "criteria",
        ),
        slug=slug,
    )


def category_themes(category: Category) -> QuerySet[Theme]:
    if category.any_theme:
        return category.competition.themes.all()
    return category.themes.all()


def timeline_line(competition: Competition, now: datetime | None = None) -> dict[str, Any]:
    """The timeline as points on a line from its first to its last event (x from 0 to 1000), with where
    "now" falls; each point keeps its instant, which the page writes on the competition's clock."""
    now = now or timezone.now()
    events = [(label, instant) for label, instant in competition.timeline() if instant is not None]
    if not events:
        return {"points": [], "now_x": None}
    first, last = events[0][1], max(instant for _label, instant in events)
    span = (last - first).total_seconds() or 1.0

    def x(instant: datetime) -> int:
        return round(40 + 920 * min(max((instant - first).total_seconds() / span, 0.0), 1.0))

    points: list[dict[str, Any]] = []
    for n, (label, instant) in enumerate(events, start=1):
        # Events close together (a deadline and judging a minute later) are drawn above and below the line.
        point_x = x(instant)
        near = [p for p in points if abs(p["x"] - point_x) < 26]
        row = next(r for r in (0, 1, 2, 3) if all(p["row"] != r for p in near)) if near else 0
        points.append({"number": n, "label": label, "instant": instant, "x": point_x, "row": row,
                       "y": (45, 17, 73, 45)[row], "past": instant <= now})  # fmt: skip
    return {"points": points, "now_x": x(now) if first <= now <= last else None}
