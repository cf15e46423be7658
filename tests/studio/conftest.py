"""A novel entry with its people: two team members, their teacher, and outsiders of every role."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


@dataclass
class NovelSetup:
    entry: Any
    student: Any
    teammate: Any
    teacher: Any
    other_student: Any
    other_teacher: Any
    organiser: Any
    judge: Any


@pytest.fixture
def novel_setup(make_competition, make_school, make_user) -> NovelSetup:  # type: ignore[no-untyped-def]
    from aigc_contest.web.entries.models import Entry, Team

    _, category, theme = make_competition("novel-comp", work_types=("novel", "storybook"))
    school, elsewhere = make_school("school-a"), make_school("school-b")
    teacher = make_user("teacher.a", "teacher", school)
    student, teammate = make_user("amy", "student", school), make_user("ben", "student", school)
    other_student = make_user("cat", "student", school)  # same school, another team
    other_teacher = make_user("teacher.b", "teacher", elsewhere)
    organiser = make_user("org", "organiser")
    judge = make_user("judy", "judge")
    team = Team.objects.create(competition=category.competition, category=category, name="Owls", school=school,
                               supervising_teacher=teacher)  # fmt: skip
    team.members.set([student, teammate])
    entry = Entry.objects.create(team=team, category=category, theme=theme, work_type="novel", title="Owl Night")
    return NovelSetup(entry, student, teammate, teacher, other_student, other_teacher, organiser, judge)


@pytest.fixture
def studio_page() -> Iterator[Any]:
    """A fresh page in Debian's Chromium (Playwright sync API); ORM calls allowed while it runs."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_api.sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB")
        context.set_default_timeout(10_000)
        yield context.new_page()
        context.close()
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
