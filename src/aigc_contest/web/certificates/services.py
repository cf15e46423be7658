"""Issue, revoke and verify certificates.

Participation: every member of a team with a submitted entry. Award: every member of an awarded team.
Both only once results are announced (the awards come through the embargoed selector). Issuing is
idempotent: a person never gets a second live certificate of the same kind for the same thing.
"""

from __future__ import annotations

import hashlib
import uuid as uuid_lib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aigc_contest.web.accounts.models import User
from aigc_contest.web.accounts.services import record_change
from aigc_contest.web.certificates.models import ISSUE_ALL_KIND, Certificate
from aigc_contest.web.certificates.pdf import CertificateText, render_pdf
from aigc_contest.web.certificates.qr import verify_url
from aigc_contest.web.certificates.selectors import issue_job
from aigc_contest.web.contests.models import Category, Competition
from aigc_contest.web.core.errors import ServiceError, require
from aigc_contest.web.core.zoned import text_in_zone
from aigc_contest.web.entries.models import Entry, Team
from aigc_contest.web.jobs.kinds import get_kind, jobs_config
from aigc_contest.web.jobs.models import Job
from aigc_contest.web.jobs.services import wake_workers
from aigc_contest.web.judging.models import AWARD_NAMES, Award, AwardKind
from aigc_contest.web.judging.selectors import embargo_lifted, published_awards

