"""Writes for teams and entries: the submission rules the server enforces.

Submission is allowed while `submission_opens_at <= now < submission_deadline` (server time, to the
microsecond). A refused submission changes nothing: the draft stays as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from aigc_contest.web.accounts.models import GuardianConsent, SchoolLevel, User
from aigc_contest.web.accounts.services import record_change
from aigc_contest.web.contests.models import Category, Competition, Theme
from aigc_contest.web.core.errors import ServiceError, require
from aigc_contest.web.core.zoned import clock_in_zone
from aigc_contest.web.entries.models import Entry, EntryVersion, Team, blob_path, content_hash
from aigc_contest.web.entries.rules import is_team_member
from aigc_contest.web.entries.selectors import school_not_admitted_text
from aigc_contest.web.moderation.services import screen_text
from aigc_contest.web.notifications import emails
from aigc_contest.works.uploads import (
    UploadInfo,
    UploadRejected,
    download_name,
    extension_for_mime,
    inspect_upload,
)

UPLOAD_KINDS_BY_WORK_TYPE = {
    "image": {"png", "jpeg", "webp"},
    "storybook": {"pdf", "png", "jpeg", "webp"},
    "novel": {"pdf"},
    "finetuned_model": {"pdf", "png", "jpeg", "webp", "safetensors"},
    "application": {"pdf", "png", "jpeg", "webp"},
}


# ---------------------------------------------------------------- teams


def school_only_text(category: Category) -> str:
    """Why a team without a school cannot enter a category for school teams."""
    return _("“%(cat)s” is for school teams only. A team without a school (adults, international teams) can "
             "enter the categories open to everyone.") % {"cat": category.tr("name")}


def _check_team(category: Category, members: list[User], teacher: User | None, *, forming: bool = False) -> None:
    smallest = 1 if forming else category.min_team_size
    if not (smallest <= len(members) <= category.max_team_size):
        raise ServiceError(
            _("A team in this category has %(min)d to %(max)d members; this one has %(n)d.")
            % {"min": category.min_team_size, "max": category.max_team_size, "n": len(members)}
        )
    for member in members:
        if not member.is_student:
            raise ServiceError(_("%s is not a participant account.") % member)
        if member.school is None and not category.admits_level(SchoolLevel.OPEN):
            raise ServiceError(school_only_text(category), "school_only")
        level = member.school.level if member.school else SchoolLevel.OPEN
        if not category.admits_level(level):
            raise ServiceError(_("%(who)s's school is not eligible for %(cat)s.") % {"who": member, "cat": category.tr("name")})
    schools = {m.school_id for m in members}
    if len(schools) > 1:
        raise ServiceError(_("All members of a team come from the same school."))
    if teacher is not None and members and teacher.school_id != members[0].school_id:
        raise ServiceError(_("The supervising teacher must teach at the team's school."))
    clash = (
        Team.objects.filter(category=category, members__in=members)
        .values_list("members__display_name", "members__username")
        .distinct()
    )
    if clash:
        names = ", ".join(d or u for d, u in clash)
        raise ServiceError(_("Already in a team in this category: %s") % names)


def create_team(actor: User, category: Category, *, name: str, members: Iterable[User],
                supervising_teacher: User | None = None, forming: bool = False) -> Team:
    """`forming`: a team outside schools starts with its captain and brings the others in by link, so it may
    be smaller than the category's smallest team until it submits."""
    require(actor, "entries.create_team", category)
    screen_text(actor, name)  # before the transaction, so a refusal stays in the audit log
    with transaction.atomic():
        members = list(members)
        if actor.is_teacher:
            supervising_teacher = supervising_teacher or actor
            if any(m.school_id != actor.school_id for m in members):
                raise ServiceError(_("You can only form teams of students at your own school."))
        elif actor.role == "participant" and actor not in members:
            raise ServiceError(_("You must be a member of a team you create."))
        name = name.strip()
        if not name or len(name) > 80:
            raise ServiceError(_("Give the team a name of at most 80 characters."), "name")
        if Team.objects.filter(category=category, name=name).exists():
            raise ServiceError(_("Another team in this category already has that name."), "name")
        _check_team(category, members, supervising_teacher, forming=forming)
        team = Team.objects.create(
            competition=category.competition,
            category=category,
            name=name,
            school=members[0].school if members else None,
            supervising_teacher=supervising_teacher,
        )
        team.members.set(members)
        return team


