from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.accounts.admin import RecordedChangesAdmin
from aigc_contest.web.accounts.models import SchoolLevel
from aigc_contest.web.contests.forms import CompetitionForm, zone_for_form
from aigc_contest.web.contests.models import (
    Category,
    Competition,
    CompetitionRole,
    Criterion,
    Invitation,
    JoinRequest,
    Theme,
    WorkType,
)
from aigc_contest.web.contests.roles_services import make_creator_owner
from aigc_contest.web.contests.timeline import TIMELINE_FIELDS, Edge, typed_clock
from aigc_contest.web.core.zoned import zoned_column


class CategoryAdminForm(forms.ModelForm):
    """Eligibility as check boxes, never raw JSON."""

    school_levels = forms.MultipleChoiceField(
        label=capfirst(_("school levels")), choices=SchoolLevel.choices, widget=forms.CheckboxSelectMultiple
    )
    work_types = forms.MultipleChoiceField(
        label=capfirst(_("allowed work types")), choices=WorkType.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Category
        fields = [
            "slug", "name_en", "name_zh_hant", "name_zh_hans", "description_en", "description_zh_hant",
            "description_zh_hans", "order", "school_levels", "work_types", "min_team_size", "max_team_size",
            "any_theme", "themes", "submission_limit", "max_upload_mb",
        ]  # fmt: skip


class CategoryInline(admin.StackedInline):
    model = Category
    form = CategoryAdminForm
    extra = 0
    filter_horizontal = ["themes"]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # Only the themes of the competition being edited (none yet on a new one: save it first).
        if db_field.name == "themes":
            object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            kwargs["queryset"] = Theme.objects.filter(competition_id=object_id) if object_id else Theme.objects.none()
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ThemeInline(admin.TabularInline):
    model = Theme
    extra = 0


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0


class CompetitionAdminForm(CompetitionForm):
    timeline_widget = AdminSplitDateTime


@admin.register(Competition)
class CompetitionAdmin(RecordedChangesAdmin):
    form = CompetitionAdminForm
    list_display = [
        "slug", "name_en", "timezone",
        zoned_column("submission_opens_at", _("submission opens")),
        zoned_column("submission_deadline", _("submission deadline")),
        zoned_column("results_at", _("results announced")),
    ]
    prepopulated_fields = {"slug": ["name_en"]}

    def changeform_view(self, request: HttpRequest, object_id: str | None = None, form_url: str = "",
                        extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """The page is drawn on the competition's clock too: the admin's "Now" shortcut and its note on
        the difference from "server time" then speak of the competition's zone, like the fields."""
        response = super().changeform_view(request, object_id, form_url, extra_context)
        instance = self.get_object(request, object_id) if object_id else None
        zone = zone_for_form(request.POST if request.method == "POST" else None, "timezone", instance)
        if isinstance(response, TemplateResponse) and not response.is_rendered:
            with timezone.override(zone):
                response.render()
        return response
    def change_action(self, obj: Any, changed: list[str]) -> str:
        return "timeline changed" if set(changed) & set(TIMELINE_FIELDS) else "change"

    def save_model(self, request: HttpRequest, obj: Competition, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            make_creator_owner(request.user, obj)  # whoever creates a competition owns it
        if change and "timezone" in form.changed_data and obj.submission_deadline:
            when = " ".join(typed_clock(obj.submission_deadline, zone_for_form(None, "", obj), Edge.END))
            words = {"zone": obj.timezone, "when": when}
            if form.zone_changed_only():
                text = gettext(
                    "The timeline kept its moments; on the %(zone)s clock the submission deadline is now %(when)s."
                )
            else:
                text = gettext(
                    "The times you typed were read on the %(zone)s clock and the others kept their moments; "
                    "the submission deadline is now %(when)s."
                )
            messages.info(request, text % words)

    inlines = [ThemeInline, CategoryInline, CriterionInline]
    fieldsets = (
        (None, {"fields": ("slug", "organiser_name", "is_public", "timezone", "teachers_may_help",
                           "schools_must_join")}),
        ("Name and description", {"fields": ("name_en", "name_zh_hant", "name_zh_hans", "description_en",
                                             "description_zh_hant", "description_zh_hans")}),
        ("Timeline", {"fields": ("registration_opens_at", "submission_opens_at", "submission_deadline",
                                 "judging_starts_at", "results_at", "ceremony_at")}),
    )


@admin.register(CompetitionRole)
class CompetitionRoleAdmin(RecordedChangesAdmin):
    list_display = ["competition", "user", "role", "granted_by", "granted_at"]
    list_filter = ["role", "competition"]
    search_fields = ["user__username", "user__display_name"]
    raw_id_fields = ["user", "granted_by"]


@admin.register(Invitation)
class InvitationAdmin(RecordedChangesAdmin):
    """Invitations are sent from the competition's people page (the link's secret exists only in the e-mail)."""

    list_display = ["email", "role", "competition", "school", "created_at", "expires_at", "accepted_at", "withdrawn_at"]
    list_filter = ["role", "competition"]
    search_fields = ["email"]
    readonly_fields = ["token_hash", "accepted_at", "accepted_by", "invited_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(JoinRequest)
class JoinRequestAdmin(RecordedChangesAdmin):
    list_display = ["school", "competition", "status", "created_at", "decided_by", "decided_at"]
    list_filter = ["status", "competition"]
