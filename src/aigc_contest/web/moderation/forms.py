from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.moderation.models import SafetyEvent


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(SafetyEvent.Decision.APPROVED, _("Approve")), (SafetyEvent.Decision.KEPT_BLOCKED, _("Keep blocked"))]
    )
    note = forms.CharField(label=_("Note (optional)"), max_length=500, required=False)
    allow_terms = forms.BooleanField(label=_("Also allow these words at our school from now on"), required=False)


class SchoolPolicyForm(forms.Form):
    extra_blocked_terms = forms.CharField(
        label=_("Extra blocked words"), required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}), help_text=_("One word or phrase per line, in any language."),
    )
    allowed_terms = forms.CharField(
        label=_("Allowed words"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line. Lets through a word the built-in lists block, e.g. for a history project."),
    )
    nsfw_threshold = forms.FloatField(
        label=_("Picture strictness"), min_value=0.05, max_value=0.95,
        help_text=_("Pictures scoring at least this (0 to 1) are blocked. Lower is stricter."),
    )
