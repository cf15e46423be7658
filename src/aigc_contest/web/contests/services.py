"""Writes for competitions: details, timeline, themes, categories, rubric, cloning, and a whole competition
from a spec (the TOML file of `aigc-contest competition apply`).

The organiser's set-up pages and the command line call the same functions. Each one validates what it is
given with the models' own rules (timeline order, known school levels and work types, team sizes, scores)
and the rubric's (weights total 100 %), and raises `SetupError` naming the field each problem concerns,
so a page shows it beside that field and the command line lists it. Nothing is written unless everything
is valid. `actor` is the signed-in organiser, checked against the contests rules; `None` is the command line
(whoever may run it already has the database).

A spec is plain data, the shape of the TOML file:

    slug, timezone, organiser_name, is_public, teachers_may_help, schools_must_join, judge_signals
    name / description: {en, zh-Hant, zh-Hans}
    timeline: {registration_opens_at: "2025-09-01 09:00", ...}  typed on the competition's clock
    [[themes]] title, description
    [[categories]] slug, name, description, school_levels, work_types, min_team_size, max_team_size,
                   any_theme, themes (English titles), submission_limit, max_upload_mb
    [[criteria]] key, name, weight, min_score, max_score, descriptors {band = text}
    [[rounds]] …  and any other list an app above this one keeps (`register_spec_section`): the judging
                  rounds, kept by the judging app

Applying a spec is idempotent: what already matches is left alone and reported as unchanged.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from aigc_contest.web.accounts.services import record_change
from aigc_contest.web.contests.models import JUDGE_SIGNALS, Category, Competition, Criterion, Theme
from aigc_contest.web.contests.roles_services import make_creator_owner
from aigc_contest.web.contests.timeline import (
    TIMELINE_FIELDS,
    TypedTimeError,
    instant_from_typed,
    typed_clock,
)
from aigc_contest.web.core.errors import ServiceError, require

LANGUAGES = {"en": "en", "zh-Hant": "zh_hant", "zh-Hans": "zh_hans"}  # spec key → model field suffix
TOTAL_WEIGHT = Decimal(100)

COMPETITION_FIELDS = [
    "slug", "organiser_name", "is_public", "timezone", "teachers_may_help", "schools_must_join", "judge_signals",
    *(f"{base}_{suffix}" for base in ("name", "description") for suffix in LANGUAGES.values()),
    *TIMELINE_FIELDS,
]  # fmt: skip
THEME_FIELDS = [f"{base}_{suffix}" for base in ("title", "description") for suffix in LANGUAGES.values()]
CATEGORY_FIELDS = [
    "slug", *(f"{base}_{suffix}" for base in ("name", "description") for suffix in LANGUAGES.values()),
    "school_levels", "work_types", "min_team_size", "max_team_size", "any_theme", "submission_limit", "max_upload_mb",
]  # fmt: skip
CRITERION_FIELDS = [
    "key", *(f"name_{suffix}" for suffix in LANGUAGES.values()), "weight", "min_score", "max_score", "descriptors",
]  # fmt: skip


@dataclass(frozen=True)
class SpecSection:
    """A list of the competition's file that an app above this one keeps (the judging rounds), so that this
    app needs to know nothing of it: `read(rows, zone, errors)` checks the file's rows (adding errors by
    place, "rounds.0.due_at") and returns what `write(actor, competition, read)` makes true, returning a
    Report; `export(competition)` gives the rows back (none: the list is left out of the file);
    `shift(rows, zone, days)` moves the rows' dates `days` later (cloning a competition)."""

    read: Callable[[Sequence[Mapping[str, Any]], Any, dict[str, list[str]]], Any]
    write: Callable[[Any, Competition, Any], Report]
    export: Callable[[Competition], list[dict[str, Any]]]
    shift: Callable[[list[dict[str, Any]], Any, int], list[dict[str, Any]]] | None = None


SPEC_SECTIONS: dict[str, SpecSection] = {}


def register_spec_section(name: str, section: SpecSection) -> None:
    """Called from an app's ready(): `name` becomes a list of the competition's file."""
    SPEC_SECTIONS[name] = section


