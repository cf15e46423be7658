from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from aigc_contest.web.contests import selectors


def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    competitions = list(selectors.public_competitions())
    return render(request, "home.html", {"competitions": competitions, "now": now})


def competition_detail(request: HttpRequest, slug: str) -> HttpResponse:
    competition = selectors.competition_by_slug(slug)
    now = timezone.now()
    return render(
        request,
        "contests/competition_detail.html",
        {"competition": competition, "stage": competition.stage(now), "now": now},
    )
