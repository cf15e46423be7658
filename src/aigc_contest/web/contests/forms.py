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
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.contests.models import Competition
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