class SetupError(ServiceError):
    """What is wrong, by place: `errors` maps "field" (the competition's), "themes.0.title_en",
    "categories.1.max_team_size", "criteria.weight" (the rubric's total) … to messages."""

    def __init__(self, errors: Mapping[str, Sequence[Any]]) -> None:
        self.errors = {place: [str(m) for m in messages] for place, messages in errors.items()}
        lines = self.lines()
        super().__init__(
            lines[0] if len(lines) == 1 else _("The set-up has %(n)d problems.") % {"n": len(lines)}
        )

    def lines(self) -> list[str]:
        return [f"{place}: {message}" if place != "__all__" else message
                for place, messages in self.errors.items() for message in messages]  # fmt: skip

    def for_section(self, section: str) -> dict[tuple[int | None, str | None], list[str]]:
        """The errors of one list ("themes"): {(row or None, field or None): messages}."""
        found: dict[tuple[int | None, str | None], list[str]] = {}
        for place, messages in self.errors.items():
            head, _dot, rest = place.partition(".")
            if head != section:
                continue
            row_text, _dot, name = rest.partition(".")
            if row_text.isdigit():
                found.setdefault((int(row_text), name or None), []).extend(messages)
            else:
                found.setdefault((None, rest or None), []).extend(messages)
        return found


@dataclass
class Report:
    """What a write did, one line per object: created, changed (which fields), removed."""

    lines: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.lines)

    def extend(self, other: Report) -> None:
        self.lines.extend(other.lines)


def _validation_errors(exc: ValidationError, prefix: str = "") -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {f"{prefix}{name}" if name != "__all__" or prefix else name: list(messages)
                for name, messages in exc.message_dict.items()}  # fmt: skip
    return {prefix.rstrip(".") or "__all__": list(exc.messages)}


def _assign(obj: models.Model, values: Mapping[str, Any]) -> list[str]:
    """Set the values that differ; the names of those that did."""
    changed = []
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


# ---------------------------------------------------------------- the competition itself


def _check_competition(competition: Competition) -> None:
    try:
        competition.full_clean()
    except ValidationError as exc:
        raise SetupError(_validation_errors(exc)) from exc
    bad = set(competition.judge_signals or []) - set(JUDGE_SIGNALS)
    if bad:
        raise SetupError({"judge_signals": [_("Unknown signals: %s") % ", ".join(sorted(bad))]})


def create_competition(actor: Any, values: Mapping[str, Any]) -> Competition:
    """A new competition from its details and timeline (instants); themes, categories and rubric follow."""
    if actor is not None:
        require(actor, "contests.add_competition")
    competition = Competition()
    _assign(competition, {k: v for k, v in values.items() if k in COMPETITION_FIELDS})
    _check_competition(competition)
    with transaction.atomic():
        competition.save()
        make_creator_owner(actor, competition)  # whoever creates a competition owns it
        record_change(actor, competition, "competition created", competition=competition)
    return competition


def update_competition(actor: Any, competition: Competition, values: Mapping[str, Any]) -> list[str]:
    """Change the details and timeline; the names of the fields that changed (none: nothing is written)."""
    if actor is not None:
        require(actor, "contests.change_competition", competition)
    changed = _assign(competition, {k: v for k, v in values.items() if k in COMPETITION_FIELDS})
    if changed:
        _check_competition(competition)
        with transaction.atomic():
            competition.save(update_fields=changed)
            action = "timeline changed" if set(changed) & set(TIMELINE_FIELDS) else "competition changed"
            record_change(actor, competition, action, {name: (None, str(getattr(competition, name)))
                                                       for name in changed}, competition=competition)
    return changed


# ---------------------------------------------------------------- themes, categories, rubric


