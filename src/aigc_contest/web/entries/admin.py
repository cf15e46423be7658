from typing import Any

from django.contrib import admin

from aigc_contest.web.accounts.admin import RecordedChangesAdmin
from aigc_contest.web.entries.models import Entry, EntryVersion, Team


@admin.register(Team)
class TeamAdmin(RecordedChangesAdmin):
    list_display = ["name", "competition", "category", "school", "supervising_teacher"]
    list_filter = ["competition", "category"]
    filter_horizontal = ["members"]


class EntryVersionInline(admin.TabularInline):
    model = EntryVersion
    extra = 0
    can_delete = False
    readonly_fields = ("number", "submitted_at", "submitted_by", "title", "file", "file_sha256", "content_hash")
    fields = readonly_fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Entry)
class EntryAdmin(RecordedChangesAdmin):
    list_display = ["title", "team", "category", "work_type", "status", "updated_at"]
    list_filter = ["category__competition", "category", "status", "work_type"]
    inlines = [EntryVersionInline]