# ---------------------------------------------------------------- entries


def _note_if_on_behalf(actor: User, obj: Entry, action: str, changes: dict[str, tuple[Any, Any]] | None = None) -> None:
    """A change to a team's work by someone outside the team (a helping teacher) is recorded with their name."""
    if not is_team_member(actor, obj):
        record_change(actor, obj, action, changes)



def _check_theme(category: Category, theme: Theme | None) -> None:
    if theme is None:
        if not category.any_theme and category.themes.exists():
            raise ServiceError(_("Choose one of the category's themes."))
        return
    if theme.competition_id != category.competition_id:
        raise ServiceError(_("That theme belongs to another competition."))
    if not category.any_theme and not category.themes.filter(pk=theme.pk).exists():
        raise ServiceError(_("That theme is not one of this category's themes."))


def start_entry(actor: User, team: Team, *, title: str, work_type: str, theme: Theme | None = None,
                description: str = "") -> Entry:
    require(actor, "entries.edit_entry", team)
    screen_text(actor, f"{title}\n{description}")
    with transaction.atomic():
        category = team.category
        if work_type not in category.work_types:
            raise ServiceError(_("This category does not accept that type of work."))
        _check_theme(category, theme)
        if Entry.objects.filter(team=team, category=category).exists():
            raise ServiceError(_("Your team already has an entry in this category."))
        title = title.strip()
        if not title:
            raise ServiceError(_("Give your work a title."))
        entry = Entry.objects.create(
            team=team, category=category, theme=theme, work_type=work_type, title=title[:200], description=description
        )
        _note_if_on_behalf(actor, entry, "start entry", {"title": (None, entry.title), "work_type": (None, work_type)})
        return entry


def update_draft(actor: User, entry: Entry, *, title: str, description: str = "", theme: Theme | None = None) -> Entry:
    require(actor, "entries.edit_entry", entry)
    screen_text(actor, f"{title}\n{description}")
    with transaction.atomic():
        _check_theme(entry.category, theme)
        title = title.strip()
        if not title:
            raise ServiceError(_("Give your work a title."))
        before = {"title": entry.title, "description": entry.description, "theme": entry.theme}
        entry.title, entry.description, entry.theme = title[:200], description[:5000], theme
        entry.save(update_fields=["title", "description", "theme", "updated_at"])
        changed = {k: (v, getattr(entry, k)) for k, v in before.items() if v != getattr(entry, k)}
        if changed:
            _note_if_on_behalf(actor, entry, "save draft", changed)
        return entry


def _upload_message(exc: UploadRejected) -> str:
    """The core's reason, worded in the page's language."""
    messages = {
        "empty": _("The file is empty."),
        "too_large": _("The file is %(size_mb)s MB; the limit is %(limit_mb)s MB."),
        "wrong_type": _("This type of file is not accepted here. Please upload %(allowed)s."),
        "too_many_pixels": _("The image is too large (too many pixels). Please make it smaller and try again."),
        "corrupt": _("The file could not be read; it may be damaged or cut short."),
        "unsafe_pdf": _("The PDF contains scripts, forms, attached files or other active content, which are not "
                        "allowed. Please export a plain PDF."),
        "encrypted_pdf": _("The PDF is protected with a password. Please export it again without one."),
        "not_lora": _("This file is not a LoRA for an image model. Please upload the .safetensors file your training made."),
    }
    template = messages.get(exc.code)
    if template is None:
        return exc.reason
    try:
        return template % exc.params if exc.params else template
    except (KeyError, TypeError, ValueError):
        return exc.reason