def _sync(
    competition: Competition,
    model: type[models.Model],
    section: str,
    key: str,
    rows: Sequence[Mapping[str, Any]],
    fields: list[str],
    label: str,
    after_save: Any = None,
) -> Report:
    """Make the competition's `model` rows be `rows`, in that order: a row with an `id` (a page) or a `key`
    (a spec) that matches is updated, another is created, and the rows not named are removed (refused when
    entries or scores use them). Validation errors are collected for every row before anything is raised."""
    report = Report()
    existing = list(model._default_manager.filter(competition=competition))  # type: ignore[attr-defined]
    by_id = {obj.pk: obj for obj in existing}
    by_key = {getattr(obj, key): obj for obj in existing}
    errors: dict[str, list[str]] = {}
    planned: list[tuple[models.Model, list[str], bool, Mapping[str, Any]]] = []
    seen_keys: dict[str, int] = {}
    used: set[int] = set()
    for index, row in enumerate(rows):
        row_key = str(row.get(key) or "").strip()
        if row_key in seen_keys:
            errors.setdefault(f"{section}.{index}.{key}", []).append(
                _("Another row already has “%(value)s”; each row needs its own.") % {"value": row_key}
            )
            continue
        seen_keys[row_key] = index
        obj = by_id.get(row.get("id")) if row.get("id") else by_key.get(row_key)
        if obj is not None and obj.pk in used:
            obj = None
        created = obj is None
        if obj is None:
            obj = model(competition=competition)  # type: ignore[misc]
        else:
            used.add(obj.pk)
        values = {name: row[name] for name in fields if name in row}
        values["order"] = index
        changed = _assign(obj, values)
        try:
            obj.full_clean(exclude=["competition", "themes"], validate_unique=False)
        except ValidationError as exc:
            for place, messages in _validation_errors(exc, f"{section}.{index}.").items():
                errors.setdefault(place, []).extend(messages)
        planned.append((obj, changed, created, row))
    if errors:
        raise SetupError(errors)
    removed = [obj for obj in existing if obj.pk not in used]
    for obj in removed:
        try:
            with transaction.atomic():
                obj.delete()
        except ProtectedError:
            raise SetupError({section: [_("“%(name)s” is used by entries or scores and cannot be removed.")
                                        % {"name": getattr(obj, key)}]}) from None  # fmt: skip
        report.lines.append(f"removed {label} {getattr(obj, key)}")
    for obj, changed, created, row in planned:
        if created or changed:
            obj.save()
        extra = after_save(obj, row) if after_save else []
        name = getattr(obj, key)
        if created:
            report.lines.append(f"created {label} {name}")
        elif changed or extra:
            shown = [c for c in changed + extra]
            report.lines.append(f"changed {label} {name}: {', '.join(shown)}")
    return report


def save_themes(actor: Any, competition: Competition, rows: Sequence[Mapping[str, Any]]) -> Report:
    """The competition's themes, in order (matched by id, else by English title)."""
    if actor is not None:
        require(actor, "contests.change_competition", competition)
    with transaction.atomic():
        return _sync(competition, Theme, "themes", "title_en", rows, THEME_FIELDS, "theme")


def save_categories(actor: Any, competition: Competition, rows: Sequence[Mapping[str, Any]]) -> Report:
    """The competition's categories, in order (matched by id, else by slug); `themes` in a row are this
    competition's themes, as Theme objects or English titles."""
    if actor is not None:
        require(actor, "contests.change_competition", competition)
    themes = {t.title_en: t for t in competition.themes.all()}
    errors: dict[str, list[str]] = {}
    wanted: dict[int, list[Theme]] = {}
    for index, row in enumerate(rows):
        chosen: list[Theme] = []
        for item in row.get("themes") or []:
            theme = item if isinstance(item, Theme) else themes.get(str(item))
            if theme is None or theme.competition_id != competition.pk:
                errors.setdefault(f"categories.{index}.themes", []).append(
                    _("“%(theme)s” is not a theme of this competition.") % {"theme": item}
                )
            else:
                chosen.append(theme)
        wanted[index] = chosen
        if not row.get("any_theme") and not chosen and themes:
            errors.setdefault(f"categories.{index}.themes", []).append(
                _("Choose the themes of this category, or allow any theme.")
            )
    if errors:
        raise SetupError(errors)
    order = {id(row): index for index, row in enumerate(rows)}

    def set_themes(category: Category, row: Mapping[str, Any]) -> list[str]:
        chosen = wanted[order[id(row)]] if not row.get("any_theme") else []
        if {t.pk for t in category.themes.all()} != {t.pk for t in chosen}:
            category.themes.set(chosen)
            return ["themes"]
        return []

    with transaction.atomic():
        return _sync(
            competition, Category, "categories", "slug", rows, CATEGORY_FIELDS, "category", set_themes
        )


def rubric_total(weights: Iterable[Any]) -> Decimal:
    return sum((Decimal(str(w)) for w in weights if w is not None), Decimal(0))


