"""Teams, their entries, and the immutable versions each final submission creates."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.contests.models import Category, Competition, Theme, WorkType


class Team(models.Model):
    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="teams")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(_("team name"), max_length=80)
    school = models.ForeignKey("accounts.School", null=True, blank=True, on_delete=models.PROTECT, related_name="teams")
    supervising_teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="supervised_teams"
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["competition", "category", "name"]
        unique_together = [("category", "name")]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class TeamInvitation(models.Model):
    """A link a member of a team without a school hands to someone to join it. Only a hash of the link's
    secret is kept; a link opens once, until it expires or is withdrawn."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("team invitation")
        verbose_name_plural = _("team invitations")

    def __str__(self) -> str:
        return f"invitation to {self.team}"


def content_hash(*, file_sha256: str, title: str, description: str, work_type: str, theme_id: int | None) -> str:
    """What a version is, as one hash: a submission equal to the latest version's is not a new version."""
    payload = json.dumps(
        {"file": file_sha256, "title": title, "description": description, "work_type": work_type, "theme": theme_id},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def draft_upload_path(instance: Entry, filename: str) -> str:
    return f"drafts/{instance.pk or 'new'}/{filename}"


def blob_path(sha256: str, extension: str) -> str:
    """Where an uploaded file lives: named by its content, shared by the draft and every version made from
    it, so a submission writes no file. Rows made before blobs keep their `drafts/…` and `versions/…` names."""
    return f"blobs/{sha256[:2]}/{sha256}{extension}"


def version_upload_path(instance: EntryVersion, filename: str) -> str:
    # Content-addressed: a file is written before its version row, so a crash leaves at most an
    # unreferenced file, never a version without its file.
    return f"versions/{instance.file_sha256[:2]}/{instance.file_sha256}/{filename}"


class Entry(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="entries")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="entries")
    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    work_type = models.CharField(_("work type"), max_length=20, choices=WorkType.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)

    # The editable draft. Its file is replaced only after a new upload has passed every check.
    draft_file = models.FileField(upload_to=draft_upload_path, blank=True, max_length=300)
    draft_file_name = models.CharField(max_length=200, blank=True)
    draft_file_sha256 = models.CharField(max_length=64, blank=True)
    draft_mime = models.CharField(max_length=40, blank=True)
    draft_meta = models.JSONField(default=dict, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # Submitted versions so far, raised in the transaction that adds one (the row is locked then), so a
    # submission numbers its version and checks the category's limit without counting rows.
    version_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-updated_at"]
        unique_together = [("team", "category")]
        verbose_name = _("entry")
        verbose_name_plural = _("entries")

    def __str__(self) -> str:
        return self.title

    @property
    def latest_version(self) -> EntryVersion | None:
        return self.versions.order_by("-number").first()


class ImmutableVersionError(Exception):
    pass


class EntryVersion(models.Model):
    """One final submission. Never updated or deleted: the latest before the deadline counts."""

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    work_type = models.CharField(max_length=20, choices=WorkType.choices)
    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=version_upload_path, max_length=300)
    file_name = models.CharField(max_length=200)
    file_sha256 = models.CharField(max_length=64)
    mime = models.CharField(max_length=40)
    meta = models.JSONField(default=dict, blank=True)
    content_hash = models.CharField(
        max_length=64, help_text=_("SHA-256 over the file's hash and the submitted title, description and type.")
    )

    class Meta:
        ordering = ["entry", "number"]
        unique_together = [("entry", "number")]
        verbose_name = _("submitted version")
        verbose_name_plural = _("submitted versions")

    def __str__(self) -> str:
        return f"{self.entry} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ImmutableVersionError("a submitted version cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableVersionError("a submitted version cannot be deleted")
