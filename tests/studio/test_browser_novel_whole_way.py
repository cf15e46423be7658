"""In a real browser, on the tiny random-weight models, the whole way for an interactive novel: start,
generate (a picture for a part), edit the words, draw the part's picture again and keep the new one,
submit; and the same for a story carried across from the old studio tables."""

from __future__ import annotations

import re
from typing import Any

import pytest

from live_db_helpers import when_unlocked

from .conftest import run_jobs

pytestmark = [pytest.mark.browser, pytest.mark.ml, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-12345678")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def _redraw_keep_and_submit(page: Any, base: str, entry: Any, words: str) -> Any:
    """Edit the first part's words, draw its picture again, keep new picture 2, submit: the version."""
    from playwright.sync_api import expect

    from aigc_contest.web.works.models import Work

    page.goto(f"{base}/studio/entries/{entry.pk}/")
    page.wait_for_selector("#graph canvas")
    page.get_by_role("link", name=re.compile(r"Edit part The beginning")).click()
    page.get_by_label("Text").fill(words)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_test_id("save-status")).to_have_text(re.compile(r"^Saved \(version \d+\)\.$"))
    old = Work.objects.get(entry=entry).document["nodes"][0]["illustration"]["asset"]

    page.get_by_label("What should the picture show?").fill("an owl reading under the moon")
    with page.expect_response(lambda r: r.url.endswith("/picture/") and r.request.method == "POST"):
        page.get_by_role("button", name="Draw a picture").click()
    when_unlocked(run_jobs)
    page.reload()
    page.get_by_role("link", name=re.compile(r"Edit part The beginning")).click()
    chooser = page.get_by_test_id("picture-choice")
    expect(chooser).to_be_visible()
    expect(chooser.get_by_role("button", name="Keep the old picture")).to_be_visible()
    assert Work.objects.get(entry=entry).document["nodes"][0]["illustration"]["asset"] == old  # kept till picked
    chooser.get_by_role("button", name="Keep new picture 2").click()
    expect(chooser).to_be_hidden()
    expect(page.locator("#node-picture")).to_be_visible()

    page.get_by_role("button", name="Submit the story").click()
    page.wait_for_url(re.compile(rf"/entries/{entry.pk}/$"))
    expect(page.get_by_test_id("entry-status")).to_have_text("Submitted")
    version = entry.versions.get()
    work = Work.objects.get(entry=entry)
    new = work.jobs.filter(step="picture").order_by("-pk").first().job.assets.order_by("index")[1]
    illustration = work.document["nodes"][0]["illustration"]
    assert illustration["asset"] == f"job-asset:{new.pk}" != old
    assert version.meta["illustrations"][0]["asset"] == f"job-asset:{new.pk}"
    html = version.file.open("rb").read().decode("utf-8")
    assert words in html and "data:image/png;base64," in html  # the kept picture travels inline
    return version


def test_a_novel_the_whole_way(live_server: Any, novel_setup: Any, jobs_inline: Any, tiny_models: Any,
                               chromium_page: Any) -> None:  # fmt: skip
    from playwright.sync_api import expect

    page = chromium_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, live_server.url, novel_setup.student.username)
    page.goto(f"{live_server.url}/entries/{novel_setup.entry.pk}/")
    page.get_by_role("link", name="Open in studio").click()
    page.get_by_role("button", name="Start with the template").click()
    page.wait_for_selector("#graph canvas")

    page.get_by_label("What should the picture show?").fill("an owl at the forest gate")
    with page.expect_response(lambda r: r.url.endswith("/picture/") and r.request.method == "POST"):
        page.get_by_role("button", name="Draw a picture").click()
    when_unlocked(run_jobs)  # a worker draws; the open page follows without a reload
    page.get_by_test_id("ai-jobs").get_by_role("button", name="Use picture 1").click()
    expect(page.get_by_test_id("node-picture")).to_be_visible()

    version = _redraw_keep_and_submit(page, live_server.url, novel_setup.entry, "Ming opens the old gate.")
    assert version.meta["illustrations"][0]["provenance"]["model"] == "image-tiny"
    assert errors == []


def test_a_novel_from_the_old_tables_the_whole_way(live_server: Any, novel_setup: Any, jobs_inline: Any,
                                                   tiny_models: Any, chromium_page: Any, make_png: Any) -> None:  # fmt: skip
    from aigc_contest.web.works.kinds.novel_starter import starter_novel
    from works_migration_helpers import old_drafts, picture_job

    student = novel_setup.student
    drawn = picture_job(student, [make_png(color=(20, 40, 60))])
    story = starter_novel("en", "Owl Night")
    story["nodes"][0]["illustration"] = {"asset": f"job-asset:{drawn.assets.get().pk}", "alt": "",
                                         "provenance": {"job": drawn.pk}}  # fmt: skip
    old_drafts(novel=(novel_setup.entry, story, drawn), by=student)

    page = chromium_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, live_server.url, student.username)
    _redraw_keep_and_submit(page, live_server.url, novel_setup.entry, "Ming finds the owl again.")
    assert errors == []