def weight_error(total: Decimal) -> str:
    return _("The weights add up to %(total)s %%; together they must make 100 %%.") % {
        "total": f"{total.normalize():f}"
    }


def save_rubric(actor: Any, competition: Competition, rows: Sequence[Mapping[str, Any]]) -> Report:
    """The rubric's criteria, in order (matched by id, else by key); the weights must total 100 %, and each
    criterion's `descriptors` map a score band ("7-8") to what it means."""
    if actor is not None:
        require(actor, "contests.change_competition", competition)
    errors: dict[str, list[str]] = {}
    if rows:
        total = rubric_total(row.get("weight") for row in rows)
        if total != TOTAL_WEIGHT:
            errors["criteria.weight"] = [weight_error(total)]
    for index, row in enumerate(rows):
        descriptors = row.get("descriptors") or {}
        if not isinstance(descriptors, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip()
            for k, v in descriptors.items()
        ):
            errors.setdefault(f"criteria.{index}.descriptors", []).append(
                _("Each level needs a score band (such as 7-8) and what it means.")
            )
    if errors:
        raise SetupError(errors)
    with transaction.atomic():
        return _sync(competition, Criterion, "criteria", "key", rows, CRITERION_FIELDS, "criterion")


# ---------------------------------------------------------------- a whole competition: spec in, spec out


def _texts(values: Mapping[str, Any], base: str, place: str, errors: dict[str, list[str]]) -> dict[str, str]:
    texts = values.get(base) or {}
    if isinstance(texts, str):
        texts = {"en": texts}
    if not isinstance(texts, Mapping):
        errors.setdefault(place, []).append(
            _("Give %(base)s as a table of en, zh-Hant, zh-Hans.") % {"base": base}
        )
        return {}
    unknown = set(texts) - set(LANGUAGES)
    if unknown:
        errors.setdefault(place, []).append(_("Unknown languages: %s") % ", ".join(sorted(unknown)))
    return {f"{base}_{suffix}": str(texts.get(code) or "") for code, suffix in LANGUAGES.items()}


def _typed_instant(text: Any, zone: Any, name: str) -> datetime:
    if isinstance(text, datetime):
        if text.tzinfo is not None:
            return text
        clock = (
            text.strftime("%H:%M") if not (text.second or text.microsecond) else text.strftime("%H:%M:%S.%f")
        )
        return instant_from_typed(text.date(), clock, zone, TIMELINE_FIELDS[name])
    day_text, _space, clock = str(text).strip().partition(" ")
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        raise TypedTimeError(f"“{text}” is not a date and time such as 2025-10-30 23:59.", "not_a_time",
                             text=str(text)) from None  # fmt: skip
    return instant_from_typed(day, clock.strip(), zone, TIMELINE_FIELDS[name])


def _unknown(
    values: Mapping[str, Any], allowed: Iterable[str], place: str, errors: dict[str, list[str]]
) -> None:
    extra = set(values) - set(allowed)
    if extra:
        errors.setdefault(place, []).append(_("Unknown keys: %s") % ", ".join(sorted(extra)))


def _rows(spec: Mapping[str, Any], section: str, errors: dict[str, list[str]]) -> list[Mapping[str, Any]]:
    rows = spec.get(section) or []
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        errors.setdefault(section, []).append(
            _("Give %(section)s as a list of tables.") % {"section": section}
        )
        return []
    return rows


def _number(value: Any, place: str, errors: dict[str, list[str]]) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        errors.setdefault(place, []).append(_("“%(value)s” is not a number.") % {"value": value})
        return Decimal(0)