# Time zones whose schools write Simplified Chinese: their certificates use Simplified.
SIMPLIFIED_ZONES = {"Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "Asia/Urumqi", "Asia/Singapore"}
PARTICIPATION_NAMES = ("Certificate of Participation", "參與證書", "参与证书")
AWARD_TITLE = ("Certificate of Award", "獎狀", "奖状")
PARTICIPATION_LINE = ("Participant", "參賽者", "参赛者")


def chinese_script(competition: Competition) -> str:
    if competition.timezone in SIMPLIFIED_ZONES or (competition.name_zh_hans and not competition.name_zh_hant):
        return "zh-Hans"
    return "zh-Hant"


def _pick(names: tuple[str, str, str], script: str) -> str:
    return names[2] if script == "zh-Hans" else names[1]


def _zh(obj: object, field: str, script: str) -> str:
    order = ("zh_hans", "zh_hant") if script == "zh-Hans" else ("zh_hant", "zh_hans")
    for suffix in order:
        value = getattr(obj, f"{field}_{suffix}", "")
        if value:
            return str(value)
    return ""


def issue_certificate(user: User, competition: Competition, *, team: Team | None = None,
                      award: Award | None = None, now: datetime | None = None) -> Certificate:
    """Render and store one certificate (award when `award` is given, participation otherwise)."""
    now = now or timezone.now()
    script = chinese_script(competition)
    certificate = Certificate(
        competition=competition, user=user, team=team, award=award, issued_at=now,
        kind=Certificate.Kind.AWARD if award else Certificate.Kind.PARTICIPATION,
        award_kind=award.kind if award else "",
    )
    category: Category | None = award.category if award else (team.category if team else None)
    if award:
        names = AWARD_NAMES[AwardKind(award.kind)]
        title, award_en, award_zh = AWARD_TITLE, names[0], _pick(names, script)
    else:
        title, award_en, award_zh = PARTICIPATION_NAMES, PARTICIPATION_LINE[0], _pick(PARTICIPATION_LINE, script)
    text = CertificateText(
        title_en=title[0], title_zh=_pick(title, script),
        holder=user.display_name or user.username,
        competition_en=competition.name_en, competition_zh=_zh(competition, "name", script),
        category_en=category.name_en if category else "", category_zh=_zh(category, "name", script) if category else "",
        team=team.name if team else "",
        award_en=award_en, award_zh=award_zh,
        issued_on=text_in_zone(now, competition, "date"),
        uuid=str(certificate.uuid), verify_url=verify_url(certificate.uuid), chinese=script,
    )
    data = render_pdf(text)
    certificate.sha256 = hashlib.sha256(data).hexdigest()
    certificate.pdf.save(f"{certificate.uuid}.pdf", ContentFile(data), save=False)
    try:
        certificate.save()
    except IntegrityError:
        certificate.pdf.delete(save=False)  # a live one exists already: leave no orphaned PDF behind
        raise
    return certificate


@dataclass
class IssueReport:
    participation: int = 0
    awards: int = 0
    already: int = 0

    @property
    def issued(self) -> int:
        return self.participation + self.awards


Progress = Callable[[int, int], None]  # (done, total)


def _participants(competition: Competition) -> dict[int, tuple[User, Team]]:
    """Each person with a submitted entry, once (with the first of their teams)."""
    people: dict[int, tuple[User, Team]] = {}
    entries = (
        Entry.objects.filter(category__competition=competition, status=Entry.Status.SUBMITTED, versions__isnull=False)
        .distinct().select_related("team__category").prefetch_related("team__members").order_by("team_id")
    )
    for entry in entries:
        for member in entry.team.members.all():
            people.setdefault(member.pk, (member, entry.team))
    return people


def issue_all(competition: Competition, now: datetime | None = None, progress: Progress | None = None) -> IssueReport:
    """Participation certificates for every participant and award certificates for every award winner."""
    now = now or timezone.now()
    if not embargo_lifted(competition, now):
        raise ServiceError(_("Certificates are issued once the results are announced."), "embargo")
    people = _participants(competition)
    awards = list(published_awards(competition, now))
    todo: list[tuple[User, Team | None, Award | None]] = [(u, t, None) for u, t in people.values()]
    for published in awards:
        todo.extend((member, published.entry.team, published) for member in published.entry.team.members.all())
    live = Certificate.objects.filter(competition=competition, revoked_at__isnull=True)
    have_participation = set(live.filter(kind=Certificate.Kind.PARTICIPATION).values_list("user_id", flat=True))
    have_award = set(live.filter(kind=Certificate.Kind.AWARD).values_list("award_id", "user_id"))
    report = IssueReport()
    for done, (user, team, award) in enumerate(todo, start=1):
        if (award is None and user.pk in have_participation) or (award and (award.pk, user.pk) in have_award):
            report.already += 1
        elif not _issue_once(user, competition, team=team, award=award, now=now):
            report.already += 1  # another run (a retried job, a second organiser) issued it meanwhile
        elif award:
            report.awards += 1
        else:
            report.participation += 1
        if progress:
            progress(done, len(todo))
    return report


def _issue_once(user: User, competition: Competition, *, team: Team | None, award: Award | None,
                now: datetime) -> bool:
    """Issue one certificate in its own transaction; False when a live one of the kind exists already."""
    try:
        with transaction.atomic():
            issue_certificate(user, competition, team=team, award=award, now=now)
    except IntegrityError:
        return False  # the partial unique constraints: at most one live certificate per person and thing
    return True


def start_issue_all(actor: User, competition: Competition, now: datetime | None = None) -> Job:
    """Queue the bulk issuing job (one at a time per competition); refused before the announcement."""
    require(actor, "certificates.manage_certificates", competition)
    if not embargo_lifted(competition, now):
        raise ServiceError(_("Certificates are issued once the results are announced."), "embargo")
    current = issue_job(competition)
    if current is not None and not current.is_final:
        return current
    kind = get_kind(ISSUE_ALL_KIND)
    params, batch_key = kind.prepare({"competition": competition.pk})
    job = Job.objects.create(owner=actor, school=None, kind=kind.name, queue=kind.queue, params=params,
                             batch_key=batch_key, max_attempts=jobs_config()["max_attempts"],
                             timeout_seconds=kind.timeout_seconds or jobs_config()["timeout_seconds"])
    transaction.on_commit(lambda: wake_workers(kind.queue))
    return job


def revoke(actor: User, certificate: Certificate, reason: str, now: datetime | None = None) -> Certificate:
    require(actor, "certificates.manage_certificates", certificate)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Say why the certificate is revoked."), "reason")
    if certificate.revoked_at:
        raise ServiceError(_("This certificate was revoked already."), "revoked")
    certificate.revoked_at = now or timezone.now()
    certificate.revoke_reason = reason[:300]
    with transaction.atomic():
        certificate.save(update_fields=["revoked_at", "revoke_reason"])
        record_change(actor, certificate, "certificate revoked", {"revoked": (None, certificate.revoke_reason)},
                      competition=certificate.competition_id)
    return certificate


@dataclass
class Verification:
    """What anyone may learn about a certificate: as little about the child as possible."""

    status: str  # valid | revoked | unknown
    uuid: str
    competition: str = ""
    competition_zh: str = ""
    kind: str = ""
    award_kind: str = ""
    issued_at: datetime | None = None
    revoked_at: datetime | None = None
    revoke_reason: str = ""
    holder_initial: str = ""
    sha256: str = ""
    timezone: str = ""  # the competition's: the dates are shown on its clock (not part of `as_dict`)

    @property
    def is_valid(self) -> bool:
        return self.status == "valid"

    def as_dict(self) -> dict[str, object]:
        return {
            "status": self.status, "uuid": self.uuid, "competition": self.competition,
            "competition_zh": self.competition_zh, "kind": self.kind, "award_kind": self.award_kind,
            "issued_at": self.issued_at.isoformat() if self.issued_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revoke_reason": self.revoke_reason,
            "holder_initial": self.holder_initial, "sha256": self.sha256,
        }


def holder_initial(user: User) -> str:
    name = (user.display_name or user.first_name or user.username or "").strip()
    return f"{name[0].upper()}." if name else ""


def verify(value: str | uuid_lib.UUID) -> Verification:
    """Look a certificate up by its UUID; ValueError when `value` is not a UUID at all."""
    key = value if isinstance(value, uuid_lib.UUID) else uuid_lib.UUID(str(value).strip())
    certificate = Certificate.objects.select_related("competition", "user").filter(uuid=key).first()
    if certificate is None:
        return Verification(status="unknown", uuid=str(key))
    competition = certificate.competition
    return Verification(
        status="valid" if certificate.revoked_at is None else "revoked",
        uuid=str(key),
        competition=competition.name_en,
        competition_zh=_zh(competition, "name", chinese_script(competition)),
        kind=certificate.kind,
        award_kind=certificate.award_kind,
        issued_at=certificate.issued_at,
        revoked_at=certificate.revoked_at,
        revoke_reason=certificate.revoke_reason if certificate.revoked_at else "",
        holder_initial=holder_initial(certificate.user),
        sha256=certificate.sha256,
        timezone=competition.timezone,
    )
