"""Writes for people and schools: registering students, recording consent, and the record of who changed
participants' data on their behalf."""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from aigc_contest.web.accounts.models import ChangeRecord, GuardianConsent, Role, School, User
from aigc_contest.web.accounts.selectors import competition_id_of
from aigc_contest.web.core.errors import PermissionDenied, ServiceError, require

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")


def save_new_account(user: User, password: str) -> User:
    """A new account (one that chose its own password: a sign-up or an accepted invitation) saved with the
    password checked by Django's validators; a taken login name is refused, not a database error."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages), "password") from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ServiceError(_("That login name is taken; choose another."), "username") from exc
    return user
GRADE_RE = re.compile(r"^(P[1-6]|S[1-6]|K[1-3]|U[1-6]|SEN|ADULT)?$", re.IGNORECASE)
STUDENT_CSV_COLUMNS = ["username", "display_name", "grade", "is_adult", "needs_support"]
MAX_IMPORT_ROWS = 2000
TRUE_WORDS = {"1", "true", "yes", "y", "是"}
FALSE_WORDS = {"", "0", "false", "no", "n", "否"}


@dataclass
class RowError:
    line: int
    reason: str


@dataclass
class ImportResult:
    created: list[tuple[User, str]] = field(default_factory=list)  # (student, initial password)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _shown(value: Any) -> Any:
    """A value as the change record keeps it: JSON-friendly, objects by their name."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return sorted(str(v) for v in value)
    return str(value)


def record_change(actor: Any, obj: Model, action: str, changes: Mapping[str, tuple[Any, Any] | list[Any]] | None = None,
                  *, via: str = ChangeRecord.Via.SITE, competition: Any = None) -> ChangeRecord:
    """Note that `actor` changed `obj` (`changes`: field -> (before, after)). Passwords are never kept.
    The record names the competition it concerns (`competition`, or the object's own), for its audit log."""
    kept = {}
    for name, pair in (changes or {}).items():
        before, after = pair
        if "password" in name:
            before, after = ("…" if before else None), "…"
        kept[name] = [_shown(before), _shown(after)]
    return ChangeRecord.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=getattr(actor, "username", "") or "",
        via=via,
        action=action[:80],
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk or "")[:64],
        object_repr=str(obj)[:200],
        changes=kept,
        competition_id=getattr(competition, "pk", competition) or competition_id_of(obj),
    )


def changes_to(obj: Model) -> Any:
    """The change records of one object, newest first."""
    return ChangeRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False), object_id=str(obj.pk)
    ).select_related("actor")


