"""The organiser's judging actions as forms: each checks its own input and names the field at fault.

The services (services.py, overrides.py) still decide and write; a form only turns the posted text into
the objects and numbers a service takes, so a mistyped user name or an out-of-range number is shown
beside its field with the organiser's input kept, instead of a message over a fresh page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aigc_contest.judging import resolve_method
from aigc_contest.web.accounts.models import Role, User
from aigc_contest.web.contests.models import JUDGE_SIGNAL_CHOICES, Category, Competition
from aigc_contest.web.entries.models import Entry
from aigc_contest.web.judging.models import DEFAULT_METHOD, AggregationMethod, AwardKind, Round

MAX_JUDGE_LOAD = 1000  # fits the panel's PositiveSmallIntegerField with room; no judge scores more
MAX_AWARD_PLACES = 100
WHOLE_NUMBER = _("Please enter a whole number.")


def _number_field(label: Any, low: int, high: int, out_of_range: Any, initial: int) -> forms.IntegerField:
    """A whole number in [low, high]; left empty it means `initial` (the number the page suggests)."""
    return forms.IntegerField(
        label=label,
        min_value=low,
        max_value=high,
        initial=initial,
        required=False,
        error_messages={"invalid": WHOLE_NUMBER, "min_value": out_of_range, "max_value": out_of_range},
    )


def _judge(username: str, competition: Competition) -> User:
    """A judge account, or anyone invited as a judge of this competition."""
    judge = (User.objects.filter(username=username.strip())
             .filter(Q(role=Role.JUDGE) | Q(competition_roles__competition=competition, competition_roles__role="judge"))
             .distinct().first())
    if judge is None:
        raise ValidationError(_("No judge with that user name."), code="unknown_judge")
    return judge


class JudgingForm(forms.Form):
    """An organiser form for one competition."""

    def __init__(self, *args: Any, competition: Competition, **kwargs: Any) -> None:
        self.competition = competition
        super().__init__(*args, **kwargs)

    def _default(self, name: str) -> Any:
        value = self.cleaned_data.get(name)
        return self.fields[name].initial if value is None else value


class OpenRoundForm(JudgingForm):
    kind = forms.ChoiceField(
        label=_("Round"),
        choices=Round.Kind.choices,
        initial=Round.Kind.SCORING,
        error_messages={"invalid_choice": _("Unknown round.")},
    )
    k = _number_field(_("Judges per entry"), 1, 20, _("Judges per entry must be between 1 and 20."), 3)

    def clean_k(self) -> int:
        return int(self._default("k"))


class AwardPlacesForm(JudgingForm):
    """One number per category and award kind, named places-<category id>-<kind> as the page has always posted."""

    def __init__(
        self,
        *args: Any,
        competition: Competition,
        current: dict[int, dict[str, int]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, competition=competition, **kwargs)
        self.categories = list(competition.categories.all())
        current = current or {}
        for category in self.categories:
            for kind, label in AwardKind.choices:
                field = _number_field(
                    label,
                    0,
                    MAX_AWARD_PLACES,
                    _("Award places must be between 0 and 100."),
                    current.get(category.pk, {}).get(kind, 0),
                )
                field.widget.attrs["aria-label"] = label
                self.fields[self.field_name(category, kind)] = field

    @staticmethod
    def field_name(category: Category, kind: str) -> str:
        return f"places-{category.pk}-{kind}"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in self.fields:  # an empty box means no places, as it always has
            if name in cleaned and cleaned[name] is None:
                cleaned[name] = 0
        return cleaned

    def rows(self) -> list[tuple[Category, list[tuple[str, Any, forms.BoundField]]]]:
        """For the page: per category, (kind, label, bound field) in award order."""
        return [
            (
                category,
                [(kind, label, self[self.field_name(category, kind)]) for kind, label in AwardKind.choices],
            )
            for category in self.categories
        ]

    def places(self) -> list[tuple[Category, dict[str, int]]]:
        return [
            (
                category,
                {kind: int(self.cleaned_data[self.field_name(category, kind)]) for kind in AwardKind.values},
            )
            for category in self.categories
        ]


class RoundForm(JudgingForm):
    """An action on one of the competition's rounds, named by the hidden `round` field."""

    round = forms.ModelChoiceField(
        queryset=Round.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"required": _("Open a round first."), "invalid_choice": _("Open a round first.")},
    )

    def __init__(self, *args: Any, competition: Competition, **kwargs: Any) -> None:
        super().__init__(*args, competition=competition, **kwargs)
        self.fields["round"].queryset = Round.objects.filter(competition=competition)  # type: ignore[attr-defined]

    @property
    def round_(self) -> Round:
        round_: Round = self.cleaned_data["round"]
        return round_


class AssignForm(RoundForm):
    early = forms.BooleanField(
        label=_("Open judging before the submission deadline (entries may still change)"), required=False
    )


