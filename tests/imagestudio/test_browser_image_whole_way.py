"""In a real browser, on the tiny random-weight picture model, the whole way for a picture: start, generate
pictures, keep one, edit the words, make pictures again and keep a new one, submit; and the same for a
picture picked in the image studio before there was one works app (carried from the entry's draft)."""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-12345678")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def _make_and_keep(page: Any, entry: Any, prompt: str, picture: int, caption: str) -> Any:
    """Describe, make two pictures (the worker runs in this thread), keep picture `picture`: its asset."""
    from playwright.sync_api import expect

    from aigc_contest.web.jobs import runner
    from aigc_contest.web.jobs.models import Job
    from live_db_helpers import when_unlocked

    page.get_by_role("link", name="Create with AI").click()
    page.get_by_label("What would you like to see?").fill(prompt)
    page.get_by_role("radio", name="2").check()
    before = Job.objects.filter(kind="image").count()
    page.get_by_role("button", name="Make my pictures").click()
    deadline = time.monotonic() + 10
    while Job.objects.filter(kind="image").count() == before and time.monotonic() < deadline:
        time.sleep(0.1)
    job = Job.objects.filter(kind="image").latest("pk")
    page.wait_for_url(re.compile(rf"\?job={job.pk}\b"))  # the page of the new pictures, not an earlier one
    assert when_unlocked(lambda: runner.run_available("gpu")) == 1
    card = page.locator(f"#job-{job.pk}")  # the new pictures' card (earlier ones stay on the page)
    pick = card.get_by_role("button", name=f"Use picture {picture}")
    expect(pick).to_be_visible(timeout=15_000)  # jobs.js polled the card until the pictures came
    card.get_by_label("A short caption for your picture (optional)").fill(caption)
    pick.click()
    page.wait_for_url(re.compile(rf"/entries/{entry.pk}/$"))
    expect(page.get_by_text("Your picture is now your draft.")).to_be_visible()
    return job.assets.order_by("index")[picture - 1]


def _again_keep_new_and_submit(page: Any, entry: Any, old: Any) -> None:
    """The words changed, pictures made again and the second new one kept in place of `old`, then sent."""
    from playwright.sync_api import expect

    from aigc_contest.web.works.models import Work

    new = _make_and_keep(page, entry, "a red kite over a calm sea", 2, "My kite by the sea")
    assert new.pk != old.pk
    work = Work.objects.get(entry=entry)
    assert work.document["picture"]["asset"] == f"job-asset:{new.pk}" and work.document["caption"] == "My kite by the sea"
    page.get_by_role("button", name="Submit final version").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("entry-status")).to_have_text("Submitted")
    version = entry.versions.get()
    assert version.mime == "image/png" and version.description == "My kite by the sea"
    assert version.file_sha256 == hashlib.sha256(new.file.open("rb").read()).hexdigest()


def test_a_picture_the_whole_way(live_server: Any, image_setup: Any, image_models: Any, jobs_in_process: Any,
                                 chromium_page: Any) -> None:  # fmt: skip
    page = chromium_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    entry = image_setup.entry
    _sign_in(page, live_server.url, image_setup.student.username)
    page.goto(f"{live_server.url}/entries/{entry.pk}/")
    first = _make_and_keep(page, entry, "a kite in the park", 1, "My kite")
    _again_keep_new_and_submit(page, entry, first)
    assert errors == []


def test_a_picture_from_before_the_works_app_the_whole_way(live_server: Any, image_setup: Any, image_models: Any,
                                                           jobs_in_process: Any, chromium_page: Any,
                                                           make_png: Any) -> None:  # fmt: skip
    from aigc_contest.web.works.models import Work
    from works_migration_helpers import old_drafts, picture_job

    entry, student = image_setup.entry, image_setup.student
    png = make_png(color=(30, 60, 90))
    drawn = picture_job(student, [make_png(color=(1, 1, 1)), png], prompt="a kite in the park")
    old_drafts(image=(entry, drawn, png), by=student)
    carried = Work.objects.get(entry=entry)
    old = drawn.assets.get(index=1)
    assert carried.document["picture"]["asset"] == f"job-asset:{old.pk}"

    page = chromium_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, live_server.url, student.username)
    page.goto(f"{live_server.url}/entries/{entry.pk}/")
    _again_keep_new_and_submit(page, entry, old)
    assert errors == []
