"""After the announcement the public competition page leads to the winners; before it, it does not."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_the_competition_page_links_the_winners_only_after_the_announcement(world: Any, client: Any) -> None:
    from aigc_contest.web.contests.models import Competition

    url = f"/competitions/{world.competition.slug}/"
    winners = f"/competitions/{world.competition.slug}/winners/"
    assert winners not in client.get(url).content.decode()
    past = timezone.now() - timedelta(minutes=1)
    Competition.objects.filter(pk=world.competition.pk).update(
        registration_opens_at=past - timedelta(days=40), submission_opens_at=past - timedelta(days=30),
        submission_deadline=past - timedelta(days=20), judging_starts_at=past - timedelta(days=20), results_at=past,
    )
    html = client.get(url).content.decode()
    assert f'href="{winners}"' in html
    assert client.get(winners).status_code == 200
