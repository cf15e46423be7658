from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def tr(obj: Any, field: str) -> str:
    """`{{ competition|tr:"name" }}`: the field in the active language (see core.translation)."""
    return obj.tr(field) if obj is not None else ""


@register.filter
def local_time(instant: Any, competition: Any) -> Any:
    """An instant in the competition's own time zone."""
    return competition.local(instant) if instant else instant
