"""In a real browser, with the tiny random-weight models: a student goes from "new storybook" to a
submitted entry, watching the pages and pictures arrive while a worker runs the jobs."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import run_jobs

pytestmark = [pytest.mark.browser, pytest.mark.ml, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_student_makes_edits_and_submits_a_storybook(live_server: Any, book_setup: Any, jobs_inline: Any,
                                                     tiny_models: Any, chromium_page: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from playwright.sync_api import expect

    from aigc_contest.web.entries.models import Entry

    monkeypatch.setattr("aigc_contest.web.works.kinds.storybook.new_seed", lambda: 5)  # short random answers
    page = chromium_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", book_setup.student.username)
    page.fill("#id_password", "pw-12345678")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    page.goto(f"{live_server.url}/entries/{book_setup.entry.pk}/")
    page.get_by_role("link", name="Open in storybook studio").click()
    page.get_by_label("Theme").fill("A cat on the moon")
    page.get_by_label("Number of pages").fill("2")
    page.get_by_label("Picture style").select_option("crayon")
    page.get_by_role("button", name="Make my storybook").click()
    progress = page.locator("#live-progress")
    expect(progress).to_contain_text("Planning the story")
    expect(page.get_by_test_id("no-pages")).to_be_visible()

    # A worker runs the steps; the open page follows without the student reloading it.
    run_jobs()
    expect(page.get_by_test_id("pictures-done")).to_have_text("2 of 2 pictures drawn", timeout=60_000)
    expect(page.get_by_test_id("page-picture")).to_have_count(2)
    expect(page.get_by_text("test model (random weights)").first).to_be_visible()

    # Edit page 1 by hand, then submit.
    page.get_by_label("Words on the page").first.fill("Mimi the cat jumps over the moon.")
    page.get_by_role("button", name="Save page 1").click()
    page.wait_for_load_state()
    expect(page.get_by_label("Words on the page").first).to_have_value("Mimi the cat jumps over the moon.")
    page.get_by_role("button", name="Submit this storybook").click()
    page.wait_for_url(re.compile(rf"/entries/{book_setup.entry.pk}/$"))
    expect(page.get_by_test_id("entry-status")).to_have_text("Submitted")
    expect(page.get_by_role("link", name="storybook.pdf").first).to_be_visible()

    version = Entry.objects.get(pk=book_setup.entry.pk).versions.get()
    assert version.mime == "application/pdf"
    assert version.meta["storybook"]["pages"][0]["text"] == "Mimi the cat jumps over the moon."
    assert errors == []
