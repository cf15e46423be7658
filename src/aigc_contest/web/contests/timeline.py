"""What a typed timeline time means: the one rule for every organiser form and the demo data.

An organiser types each timeline time as a date and a clock time on the competition's own clock.

- Typed to the minute ("23:59"), an opening time begins at the start of that minute (23:59:00.000000)
  and the submission deadline lasts until the end of it (23:59:59.999999): a submission in the last
  second of a "23:59" deadline counts.
- Typed with seconds ("23:59:30", "23:59:30.250"), it is exactly that instant.

`typed_clock` writes an instant back the same way (to the minute whenever the rule gives the instant
back, with seconds otherwise), so reading a time and saving it again never moves it by a microsecond.
The model stores instants (UTC); the API gives them as ISO 8601 instants. Plain Python: no Django here.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, date, datetime, time
from enum import StrEnum


class Edge(StrEnum):
    START = "start"  # the time typed is the first moment of the period
    END = (
        "end"  # the period lasts to the end of the minute typed (an exclusive deadline one microsecond later)
    )


# Every timeline field of `Competition`, in timeline order, with what a typed minute means for it.
TIMELINE_FIELDS: dict[str, Edge] = {
    "registration_opens_at": Edge.START,
    "submission_opens_at": Edge.START,
    "submission_deadline": Edge.END,
    "judging_starts_at": Edge.START,
    "results_at": Edge.START,
    "ceremony_at": Edge.START,
}

_CLOCK = re.compile(r"^\s*(\d{1,2})[:：](\d{2})(?:[:：](\d{2})(?:[.,](\d{1,6}))?)?\s*$")


class TypedTimeError(ValueError):
    """A typed time that names no instant, with words an organiser can act on; `code` (not_a_time,
    not_a_time_of_day, skipped, repeated) and `params` let a form say it in the organiser's language."""

    def __init__(self, message: str, code: str, **params: str) -> None:
        super().__init__(message)
        self.code, self.params = code, params


def parse_clock(text: str) -> tuple[time, bool]:
    """`"23:59"` → (23:59, True): the clock time and whether it was typed to the minute only."""
    match = _CLOCK.match(text or "")
    if not match:
        raise TypedTimeError(
            f"“{text}” is not a time: type hours and minutes, such as 23:59.", "not_a_time", text=text
        )
    hour, minute = int(match[1]), int(match[2])
    second = int(match[3]) if match[3] is not None else 0
    micro = int(match[4].ljust(6, "0")) if match[4] is not None else 0
    if hour > 23 or minute > 59 or second > 59:
        raise TypedTimeError(
            f"“{text}” is not a time of day (00:00 to 23:59).", "not_a_time_of_day", text=text
        )
    return time(hour, minute, second, micro), match[3] is None


def instant_from_typed(day: date, clock: str, zone: zoneinfo.ZoneInfo, edge: Edge) -> datetime:
    """The instant (UTC) that `day` `clock` typed on `zone`'s clock means for a field of this edge."""
    wall, to_the_minute = parse_clock(clock)
    local = datetime.combine(day, wall, tzinfo=zone)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise TypedTimeError(
            f"{day} {clock} does not exist in {zone.key} (the clocks skip it); choose another time.",
            "skipped",
            when=f"{day} {clock}",
            zone=zone.key,
        )
    if local.utcoffset() != local.replace(fold=1).utcoffset():
        raise TypedTimeError(
            f"{day} {clock} happens twice in {zone.key} (the clocks go back); choose another time.",
            "repeated",
            when=f"{day} {clock}",
            zone=zone.key,
        )
    if to_the_minute and edge is Edge.END:
        local = local.replace(second=59, microsecond=999_999)
    return local.astimezone(UTC)


def typed_clock(instant: datetime, zone: zoneinfo.ZoneInfo, edge: Edge) -> tuple[str, str]:
    """How the organiser reads `instant` back: ("2024-10-30", "23:59"); `instant_from_typed` gives the
    same instant back from it."""
    local = instant.astimezone(zone)
    whole_minute = (local.second, local.microsecond) == ((59, 999_999) if edge is Edge.END else (0, 0))
    if whole_minute:
        clock = local.strftime("%H:%M")
    elif local.microsecond:
        clock = local.strftime("%H:%M:%S.%f")
    else:
        clock = local.strftime("%H:%M:%S")
    return local.strftime("%Y-%m-%d"), clock


def typed(day: date, clock: str, zone: zoneinfo.ZoneInfo, field: str) -> datetime:
    """`typed(d, "23:59", HK, "submission_deadline")`: the rule by field name (demo data, fixtures)."""
    return instant_from_typed(day, clock, zone, TIMELINE_FIELDS[field])
