"""The storybook studio shows the entry's deadline on the competition's clock, and the time left."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

DEADLINE = datetime(2031, 10, 30, 15, 59, 59, 999_999, tzinfo=UTC)  # 23:59 in Hong Kong


def test_the_storybook_studio_shows_the_deadline_and_the_time_left(book_setup) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.works import services
    from aigc_contest.web.works.models import WorkKind

    competition = book_setup.entry.category.competition
    competition.timezone, competition.submission_deadline = "Asia/Hong_Kong", DEADLINE
    competition.save()
    client = Client()
    client.force_login(book_setup.student)
    start = client.get(f"/storybooks/entries/{book_setup.entry.pk}/").content.decode()
    work = services.start(book_setup.student, book_setup.entry, WorkKind.STORYBOOK, exists_ok=False, theme="A greener city", brief="a robot",
                               pages=2, style="crayon", seed=3)  # fmt: skip
    editor = client.get(f"/storybooks/books/{work.pk}/").content.decode()
    for html in (start, editor):
        assert 'data-testid="deadline"' in html
        assert (
            "2031-10-30 23:59 Asia/Hong_Kong" in html and 'data-countdown="2031-10-30T15:59:59.999Z"' in html
        )
