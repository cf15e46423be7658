from typing import Any

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.accounts.admin import RecordedChangesAdmin
from aigc_contest.web.core.zoned import zoned_column
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
    submitted_at_zoned = staticmethod(
        zoned_column("submitted_at", _("submitted at"), "entry__category__competition", "millisecond")
    )
    readonly_fields = ("number", "submitted_at_zoned", "submitted_by", "title", "download", "file_sha256", "content_hash")
    fields = readonly_fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("file"))
    def download(self, version: EntryVersion) -> str:
        # Through the page that checks the permission, never a link into the storage.
        return format_html('<a href="{}">{}</a>', reverse("version-file", args=[version.pk]), version.file_name)


@admin.register(Entry)
class EntryAdmin(RecordedChangesAdmin):
    list_display = ["title", "team", "category", "work_type", "status",
                    zoned_column("updated_at", _("updated"), "category__competition")]
    list_filter = ["category__competition", "category", "status", "work_type"]
    inlines = [EntryVersionInline]
    # The draft's file is changed by its team (the upload checks it), and shown through the page that
    # checks the permission, never as a link into the storage.
    exclude = ["draft_file"]
    # What the upload checks set stays as they set it: the hash must match the file a judge downloads, the
    # type decides how the file is served. The status changes only through the services (submit, withdraw),
    # which keep versions, deadlines and notices right.
    readonly_fields = ["draft_download", "draft_file_name", "draft_file_sha256", "draft_mime", "draft_meta",
                       "status"]  # fmt: skip

    @admin.display(description=_("draft file"))
    def draft_download(self, entry: Entry) -> str:
        if not entry.draft_file:
            return "-"
        return format_html('<a href="{}">{}</a>', reverse("entry-draft-file", args=[entry.pk]),
                           entry.draft_file_name or (entry.draft_file.name or "").rsplit("/", 1)[-1])
