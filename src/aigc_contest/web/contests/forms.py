"""Organiser forms for a competition: the timeline is typed and read in the competition's own zone.

`TimelineTimeField` shows an instant on the competition's clock and reads what is typed by the rule of
`contests/timeline.py`; it never uses the server's active zone. `CompetitionForm` gives every timeline
field that zone (on the add form and when the zone is changed, the zone typed in the same form) and names
it in the help text; a timeline field the organiser did not touch keeps its stored instant exactly. "Did not
touch" is judged against what the organiser was shown, on the stored zone's clock: changing only the zone
keeps every instant (the times then read differently on the new clock), while a time typed in the same save
is read on the new clock.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.accounts.models import SchoolLevel
from aigc_contest.web.contests.models import JUDGE_SIGNAL_CHOICES, JUDGE_SIGNALS, Competition, Theme, WorkType
from aigc_contest.web.contests.services import TOTAL_WEIGHT, rubric_total, weight_error
from aigc_contest.web.contests.timeline import (
    TIMELINE_FIELDS,
    Edge,
    TypedTimeError,
    instant_from_typed,
    typed_clock,
)

TYPED_TIME_ERRORS = {
    "not_a_time": _("“%(text)s” is not a time: type hours and minutes, such as 23:59."),
    "not_a_time_of_day": _("“%(text)s” is not a time of day (00:00 to 23:59)."),
    "skipped": _("%(when)s does not exist in %(zone)s (the clocks skip it); choose another time."),
    "repeated": _("%(when)s happens twice in %(zone)s (the clocks go back); choose another time."),
}


class TimelineTimeField(forms.MultiValueField):
    """A date and a clock time on `zone`'s clock; `edge` says what a time typed to the minute means."""

    widget = forms.SplitDateTimeWidget

    def __init__(
        self,
        *,
        zone: zoneinfo.ZoneInfo,
        edge: Edge,
        shown_zone: zoneinfo.ZoneInfo | None = None,
        **kwargs: Any,
    ) -> None:
        # `zone`: the clock a typed time is read on; `shown_zone`: the clock the form showed the stored
        # instant on (the stored zone, when the organiser changes the zone in this very form).
        self.zone, self.edge, self.shown_zone = zone, edge, shown_zone or zone
        kwargs.setdefault("error_messages", {"incomplete": _("Enter both a date and a time.")})
        super().__init__((forms.CharField(), forms.CharField()), require_all_fields=False, **kwargs)
        # Django drops the microseconds of a form's initial value unless the widget says it keeps them
        # (that is how saving an untouched form turned 23:59:59.999 into 23:59:59.000).
        self.widget.supports_microseconds = True

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return list(typed_clock(value, self.zone, self.edge))
        return value

    def compress(self, data_list: list[str]) -> datetime | None:
        day_text, clock_text = ([*(data_list or []), "", ""])[:2]
        day_text, clock_text = (day_text or "").strip(), (clock_text or "").strip()
        if not day_text and not clock_text:
            return None
        if not day_text or not clock_text:
            raise forms.ValidationError(self.error_messages["incomplete"], code="incomplete")
        day = forms.DateField().clean(day_text)
        try:
            return instant_from_typed(day, clock_text, self.zone, self.edge)
        except TypedTimeError as exc:
            raise forms.ValidationError(
                TYPED_TIME_ERRORS[exc.code], code=exc.code, params=exc.params
            ) from exc

    def has_changed(self, initial: Any, data: Any) -> bool:
        if self.disabled:
            return False
        if isinstance(initial, datetime):
            shown: list[str] = list(typed_clock(initial, self.shown_zone, self.edge))
        else:
            shown = self.prepare_value(initial) if initial else ["", ""]
        typed = [str(part or "").strip() for part in ([*(data or []), "", ""])[:2]]
        return [str(part) for part in shown] != typed


def zone_for_form(data: Any, prefix_name: str, instance: Competition | None) -> zoneinfo.ZoneInfo:
    """The zone the timeline is typed in: the zone typed in this very form when it names one, else the
    competition's, else the default of a new competition."""
    candidates = [data.get(prefix_name) if data is not None else None]
    if instance is not None and instance.timezone:
        candidates.append(instance.timezone)
    candidates.append(Competition._meta.get_field("timezone").get_default())
    for name in candidates:
        try:
            if name:
                return zoneinfo.ZoneInfo(str(name).strip())
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
    return zoneinfo.ZoneInfo("UTC")


