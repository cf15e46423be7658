from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.widgets import AdminSplitDateTime
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.contests.forms import CompetitionForm
from aigc_contest.web.contests.models import Category, Competition, Criterion, Theme
from aigc_contest.web.core.zoned import zoned_column


class CategoryInline(admin.StackedInline):
    model = Category
    extra = 0
    filter_horizontal = ["themes"]


class ThemeInline(admin.TabularInline):
    model = Theme
    extra = 0


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0


class CompetitionAdminForm(CompetitionForm):
    timeline_widget = AdminSplitDateTime


@admin.register(Competition)
class CompetitionAdmin(admin.ModelAdmin):
    form = CompetitionAdminForm
    list_display = [
        "slug", "name_en", "timezone",
        zoned_column("submission_opens_at", _("submission opens")),
        zoned_column("submission_deadline", _("submission deadline")),
        zoned_column("results_at", _("results announced")),
    ]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [ThemeInline, CategoryInline, CriterionInline]
    fieldsets = (
        (None, {"fields": ("slug", "organiser_name", "is_public", "timezone")}),
        ("Name and description", {"fields": ("name_en", "name_zh_hant", "name_zh_hans", "description_en",
                                             "description_zh_hant", "description_zh_hans")}),
        ("Timeline", {"fields": ("registration_opens_at", "submission_opens_at", "submission_deadline",
                                 "judging_starts_at", "results_at", "ceremony_at")}),
    )
