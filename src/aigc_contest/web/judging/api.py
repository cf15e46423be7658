"""JSON routes for results, mounted on the site's /api/v1/ object.

Results and awards come only through the embargoed selectors: before `results_at` the lists are empty
and `published` is false, whoever asks.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema

from aigc_contest.web.contests import selectors as contest_selectors
from aigc_contest.web.core.api_schema import PUBLIC_READ_ERRORS
from aigc_contest.web.judging import selectors

router = Router(tags=["results"])


class ResultOut(Schema):
    category: str
    rank: int | None
    entry: int
    title: str
    team: str
    score: float
    method: str
    award: str | None


class ResultsOut(Schema):
    competition: str
    published: bool
    results_at: datetime
    results: list[ResultOut]


@router.get("/competitions/{slug}/results", response={200: ResultsOut, **PUBLIC_READ_ERRORS}, auth=None)
def competition_results(request: HttpRequest, slug: str) -> ResultsOut:
    competition = contest_selectors.competition_by_slug(slug)
    now = timezone.now()
    awards = {a.entry_id: a.kind for a in selectors.published_awards(competition, now)}
    results = [
        ResultOut(category=r.category.slug, rank=r.rank, entry=r.entry_id, title=r.entry.title, team=r.entry.team.name,
                  score=round(r.score, 4), method=r.method, award=awards.get(r.entry_id))
        for r in selectors.published_results(competition, now).order_by("category__order", "rank")
    ]
    return ResultsOut(competition=competition.slug, published=selectors.embargo_lifted(competition, now),
                      results_at=competition.results_at, results=results)