def read_upload(entry: Entry, upload: Any) -> bytes:
    """An uploaded file's bytes, refused before reading when it is over the category's limit (and never more
    than limit + 1 bytes read, whatever size the client claimed)."""
    limit = entry.category.max_upload_mb * 1024 * 1024
    size = getattr(upload, "size", None) or 0
    if size > limit:
        raise ServiceError(_upload_message(UploadRejected(
            "too large", "too_large", size_mb=round(size / 1_048_576, 1), limit_mb=round(limit / 1_048_576))),
            "too_large")  # fmt: skip
    data: bytes = upload.read(limit + 1)
    if len(data) > limit:
        raise ServiceError(_upload_message(UploadRejected(
            "too large", "too_large", size_mb=round(len(data) / 1_048_576, 1), limit_mb=round(limit / 1_048_576))),
            "too_large")  # fmt: skip
    return data


def upload_draft_file(actor: User, entry: Entry, *, filename: str, data: bytes) -> UploadInfo:
    """Check the file completely first; only a file that passes replaces the draft's file."""
    require(actor, "entries.edit_entry", entry)
    allowed = UPLOAD_KINDS_BY_WORK_TYPE.get(entry.work_type, {"pdf"})
    try:
        info = inspect_upload(data, allowed=allowed, max_bytes=entry.category.max_upload_mb * 1024 * 1024)
    except UploadRejected as exc:
        raise ServiceError(_upload_message(exc), exc.code) from exc
    original = download_name(filename, info.extension)
    before = entry.draft_file_name
    # What is stored is what the check passed (a PDF: its rebuilt copy); its hash is the one a receipt shows.
    _replace_draft_file(
        entry, info.content or data, sha256=info.sha256, extension=info.extension, original=original, mime=info.mime,
        meta={"width": info.width, "height": info.height, "pages": info.pages, "size": info.size},
    )
    _note_if_on_behalf(actor, entry, "upload file", {"file": (before, f"{original} (SHA-256 {info.sha256[:16]})")})
    return info


def _store_blob(data: bytes, sha256: str, extension: str) -> str:
    """Write the bytes to their content-addressed name unless a complete copy is there already."""
    name = blob_path(sha256, extension)
    try:
        if default_storage.exists(name) and default_storage.size(name) == len(data) and _stored_sha256(name) == sha256:
            return name
    except OSError:
        pass
    # Absent, cut short by a crash while it was written, or damaged: the storage picks a free name beside it,
    # so the stored file is always the one whose hash the version records.
    return default_storage.save(name, ContentFile(data))


def _stored_sha256(name: str) -> str:
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _delete_if_unreferenced(name: str) -> None:
    """Remove a replaced draft file unless a submitted version or another draft still uses it (blobs are
    shared: a version is made from the draft's file without a copy, and equal uploads share one blob)."""
    if not name:
        return
    if EntryVersion.objects.filter(file=name).exists() or Entry.objects.filter(draft_file=name).exists():
        return
    default_storage.delete(name)


def _replace_draft_file(entry: Entry, data: bytes, *, sha256: str, extension: str, original: str, mime: str,
                        meta: dict) -> None:
    stored = _store_blob(data, sha256, extension)
    with transaction.atomic():
        locked = Entry.objects.select_for_update().get(pk=entry.pk)
        old_name = locked.draft_file.name or ""
        locked.draft_file.name = stored
        locked.draft_file_name = original
        locked.draft_file_sha256 = sha256
        locked.draft_mime = mime[:40]
        locked.draft_meta = meta
        locked.save()
        if old_name and old_name != stored:
            transaction.on_commit(lambda: _delete_if_unreferenced(old_name))
    if not default_storage.exists(stored):
        # Another entry let go of this very blob between our write and our commit: write it again.
        default_storage.save(stored, ContentFile(data))
    entry.refresh_from_db()


