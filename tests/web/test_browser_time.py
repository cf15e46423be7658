"""In a real browser: the Hong Kong competition page gives its deadline as 23:59 Hong Kong time without
JavaScript, and with JavaScript adds the viewer's own time and a live countdown beside it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HK = ZoneInfo("Asia/Hong_Kong")


@pytest.fixture
def hk_competition(make_competition: Any) -> Any:
    competition, _category, _theme = make_competition("hk-time")
    competition.timezone = "Asia/Hong_Kong"
    competition.registration_opens_at = datetime(2031, 9, 20, 9, 0, tzinfo=HK)
    competition.submission_opens_at = datetime(2031, 9, 30, 9, 0, tzinfo=HK)
    competition.submission_deadline = datetime(2031, 10, 30, 15, 59, 59, 999_999, tzinfo=UTC)  # typed "23:59"
    competition.judging_starts_at = datetime(2031, 10, 31, 0, 0, tzinfo=HK)
    competition.results_at = datetime(2031, 11, 13, 10, 0, tzinfo=HK)
    competition.save()
    return competition


def _row(page: Any, label: str) -> str:
    return page.locator("table.timeline tr", has=page.get_by_role("rowheader", name=label)).inner_text()


def test_without_javascript_the_deadline_is_23_59_hong_kong_time(
    live_server: Any, hk_competition: Any, chromium_page: Any
) -> None:
    browser = chromium_page.context.browser
    context = browser.new_context(java_script_enabled=False, locale="en-GB", timezone_id="Europe/London")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/competitions/{hk_competition.slug}/")
        deadline_row = _row(page, "Submission deadline")
        assert "2031-10-30 23:59 Asia/Hong_Kong" in deadline_row
        assert "15:59" not in deadline_row
        box = page.get_by_test_id("deadline")
        assert "2031-10-30 23:59 Asia/Hong_Kong" in box.inner_text()
        assert "Time left to submit" in box.inner_text()
        assert "2031-11-13 10:00 Asia/Hong_Kong" in _row(page, "Results announced")
        # Nothing pretends to be the viewer's time when no script could work it out.
        assert page.locator("[data-viewer-time]:visible").count() == 0
        assert "local time" not in page.locator("main").inner_text()
        assert page.get_by_text("Times in Asia/Hong_Kong.", exact=True).is_visible()
        assert "15:59" not in page.locator("main").inner_text()
    finally:
        context.close()


def test_with_javascript_the_viewers_own_time_stands_beside_it(
    live_server: Any, hk_competition: Any, chromium_page: Any
) -> None:
    browser = chromium_page.context.browser
    context = browser.new_context(locale="en-GB", timezone_id="Europe/London")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/competitions/{hk_competition.slug}/")
        deadline_row = _row(page, "Submission deadline")
        # The competition's clock stays; London's (GMT from 26 October 2031) comes beside it.
        assert "2031-10-30 23:59 Asia/Hong_Kong" in deadline_row
        assert re.search(r"Your time: .*2031.* (15:59|0?3:59\sPM) GMT", deadline_row), deadline_row
        assert page.get_by_text(
            "Times in Asia/Hong_Kong; your own local time is shown beside each.", exact=True
        ).is_visible()
        assert not page.get_by_text("Times in Asia/Hong_Kong.", exact=True).is_visible()
        countdown = page.get_by_test_id("deadline").locator("[data-countdown-left]")
        assert re.fullmatch(r"\d+d \d+h \d+min \d+s", countdown.inner_text()), countdown.inner_text()
    finally:
        context.close()
