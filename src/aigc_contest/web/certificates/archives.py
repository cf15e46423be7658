"""A ZIP of each school's certificates, built by a worker and e-mailed to the school's teachers.

The organiser starts one `certificates.school_archive` job per school that holds live certificates.
The worker streams each PDF from storage into a ZIP on disk (never the whole archive in memory), stores
it under a new key, records it as the school's latest `SchoolArchive` and, in the same transaction,
queues one e-mail per teacher of the school with the link to download it. Downloads stream the stored
file after the permission check (the organisers and the school's teachers). A retried build that had
already finished (the row carries its job id) does nothing twice.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import uuid as uuid_lib
import zipfile
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from aigc_contest.web.accounts.models import Role, School, User
from aigc_contest.web.certificates.models import SCHOOL_ARCHIVE_KIND, Certificate, SchoolArchive
from aigc_contest.web.contests.models import Competition
from aigc_contest.web.core.errors import ServiceError, require
from aigc_contest.web.jobs.kinds import get_kind, jobs_config
from aigc_contest.web.jobs.models import Job
from aigc_contest.web.jobs.services import wake_workers
from aigc_contest.web.judging.selectors import embargo_lifted
from aigc_contest.web.notifications.emails import render_message
from aigc_contest.web.notifications.jobs import enqueue_email

COPY_CHUNK = 1 << 20


def school_certificates(competition: Competition, school: School) -> QuerySet[Certificate]:
    """The school's live certificates: its teams' members, and its people holding one without a team."""
    return (
        Certificate.objects.filter(competition=competition, revoked_at__isnull=True)
        .filter(Q(team__school=school) | Q(team__isnull=True, user__school=school))
        .select_related("user", "team")
        .order_by("team__name", "user__display_name", "kind", "id")
    )


def schools_with_certificates(competition: Competition) -> QuerySet[School]:
    live = Certificate.objects.filter(competition=competition, revoked_at__isnull=True)
    return School.objects.filter(
        Q(pk__in=live.values("team__school"))
        | Q(pk__in=live.filter(team__isnull=True).values("user__school"))
    ).order_by("name_en")


def _safe(text: str) -> str:
    """A name usable as a path part inside a ZIP on every system (Chinese kept)."""
    cleaned = re.sub(r'[\x00-\x1f<>:"/\\|?*]+', " ", text).strip(" .")
    return cleaned[:80] or "-"


def member_name(certificate: Certificate) -> str:
    holder = _safe(certificate.user.display_name or certificate.user.username)
    what = certificate.award_kind if certificate.kind == Certificate.Kind.AWARD else "participation"
    folder = _safe(certificate.team.name) if certificate.team else _safe(_("Without a team"))
    return f"{folder}/{holder} - {what} - {str(certificate.uuid)[:8]}.pdf"


@dataclass
class BuildReport:
    certificates: int
    size: int
    emailed: int


def _teachers(school: School) -> list[User]:
    return list(User.objects.filter(school=school, role=Role.TEACHER, is_active=True).exclude(email=""))


def build(
    competition: Competition,
    school: School,
    *,
    job_id: int | None = None,
    owner: User | None = None,
    now: datetime | None = None,
) -> BuildReport:
    """Build the school's ZIP, record it and queue the teachers' e-mails (see the module docstring)."""
    if job_id is not None:
        done = SchoolArchive.objects.filter(job_id=job_id).first()
        if done is not None:
            return BuildReport(done.certificates, done.size, done.emailed)
    now = now or timezone.now()
    if not embargo_lifted(competition, now):
        raise ServiceError(_("Certificates are issued once the results are announced."), "embargo")
    certificates = list(school_certificates(competition, school))
    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for certificate in certificates:
                with (
                    certificate.pdf.open("rb") as source,
                    archive.open(member_name(certificate), "w") as target,
                ):
                    shutil.copyfileobj(source, target, COPY_CHUNK)
        size = spool.tell()
        spool.seek(0)
        record = SchoolArchive(
            competition=competition,
            school=school,
            certificates=len(certificates),
            size=size,
            built_at=now,
            job_id=job_id,
        )
        record.file.save(f"{school.code}-{uuid_lib.uuid4().hex[:12]}.zip", File(spool), save=False)
    teachers = _teachers(school)
    with transaction.atomic():
        record.emailed = len(teachers) if queue_teacher_emails(record, teachers, owner) else 0
        record.save()
    return BuildReport(record.certificates, record.size, record.emailed)


def queue_teacher_emails(record: SchoolArchive, teachers: list[User], owner: User | None) -> bool:
    """One message to the school's teachers with the download link (a job, sent by the worker)."""
    if not teachers:
        return False
    sender = owner or teachers[0]
    link = settings.SITE_URL.rstrip("/") + reverse(
        "certificates-school-archive", args=[record.competition_id, record.school_id]
    )
    subject, body = render_message(
        "school_certificates",
        {
            "competition": record.competition,
            "school": record.school,
            "count": record.certificates,
            "link": link,
        },
    )
    return (
        enqueue_email(sender, recipients=sorted({t.email for t in teachers}), subject=subject, body=body)
        is not None
    )


def latest_archive(competition: Competition, school: School) -> SchoolArchive | None:
    return (
        SchoolArchive.objects.filter(competition=competition, school=school)
        .order_by("-built_at", "-id")
        .first()
    )


def archives_for(user: User, competition: Competition | None = None) -> list[SchoolArchive]:
    """The latest ZIP of each school the user may download (organisers: every school; teachers: their own)."""
    rows = SchoolArchive.objects.select_related("competition", "school").order_by(
        "competition_id", "school_id", "-built_at", "-id"
    )
    if competition is not None:
        rows = rows.filter(competition=competition)
    if not user.has_perm("certificates.manage_certificates", competition):
        if not user.is_teacher or not user.school_id:
            return []
        rows = rows.filter(school_id=user.school_id)
    latest: dict[tuple[int, int], SchoolArchive] = {}
    for row in rows:
        latest.setdefault((row.competition_id, row.school_id), row)
    return list(latest.values())


def start_school_archives(actor: User, competition: Competition, now: datetime | None = None) -> list[Job]:
    """Queue one build per school holding live certificates (a build already waiting is not doubled)."""
    require(actor, "certificates.manage_certificates", competition)
    if not embargo_lifted(competition, now):
        raise ServiceError(_("Certificates are issued once the results are announced."), "embargo")
    schools = list(schools_with_certificates(competition))
    if not schools:
        raise ServiceError(_("No certificates are issued yet: issue them first."), "nothing")
    kind = get_kind(SCHOOL_ARCHIVE_KIND)
    waiting = set(
        Job.objects.filter(
            kind=SCHOOL_ARCHIVE_KIND, params__competition=competition.pk, status__in=["queued", "running"]
        ).values_list("params__school", flat=True)
    )
    jobs = []
    config = jobs_config()
    for school in schools:
        if school.pk in waiting:
            continue
        params, batch_key = kind.prepare({"competition": competition.pk, "school": school.pk})
        jobs.append(
            Job.objects.create(
                owner=actor,
                school=None,
                kind=kind.name,
                queue=kind.queue,
                params=params,
                batch_key=batch_key,
                max_attempts=config["max_attempts"],
                timeout_seconds=kind.timeout_seconds or config["timeout_seconds"],
            )
        )
    if jobs:
        transaction.on_commit(lambda: wake_workers(kind.queue))
    return jobs