def set_draft_from_work(actor: User, entry: Entry, *, filename: str, data: bytes, mime: str,
                        meta: dict | None = None) -> Entry:
    """Store a file the platform made (e.g. the studio's playable novel) as the entry's draft file.

    Same storage pattern as `upload_draft_file`, without the upload sniffing: the bytes come from our own
    exporter, not from the participant's disk. `submit_entry` then freezes it as a version."""
    require(actor, "entries.edit_entry", entry)
    if not data:
        raise ServiceError(_("The file is empty."), "empty")
    limit = entry.category.max_upload_mb * 1024 * 1024
    if len(data) > limit:
        raise ServiceError(
            _("The file is %(size_mb)s MB; the limit is %(limit_mb)s MB.")
            % {"size_mb": round(len(data) / 2**20, 1), "limit_mb": entry.category.max_upload_mb},
            "too_large",
        )
    sha256 = hashlib.sha256(data).hexdigest()
    before = entry.draft_file_name
    # The name keeps the extension of the file's type (the exporter's mime), whatever the name said.
    extension = extension_for_mime(mime)
    original = download_name(filename, extension)
    if not extension and "." in original:
        extension = "." + original.rsplit(".", 1)[-1].lower()[:10]
        if not extension.isascii() or not extension[1:].isalnum():
            extension = ""
    _replace_draft_file(entry, data, sha256=sha256, extension=extension, original=original, mime=mime,
                        meta={"size": len(data), **(meta or {})})
    _note_if_on_behalf(actor, entry, "set file from the studio", {"file": (before, f"{original} (SHA-256 {sha256[:16]})")})
    return entry


class EntryNotFound(ServiceError):
    """No such entry, or one the person may not see (the API answers 404 for both)."""

    def __init__(self) -> None:
        super().__init__(_("Not found"), "not_found")


@dataclass(frozen=True)
class Submission:
    version: EntryVersion
    created: bool  # False: a retry that named the latest version's content hash; nothing was made
    entry: Entry  # the entry as the submission left it


def _has_consent(member: User) -> bool:
    """`User.has_consent`'s rule, answered from the `has_active_consent` annotation the submission loaded
    with the team's members, instead of a query per member."""
    if member.is_adult or not member.is_student:
        return True
    return bool(member.has_active_consent)  # type: ignore[attr-defined]


def _check_consent(members: list[User]) -> None:
    missing = [m for m in members if not _has_consent(m)]
    if missing:
        raise ServiceError(
            _("A guardian's consent must be recorded by a teacher before submitting, for: %s")
            % ", ".join(str(m) for m in missing),
            "consent_missing",
        )


# What a submission reads, and only that: building the SQL for every column of five tables costs more
# server time than the database spends answering. A field left out still loads (one more query) if read.
_SUBMISSION_FIELDS = (
    "team_id", "category_id", "theme_id", "work_type", "title", "description", "status", "draft_file",
    "draft_file_name", "draft_file_sha256", "draft_mime", "draft_meta", "withdrawn_at", "version_count",
    "category__competition_id", "category__submission_limit", "category__min_team_size",
    "category__competition__timezone", "category__competition__submission_opens_at",
    "category__competition__submission_deadline", "category__competition__schools_must_join",
    "team__name", "team__school_id", "team__supervising_teacher_id",
)
_MEMBER_FIELDS = ("id", "username", "display_name", "email", "role", "is_adult")


