"""The judging rounds in a competition's file (`aigc-contest competition apply` / `export`, the set-up pages'
"Download as TOML", cloning): each round's kind, judges per entry, due date and reminders, and the shortlist
planned for the round after it.

    [[rounds]]
    kind = "screening"            # screening, scoring or final (each at most once)
    judges_per_entry = 2
    due_at = "2031-11-05 23:59"   # on the competition's clock; left out: no due date
    remind_days_before = 2
    promote_top = 10              # the best 10 of each category go on … (or promote_cutoff = 70)

Applying the file opens the rounds it names and brings them to what it says; a round left out is removed
unless judging has started in it (assignments, a shortlist). What happens in a round (its panel,
assignments, being open or closed) is not set-up and is not in the file. Registered with the contests app
in `JudgingConfig.ready()`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from aigc_contest.web.accounts.services import record_change
from aigc_contest.web.contests.models import Competition
from aigc_contest.web.contests.services import Report, SetupError, SpecSection
from aigc_contest.web.contests.timeline import Edge, TypedTimeError, instant_from_typed, typed_clock
from aigc_contest.web.core.errors import require
from aigc_contest.web.judging.models import Round

KEYS = ("kind", "judges_per_entry", "due_at", "remind_days_before", "promote_top", "promote_cutoff")
FIELDS = KEYS[1:]
MAX_REMIND_DAYS = 60


def _whole(value: Any, low: int, high: int | None, place: str, message: str, errors: dict[str, list[str]]) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        errors.setdefault(place, []).append(message)
        return None
    return value


def _due(value: Any, zone: Any, place: str, errors: dict[str, list[str]]) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime) and value.tzinfo is None:  # a bare TOML date-time: on the competition's clock
        value = f"{value:%Y-%m-%d %H:%M}" if not (value.second or value.microsecond) else f"{value:%Y-%m-%d %H:%M:%S}"
    day_text, _space, clock = str(value).strip().partition(" ")
    try:
        return instant_from_typed(date.fromisoformat(day_text), clock.strip() or "23:59", zone, Edge.END)
    except (ValueError, OverflowError, TypedTimeError):
        errors.setdefault(place, []).append(
            _("Type the due date as 2026-10-30 23:59, on the competition's clock."))
        return None


def read_rounds(rows: Sequence[Mapping[str, Any]], zone: Any, errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The file's rounds as model values, in round order; problems go into `errors` by place."""
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        place = f"rounds.{index}"
        extra = set(row) - set(KEYS)
        if extra:
            errors.setdefault(place, []).append(_("Unknown keys: %s") % ", ".join(sorted(extra)))
        kind = str(row.get("kind") or "")
        if kind not in Round.Kind.values:
            errors.setdefault(f"{place}.kind", []).append(
                _("A round is one of: %(kinds)s.") % {"kinds": ", ".join(Round.Kind.values)})
            continue
        if kind in seen:
            errors.setdefault(f"{place}.kind", []).append(_("Another row already has “%(value)s”; each row needs "
                                                            "its own.") % {"value": kind})
            continue
        seen.add(kind)
        values: dict[str, Any] = {"kind": kind}
        values["judges_per_entry"] = _whole(row.get("judges_per_entry", 3), 1, 20, f"{place}.judges_per_entry",
                                            _("Judges per entry must be between 1 and 20."), errors)
        values["due_at"] = _due(row.get("due_at"), zone, f"{place}.due_at", errors)
        values["remind_days_before"] = _whole(
            row.get("remind_days_before", 2), 0, MAX_REMIND_DAYS, f"{place}.remind_days_before",
            _("Reminders go between 0 and %(n)d days before the due date.") % {"n": MAX_REMIND_DAYS}, errors)
        top, cutoff = row.get("promote_top"), row.get("promote_cutoff")
        values["promote_top"] = None if top is None else _whole(
            top, 1, None, f"{place}.promote_top", _("At least one entry goes on."), errors)
        if cutoff is not None and (isinstance(cutoff, bool) or not isinstance(cutoff, int | float)
                                   or not math.isfinite(cutoff) or not 0 <= cutoff <= 100):
            errors.setdefault(f"{place}.promote_cutoff", []).append(_("The cut-off is between 0 and 100."))
            cutoff = None
        values["promote_cutoff"] = None if cutoff is None else float(cutoff)
        if top is not None and row.get("promote_cutoff") is not None:
            errors.setdefault(f"{place}.promote_top", []).append(
                _("Give either how many entries of each category go on, or a cut-off score, not both."))
        found.append(values)
    found.sort(key=lambda v: Round.KIND_ORDER[v["kind"]])
    return found


def write_rounds(actor: Any, competition: Competition, rows: list[dict[str, Any]]) -> Report:
    """Make the competition's rounds be `rows` (what `read_rounds` gave); `actor` None is the command line."""
    if actor is not None:
        require(actor, "judging.manage_judging", competition)
    report = Report()
    existing = {r.kind: r for r in Round.objects.filter(competition=competition)}
    wanted = {row["kind"] for row in rows}
    with transaction.atomic():
        for kind in sorted(set(existing) - wanted, key=lambda k: Round.KIND_ORDER[k]):
            round_ = existing[kind]
            if round_.assignments.exists() or round_.shortlist.exists() or round_.next_rounds.exists():
                raise SetupError({"rounds": [_("The %(round)s round has started and cannot be removed.")
                                             % {"round": round_.get_kind_display()}]})
            round_.delete()
            report.lines.append(f"removed round {kind}")
        for row in rows:
            found = existing.get(row["kind"])
            if found is None:
                created = Round.objects.create(competition=competition, **row)
                record_change(actor, created, "round opened", {"kind": (None, created.kind)}, competition=competition.pk)
                report.lines.append(f"created round {created.kind}")
                continue
            round_ = found
            changed = {name: (getattr(round_, name), row[name]) for name in FIELDS if getattr(round_, name) != row[name]}
            if not changed:
                continue
            for name, (_before, after) in changed.items():
                setattr(round_, name, after)
            round_.save(update_fields=list(changed))
            record_change(actor, round_, "round set up", changed, competition=competition.pk)
            report.lines.append(f"changed round {round_.kind}: {', '.join(changed)}")
    return report


def export_rounds(competition: Competition) -> list[dict[str, Any]]:
    rows = []
    rounds = sorted(Round.objects.filter(competition=competition), key=lambda r: Round.KIND_ORDER[r.kind])
    for round_ in rounds:
        row: dict[str, Any] = {"kind": round_.kind, "judges_per_entry": round_.judges_per_entry}
        if round_.due_at is not None:
            row["due_at"] = " ".join(typed_clock(round_.due_at, competition.zone, Edge.END))
        row["remind_days_before"] = round_.remind_days_before
        if round_.promote_top is not None:
            row["promote_top"] = round_.promote_top
        if round_.promote_cutoff is not None:
            row["promote_cutoff"] = round_.promote_cutoff
        rows.append(row)
    return rows


def shift_rounds(rows: list[dict[str, Any]], zone: Any, days: int) -> list[dict[str, Any]]:
    """The rounds with their due dates `days` later (the same time of day on the competition's clock)."""
    shifted = []
    for row in rows:
        row = dict(row)
        if row.get("due_at"):
            day_text, _space, clock = str(row["due_at"]).partition(" ")
            row["due_at"] = f"{date.fromisoformat(day_text) + timedelta(days=days)} {clock}".strip()
        shifted.append(row)
    return shifted


SECTION = SpecSection(read=read_rounds, write=write_rounds, export=export_rounds, shift=shift_rounds)
