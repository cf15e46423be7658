"""The story studio shows the entry's deadline on the competition's clock, and the time left."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

DEADLINE = datetime(2031, 10, 30, 15, 59, 59, 999_999, tzinfo=UTC)  # 23:59 in Hong Kong


def test_the_story_studio_shows_the_deadline_and_the_time_left(novel_setup) -> None:  # type: ignore[no-untyped-def]
    competition = novel_setup.entry.category.competition
    competition.timezone, competition.submission_deadline = "Asia/Hong_Kong", DEADLINE
    competition.save()
    client = Client()
    client.force_login(novel_setup.student)
    entry = novel_setup.entry
    start = client.get(reverse("studio-home", args=[entry.pk])).content.decode()
    assert client.post(reverse("studio-start", args=[entry.pk]), {"source": "template"}).status_code == 302
    editor = client.get(reverse("studio-home", args=[entry.pk])).content.decode()
    assert 'id="graph"' in editor
    for html in (start, editor):
        assert 'data-testid="deadline"' in html
        assert (
            "2031-10-30 23:59 Asia/Hong_Kong" in html and 'data-countdown="2031-10-30T15:59:59.999Z"' in html
        )