def _locked_for_submission(entry_id: int) -> Entry | None:
    """The entry row locked (and only that row: locking the competition would queue every team behind
    one another), with what the checks read: category, competition, team, the teacher's email, and the
    members with their consent, in two queries."""
    active_consent = GuardianConsent.objects.filter(student=OuterRef("pk"), revoked_at__isnull=True)
    members = User.objects.only(*_MEMBER_FIELDS).annotate(has_active_consent=Exists(active_consent))
    return (
        Entry.objects.select_for_update(of=("self",))
        .select_related("category__competition", "team")
        .only(*_SUBMISSION_FIELDS)
        .annotate(teacher_email=F("team__supervising_teacher__email"))
        .prefetch_related(Prefetch("team__members", queryset=members))
        .filter(pk=entry_id)
        .order_by()
        .first()
    )


def _check_school_admitted(competition: Competition, team: Team) -> None:
    """A competition whose schools ask to join takes submissions only from the schools an organiser let in."""

    text = school_not_admitted_text(competition, team)
    if text:
        raise ServiceError(text, "school_not_admitted")


def submit(actor: User, entry_id: int, *, now: datetime | None = None, expected_content_hash: str | None = None,
           visible_perm: str | None = None) -> Submission:
    """Freeze the draft as a new immutable version, if the deadline has not passed.

    `now` is the instant the request arrived. Everything happens in one transaction on the locked entry
    row: the version row (which names the draft's content-addressed file: no file is written), the
    entry's status and version count, and the receipt's email job. A crash leaves all of it or none.
    `expected_content_hash`: when it equals the latest version's, that version is answered and nothing
    is made (a client's safe retry). `visible_perm`: the entry is "not found" for whoever lacks it.
    """
    now = now or timezone.now()
    with transaction.atomic():
        entry = _locked_for_submission(entry_id)
        if entry is None or (visible_perm and not actor.has_perm(visible_perm, entry)):
            raise EntryNotFound
        if expected_content_hash and entry.version_count:
            latest = entry.versions.order_by("-number").first()
            if latest is not None and latest.content_hash == expected_content_hash:
                return Submission(latest, False, entry)
        require(actor, "entries.submit_entry", entry)
        competition = entry.category.competition
        if now < competition.submission_opens_at:
            raise ServiceError(_("Submissions have not opened yet."), "not_open")
        if now >= competition.submission_deadline:
            raise ServiceError(
                _("The deadline (%(deadline)s, %(tz)s) has passed; your draft is kept but can no longer be "
                  "submitted.")
                % {"deadline": clock_in_zone(competition.submission_deadline, competition), "tz": competition.timezone},
                "deadline_passed",
            )
        _check_school_admitted(competition, entry.team)
        if not entry.draft_file:
            raise ServiceError(_("Upload your work before submitting."), "no_file")
        members = list(entry.team.members.all())
        if len(members) < entry.category.min_team_size:
            raise ServiceError(
                _("A team in this category has at least %(min)d members; yours has %(n)d. Bring the others in "
                  "with a link from the team page, then submit. Your draft is kept.")
                % {"min": entry.category.min_team_size, "n": len(members)},
                "team_too_small",
            )
        _check_consent(members)
        limit = entry.category.submission_limit
        if entry.version_count >= limit:
            raise ServiceError(
                _("This category allows %d final submissions per entry; you have used them all.") % limit,
                "limit_reached",
            )
        version = EntryVersion(
            entry=entry,
            number=entry.version_count + 1,
            submitted_at=now,
            submitted_by=actor,
            title=entry.title,
            description=entry.description,
            work_type=entry.work_type,
            theme_id=entry.theme_id,
            file_name=entry.draft_file_name,
            file_sha256=entry.draft_file_sha256,
            mime=entry.draft_mime,
            meta=entry.draft_meta,
            content_hash=content_hash(
                file_sha256=entry.draft_file_sha256,
                title=entry.title,
                description=entry.description,
                work_type=entry.work_type,
                theme_id=entry.theme_id,
            ),
        )
        # The draft's file is immutable (named by its content) and kept while any version names it.
        version.file.name = entry.draft_file.name
        version.save()
        entry.version_count = version.number
        entry.status = Entry.Status.SUBMITTED
        entry.withdrawn_at = None
        entry.save(update_fields=["version_count", "status", "withdrawn_at", "updated_at"])
        _note_if_on_behalf(actor, entry, "submit", {"version": (version.number - 1 or None, version.number)})
        emails.queue_submission_receipt(actor, version, members, teacher_email=entry.teacher_email)  # type: ignore[attr-defined]  # annotated by the locked query
    return Submission(version, True, entry)


