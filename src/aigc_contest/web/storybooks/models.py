"""Storybooks built in the studio: the pipeline plan and the book document of an entry, and the jobs that
fill them in (one row per generation step, applied to the book once when its job succeeds)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.entries.models import Entry
from aigc_contest.web.jobs.models import Job


class StorybookWork(models.Model):
    """`plan`: the `StoryPlan` JSON (brief, outline, character sheet). `document`: the `aigc-contest/storybook`
    JSON once the page texts exist; its images are paths in default storage (the job's PNG files), each with
    the provenance read from the PNG. `revision` goes up on every change so open pages know to refresh."""

    entry = models.OneToOneField(Entry, on_delete=models.CASCADE, related_name="storybook_work")
    plan = models.JSONField()
    document = models.JSONField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=1)
    auto_pictures = models.BooleanField(default=True)  # draw every page once the texts arrive
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("storybook")
        verbose_name_plural = _("storybooks")

    def __str__(self) -> str:
        return f"{self.entry} (storybook, r{self.revision})"

    @property
    def team(self) -> Any:
        """So that the team-based permission predicates apply to a book as they do to its entry."""
        return self.entry.team


class StorybookStep(models.Model):
    class Step(models.TextChoices):
        OUTLINE = "outline", _("Planning the story")
        CHARACTERS = "characters", _("Designing the characters")
        PAGES = "pages", _("Writing the pages")
        PAGE_TEXT = "page_text", _("Rewriting a page")
        PICTURE = "picture", _("Drawing a picture")

    work = models.ForeignKey(StorybookWork, on_delete=models.CASCADE, related_name="steps")
    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="storybook_step")
    step = models.CharField(max_length=20, choices=Step.choices)
    page_id = models.CharField(max_length=40, blank=True)
    applied = models.BooleanField(default=False)  # its result is in the book (set once, atomically)
    created_at = models.DateTimeField(auto_now_add=True)

    label: str  # not stored: pages set it to the step's translated name before rendering

    class Meta:
        ordering = ["id"]
        verbose_name = _("storybook step")
        verbose_name_plural = _("storybook steps")

    def __str__(self) -> str:
        return f"{self.step} {self.page_id} (job #{self.job_id})"