def competition_values(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A spec's competition fields as model values (timeline instants read on its own clock)."""
    import zoneinfo

    errors: dict[str, list[str]] = {}
    top = {"slug", "timezone", "organiser_name", "is_public", "teachers_may_help", "schools_must_join",
           "judge_signals", "name",
           "description", "timeline", "themes", "categories", "criteria", *SPEC_SECTIONS}  # fmt: skip
    _unknown(spec, top, "__all__", errors)
    values: dict[str, Any] = {"slug": str(spec.get("slug") or "").strip()}
    for name in ("organiser_name",):
        values[name] = str(spec.get(name) or "")
    for name, default in (("is_public", True), ("teachers_may_help", False), ("schools_must_join", False)):
        values[name] = bool(spec.get(name, default))
    values["judge_signals"] = list(spec.get("judge_signals", JUDGE_SIGNALS))
    values["timezone"] = str(spec.get("timezone") or "Asia/Hong_Kong")
    values.update(_texts(spec, "name", "name", errors))
    values.update(_texts(spec, "description", "description", errors))
    try:
        zone = zoneinfo.ZoneInfo(values["timezone"])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        errors.setdefault("timezone", []).append(_("Unknown time zone: %(tz)s") % {"tz": values["timezone"]})
        zone = None
    timeline = spec.get("timeline") or {}
    _unknown(timeline, TIMELINE_FIELDS, "timeline", errors)
    for name in TIMELINE_FIELDS:
        text = timeline.get(name)
        if text in (None, ""):
            values[name] = None
            continue
        if zone is None:
            continue
        try:
            values[name] = _typed_instant(text, zone, name)
        except TypedTimeError as exc:
            errors.setdefault(name, []).append(str(exc))
    if errors:
        raise SetupError(errors)
    return values


def _theme_rows(spec: Mapping[str, Any], errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    rows = []
    for index, row in enumerate(_rows(spec, "themes", errors)):
        _unknown(row, {"title", "description"}, f"themes.{index}", errors)
        rows.append({**_texts(row, "title", f"themes.{index}.title", errors),
                     **_texts(row, "description", f"themes.{index}.description", errors)})  # fmt: skip
    return rows


def _category_rows(spec: Mapping[str, Any], errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    rows = []
    plain = ["slug", "school_levels", "work_types", "min_team_size", "max_team_size", "any_theme", "themes",
             "submission_limit", "max_upload_mb"]  # fmt: skip
    for index, row in enumerate(_rows(spec, "categories", errors)):
        _unknown(row, {*plain, "name", "description"}, f"categories.{index}", errors)
        values = {name: row[name] for name in plain if name in row}
        values.update(_texts(row, "name", f"categories.{index}.name", errors))
        values.update(_texts(row, "description", f"categories.{index}.description", errors))
        for name in ("school_levels", "work_types", "themes"):
            values[name] = [str(v) for v in values.get(name) or []]
        values["any_theme"] = bool(values.get("any_theme", False))
        rows.append(values)
    return rows


def _criterion_rows(spec: Mapping[str, Any], errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    rows = []
    for index, row in enumerate(_rows(spec, "criteria", errors)):
        _unknown(
            row,
            {"key", "name", "weight", "min_score", "max_score", "descriptors"},
            f"criteria.{index}",
            errors,
        )
        values: dict[str, Any] = {"key": str(row.get("key") or "")}
        values.update(_texts(row, "name", f"criteria.{index}.name", errors))
        values["weight"] = _number(row.get("weight", 0), f"criteria.{index}.weight", errors)
        for name in ("min_score", "max_score"):
            if name in row:
                values[name] = row[name]
        descriptors = row.get("descriptors") or {}
        values["descriptors"] = (
            {str(k): v for k, v in descriptors.items()} if isinstance(descriptors, Mapping) else descriptors
        )
        rows.append(values)
    return rows


def apply_spec(actor: Any, spec: Mapping[str, Any]) -> tuple[Competition, Report]:
    """Create or update a whole competition from a spec; what it created, changed and removed."""
    values = competition_values(spec)
    errors: dict[str, list[str]] = {}
    themes, categories, criteria = (
        _theme_rows(spec, errors),
        _category_rows(spec, errors),
        _criterion_rows(spec, errors),
    )
    import zoneinfo

    zone = zoneinfo.ZoneInfo(values["timezone"])  # known: competition_values checked it
    sections = {name: section.read(_rows(spec, name, errors), zone, errors) for name, section in SPEC_SECTIONS.items()}
    if errors:
        raise SetupError(errors)
    report = Report()
    with transaction.atomic():
        competition = Competition.objects.filter(slug=values["slug"]).first()
        if competition is None:
            competition = create_competition(actor, values)
            report.lines.append(f"created competition {competition.slug}")
        else:
            changed = update_competition(actor, competition, values)
            if changed:
                report.lines.append(f"changed competition {competition.slug}: {', '.join(changed)}")
        report.extend(save_themes(actor, competition, themes))
        report.extend(save_categories(actor, competition, categories))
        report.extend(save_rubric(actor, competition, criteria))
        for name, section in SPEC_SECTIONS.items():
            report.extend(section.write(actor, competition, sections[name]))
    return competition, report


def _texts_out(obj: models.Model, base: str) -> dict[str, str]:
    return {code: getattr(obj, f"{base}_{suffix}") for code, suffix in LANGUAGES.items()}


def _weight_out(weight: Decimal) -> int | float:
    return int(weight) if weight == weight.to_integral_value() else float(weight)


def export_spec(competition: Competition) -> dict[str, Any]:
    """The whole competition as a spec (what `apply_spec` reads back to the same competition)."""
    zone = competition.zone
    timeline = {}
    for name, edge in TIMELINE_FIELDS.items():
        instant = getattr(competition, name)
        if instant is not None:
            timeline[name] = " ".join(typed_clock(instant, zone, edge))
    themes = list(competition.themes.order_by("order", "id"))
    spec = {
        "slug": competition.slug,
        "timezone": competition.timezone,
        "organiser_name": competition.organiser_name,
        "is_public": competition.is_public,
        "teachers_may_help": competition.teachers_may_help,
        "schools_must_join": competition.schools_must_join,
        "judge_signals": list(competition.judge_signals or []),
        "name": _texts_out(competition, "name"),
        "description": _texts_out(competition, "description"),
        "timeline": timeline,
        "themes": [
            {"title": _texts_out(t, "title"), "description": _texts_out(t, "description")} for t in themes
        ],
        "categories": [
            {
                "slug": c.slug,
                "name": _texts_out(c, "name"),
                "description": _texts_out(c, "description"),
                "school_levels": list(c.school_levels),
                "work_types": list(c.work_types),
                "min_team_size": c.min_team_size,
                "max_team_size": c.max_team_size,
                "any_theme": c.any_theme,
                "themes": [t.title_en for t in themes if t in set(c.themes.all())],
                "submission_limit": c.submission_limit,
                "max_upload_mb": c.max_upload_mb,
            }
            for c in competition.categories.order_by("order", "id")
        ],
        "criteria": [
            {
                "key": c.key,
                "name": _texts_out(c, "name"),
                "weight": _weight_out(c.weight),
                "min_score": c.min_score,
                "max_score": c.max_score,
                "descriptors": dict(c.descriptors or {}),
            }
            for c in competition.criteria.order_by("order", "id")
        ],
    }
    for name, section in SPEC_SECTIONS.items():
        rows = section.export(competition)
        if rows:
            spec[name] = rows
    return spec


def load_toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SetupError({"__all__": [_("The file is not valid TOML: %(error)s") % {"error": exc}]}) from exc


def dump_toml(spec: Mapping[str, Any]) -> str:
    import tomli_w

    return tomli_w.dumps(spec, multiline_strings=True)


# ---------------------------------------------------------------- cloning a past competition


def shifted_timeline(competition: Competition, days: int) -> dict[str, str]:
    """The timeline `days` later, as typed on the competition's clock (the same wall-clock times)."""
    zone = competition.zone
    shifted = {}
    for name, edge in TIMELINE_FIELDS.items():
        instant = getattr(competition, name)
        if instant is not None:
            local = instant.astimezone(zone)
            moved = datetime.combine(local.date() + timedelta(days=days), local.timetz().replace(tzinfo=None),
                                     tzinfo=zone)  # fmt: skip
            shifted[name] = " ".join(typed_clock(moved, zone, edge))
    return shifted


def clone_competition(actor: Any, source: Competition, *, slug: str, name_en: str, days: int) -> Competition:
    """A new competition like `source`: its details, themes, categories and rubric, under a new slug and
    English name, with every timeline date `days` later (the same times of day on its clock)."""
    if actor is not None:
        require(actor, "contests.view_competition", source)
    spec = export_spec(source)
    if Competition.objects.filter(slug=slug).exists():
        raise SetupError({"slug": [_("Another competition already has this short name.")]})
    spec["slug"] = slug
    spec["name"] = {**spec["name"], "en": name_en}
    spec["timeline"] = shifted_timeline(source, days)
    for name, section in SPEC_SECTIONS.items():
        if name in spec:
            spec[name] = section.shift(spec[name], source.zone, days) if section.shift else []
    competition, _report = apply_spec(actor, spec)
    return competition
