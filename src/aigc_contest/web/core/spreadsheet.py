"""CSV exports opened in a spreadsheet program: text typed by participants must never run as a formula."""

from __future__ import annotations

from collections.abc import Iterable

# A cell starting with one of these is read as a formula (or, with a tab or carriage return, may become one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """The value, with a leading apostrophe when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def spreadsheet_row(values: Iterable[object]) -> list[object]:
    return [spreadsheet_safe(value) for value in values]
