"""How an instant is written for people: in a named time zone, with the zone's name beside it.

The platform's time rule: an organiser types and reads every timeline time in the competition's own
zone; every time shown names its zone, with the viewer's own time beside it; storing and editing never
move an instant. This module is the one place that turns an instant into words; pages use it through
the `zoned` template tag (`core/templatetags/content.py`), which adds the ISO instant in a
`<time datetime>` element so that `static/js/countdown.js` can put the viewer's own time beside it.
E-mails and PDFs, which run no script, use `text_in_zone` and give the UTC time as the common reference.

A zone is given as a zone name, a `ZoneInfo`, anything with a `timezone` attribute naming one (a
competition), or None for the server's zone (`settings.TIME_ZONE`, for times that belong to no
competition).
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from typing import Any, Literal

from django.conf import settings

Precision = Literal["minute", "second", "millisecond", "date"]

FORMATS: dict[str, str] = {
    "date": "%Y-%m-%d",
    "minute": "%Y-%m-%d %H:%M",
    "second": "%Y-%m-%d %H:%M:%S",
    "millisecond": "%Y-%m-%d %H:%M:%S.%f",
}


def zone_of(where: Any) -> zoneinfo.ZoneInfo:
    """The zone named by `where` (see the module docstring)."""
    if isinstance(where, zoneinfo.ZoneInfo):
        return where
    name = getattr(where, "timezone", where) if where is not None else None
    return zoneinfo.ZoneInfo(str(name or settings.TIME_ZONE))


def zone_name(where: Any) -> str:
    return zone_of(where).key


def in_zone(instant: datetime, where: Any) -> datetime:
    """The same instant on the zone's clock. A naive datetime is refused: it names no instant."""
    if instant.tzinfo is None:
        raise ValueError("a naive datetime is not an instant")
    return instant.astimezone(zone_of(where))


def clock_in_zone(instant: datetime, where: Any, precision: Precision = "minute") -> str:
    """`2024-10-30 23:59`: the zone's wall clock, without the zone's name."""
    text = in_zone(instant, where).strftime(FORMATS[precision])
    return text[:-3] if precision == "millisecond" else text


def text_in_zone(
    instant: datetime, where: Any, precision: Precision = "minute", *, with_utc: bool = False
) -> str:
    """`2024-10-30 23:59 Asia/Hong_Kong`, and with `with_utc` ` (2024-10-30 15:59 UTC)` after it (for
    e-mails and files, where no script can add the reader's own time)."""
    zone = zone_of(where)
    text = f"{clock_in_zone(instant, zone, precision)} {zone.key}"
    if with_utc and precision != "date" and zone.key != "UTC":
        text += f" ({clock_in_zone(instant, UTC_ZONE, precision)} UTC)"
    return text


def iso_instant(instant: datetime) -> str:
    """The instant in UTC as a valid HTML `datetime` value (milliseconds at most, floored)."""
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


UTC_ZONE = zoneinfo.ZoneInfo("UTC")


def zoned_column(field: str, description: Any, where: str = "", precision: Precision = "minute") -> Any:
    """An admin list or read-only column showing an instant on its competition's clock with the zone's
    name; `where` is the path from the row to its competition ("entry__category__competition"; empty:
    the row is the competition)."""
    from django.contrib import admin

    @admin.display(description=description, ordering=field)
    def column(obj: Any) -> str:
        instant: datetime | None = getattr(obj, field, None)
        competition = obj
        for step in where.split("__") if where else []:
            competition = getattr(competition, step)
        return text_in_zone(instant, competition, precision) if instant else "–"

    column.__name__ = f"{field}_zoned"
    return column
