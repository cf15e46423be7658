from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from aigc_contest.web.core import zoned as zoned_time

register = template.Library()


@register.filter
def tr(obj: Any, field: str) -> str:
    """`{{ competition|tr:"name" }}`: the field in the active language (see core.translation)."""
    return obj.tr(field) if obj is not None else ""


@register.filter
def listing(items: Any) -> str:
    """`{{ names|listing }}`: a list joined the active language's way ("a, b" in English, "甲、乙" in Chinese)."""
    from django.utils.translation import get_language

    separator = "、" if (get_language() or "").lower().startswith("zh") else ", "
    return separator.join(str(item) for item in items or [])


@register.simple_tag
def zoned(
    instant: datetime | None, where: Any = None, precision: zoned_time.Precision = "minute"
) -> SafeString:
    """`{% zoned competition.submission_deadline competition %}`: the instant on the zone's clock with the
    zone's name (right without JavaScript), in a `<time datetime>` holding the ISO instant, and an empty
    place beside it that `static/js/countdown.js` fills with the viewer's own time. `where` is a
    competition, a zone name or nothing (the server's zone); `precision` is minute, second,
    millisecond or date (a date gets no viewer's time)."""
    if not instant:
        return SafeString("")
    zone = zoned_time.zone_of(where)
    viewer = (
        format_html(
            '<span class="viewer-time" data-viewer-time data-label="{}" hidden></span>', _("Your time")
        )
        if precision != "date"
        else ""
    )
    return format_html(
        '<span class="zoned"><time datetime="{}" data-zone="{}">{}</time>{}</span>',
        zoned_time.iso_instant(instant),
        zone.key,
        zoned_time.text_in_zone(instant, zone, precision),
        viewer,
    )


@register.filter
def instant_iso(instant: datetime | None) -> str:
    """The instant as an ISO 8601 `datetime` value in UTC (for `data-countdown`)."""
    return zoned_time.iso_instant(instant) if instant else ""


@register.simple_tag
def zoned_text(
    instant: datetime | None,
    where: Any = None,
    precision: zoned_time.Precision = "minute",
    with_utc: bool = False,
) -> str:
    """Plain text for e-mails: `2024-10-30 23:59 Asia/Hong_Kong (2024-10-30 15:59 UTC)` with `with_utc`."""
    return zoned_time.text_in_zone(instant, where, precision, with_utc=with_utc) if instant else ""
