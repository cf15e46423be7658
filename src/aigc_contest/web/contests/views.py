from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from aigc_contest.web.contests import selectors
from aigc_contest.web.contests.models import Competition
from aigc_contest.web.core.errors import require
from aigc_contest.web.core.spreadsheet import spreadsheet_row
from aigc_contest.web.entries.models import Entry, Team


def competition_detail(request: HttpRequest, slug: str) -> HttpResponse:
    competition = selectors.competition_by_slug(slug)
    now = timezone.now()
    return render(
        request,
        "contests/competition_detail.html",
        {"competition": competition, "stage": competition.stage(now), "now": now},
    )


@login_required
def organiser_home(request: HttpRequest) -> HttpResponse:
    require(request.user, "contests.manage_competition")
    competitions = Competition.objects.prefetch_related("categories").all()
    rows = []
    for competition in competitions:
        rows.append(
            {
                "competition": competition,
                "teams": Team.objects.filter(competition=competition).count(),
                "entries": Entry.objects.filter(category__competition=competition).count(),
                "submitted": Entry.objects.filter(category__competition=competition, status="submitted").count(),
            }
        )
    return render(request, "contests/organiser_home.html", {"rows": rows})


def _csv_response(filename: str) -> tuple[HttpResponse, Any]:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so spreadsheet programs read the Chinese names as UTF-8
    return response, _SafeWriter(csv.writer(response))


class _SafeWriter:
    """A csv writer whose text cells can never run as spreadsheet formulas (participants type titles and names)."""

    def __init__(self, writer: Any) -> None:
        self.writer = writer

    def writerow(self, row: Iterable[object]) -> None:
        self.writer.writerow(spreadsheet_row(row))



@login_required
def export_participants(request: HttpRequest, slug: str) -> HttpResponse:
    require(request.user, "contests.export_participants")
    competition = get_object_or_404(Competition, slug=slug)
    response, writer = _csv_response(f"{slug}-participants.csv")
    writer.writerow(["team", "category", "school", "supervising_teacher", "username", "display_name", "grade", "consent"])
    teams = Team.objects.filter(competition=competition).select_related("category", "school", "supervising_teacher")
    for team in teams.prefetch_related("members__consents"):
        for member in team.members.all():
            writer.writerow(
                [
                    team.name,
                    team.category.slug,
                    team.school.code if team.school else "",
                    team.supervising_teacher.username if team.supervising_teacher else "",
                    member.username,
                    member.display_name,
                    member.grade,
                    "yes" if member.has_consent else "no",
                ]
            )
    return response


@login_required
def export_entries(request: HttpRequest, slug: str) -> HttpResponse:
    require(request.user, "contests.export_participants")
    competition = get_object_or_404(Competition, slug=slug)
    response, writer = _csv_response(f"{slug}-entries.csv")
    writer.writerow(["entry_id", "team", "category", "work_type", "title", "status", "versions",
                     "last_submitted_at_utc", "content_hash"])
    entries = Entry.objects.filter(category__competition=competition).select_related("team", "category")
    for entry in entries.prefetch_related("versions"):
        versions = list(entry.versions.all())
        last = versions[-1] if versions else None
        writer.writerow(
            [
                entry.pk,
                entry.team.name,
                entry.category.slug,
                entry.work_type,
                entry.title,
                entry.status,
                len(versions),
                last.submitted_at.isoformat(timespec="milliseconds") if last else "",
                last.content_hash if last else "",
            ]
        )
    return response
