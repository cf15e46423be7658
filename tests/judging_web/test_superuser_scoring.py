"""No superuser back door on a judge's sheet: scores come from the assigned judge only."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_superuser_organiser_cannot_score_on_another_judges_sheet(judged: Any, client: Any) -> None:
    from aigc_contest.web.judging.models import Assignment, Score

    organiser = judged.organiser
    organiser.is_staff = organiser.is_superuser = True  # like the demo organiser
    organiser.save()
    assignment = Assignment.objects.filter(round=judged.round, status="assigned").first()
    assert assignment is not None and assignment.judge_id != organiser.pk
    assert not organiser.has_perm("judging.score_assignment", assignment)

    client.force_login(organiser)
    url = reverse("judging-score", args=[assignment.pk])
    ai, creativity = judged.criteria
    response = client.post(url, {"action": "submit", f"score-{ai.pk}": "10", f"score-{creativity.pk}": "10"})
    assert response.status_code == 404  # someone else's sheet does not exist for you
    assignment.refresh_from_db()
    assert assignment.status == "assigned"
    assert not Score.objects.filter(assignment=assignment).exists()
    # Organiser powers still come from the rules: running the judging.
    assert organiser.has_perm("judging.manage_judging", judged.competition)
