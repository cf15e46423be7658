"""The image studio shows the entry's deadline on the competition's clock, and the time left."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

DEADLINE = datetime(2031, 10, 30, 15, 59, 59, 999_999, tzinfo=UTC)  # 23:59 in Hong Kong


def test_the_image_studio_shows_the_deadline_and_the_time_left(image_setup: Any) -> None:
    competition = image_setup.entry.category.competition
    competition.timezone, competition.submission_deadline = "Asia/Hong_Kong", DEADLINE
    competition.save()
    client = Client()
    client.force_login(image_setup.student)
    html = client.get(f"/studio/image/entries/{image_setup.entry.pk}/").content.decode()
    assert 'data-testid="deadline"' in html
    assert "2031-10-30 23:59 Asia/Hong_Kong" in html and 'data-countdown="2031-10-30T15:59:59.999Z"' in html
