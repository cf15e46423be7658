from django.contrib import admin

from aigc_contest.web.contests.models import Category, Competition, Criterion, Theme


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


@admin.register(Competition)
class CompetitionAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_en", "timezone", "submission_opens_at", "submission_deadline", "results_at"]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [ThemeInline, CategoryInline, CriterionInline]
    fieldsets = (
        (None, {"fields": ("slug", "organiser_name", "is_public", "timezone", "teachers_may_help")}),
        ("Name and description", {"fields": ("name_en", "name_zh_hant", "name_zh_hans", "description_en",
                                             "description_zh_hant", "description_zh_hans")}),
        ("Timeline", {"fields": ("registration_opens_at", "submission_opens_at", "submission_deadline",
                                 "judging_starts_at", "results_at", "ceremony_at")}),
    )
