from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.contests.models import Category, Theme, WorkType


class StartEntryForm(forms.Form):
    title = forms.CharField(label=_("Title of your work"), max_length=200)
    work_type = forms.ChoiceField(label=_("Type of work"), choices=())
    theme = forms.ModelChoiceField(label=_("Theme"), queryset=Theme.objects.none(), required=False)

    def __init__(self, *args: Any, category: Category, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(WorkType.choices)
        work_type: Any = self.fields["work_type"]
        work_type.choices = [(t, labels.get(t, t)) for t in category.work_types]
        themes = category.competition.themes.all() if category.any_theme else category.themes.all()
        theme: Any = self.fields["theme"]
        theme.queryset = themes
        theme.required = not category.any_theme and themes.exists()
        theme.label_from_instance = lambda t: t.tr("title")


class DraftForm(forms.Form):
    title = forms.CharField(label=_("Title of your work"), max_length=200)
    description = forms.CharField(
        label=_("About your work"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000
    )
    theme = forms.ModelChoiceField(label=_("Theme"), queryset=Theme.objects.none(), required=False)

    def __init__(self, *args: Any, category: Category, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        themes = category.competition.themes.all() if category.any_theme else category.themes.all()
        theme: Any = self.fields["theme"]
        theme.queryset = themes
        theme.label_from_instance = lambda t: t.tr("title")


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Your work (PNG, JPEG, WebP image or PDF)"))


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=80)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none())
    members: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("Members"), queryset=None, widget=forms.CheckboxSelectMultiple  # type: ignore[arg-type]
    )

    def __init__(self, *args: Any, categories: Any, students: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category_field: Any = self.fields["category"]
        category_field.queryset = categories
        category_field.label_from_instance = lambda c: f"{c.competition.tr('name')} — {c.tr('name')}"
        members_field: Any = self.fields["members"]
        members_field.queryset = students
        members_field.label_from_instance = lambda s: f"{s.display_name} ({s.username}, {s.grade})"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        name, category = (cleaned.get("name") or "").strip(), cleaned.get("category")
        if name and category is not None and category.teams.filter(name=name).exists():
            self.add_error("name", _("Another team in this category already has that name."))
        return cleaned


class OpenTeamForm(forms.Form):
    """A team outside schools: its category (only those open to everyone) and its name."""

    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none())
    team_name = forms.CharField(label=_("Team name"), max_length=80)

    def __init__(self, *args: Any, categories: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category_field: Any = self.fields["category"]
        # Every category is accepted here, so that a school-only one is refused by the service with its reason.
        category_field.queryset = Category.objects.select_related("competition")
        category_field.choices = [("", "---------")] + [
            (c.pk, f"{c.competition.tr('name')} — {c.tr('name')}") for c in categories
        ]


class AdultAccountForm(forms.Form):
    """An adult's own account, outside any school: only what the platform needs."""

    display_name = forms.CharField(label=_("Your name as others see it (a nickname is fine)"), max_length=80)
    username = forms.CharField(label=_("Login name"), max_length=40,
                               help_text=_("3–40 lower-case letters, digits, dots, dashes or underscores."))
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(render_value=False), max_length=128)
    password_again = forms.CharField(label=_("Password (again)"), widget=forms.PasswordInput(render_value=False),
                                     max_length=128)
    region = forms.CharField(label=_("Country or region (optional)"), max_length=60, required=False)
    adult = forms.BooleanField(label=_("I am 18 or over."), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


class SignUpForm(AdultAccountForm, OpenTeamForm):
    pass
