"""Forms of the pages for who runs a competition: invitations, accepting one, join requests, the audit log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.contests.models import Competition, CompetitionRoleKind
from aigc_contest.web.contests.roles_services import ORGANISER_MAY_GRANT


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=())

    def __init__(self, *args: Any, owner: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            (v, label) for v, label in CompetitionRoleKind.choices if owner or v in ORGANISER_MAY_GRANT
        ]
        self.fields["role"].choices = choices  # type: ignore[attr-defined]


class TeacherInviteForm(forms.Form):
    email = forms.EmailField(label=_("Colleague's e-mail address"), max_length=254)


class AcceptForm(forms.Form):
    """A new account for the invited person (an adult: a teacher, organiser or judge)."""

    username = forms.CharField(
        label=_("Login name"),
        max_length=40,
        help_text=_("3–40 lower-case letters, digits, dots, dashes or underscores."),
    )
    display_name = forms.CharField(label=_("Your name as others see it"), max_length=80)
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(render_value=False), max_length=128
    )
    password_again = forms.CharField(
        label=_("Password (again)"), widget=forms.PasswordInput(render_value=False), max_length=128
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


class JoinRequestForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the organisers (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DecisionForm(forms.Form):
    reason = forms.CharField(label=_("Reason (shown to the school)"), max_length=300, required=False)


class AuditFilterForm(forms.Form):
    competition = forms.ModelChoiceField(
        label=_("Competition"),
        queryset=Competition.objects.none(),
        required=False,
        to_field_name="slug",
        empty_label=_("All"),
    )
    actor = forms.CharField(label=_("Who (login name)"), max_length=150, required=False)
    action = forms.ChoiceField(label=_("What"), choices=(), required=False)

    def __init__(self, *args: Any, competitions: Any, actions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["competition"].queryset = competitions  # type: ignore[attr-defined]
        self.fields["action"].choices = [("", _("All")), *((a, a) for a in actions)]  # type: ignore[attr-defined]
