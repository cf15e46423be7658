"""Organiser JSON routes for setting up a competition, mounted on the site's /api/v1/ object.

A competition is written as a spec: the same structure `aigc-contest competition apply FILE` reads (as JSON
here). Creating, updating and each section (timeline, themes, categories, rubric) go through
`services.apply_spec`, which asks the same permissions as the pages.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Body, Router, Schema, Status

from aigc_contest.web.contests import services
from aigc_contest.web.contests.models import Competition
from aigc_contest.web.core.api_schema import ORGANISER_READ_ERRORS, WRITE_ERRORS, ApiError, service_refusal
from aigc_contest.web.core.errors import ServiceError

router = Router(tags=["organiser: competitions"])

SECTIONS = {"timeline": dict, "themes": list, "categories": list, "criteria": list}


class SpecOut(Schema):
    spec: dict[str, Any]
    changes: list[str] = []


def competition_for(request: HttpRequest, slug: str, perm: str) -> Competition:
    """The competition by its slug (404), when the request's user holds `perm` on it (403)."""
    competition = get_object_or_404(Competition, slug=slug)
    if not request.user.has_perm(perm, competition):
        raise ApiError(403, "You are not allowed to do that.")
    return competition


def _apply(request: HttpRequest, spec: dict[str, Any]) -> SpecOut:
    try:
        competition, report = services.apply_spec(request.user, spec)
    except ServiceError as exc:
        raise service_refusal(exc) from exc
    return SpecOut(spec=services.export_spec(competition), changes=report.lines)


CREATE: dict[str, Any] = {"response": {201: SpecOut, **WRITE_ERRORS}, "tags": ["organiser: competitions"]}


def create_competition(request: HttpRequest, spec: Body[dict[str, Any]]):  # type: ignore[no-untyped-def]
    """Create a competition from a whole spec; its creator owns it. A slug already taken is 409 (update it
    with `PUT /competitions/{slug}/spec`). Registered as `POST /competitions` beside the public list (one
    path, one router)."""
    if not request.user.has_perm("contests.add_competition"):
        raise ApiError(403, "You are not allowed to do that.")
    if Competition.objects.filter(slug=str(spec.get("slug") or "").strip()).exists():
        raise ApiError(409, "Another competition already has this short name.")
    return Status(201, _apply(request, spec))


@router.get("/competitions/{slug}/spec", response={200: SpecOut, **ORGANISER_READ_ERRORS})
def get_spec(request: HttpRequest, slug: str) -> SpecOut:
    """The whole competition as a spec (what `aigc-contest competition export` writes)."""
    competition = competition_for(request, slug, "contests.view_competition")
    return SpecOut(spec=services.export_spec(competition))


@router.put("/competitions/{slug}/spec", response={200: SpecOut, **WRITE_ERRORS})
def put_spec(request: HttpRequest, slug: str, spec: Body[dict[str, Any]]) -> SpecOut:
    """Update the competition to match a whole spec (idempotent); `changes` lists what it changed."""
    competition_for(request, slug, "contests.change_competition")
    if str(spec.get("slug") or slug).strip() != slug:
        raise ApiError(422, {"slug": ["The spec's slug is not this competition's."]})
    return _apply(request, {**spec, "slug": slug})


def _put_section(request: HttpRequest, slug: str, section: str, value: Any) -> SpecOut:
    competition = competition_for(request, slug, "contests.change_competition")
    if not isinstance(value, SECTIONS[section]):
        raise ApiError(422, {section: [f"Give {section} as a {SECTIONS[section].__name__}."]})
    return _apply(request, {**services.export_spec(competition), section: value})


@router.put("/competitions/{slug}/timeline", response={200: SpecOut, **WRITE_ERRORS})
def put_timeline(request: HttpRequest, slug: str, timeline: Body[dict[str, Any]]) -> SpecOut:
    """The timeline, each instant typed on the competition's clock ("2026-10-30 23:59")."""
    return _put_section(request, slug, "timeline", timeline)


@router.put("/competitions/{slug}/themes", response={200: SpecOut, **WRITE_ERRORS})
def put_themes(request: HttpRequest, slug: str, themes: Body[list[dict[str, Any]]]) -> SpecOut:
    return _put_section(request, slug, "themes", themes)


@router.put("/competitions/{slug}/categories", response={200: SpecOut, **WRITE_ERRORS})
def put_categories(request: HttpRequest, slug: str, categories: Body[list[dict[str, Any]]]) -> SpecOut:
    return _put_section(request, slug, "categories", categories)


@router.put("/competitions/{slug}/rubric", response={200: SpecOut, **WRITE_ERRORS})
def put_rubric(request: HttpRequest, slug: str, criteria: Body[list[dict[str, Any]]]) -> SpecOut:
    """The rubric's criteria (weights add up to 100)."""
    return _put_section(request, slug, "criteria", criteria)
