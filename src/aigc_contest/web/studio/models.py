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
