"""CSV exports opened in a spreadsheet program.

Every CSV download of the site goes through `csv_response`: the file starts with the UTF-8 byte order mark
(without it Excel reads the Chinese titles and names as another encoding), and text typed by participants
never runs as a formula. Numbers are written as numbers: pass an int, float or Decimal, not a string.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

from django.http import HttpResponse

# A cell starting with one of these is read as a formula (or, with a tab or carriage return, may become one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def spreadsheet_safe(value: object) -> object:
    """The value, with a leading apostrophe when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def spreadsheet_row(values: Iterable[object]) -> list[object]:
    return [spreadsheet_safe(value) for value in values]


class SpreadsheetWriter:
    """A csv writer whose text cells can never run as spreadsheet formulas."""

    def __init__(self, response: HttpResponse) -> None:
        self._writer = csv.writer(response)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow(spreadsheet_row(row))

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_response(filename: str) -> tuple[HttpResponse, SpreadsheetWriter]:
    """A CSV download named `filename` (UTF-8 with its byte order mark) and the safe writer for its rows."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write(BOM)
    return response, SpreadsheetWriter(response)
