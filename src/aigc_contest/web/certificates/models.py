"""Certificates: one per person (each team member gets their own), checkable by anyone at /verify/<uuid>."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.contests.models import Competition


def certificate_upload_path(instance: Certificate, filename: str) -> str:
    return f"certificates/{instance.competition_id}/{instance.uuid}.pdf"


# The job kind that issues every certificate of a competition (registered in certificates/jobs.py).
ISSUE_ALL_KIND = "certificates.issue_all"


class Certificate(models.Model):
    class Kind(models.TextChoices):
        PARTICIPATION = "participation", _("Participation")
        AWARD = "award", _("Award")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    competition = models.ForeignKey(Competition, on_delete=models.PROTECT, related_name="certificates")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates")
    team = models.ForeignKey("entries.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    award = models.ForeignKey("judging.Award", null=True, blank=True, on_delete=models.PROTECT, related_name="certificates")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    award_kind = models.CharField(max_length=10, blank=True)
    pdf = models.FileField(upload_to=certificate_upload_path, max_length=300)
    sha256 = models.CharField(max_length=64)
    issued_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(_("reason for revoking"), max_length=300, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            # At most one live participation certificate per person and competition, and one per award.
            models.UniqueConstraint(
                fields=["competition", "user"], condition=Q(kind="participation", revoked_at__isnull=True),
                name="one_live_participation_certificate",
            ),
            models.UniqueConstraint(
                fields=["award", "user"], condition=Q(kind="award", revoked_at__isnull=True),
                name="one_live_award_certificate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.uuid}"

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None


# The job kind that builds one school's ZIP of certificates and e-mails its teachers (certificates/jobs.py).
SCHOOL_ARCHIVE_KIND = "certificates.school_archive"


def archive_upload_path(instance: SchoolArchive, filename: str) -> str:
    return f"certificates/{instance.competition_id}/schools/{filename}"


class SchoolArchive(models.Model):
    """A school's live certificates of a competition in one ZIP, built by a worker; the latest build per
    school is the one listed (each build is a new file: stored files are written once)."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="school_archives")
    school = models.ForeignKey("accounts.School", on_delete=models.CASCADE, related_name="+")
    file = models.FileField(upload_to=archive_upload_path, max_length=300)
    certificates = models.PositiveIntegerField(default=0)
    size = models.PositiveBigIntegerField(default=0)
    built_at = models.DateTimeField()
    job_id = models.PositiveBigIntegerField(null=True, blank=True, unique=True)  # the build that made it
    emailed = models.PositiveIntegerField(default=0)  # teachers written to

    class Meta:
        ordering = ["competition", "school__name_en", "-built_at"]
        verbose_name = _("school certificates (ZIP)")
        verbose_name_plural = _("school certificates (ZIP)")

    def __str__(self) -> str:
        return f"{self.competition_id}/{self.school_id}: {self.certificates} certificates"