class AddJudgeForm(RoundForm):
    username = forms.CharField(label=_("Judge's user name"), max_length=150)
    min_load = _number_field(
        _("Fewest entries"), 0, MAX_JUDGE_LOAD, _("The fewest entries must be between 0 and 1000."), 0
    )
    max_load = _number_field(
        _("Most entries"), 0, MAX_JUDGE_LOAD, _("The most entries must be between 0 and 1000."), 20
    )

    def clean_username(self) -> User:
        return _judge(self.cleaned_data["username"], self.competition)

    def clean_min_load(self) -> int:
        return int(self._default("min_load"))

    def clean_max_load(self) -> int:
        return int(self._default("max_load"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        low, high = cleaned.get("min_load"), cleaned.get("max_load")
        if low is not None and high is not None and high < low:
            self.add_error("max_load", _("The most entries must be at least the fewest."))
        return cleaned


class PairForm(RoundForm):
    """One entry and one judge: pin, unpin, forbid or allow again."""

    entry = forms.CharField(
        label=_("Entry number"), max_length=20, widget=forms.TextInput({"inputmode": "numeric"})
    )
    judge = forms.CharField(label=_("Judge's user name"), max_length=150)

    def clean_entry(self) -> Entry:
        text = self.cleaned_data["entry"].strip().lstrip("#")
        entry = (
            Entry.objects.filter(pk=int(text), category__competition=self.competition)
            .select_related("category")
            .first()
            if text.isdigit()
            else None
        )
        if entry is None:
            raise ValidationError(_("No entry with that number in this competition."), code="unknown_entry")
        return entry

    def clean_judge(self) -> User:
        return _judge(self.cleaned_data["judge"], self.competition)


class ImportAssignmentsForm(RoundForm):
    file = forms.FileField(
        label=_("Edited assignment (CSV)"),
        widget=forms.FileInput({"accept": ".csv,text/csv"}),
        error_messages={"required": _("Choose a CSV file first."), "empty": _("The file is empty.")},
    )


class ConfirmResultsForm(RoundForm):
    method = forms.CharField(required=False, max_length=60, widget=forms.HiddenInput)
    accept_few_sheets = forms.BooleanField(
        label=_("Confirm although some judges have too few score sheets for this method"), required=False
    )

    def clean_method(self) -> str:
        method = (self.cleaned_data.get("method") or "").strip() or str(DEFAULT_METHOD)
        try:
            resolve_method(method)
        except ValueError as exc:
            raise ValidationError(str(exc), code="method") from exc
        return method


class JudgeSignalsForm(JudgingForm):
    """Which advisory signals judges see beside each work; an unticked one is hidden from them."""

    signals = forms.MultipleChoiceField(
        label=_("Signals judges see beside each work"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=JUDGE_SIGNAL_CHOICES,
    )
    past_editions = forms.ModelMultipleChoiceField(
        label=_("Compare with the entries of earlier editions"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        queryset=Competition.objects.none(),
    )

    def __init__(self, *args: Any, competition: Competition, **kwargs: Any) -> None:
        super().__init__(*args, competition=competition, **kwargs)
        others = Competition.objects.exclude(pk=competition.pk).order_by("-results_at")
        self.fields["past_editions"].queryset = others  # type: ignore[attr-defined]


class PromoteForm(RoundForm):
    """Close the round and send each category's best entries on: the top N, or those over a cut-off."""

    top = forms.IntegerField(
        label=_("Entries of each category that go on"), min_value=1, max_value=10000, required=False,
        error_messages={"invalid": WHOLE_NUMBER, "min_value": _("At least one entry goes on.")},
    )
    cutoff = forms.DecimalField(
        label=_("Or every entry scoring at least (0–100)"), min_value=0, max_value=100, decimal_places=2,
        required=False,
        error_messages={"min_value": _("The cut-off is between 0 and 100."),
                        "max_value": _("The cut-off is between 0 and 100.")},
    )
    method = forms.ChoiceField(label=_("Ranked with (when the round has no recorded results)"),
                               choices=AggregationMethod.choices, initial=DEFAULT_METHOD, required=False)
    kind = forms.ChoiceField(label=_("Next round"), choices=Round.Kind.choices, required=False)
    k = _number_field(_("Judges on each shortlisted entry"), 1, 20,
                      _("Judges per entry must be between 1 and 20."), 3)
    accept_few_sheets = forms.BooleanField(
        label=_("Accept although some judges have too few score sheets for this method"), required=False
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        top, cutoff = cleaned.get("top"), cleaned.get("cutoff")
        if "top" not in self.errors and "cutoff" not in self.errors and (top is None) == (cutoff is None):
            self.add_error("top", _("Give either how many entries of each category go on, or a cut-off score, "
                                    "not both."))
        return cleaned


class DueDateForm(RoundForm):
    """The round's due date, typed on the competition's clock, and when judges are reminded."""

    remind_days_before = _number_field(
        _("Remind judges this many days before"), 0, 60, _("Reminders go between 0 and 60 days before."), 2
    )

    def __init__(self, *args: Any, competition: Competition, **kwargs: Any) -> None:
        from aigc_contest.web.contests.forms import TimelineTimeField
        from aigc_contest.web.contests.timeline import Edge

        super().__init__(*args, competition=competition, **kwargs)
        self.fields["due_at"] = TimelineTimeField(
            zone=competition.zone, edge=Edge.END, required=False, label=_("Scores due"),
            help_text=_("On the competition's clock (%(zone)s). Leave empty for no due date.")
            % {"zone": competition.timezone},
        )

    def clean_remind_days_before(self) -> int:
        return int(self._default("remind_days_before"))
