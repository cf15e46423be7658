"""Every CSV export defuses text a spreadsheet would run as a formula (titles and team names are typed by
participants)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db

TITLE = '=HYPERLINK("http://evil.example","Open me")'
TEAM = "@SUM(1+1)"


def _rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_spreadsheet_safe_quotes_formula_starts_only() -> None:
    from aigc_contest.web.core.spreadsheet import spreadsheet_row

    assert spreadsheet_row(["=1+2", "+1", "-1", "@A1", "\tx", "Kite", 3, None]) == [
        "'=1+2", "'+1", "'-1", "'@A1", "'\tx", "Kite", 3, None]  # fmt: skip


def test_results_participants_and_entries_exports_are_defused(judged, score_all, client) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    from aigc_contest.web.entries.models import Entry, Team
    from aigc_contest.web.judging import services

    j = judged
    Entry.objects.filter(pk=j.entry_b.pk).update(title=TITLE)
    Team.objects.filter(pk=j.entry_b.team_id).update(name=TEAM)
    score_all(j, {(j.entry_b.pk, "judge.c"): (9, 9), (j.entry_b.pk, "judge"): (9, 8)})
    services.confirm_results(j.organiser, j.round, "mean")
    services.give_awards(j.organiser, j.round)
    j.competition.results_at = timezone.now() - timedelta(seconds=1)
    j.competition.save(update_fields=["results_at"])
    client.force_login(j.organiser)
    slug = j.competition.slug
    cells = [cell for name in ("results", "participants", "entries")
             for row in _rows(client.get(f"/organiser/{slug}/{name}.csv")) for cell in row]  # fmt: skip
    assert "'" + TITLE in cells and "'" + TEAM in cells
    assert TITLE not in cells and TEAM not in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@")]


def test_every_csv_export_starts_with_the_byte_order_mark(judged, score_all, client) -> None:  # type: ignore[no-untyped-def]
    """Excel reads a CSV without the mark in the computer's own encoding: Chinese titles came out garbled."""
    from aigc_contest.web.entries.models import Entry
    from aigc_contest.web.judging import services

    j = judged
    Entry.objects.filter(pk=j.entry_b.pk).update(title="我的香港，我們的未來")
    score_all(j, {(j.entry_b.pk, "judge.c"): (9, 9), (j.entry_b.pk, "judge"): (9, 8)})
    services.confirm_results(j.organiser, j.round, "mean")
    j.competition.results_at = timezone.now() - timedelta(seconds=1)
    j.competition.save(update_fields=["results_at"])
    client.force_login(j.organiser)
    slug = j.competition.slug
    for url in (f"/organiser/{slug}/results.csv", f"/organiser/{slug}/participants.csv",
                f"/organiser/{slug}/entries.csv", f"/organiser/{slug}/judging/rounds/{j.round.pk}/assignments.csv"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "text/csv; charset=utf-8", url
        assert response.content.startswith("\ufeff".encode()), url
        assert response.content.count("\ufeff".encode()) == 1, url
    results = _rows(client.get(f"/organiser/{slug}/results.csv"))
    assert "我的香港，我們的未來" in {cell for row in results for cell in row}
    scores = [row[5] for row in results[1:]]
    assert scores and all(score.replace(".", "").replace("-", "").isdigit() for score in scores)  # numbers, no '
