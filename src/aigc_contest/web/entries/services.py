"""Writes for teams and entries: the submission rules the server enforces.

Submission is allowed while `submission_opens_at <= now < submission_deadline` (server time, to the
microsecond). A refused submission changes nothing: the draft stays as it was.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aigc_contest.web.accounts.models import User
from aigc_contest.web.contests.models import Category, Theme
from aigc_contest.web.core.errors import ServiceError, require
from aigc_contest.web.entries.models import Entry, EntryVersion, Team
from aigc_contest.works.uploads import UploadInfo, UploadRejected, inspect_upload

UPLOAD_KINDS_BY_WORK_TYPE = {
    "image": {"png", "jpeg", "webp"},
    "storybook": {"pdf", "png", "jpeg", "webp"},
    "novel": {"pdf"},
    "finetuned_model": {"pdf", "png", "jpeg", "webp"},
    "application": {"pdf", "png", "jpeg", "webp"},
}


# ---------------------------------------------------------------- teams


def _check_team(category: Category, members: list[User], teacher: User | None) -> None:
    if not (category.min_team_size <= len(members) <= category.max_team_size):
        raise ServiceError(
            _("A team in this category has %(min)d to %(max)d members; this one has %(n)d.")
            % {"min": category.min_team_size, "max": category.max_team_size, "n": len(members)}
        )
    for member in members:
        if not member.is_student:
            raise ServiceError(_("%s is not a participant account.") % member)
        level = member.school.level if member.school else "open"
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


@transaction.atomic
def create_team(actor: User, category: Category, *, name: str, members: Iterable[User],
                supervising_teacher: User | None = None) -> Team:
    require(actor, "entries.create_team")
    members = list(members)
    if actor.is_teacher:
        supervising_teacher = supervising_teacher or actor
        if any(m.school_id != actor.school_id for m in members):
            raise ServiceError(_("You can only form teams of students at your own school."))
    elif actor.role == "participant" and actor not in members:
        raise ServiceError(_("You must be a member of a team you create."))
    name = name.strip()
    if not name or len(name) > 80:
        raise ServiceError(_("Give the team a name of at most 80 characters."))
    if Team.objects.filter(category=category, name=name).exists():
        raise ServiceError(_("Another team in this category already has that name."))
    _check_team(category, members, supervising_teacher)
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


def _check_theme(category: Category, theme: Theme | None) -> None:
    if theme is None:
        if not category.any_theme and category.themes.exists():
            raise ServiceError(_("Choose one of the category's themes."))
        return
    if theme.competition_id != category.competition_id:
        raise ServiceError(_("That theme belongs to another competition."))
    if not category.any_theme and not category.themes.filter(pk=theme.pk).exists():
        raise ServiceError(_("That theme is not one of this category's themes."))


@transaction.atomic
def start_entry(actor: User, team: Team, *, title: str, work_type: str, theme: Theme | None = None,
                description: str = "") -> Entry:
    require(actor, "entries.edit_entry", team)
    category = team.category
    if work_type not in category.work_types:
        raise ServiceError(_("This category does not accept that type of work."))
    _check_theme(category, theme)
    if Entry.objects.filter(team=team, category=category).exists():
        raise ServiceError(_("Your team already has an entry in this category."))
    title = title.strip()
    if not title:
        raise ServiceError(_("Give your work a title."))
    return Entry.objects.create(
        team=team, category=category, theme=theme, work_type=work_type, title=title[:200], description=description
    )


@transaction.atomic
def update_draft(actor: User, entry: Entry, *, title: str, description: str = "", theme: Theme | None = None) -> Entry:
    require(actor, "entries.edit_entry", entry)
    _check_theme(entry.category, theme)
    title = title.strip()
    if not title:
        raise ServiceError(_("Give your work a title."))
    entry.title, entry.description, entry.theme = title[:200], description[:5000], theme
    entry.save(update_fields=["title", "description", "theme", "updated_at"])
    return entry


def _upload_message(exc: UploadRejected) -> str:
    """The core's reason, worded in the page's language."""
    messages = {
        "empty": _("The file is empty."),
        "too_large": _("The file is %(size_mb)s MB; the limit is %(limit_mb)s MB."),
        "wrong_type": _("This type of file is not accepted here. Please upload %(allowed)s."),
        "too_many_pixels": _("The image is too large (too many pixels). Please make it smaller and try again."),
        "corrupt": _("The file could not be read; it may be damaged or cut short."),
        "unsafe_pdf": _("The PDF contains scripts or attached files, which are not allowed. Please export a plain PDF."),
    }
    template = messages.get(exc.code)
    if template is None:
        return exc.reason
    try:
        return template % exc.params if exc.params else template
    except (KeyError, TypeError, ValueError):
        return exc.reason


def upload_draft_file(actor: User, entry: Entry, *, filename: str, data: bytes) -> UploadInfo:
    """Check the file completely first; only a file that passes replaces the draft's file."""
    require(actor, "entries.edit_entry", entry)
    allowed = UPLOAD_KINDS_BY_WORK_TYPE.get(entry.work_type, {"pdf"})
    try:
        info = inspect_upload(data, allowed=allowed, max_bytes=entry.category.max_upload_mb * 1024 * 1024)
    except UploadRejected as exc:
        raise ServiceError(_upload_message(exc), exc.code) from exc
    safe_name = f"work{info.extension}"
    original = (filename or safe_name).rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:150]
    stored = default_storage.save(f"drafts/{entry.pk}/{info.sha256[:16]}{info.extension}", ContentFile(data))
    old_name = entry.draft_file.name if entry.draft_file else ""
    with transaction.atomic():
        locked = Entry.objects.select_for_update().get(pk=entry.pk)
        locked.draft_file.name = stored
        locked.draft_file_name = original
        locked.draft_file_sha256 = info.sha256
        locked.draft_mime = info.mime
        locked.draft_meta = {"width": info.width, "height": info.height, "pages": info.pages, "size": info.size}
        locked.save()
        if old_name and old_name != stored:
            transaction.on_commit(lambda: default_storage.delete(old_name))
    entry.refresh_from_db()
    return info


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
    original = (filename or "work").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:150]
    extension = ("." + original.rsplit(".", 1)[-1].lower()[:10]) if "." in original else ""
    stored = default_storage.save(f"drafts/{entry.pk}/{sha256[:16]}{extension}", ContentFile(data))
    old_name = entry.draft_file.name if entry.draft_file else ""
    with transaction.atomic():
        locked = Entry.objects.select_for_update().get(pk=entry.pk)
        locked.draft_file.name = stored
        locked.draft_file_name = original
        locked.draft_file_sha256 = sha256
        locked.draft_mime = mime[:40]
        locked.draft_meta = {"size": len(data), **(meta or {})}
        locked.save()
        if old_name and old_name != stored:
            transaction.on_commit(lambda: default_storage.delete(old_name))
    entry.refresh_from_db()
    return entry