def submit_entry(actor: User, entry: Entry, now: datetime | None = None) -> EntryVersion:
    """`submit` for a loaded entry, which then shows the state the submission left (as a refresh would)."""
    submission = submit(actor, entry.pk, now=now)
    for field in Entry._meta.concrete_fields:
        setattr(entry, field.attname, getattr(submission.entry, field.attname))
    return submission.version


def send_deadline_reminders(now: datetime | None = None, within: timedelta = timedelta(hours=48)) -> int:
    """Remind each team with an unsubmitted draft once, when its competition's deadline is near."""
    now = now or timezone.now()
    due = (
        Entry.objects.filter(
            status=Entry.Status.DRAFT,
            reminder_sent_at__isnull=True,
            category__competition__submission_deadline__gt=now,
            category__competition__submission_deadline__lte=now + within,
        )
        .select_related("team__supervising_teacher", "category__competition")
        .prefetch_related("team__members")
    )
    sent = 0
    for entry in due:
        with transaction.atomic():
            # Claim the entry first so two schedulers never remind twice.
            claimed = Entry.objects.filter(pk=entry.pk, reminder_sent_at__isnull=True).update(reminder_sent_at=now)
            if claimed:
                sent += emails.deadline_reminder(entry.category.competition, [entry])
    return sent


def withdraw_entry(actor: User, entry: Entry, now: datetime | None = None) -> Entry:
    now = now or timezone.now()
    require(actor, "entries.withdraw_entry", entry)
    if now >= entry.category.competition.submission_deadline:
        raise ServiceError(_("After the deadline an entry can no longer be withdrawn; ask the organiser."), "deadline_passed")
    with transaction.atomic():
        locked = Entry.objects.select_for_update().get(pk=entry.pk)
        locked.status = Entry.Status.WITHDRAWN
        locked.withdrawn_at = now
        locked.save(update_fields=["status", "withdrawn_at", "updated_at"])
        _note_if_on_behalf(actor, locked, "withdraw", {"status": (entry.status, locked.status)})
    entry.refresh_from_db()
    return entry


def teachers_to_message(competition: Competition, category: Category | None = None) -> list[User]:
    """The teachers of the schools with a team in the competition (or in one category of it)."""
    teams = Team.objects.filter(competition=competition)
    if category is not None:
        teams = teams.filter(category=category)
    schools = teams.exclude(school__isnull=True).values("school")
    return list(User.objects.filter(role="teacher", is_active=True, school__in=schools).order_by("pk"))


def message_teachers(actor: User, competition: Competition, *, subject: str, body: str,
                     category: Category | None = None) -> tuple[int, int]:
    """Queue the organiser's message to every teacher taking part; (queued, teachers without an address).
    All or nothing: the e-mail jobs commit together with the change record."""
    require(actor, "contests.message_teachers", competition)
    subject, body = " ".join(subject.split()), body.strip()
    if not subject or not body:
        raise ServiceError(_("Write a subject and a message."), "invalid")
    teachers = teachers_to_message(competition, category)
    queued = 0
    with transaction.atomic():
        for teacher in teachers:
            if emails.queue_teacher_message(actor, competition, teacher, subject=subject[:200], body=body) is not None:
                queued += 1
        record_change(actor, competition, "message to teachers", {
            "subject": (None, subject[:200]), "teachers": (None, queued),
            "category": (None, category.slug if category else "all"),
        })
    return queued, len(teachers) - queued
