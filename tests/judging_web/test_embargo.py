"""The results embargo holds on every route, for every role, until `results_at`, and lifts on the second."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "student_a", "teacher_a", "judge", "organiser"]


@pytest.fixture
def awarded(judged, score_all):  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import services

    j = judged
    score_all(j, {(j.entry_b.pk, "judge.c"): (9, 9), (j.entry_b.pk, "judge"): (9, 8)})
    services.confirm_results(j.organiser, j.round, "mean")
    services.give_awards(j.organiser, j.round)
    return j


def _announce(competition, when) -> None:  # type: ignore[no-untyped-def]
    competition.results_at = when
    competition.save(update_fields=["results_at"])


def _login(client, j, role):  # type: ignore[no-untyped-def]
    if role != "anonymous":
        client.force_login(getattr(j, role))


def _visible(client, j) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging.models import Award

    slug = j.competition.slug
    award = Award.objects.get(entry=j.entry_b)
    gallery = client.get(f"/competitions/{slug}/winners/").content.decode()
    api = client.get(f"/api/v1/competitions/{slug}/results").json()
    image = client.get(f"/competitions/{slug}/winners/{award.pk}/file")
    seen = {
        "gallery": "Kite over the harbour" in gallery,
        "api": bool(api["results"]) or api["published"],
        "file": image.status_code == 200,
    }
    csv = client.get(f"/organiser/{slug}/results.csv")
    if csv.status_code == 200:
        seen["csv"] = "Kite over the harbour" in csv.content.decode()
    return seen


@pytest.mark.parametrize("role", ROLES)
def test_nothing_shows_before_the_announcement(awarded, client, role) -> None:  # type: ignore[no-untyped-def]
    _announce(awarded.competition, timezone.now() + timedelta(seconds=30))
    _login(client, awarded, role)
    seen = _visible(client, awarded)
    assert not any(seen.values()), seen
    assert ("csv" in seen) == (role == "organiser")  # the export is the organisers', and it is empty too


@pytest.mark.parametrize("role", ROLES)
def test_everything_shows_after_the_announcement(awarded, client, role) -> None:  # type: ignore[no-untyped-def]
    _announce(awarded.competition, timezone.now() - timedelta(microseconds=1))
    _login(client, awarded, role)
    seen = _visible(client, awarded)
    assert all(seen.values()), seen


def test_embargo_lifts_exactly_at_results_at(awarded) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import selectors

    competition = awarded.competition
    at = competition.results_at
    before = at - timedelta(microseconds=1)
    assert not selectors.published_results(competition, before).exists()
    assert not selectors.published_awards(competition, before).exists()
    assert not selectors.winners_gallery(competition, before)
    assert selectors.published_results(competition, at).count() == 2
    assert selectors.published_awards(competition, at).count() >= 1


def test_results_cannot_change_after_the_announcement(awarded) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.core.errors import ServiceError
    from aigc_contest.web.judging import services

    _announce(awarded.competition, timezone.now() - timedelta(seconds=1))
    with pytest.raises(ServiceError):
        services.confirm_results(awarded.organiser, awarded.round, "median")
    with pytest.raises(ServiceError):
        services.give_awards(awarded.organiser, awarded.round)


def test_public_api_results_shape(awarded, client) -> None:  # type: ignore[no-untyped-def]
    _announce(awarded.competition, timezone.now() - timedelta(seconds=1))
    data = client.get(f"/api/v1/competitions/{awarded.competition.slug}/results").json()
    assert data["published"] is True
    top = data["results"][0]
    assert top["rank"] == 1 and top["title"] == "Kite over the harbour" and top["award"] == "first"
