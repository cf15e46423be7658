"""Judging's actions in the competition's audit log: results confirmed, a judge's conflict and abstention."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def _actions(competition):  # type: ignore[no-untyped-def]
    from aigc_contest.web.accounts.models import ChangeRecord

    return list(ChangeRecord.objects.filter(competition=competition).values_list("action", "actor_name"))


def test_confirming_results_is_recorded_with_who_confirmed(judged, score_all) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import services

    score_all(judged, {})
    count = services.confirm_results(judged.organiser, judged.round, "mean")
    assert ("results confirmed", "organiser") in _actions(judged.competition)
    from aigc_contest.web.accounts.models import ChangeRecord

    record = ChangeRecord.objects.get(action="results confirmed")
    assert record.changes["results"] == [None, count] and record.changes["method"][1].startswith("mean")


def test_a_judges_conflict_and_abstention_are_recorded(judged) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import services
    from aigc_contest.web.judging.models import Assignment

    first, second = Assignment.objects.filter(round=judged.round).select_related("judge")[:2]
    services.declare_conflict(first.judge, first, "I taught this pupil")
    services.abstain(second.judge, second, "The file does not open")
    actions = {action for action, _who in _actions(judged.competition)}
    assert {"judge declared a conflict", "judge abstained"} <= actions


def test_the_organiser_home_links_the_people_and_schools_pages(judged, client) -> None:  # type: ignore[no-untyped-def]
    from django.urls import reverse

    client.force_login(judged.organiser)
    page = client.get(reverse("organiser-home")).content.decode()
    assert reverse("contests-people", args=[judged.competition.slug]) in page
    assert reverse("contests-join-requests", args=[judged.competition.slug]) in page
