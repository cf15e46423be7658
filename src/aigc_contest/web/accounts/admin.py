from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from aigc_contest.web.accounts.models import GuardianConsent, School, User


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_zh_hant", "level", "district"]
    list_filter = ["level"]
    search_fields = ["code", "name_en", "name_zh_hant", "name_zh_hans"]


@admin.register(User)
class PlatformUserAdmin(UserAdmin):
    list_display = ["username", "display_name", "role", "school", "grade", "is_active"]
    list_filter = ["role", "school", "is_active"]
    search_fields = ["username", "display_name"]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Platform", {"fields": ("role", "display_name", "school", "grade", "is_adult", "needs_support")}),
    )


@admin.register(GuardianConsent)
class GuardianConsentAdmin(admin.ModelAdmin):
    list_display = ["student", "method", "recorded_by", "recorded_at", "revoked_at"]
    list_filter = ["method"]
