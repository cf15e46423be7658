"""Jobs in the database are the source of truth: the broker only carries wake-ups.

A job is claimed by raising `attempts` while moving it from queued to running; every later write by the
worker names that attempt, so a worker that lost its job (killed, timed out, cancelled) cannot store a
result over the one that counts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


FINAL_STATUSES = {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}


class Job(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs")
    school = models.ForeignKey(
        "accounts.School", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    kind = models.CharField(_("kind"), max_length=40)  # image, text, storybook.step, export, ...
    queue = models.CharField(_("queue"), max_length=40, default="default")
    params = models.JSONField(_("parameters"), default=dict)
    batch_key = models.CharField(max_length=64, blank=True)  # equal non-empty keys may share a batch
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.FloatField(_("progress"), default=0.0)  # 0..1
    progress_message = models.CharField(max_length=200, blank=True)
    error = models.CharField(_("reason"), max_length=300, blank=True)  # shown to the child as it is
    error_detail = models.TextField(blank=True)  # for staff: exception text, never shown to children
    result = models.JSONField(default=dict, blank=True)  # small outputs (text); files are JobAssets
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=3)
    timeout_seconds = models.PositiveIntegerField(default=600)
    batch_id = models.UUIDField(null=True, blank=True, db_index=True)
    worker = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    position: int | None  # not stored: pages set it to the job's place in its queue before rendering
    safety_refused: bool  # not stored: pages set it when the safety layer refused the job (its prompt is hidden)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["queue", "status", "created_at"])]
        verbose_name = _("generation job")
        verbose_name_plural = _("generation jobs")

    def __str__(self) -> str:
        return f"{self.kind} job #{self.pk} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def percent(self) -> int:
        return round(100 * max(0.0, min(1.0, self.progress)))


class JobAsset(models.Model):
    """A file a job made, in default storage; (job, index) is unique so a result is stored once."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="assets")
    attempt = models.PositiveIntegerField()
    index = models.PositiveIntegerField()
    file = models.FileField(upload_to="jobs/%Y/%m/")
    content_type = models.CharField(max_length=100, default="image/png")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["job", "index"]
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="jobs_asset_once_per_index")]

    def __str__(self) -> str:
        return f"asset {self.index} of job #{self.job_id}"


class JobQuota(models.Model):
    """Limits set by the organiser. A row for a user beats one for their school, which beats the row with
    neither (the site default), which beats `AIGC_JOBS["quotas"]` in settings. Empty fields fall through."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="job_quota"
    )
    school = models.OneToOneField(
        "accounts.School", null=True, blank=True, on_delete=models.CASCADE, related_name="job_quota"
    )
    concurrent_limit = models.PositiveIntegerField(
        _("jobs running at once"), null=True, blank=True,
        help_text=_("For a school: all its members together. Empty: the default."),
    )
    daily_limit = models.PositiveIntegerField(
        _("jobs per day"), null=True, blank=True,
        help_text=_("For a school: all its members together. Empty: the default."),
    )

    class Meta:
        verbose_name = _("job quota")
        verbose_name_plural = _("job quotas")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=True) | models.Q(school__isnull=True), name="jobs_quota_one_scope"
            )
        ]

    def __str__(self) -> str:
        if self.user_id:
            return f"quota for {self.user}"
        if self.school_id:
            return f"quota for {self.school}"
        return "default quota"
