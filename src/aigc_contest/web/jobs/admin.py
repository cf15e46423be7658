from __future__ import annotations

from django.contrib import admin

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
    readonly_fields = ("attempt", "index", "file", "content_type", "created_at")
    can_delete = False


@admin.register(Job)
class JobAdmin(RecordedChangesAdmin):
    list_display = ("pk", "kind", "owner", "school", "status", "percent", "attempts", "created_at", "worker")
    list_filter = ("status", "kind", "queue")
    search_fields = ("owner__username", "error")
    raw_id_fields = ("owner",)
    readonly_fields = ("batch_id", "worker", "started_at", "heartbeat_at", "finished_at", "error_detail")
    inlines = [JobAssetInline]