class CompetitionForm(forms.ModelForm):
    """The competition form organisers use (the admin's, too): the timeline in the competition's zone."""

    timeline_widget: type[forms.SplitDateTimeWidget] = forms.SplitDateTimeWidget

    class Meta:
        model = Competition
        fields = [
            "slug",
            "organiser_name",
            "is_public",
            "timezone",
            "name_en",
            "name_zh_hant",
            "name_zh_hans",
            "description_en",
            "description_zh_hant",
            "description_zh_hans",
            *TIMELINE_FIELDS,
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone_for_form(
            self.data if self.is_bound else None,
            self.add_prefix("timezone"),
            self.instance if self.instance.pk else None,
        )
        # The clock the stored times were shown on (what the organiser read before typing anything).
        self.shown_zone = zone_for_form(None, "", self.instance) if self.instance.pk else self.zone
        for name, edge in TIMELINE_FIELDS.items():
            old = self.fields.get(name)
            if old is None:
                continue
            help_text = _("On the competition's clock: %(zone)s.") % {"zone": self.zone.key}
            if edge is Edge.END:
                end = _(
                    "Typed without seconds, it lasts to the end of that minute (23:59 means until 23:59:59.999999)."
                )
                help_text = f"{help_text} {end}"
            self.fields[name] = TimelineTimeField(
                zone=self.zone,
                edge=edge,
                shown_zone=self.shown_zone,
                required=old.required,
                label=old.label,
                help_text=help_text,
                widget=self.timeline_widget(),
            )
        if "timezone" in self.fields:
            self.fields["timezone"].help_text = _(
                "A zone name such as Asia/Hong_Kong. The timeline below is typed and shown in this zone. "
                "Changing only the zone keeps every moment of the timeline (the times then read differently "
                "on the new clock); a time you change in the same save is read on the new clock."
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        if self.instance.pk:
            changed = set(self.changed_data)
            for name in TIMELINE_FIELDS:
                # Untouched: keep the stored instant itself, whatever it is (never re-read it from the text).
                if name in self.fields and name not in changed and name in cleaned:
                    cleaned[name] = getattr(self.instance, name)
        return cleaned

    def zone_changed_only(self) -> bool:
        """The zone was changed and no timeline time was typed: every instant is kept."""
        changed = set(self.changed_data)
        return "timezone" in changed and not changed & set(TIMELINE_FIELDS)


# ---------------------------------------------------------------- the organiser's set-up pages
# Plain forms: they check what is typed and put each problem beside its field; the writes are
# `contests/services.py`, whose own refusals (`SetupError`) come back onto the same fields.


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name or name == "UTC"]


class CompetitionSetupForm(CompetitionForm):
    """Details in three languages, the zone (a list to choose from) and the timeline on its clock."""

    timezone = forms.ChoiceField(label=capfirst(_("time zone")), choices=time_zone_choices)
    judge_signals = forms.MultipleChoiceField(
        label=capfirst(_("advisory signals shown to judges")), required=False, widget=forms.CheckboxSelectMultiple,
        choices=JUDGE_SIGNAL_CHOICES,
        help_text=_("Signals never change a score or a rank."),
    )  # fmt: skip

    class Meta(CompetitionForm.Meta):
        fields = [*CompetitionForm.Meta.fields[:4], "teachers_may_help", "schools_must_join", "judge_signals",
                  *CompetitionForm.Meta.fields[4:]]
        widgets = {
            "description_en": forms.Textarea(attrs={"rows": 4}),
            "description_zh_hant": forms.Textarea(attrs={"rows": 4}),
            "description_zh_hans": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].help_text = _("The competition's address: letters, digits and hyphens.")
        if not self.is_bound and not self.instance.pk:
            self.initial.setdefault("judge_signals", list(JUDGE_SIGNALS))
        for name in TIMELINE_FIELDS:
            widget = self.fields[name].widget
            day, clock = widget.widgets  # type: ignore[attr-defined]
            day.input_type = "date"
            day.attrs.update({"aria-label": _("date"), "data-part": "date"})
            clock.attrs.update({"aria-label": _("time (HH:MM)"), "data-part": "time", "placeholder": "23:59",
                                "inputmode": "numeric", "size": 8})  # fmt: skip

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """The fields in the page's three parts."""
        parts = [
            (_("The competition"), ["slug", "organiser_name", "is_public", "teachers_may_help", "schools_must_join",
                                     "judge_signals"]),
            (_("Name and description in three languages"),
             ["name_en", "description_en", "name_zh_hant", "description_zh_hant", "name_zh_hans", "description_zh_hans"]),
            (_("Timeline"), ["timezone", *TIMELINE_FIELDS]),
        ]  # fmt: skip
        return [(legend, [self[name] for name in names]) for legend, names in parts]

    def _post_clean(self) -> None:
        # The services validate and save the competition (`SetupError` comes back on the fields); the
        # model form only reads what is typed.
        pass

    def setup_values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ThemeForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title_en = forms.CharField(label=capfirst(_("title (English)")), max_length=200)
    title_zh_hant = forms.CharField(label=capfirst(_("title (Traditional Chinese)")), max_length=200, required=False)
    title_zh_hans = forms.CharField(label=capfirst(_("title (Simplified Chinese)")), max_length=200, required=False)
    description_en = forms.CharField(label=capfirst(_("description (English)")), required=False,
                                     widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    description_zh_hant = forms.CharField(label=capfirst(_("description (Traditional Chinese)")), required=False,
                                          widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    description_zh_hans = forms.CharField(label=capfirst(_("description (Simplified Chinese)")), required=False,
                                          widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip


class CategoryForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    slug = forms.SlugField(label=capfirst(_("short name")), max_length=60, help_text=_("Letters, digits and hyphens."))
    name_en = forms.CharField(label=capfirst(_("name (English)")), max_length=200)
    name_zh_hant = forms.CharField(label=capfirst(_("name (Traditional Chinese)")), max_length=200, required=False)
    name_zh_hans = forms.CharField(label=capfirst(_("name (Simplified Chinese)")), max_length=200, required=False)
    description_en = forms.CharField(label=capfirst(_("description (English)")), required=False,
                                     widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    description_zh_hant = forms.CharField(label=capfirst(_("description (Traditional Chinese)")), required=False,
                                          widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    description_zh_hans = forms.CharField(label=capfirst(_("description (Simplified Chinese)")), required=False,
                                          widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    school_levels = forms.MultipleChoiceField(label=capfirst(_("school levels")), widget=forms.CheckboxSelectMultiple,
                                              choices=SchoolLevel.choices,
                                              help_text=_("“Open” lets everyone enter, teams without a school too "
                                                          "(adults, international teams, who sign up on their own); "
                                                          "the other levels admit only schools of that level."))  # fmt: skip
    work_types = forms.MultipleChoiceField(label=capfirst(_("allowed work types")), widget=forms.CheckboxSelectMultiple,
                                           choices=WorkType.choices)  # fmt: skip
    min_team_size = forms.IntegerField(label=capfirst(_("smallest team")), min_value=1, max_value=50, initial=1)
    max_team_size = forms.IntegerField(label=capfirst(_("largest team")), min_value=1, max_value=50, initial=3)
    any_theme = forms.BooleanField(label=capfirst(_("any theme")), required=False)
    themes = forms.ModelMultipleChoiceField(label=capfirst(_("themes")), queryset=Theme.objects.none(), required=False,
                                            widget=forms.CheckboxSelectMultiple)  # fmt: skip
    submission_limit = forms.IntegerField(label=capfirst(_("final submissions allowed per entry")), min_value=1, max_value=100,
                                          initial=5)  # fmt: skip
    max_upload_mb = forms.IntegerField(label=capfirst(_("largest upload (MB)")), min_value=1, max_value=2000, initial=20)

    def __init__(self, *args: Any, competition: Competition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        themes: Any = self.fields["themes"]
        themes.queryset = competition.themes.all()  # never another competition's themes
        themes.label_from_instance = lambda t: t.tr("title")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        low, high = cleaned.get("min_team_size"), cleaned.get("max_team_size")
        if low is not None and high is not None and high < low:
            self.add_error("max_team_size", _("The largest team cannot be smaller than the smallest."))
        if not cleaned.get("any_theme") and not cleaned.get("themes") and self.fields["themes"].queryset.exists():  # type: ignore[attr-defined]
            self.add_error("themes", _("Choose the themes of this category, or allow any theme."))
        return cleaned


class LevelForm(forms.Form):
    """One level descriptor of a criterion: a score band and what it means."""

    band = forms.CharField(label=capfirst(_("score band")), max_length=20, required=False,
                           widget=forms.TextInput(attrs={"aria-label": _("Score band, such as 7-8"), "size": 8}))  # fmt: skip
    text = forms.CharField(label=capfirst(_("what it means")), max_length=500, required=False,
                           widget=forms.TextInput(attrs={"aria-label": _("What a score in this band means")}))  # fmt: skip

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        band, text = (cleaned.get("band") or "").strip(), (cleaned.get("text") or "").strip()
        if band and not text:
            self.add_error("text", _("Say what this band means."))
        if text and not band:
            self.add_error("band", _("Give the score band this describes."))
        return cleaned


LevelFormSet = forms.formset_factory(LevelForm, extra=2)


class CriterionForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    key = forms.SlugField(label=capfirst(_("short name")), max_length=40, help_text=_("Letters, digits, hyphens and underscores."))
    name_en = forms.CharField(label=capfirst(_("name (English)")), max_length=200)
    name_zh_hant = forms.CharField(label=capfirst(_("name (Traditional Chinese)")), max_length=200, required=False)
    name_zh_hans = forms.CharField(label=capfirst(_("name (Simplified Chinese)")), max_length=200, required=False)
    weight = forms.DecimalField(label=capfirst(_("weight (%)")), max_digits=5, decimal_places=2, min_value=Decimal("0.01"),
                                max_value=Decimal(100))  # fmt: skip
    min_score = forms.IntegerField(label=capfirst(_("lowest score")), min_value=0, max_value=1000, initial=0)
    max_score = forms.IntegerField(label=capfirst(_("top score")), min_value=1, max_value=1000, initial=10)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        low, high = cleaned.get("min_score"), cleaned.get("max_score")
        if low is not None and high is not None and high <= low:
            self.add_error("max_score", _("The top score must be above the lowest."))
        return cleaned


def kept_forms(formset: forms.BaseFormSet) -> list[forms.Form]:
    """The rows a formset keeps: the stored ones and the new ones typed in, less those ticked for deletion."""
    return [f for f in formset.forms if (f.has_changed() or f.initial)
            and not getattr(f, "cleaned_data", {}).get("DELETE")]  # fmt: skip


class BaseRubricFormSet(forms.BaseFormSet):
    """Criteria, each with its level descriptors (a formset inside each form, prefix `criteria-N-levels`);
    the weights of the criteria kept must total 100 %: the error stands on every weight field."""

    def __init__(self, *args: Any, levels_initial: list[list[dict[str, str]]] | None = None, **kwargs: Any) -> None:
        self.levels_initial = levels_initial or []
        super().__init__(*args, **kwargs)

    def _construct_form(self, i: int, **kwargs: Any) -> forms.Form:
        form = super()._construct_form(i, **kwargs)  # type: ignore[misc]
        initial = self.levels_initial[i] if i < len(self.levels_initial) else []
        form.levels = LevelFormSet(  # type: ignore[attr-defined]
            self.data if self.is_bound else None, prefix=f"{form.prefix}-levels", initial=initial
        )
        return form

    def kept_forms(self) -> list[forms.Form]:
        return kept_forms(self)

    def is_valid(self) -> bool:
        valid = super().is_valid()
        levels_valid = all(f.levels.is_valid() for f in self.kept_forms())  # type: ignore[attr-defined]
        return valid and levels_valid

    def clean(self) -> None:
        forms_kept = [f for f in self.kept_forms() if f.cleaned_data]
        weights = [f.cleaned_data.get("weight") for f in forms_kept]
        if forms_kept and all(w is not None for w in weights):
            total = rubric_total(weights)
            if total != TOTAL_WEIGHT:
                for form in forms_kept:
                    form.add_error("weight", weight_error(total))

    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for form in self.kept_forms():
            row = dict(form.cleaned_data)
            row.pop("DELETE", None)
            row["descriptors"] = {
                level.cleaned_data["band"].strip(): level.cleaned_data["text"].strip()
                for level in form.levels.forms  # type: ignore[attr-defined]
                if level.cleaned_data.get("band") and level.cleaned_data.get("text")
            }
            rows.append(row)
        return rows



class CloneForm(forms.Form):
    slug = forms.SlugField(label=capfirst(_("short name of the new competition")), max_length=60)
    name_en = forms.CharField(label=capfirst(_("name (English)")), max_length=200)
    deadline_day = forms.DateField(
        label=capfirst(_("new submission deadline (date)")),
        help_text=_("Every date of the timeline moves by the same number of days; the times of day stay."),
    )

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"]
        if Competition.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("Another competition already has this short name."))
        return slug
