from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import Model, QuerySet
from django.forms import BaseModelFormSet, ModelForm
from django.http import HttpRequest, HttpResponse

from aigc_contest.web.accounts.models import ChangeRecord, GuardianConsent, School, User
from aigc_contest.web.accounts.services import record_change


def _before(obj: Model | None, form: ModelForm, name: str) -> Any:
    """A changed field's value before the change: the stored object's, or the form's initial value."""
    if obj is not None:
        try:
            field = obj._meta.get_field(name)
        except Exception:  # noqa: BLE001 - a form-only field (e.g. a password)
            field = None
        if field is not None and not field.many_to_many:
            return getattr(obj, name, None)
    return form.initial.get(name)


class RecordedChangesAdmin(admin.ModelAdmin):
    """Every add, change and delete made in the back office is recorded with who made it, field by field
    (django's own admin history keeps only the names of the changed fields)."""

    def change_action(self, obj: Any, changed: list[str]) -> str:
        """The name a change is recorded under (an admin may name some changes better, e.g. dates moved)."""
        return "change"

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        stored = type(obj)._default_manager.filter(pk=obj.pk).first() if change and obj.pk else None
        before = {name: _before(stored, form, name) for name in form.changed_data}
        super().save_model(request, obj, form, change)
        changes = {name: (before[name], form.cleaned_data.get(name)) for name in form.changed_data}
        action = self.change_action(obj, list(form.changed_data)) if change else "add"
        record_change(request.user, obj, action, changes, via=ChangeRecord.Via.ADMIN)

    def save_formset(self, request: HttpRequest, form: ModelForm, formset: BaseModelFormSet, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        for obj in getattr(formset, "new_objects", []):
            record_change(request.user, obj, "add", via=ChangeRecord.Via.ADMIN)
        for obj, fields in getattr(formset, "changed_objects", []):
            record_change(request.user, obj, "change", {f: (None, getattr(obj, f, None)) for f in fields},
                          via=ChangeRecord.Via.ADMIN)
        for obj in getattr(formset, "deleted_objects", []):
            record_change(request.user, obj, "delete", via=ChangeRecord.Via.ADMIN)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        record_change(request.user, obj, "delete", via=ChangeRecord.Via.ADMIN)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            record_change(request.user, obj, "delete", via=ChangeRecord.Via.ADMIN)
        super().delete_queryset(request, queryset)


@admin.register(School)
class SchoolAdmin(RecordedChangesAdmin):
    list_display = ["code", "name_en", "name_zh_hant", "level", "district"]
    list_filter = ["level"]
    search_fields = ["code", "name_en", "name_zh_hant", "name_zh_hans"]


@admin.register(User)
class PlatformUserAdmin(RecordedChangesAdmin, UserAdmin):
    list_display = ["username", "display_name", "role", "school", "grade", "is_active"]
    list_filter = ["role", "school", "is_active"]
    search_fields = ["username", "display_name"]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Platform", {"fields": ("role", "display_name", "school", "grade", "is_adult", "needs_support")}),
    )

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:  # the new password was saved
            user = User.objects.filter(pk=id).first()
            if user is not None:
                record_change(request.user, user, "set password", {"password": (True, True)},
                              via=ChangeRecord.Via.ADMIN)
        return response


@admin.register(GuardianConsent)
class GuardianConsentAdmin(RecordedChangesAdmin):
    list_display = ["student", "method", "recorded_by", "recorded_at", "revoked_at"]
    list_filter = ["method"]


@admin.register(ChangeRecord)
class ChangeRecordAdmin(admin.ModelAdmin):
    """The record itself is read-only, for everyone."""

    list_display = ["at", "actor_name", "via", "action", "competition", "content_type", "object_repr"]
    list_filter = ["via", "action", "competition", "content_type"]
    search_fields = ["actor_name", "object_repr"]
    readonly_fields = [f.name for f in ChangeRecord._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
