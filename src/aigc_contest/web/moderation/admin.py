from __future__ import annotations

from django.contrib import admin

from aigc_contest.web.accounts.admin import RecordedChangesAdmin
from aigc_contest.web.moderation.models import SafetyEvent, SchoolSafetyPolicy


@admin.register(SafetyEvent)
class SafetyEventAdmin(RecordedChangesAdmin):
    list_display = ("created_at", "outcome", "where", "category", "layer", "score", "user", "school", "decision")
    list_filter = ("outcome", "where", "category", "decision", "school")
    search_fields = ("user__username", "excerpt", "category")
    raw_id_fields = ("user", "job", "reviewed_by")
    readonly_fields = (
        "created_at", "user", "school", "job", "where", "layer", "category", "score", "outcome", "matched",
        "excerpt", "content_sha256",
    )


@admin.register(SchoolSafetyPolicy)
class SchoolSafetyPolicyAdmin(RecordedChangesAdmin):
    list_display = ("school", "nsfw_threshold", "updated_by", "updated_at")
    search_fields = ("school__name_en", "school__code")
    raw_id_fields = ("updated_by",)
