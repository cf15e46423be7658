from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.accounts.models import GuardianConsent


class StudentCsvForm(forms.Form):
    file = forms.FileField(
        label=_("Class list (CSV)"),
        help_text=_("Columns: username, display_name, grade, and optionally is_adult, needs_support."),
    )


class StudentForm(forms.Form):
    username = forms.CharField(label=_("Login name"), max_length=40)
    display_name = forms.CharField(label=_("Display name (a nickname is fine)"), max_length=80)
    grade = forms.CharField(label=_("Grade"), max_length=10, required=False)
    needs_support = forms.BooleanField(label=_("Needs learning support"), required=False)


class ConsentForm(forms.Form):
    method = forms.ChoiceField(label=_("How the guardian gave consent"), choices=GuardianConsent.Method.choices)
