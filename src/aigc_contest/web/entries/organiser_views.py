"""The organiser's participation lists and per-school report (thin: the lists are in participation.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from aigc_contest.web.accounts.models import School
from aigc_contest.web.contests.models import Competition
from aigc_contest.web.core.errors import require
from aigc_contest.web.entries import participation as p


def _competition(request: HttpRequest, slug: str) -> Competition:
    competition = get_object_or_404(Competition, slug=slug)
    require(request.user, "contests.view_participation", competition)
    return competition


def _list(
    request: HttpRequest, competition: Competition, *, title: str, filterset: Any, table: Any
) -> HttpResponse:
    RequestConfig(request, paginate={"per_page": p.PER_PAGE}).configure(table)
    return render(
        request,
        "entries/organiser_list.html",
        {
            "competition": competition,
            "title": title,
            "filter": filterset,
            "table": table,
            "total": filterset.qs.count(),
        },
    )


@login_required
def entries(request: HttpRequest, slug: str) -> HttpResponse:
    competition = _competition(request, slug)
    found = p.EntryFilter(request.GET, queryset=p.competition_entries(competition), competition=competition)
    return _list(request, competition, title=_("Entries"), filterset=found, table=p.EntryTable(found.qs))


@login_required
def teams(request: HttpRequest, slug: str) -> HttpResponse:
    competition = _competition(request, slug)
    found = p.TeamFilter(request.GET, queryset=p.competition_teams(competition), competition=competition)
    return _list(
        request,
        competition,
        title=_("Teams"),
        filterset=found,
        table=p.TeamTable(found.qs, competition=competition),
    )


@login_required
def schools(request: HttpRequest, slug: str) -> HttpResponse:
    competition = _competition(request, slug)
    found = p.SchoolFilter(request.GET, queryset=p.competition_schools(competition), competition=competition)
    return _list(
        request,
        competition,
        title=_("Schools"),
        filterset=found,
        table=p.SchoolTable(found.qs, competition=competition),
    )


@login_required
def teachers(request: HttpRequest, slug: str) -> HttpResponse:
    competition = _competition(request, slug)
    found = p.TeacherFilter(
        request.GET, queryset=p.competition_teachers(competition), competition=competition
    )
    return _list(request, competition, title=_("Teachers"), filterset=found, table=p.TeacherTable(found.qs))


@login_required
def school_report(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    competition = _competition(request, slug)
    school = get_object_or_404(p.participating_schools(competition), code=code)
    assert isinstance(school, School)
    return render(
        request,
        "entries/organiser_school_report.html",
        {
            "competition": competition,
            **p.school_report(competition, school),
        },
    )