def content_hash(*, file_sha256: str, title: str, description: str, work_type: str, theme_id: int | None) -> str:
    payload = json.dumps(
        {"file": file_sha256, "title": title, "description": description, "work_type": work_type, "theme": theme_id},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _check_consent(entry: Entry) -> None:
    missing = [m for m in entry.team.members.all() if not m.has_consent]
    if missing:
        raise ServiceError(
            _("A guardian's consent must be recorded by a teacher before submitting, for: %s")
            % ", ".join(str(m) for m in missing),
            "consent_missing",
        )


def submit_entry(actor: User, entry: Entry, now: datetime | None = None) -> EntryVersion:
    """Freeze the draft as a new immutable version, if the deadline has not passed.

    `now` is the instant the request arrived; the version either exists completely (row + file) or not at all.
    """
    now = now or timezone.now()
    require(actor, "entries.submit_entry", entry)
    competition = entry.category.competition
    if now < competition.submission_opens_at:
        raise ServiceError(_("Submissions have not opened yet."), "not_open")
    if now >= competition.submission_deadline:
        deadline = competition.local(competition.submission_deadline)
        raise ServiceError(
            _("The deadline (%(deadline)s, %(tz)s) has passed; your draft is kept but can no longer be submitted.")
            % {"deadline": deadline.strftime("%Y-%m-%d %H:%M:%S"), "tz": competition.timezone},
            "deadline_passed",
        )
    if not entry.draft_file:
        raise ServiceError(_("Upload your work before submitting."), "no_file")
    _check_consent(entry)

    # The file is copied to its content-addressed place before the row exists: a crash in between leaves an
    # unreferenced file, never a version without its file.
    draft_name = entry.draft_file.name or ""
    version_path = f"versions/{entry.draft_file_sha256[:2]}/{entry.draft_file_sha256}/{draft_name.rsplit('/', 1)[-1]}"
    if not default_storage.exists(version_path):
        with entry.draft_file.open("rb") as handle:
            saved = default_storage.save(version_path, ContentFile(handle.read()))
    else:
        saved = version_path

    with transaction.atomic():
        locked = Entry.objects.select_for_update().select_related("category").get(pk=entry.pk)
        count = locked.versions.count()
        if count >= locked.category.submission_limit:
            raise ServiceError(
                _("This category allows %d final submissions per entry; you have used them all.")
                % locked.category.submission_limit,
                "limit_reached",
            )
        version = EntryVersion(
            entry=locked,
            number=count + 1,
            submitted_at=now,
            submitted_by=actor,
            title=locked.title,
            description=locked.description,
            work_type=locked.work_type,
            theme=locked.theme,
            file_name=locked.draft_file_name,
            file_sha256=locked.draft_file_sha256,
            mime=locked.draft_mime,
            meta=locked.draft_meta,
            content_hash=content_hash(
                file_sha256=locked.draft_file_sha256,
                title=locked.title,
                description=locked.description,
                work_type=locked.work_type,
                theme_id=locked.theme_id,
            ),
        )
        version.file.name = saved
        version.save()
        locked.status = Entry.Status.SUBMITTED
        locked.withdrawn_at = None
        locked.save(update_fields=["status", "withdrawn_at", "updated_at"])
        transaction.on_commit(lambda: _send_receipt(version.pk))
    entry.refresh_from_db()
    return version


def _send_receipt(version_pk: int) -> None:
    from aigc_contest.web.core import notifications

    notifications.submission_receipt(EntryVersion.objects.select_related("entry__team").get(pk=version_pk))


def send_deadline_reminders(now: datetime | None = None, within: timedelta = timedelta(hours=48)) -> int:
    """Remind each team with an unsubmitted draft once, when its competition's deadline is near."""
    from aigc_contest.web.core import notifications

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
                sent += notifications.deadline_reminder(entry.category.competition, [entry])
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
    entry.refresh_from_db()
    return entry
