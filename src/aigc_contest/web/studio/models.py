"""Works in progress built in the studio: one editable document per entry, saved with a revision number."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.entries.models import Entry


class StudioWork(models.Model):
    """The studio's document for an entry (for a novel: the `aigc-contest/novel` JSON).

    `revision` goes up by one on every save; a save names the revision it was based on, and a save based
    on an older revision is refused (two tabs or two team members never silently overwrite each other)."""

    class Kind(models.TextChoices):
        NOVEL = "novel", _("Interactive novel")

    entry = models.OneToOneField(Entry, on_delete=models.CASCADE, related_name="studio_work")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    document = models.JSONField()
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("studio work")
        verbose_name_plural = _("studio works")

    def __str__(self) -> str:
        return f"{self.entry} ({self.kind}, r{self.revision})"

    @property
    def team(self) -> Any:
        """So that the team-based permission predicates apply to a work as they do to its entry."""
        return self.entry.team


class StudioJob(models.Model):
    """A job that works on an entry's story: the AI's first draft, one part written again, or a picture.

    `applied` is set once, atomically, when the finished job's result has gone into the story (for a
    picture: when its candidates are ready to pick). `applied_revision` is the work's revision right after
    the result changed the stored document (null when it changed nothing there), so an open editor can
    make the same change to its unsaved copy and carry on from that revision. `note` says why a finished
    job's result could not be used."""

    class Step(models.TextChoices):
        DRAFT = "draft", _("Writing a first draft")
        NODE_TEXT = "node_text", _("Writing a part again")
        PICTURE = "picture", _("Drawing a picture")

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="studio_jobs")
    job = models.OneToOneField("jobs.Job", on_delete=models.CASCADE, related_name="studio_job")
    step = models.CharField(max_length=20, choices=Step.choices)
    node_id = models.CharField(max_length=40, blank=True)
    applied = models.BooleanField(default=False)
    applied_revision = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    dismissed = models.BooleanField(default=False)  # the student closed its card
    created_at = models.DateTimeField(auto_now_add=True)

    # Not stored: pages set these before rendering a job's card.
    label: str
    part: str
    reason: str
    position: int | None
    is_test_model: bool

    class Meta:
        ordering = ["-id"]
        verbose_name = _("studio job")
        verbose_name_plural = _("studio jobs")

    def __str__(self) -> str:
        return f"{self.step} {self.node_id} (job #{self.job_id})"
