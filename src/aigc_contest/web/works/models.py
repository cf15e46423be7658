"""A work in progress made in the studio: one document per entry, whatever its kind, and the jobs that
fill it in.

`Work.document` is the kind's own JSON (see `kinds/`): the novel JSON for a novel (null while the AI writes
its first draft), `{"plan", "book", "auto_pictures"}` for a storybook, `{"prompt", "picture", "caption"}`
for a picture. `revision` goes up by one on every change; a save names the revision it was based on, and a
save based on an older one is refused, so two tabs or two team members never silently overwrite each
other."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.entries.models import Entry
from aigc_contest.web.jobs.models import Job


class WorkKind(models.TextChoices):
    IMAGE = "image", _("Picture")
    STORYBOOK = "storybook", _("Storybook")
    NOVEL = "novel", _("Interactive novel")
    APPLICATION = "application", _("Application")
    FINETUNE = "finetuned_model", _("Fine-tuned model")  # the value is the category's work type


class Work(models.Model):
    entry = models.OneToOneField(Entry, on_delete=models.CASCADE, related_name="work")
    kind = models.CharField(max_length=20, choices=WorkKind.choices)
    document = models.JSONField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("work")
        verbose_name_plural = _("works")

    def __str__(self) -> str:
        return f"{self.entry} ({self.kind}, r{self.revision})"

    @property
    def team(self) -> Any:
        """So that the team-based permission predicates apply to a work as they do to its entry."""
        return self.entry.team


class WorkJob(models.Model):
    """A job that works on a work: a piece of writing or a picture.

    `step` is the kind's name for what the job does (see the kind's `steps`), `target` the part or page it
    is for ("" for the whole work). `state` moves from waiting to applied (its result went into the work,
    or for a picture: its candidates are ready to pick) or unused (the result could not be used; `note`
    says why), set once and atomically. `applied_revision` is the work's revision right after the result
    changed the stored document (null when it changed nothing there), so an open editor can make the same
    change to its unsaved copy."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting for its result")
        APPLIED = "applied", _("In the work")
        UNUSED = "unused", _("Result not used")

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="jobs")
    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="work_job")
    step = models.CharField(max_length=20)
    target = models.CharField(max_length=40, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
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
        verbose_name = _("work job")
        verbose_name_plural = _("work jobs")

    def __str__(self) -> str:
        return f"{self.step} {self.target} (job #{self.job_id})"

    @property
    def applied(self) -> bool:
        """Its result has been dealt with (used, or found unusable): it is no longer waiting."""
        return self.state != self.State.WAITING


class PictureLora(models.Model):
    """The fine-tuned model (a LoRA of the team's own fine-tuning work) a work's pictures are drawn with, and
    its weight. Chosen in the image or storybook studio; `works.services.queue_pictures` reads it for every
    picture job of the work, so pictures a pipeline queues by itself use it too. The LoRA's file and hash are
    read from the fine-tuning work when each job is queued (a newer training run is used at once)."""

    work = models.OneToOneField(Work, on_delete=models.CASCADE, related_name="picture_lora")
    source = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="+")  # a fine-tuning work
    weight = models.FloatField(default=0.8)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("fine-tuned model of a work's pictures")
        verbose_name_plural = _("fine-tuned models of works' pictures")

    def __str__(self) -> str:
        return f"LoRA of work #{self.source_id} for work #{self.work_id} at {self.weight}"