def new_password() -> str:
    """Easy to read aloud to a child: no 0/O or 1/l look-alikes."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


def _parse_flag(value: str, column: str) -> bool:
    lowered = value.strip().lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise ValueError(_("%(column)s must be yes or no, not “%(value)s”") % {"column": column, "value": value})


def import_students_csv(actor: User, school: School, text: str) -> ImportResult:
    """Register a class from CSV. Every row is validated; if any row is bad, nothing is imported.

    Columns: username, display_name, grade[, is_adult][, needs_support]. Only what the platform needs:
    no real names are required (a display name may be a nickname), no birth dates, no contact details.
    """
    require(actor, "accounts.manage_roster", school)
    result = ImportResult()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("username", "display_name", "grade") if c not in header]
    unknown = [c for c in header if c not in STUDENT_CSV_COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(_("missing columns: %s") % ", ".join(missing))
        if unknown:
            parts.append(_("unknown columns: %s") % ", ".join(unknown))
        result.errors.append(RowError(1, "; ".join(parts)))
        return result
    reader.fieldnames = header

    rows: list[tuple[int, dict[str, str]]] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if len(rows) >= MAX_IMPORT_ROWS:
            result.errors.append(RowError(line, _("too many rows: at most %d per file") % MAX_IMPORT_ROWS))
            break
        if None in row:
            result.errors.append(RowError(line, _("more values than columns")))
            continue
        values = {k: (v or "").strip() for k, v in row.items()}
        if not any(values.values()):
            continue  # blank line
        problems = []
        username = values["username"].lower()
        if not USERNAME_RE.match(username):
            problems.append(_("username must be 3–40 lower-case letters, digits, dots, dashes or underscores"))
        elif username in seen:
            problems.append(_("username %(u)s repeats line %(line)d") % {"u": username, "line": seen[username]})
        if not values["display_name"]:
            problems.append(_("display name is empty"))
        elif len(values["display_name"]) > 80:
            problems.append(_("display name is longer than 80 characters"))
        if not GRADE_RE.match(values["grade"]):
            problems.append(_("grade must look like P1–P6, S1–S6, K1–K3, SEN or ADULT"))
        for column in ("is_adult", "needs_support"):
            try:
                _parse_flag(values.get(column, ""), column)
            except ValueError as exc:
                problems.append(str(exc))
        if problems:
            result.errors.append(RowError(line, "; ".join(problems)))
        seen.setdefault(username, line)
        rows.append((line, values | {"username": username}))

    taken = set(User.objects.filter(username__in=[v["username"] for _, v in rows]).values_list("username", flat=True))
    for line, values in rows:
        if values["username"] in taken:
            result.errors.append(RowError(line, _("username %s is already taken") % values["username"]))
    if result.errors:
        result.errors.sort(key=lambda e: e.line)
        return result
    if not rows:
        result.errors.append(RowError(1, _("the file has no students")))
        return result

    with transaction.atomic():
        for _line, values in rows:
            password = new_password()
            student = User(
                username=values["username"],
                display_name=values["display_name"],
                grade=values["grade"].upper(),
                role=Role.STUDENT,
                school=school,
                is_adult=_parse_flag(values.get("is_adult", ""), "is_adult"),
                needs_support=_parse_flag(values.get("needs_support", ""), "needs_support"),
            )
            student.set_password(password)
            student.save()
            result.created.append((student, password))
    return result


def create_student(actor: User, school: School, *, username: str, display_name: str, grade: str = "",
                   is_adult: bool = False, needs_support: bool = False) -> tuple[User, str]:
    """One student: the same rules as a one-row CSV import."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(STUDENT_CSV_COLUMNS)
    writer.writerow([username, display_name, grade, "yes" if is_adult else "no", "yes" if needs_support else "no"])
    result = import_students_csv(actor, school, buffer.getvalue())
    if not result.ok:
        raise ServiceError("; ".join(e.reason for e in result.errors))
    return result.created[0]


def reset_password(actor: User, student: User) -> str:
    """A new password for a student (their teacher or an organiser), recorded with who set it."""
    require(actor, "accounts.reset_password", student)
    password = new_password()
    student.set_password(password)
    student.save(update_fields=["password"])
    record_change(actor, student, "set password", {"password": (True, True)})
    return password


def unlock_login(actor: User, username: str) -> int:
    """Let a login name sign in again after repeated wrong passwords (every address)."""
    from aigc_contest.web.accounts import lockout

    username = username.strip()
    student = User.objects.filter(username=username).first()
    require(actor, "accounts.unlock_login", student)
    removed = lockout.unlock(username)
    if student is not None:
        record_change(actor, student, "unlock sign-in", {"failed attempts": (removed, 0)})
    return removed


def set_needs_support(actor: User, student: User, needs_support: bool) -> bool:
    """Mark a student as needing learning support, or lift the mark: their teacher (the school's roster)
    or an organiser. The change is recorded with who made it. Returns whether anything changed."""
    require(actor, "accounts.view_student", student)
    if student.role not in {Role.STUDENT, Role.PARTICIPANT} or not actor.has_perm("accounts.manage_roster", student.school):
        raise PermissionDenied(_("You cannot change this student's support mark."))
    before = student.needs_support
    if before == needs_support:
        return False
    student.needs_support = needs_support
    student.save(update_fields=["needs_support"])
    record_change(actor, student, "needs learning support", {"needs_support": (before, needs_support)})
    return True


def record_consent(actor: User, student: User, method: str) -> GuardianConsent:
    require(actor, "accounts.record_consent", student)
    if method not in GuardianConsent.Method.values:
        raise ServiceError(_("Choose how the guardian gave consent."))
    return GuardianConsent.objects.create(student=student, method=method, recorded_by=actor)


def revoke_consent(actor: User, student: User) -> int:
    require(actor, "accounts.record_consent", student)
    return student.consents.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
