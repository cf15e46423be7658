from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.accounts.admin import RecordedChangesAdmin
from aigc_contest.web.jobs.models import Job, JobAsset, JobQuota


@admin.register(JobQuota)
class JobQuotaAdmin(RecordedChangesAdmin):
    list_display = ("__str__", "concurrent_limit", "daily_limit")
    autocomplete_fields = ()
    raw_id_fields = ("user",)


class JobAssetInline(admin.TabularInline):
    model = JobAsset
    extra = 0
    readonly_fields = ("attempt", "index", "download", "content_type", "created_at")
    fields = readonly_fields
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # results are stored by the workers

    @admin.display(description=_("file"))
    def download(self, asset: JobAsset) -> str:
        # Through the page that checks the permission, never a link into the storage.
        if asset.pk is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("job-asset", args=[asset.pk]),
            (asset.file.name or "").rsplit("/", 1)[-1],
        )


@admin.register(Job)
class JobAdmin(RecordedChangesAdmin):
    list_display = ("pk", "kind", "owner", "school", "status", "percent", "attempts", "created_at", "worker")
    list_filter = ("status", "kind", "queue")
    search_fields = ("owner__username", "error")
    raw_id_fields = ("owner",)
    readonly_fields = ("batch_id", "worker", "started_at", "heartbeat_at", "finished_at", "error_detail")
    inlines = [JobAssetInline]
