"""In a real browser, on the tiny random-weight models, the whole way for a storybook: start, generate the
pages and pictures, edit a page's words, draw its picture again and keep the new one, submit; and the same
for a book carried across from the old storybook tables (its pictures named by storage path back then)."""

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


def _edit_redraw_keep_and_submit(page: Any, base: str, entry: Any, words: str) -> Any:
    """Page 1's words edited, its picture drawn again and the new one kept, the book submitted: the version."""
    from playwright.sync_api import expect

    from aigc_contest.web.works.kinds import storybook
    from aigc_contest.web.works.models import Work

    page.get_by_label("Words on the page").first.fill(words)
    page.get_by_role("button", name="Save page 1").click()
    page.wait_for_load_state()
    expect(page.get_by_label("Words on the page").first).to_have_value(words)
    work = Work.objects.get(entry=entry)
    first = storybook.book_of(work).pages[0]
    old = first.image

    page.get_by_role("button", name="New picture for page 1").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("now")).to_contain_text("Drawing the picture for page 1")
    when_unlocked(run_jobs)
    chooser = page.locator(f"#page-{first.id}").get_by_test_id("picture-chooser")
    expect(chooser).to_be_visible(timeout=30_000)  # storybook.js brings it in without a reload
    chooser.get_by_role("button", name="Keep the new picture").click()
    page.wait_for_load_state()
    expect(page.locator(f"#page-{first.id}").get_by_test_id("page-picture")).to_be_visible()
    work.refresh_from_db()
    kept = storybook.book_of(work).pages[0].image
    assert kept is not None and kept != old
    newest = work.jobs.filter(step="picture", target=first.id).order_by("-pk").first().job.assets.get()
    assert kept.path == f"job-asset:{newest.pk}"  # the new picture, named the one way

    page.get_by_role("button", name="Submit this storybook").click()
    page.wait_for_url(re.compile(rf"/entries/{entry.pk}/$"))
    expect(page.get_by_test_id("entry-status")).to_have_text("Submitted")
    version = entry.versions.get()
    assert version.mime == "application/pdf" and version.file.open("rb").read().startswith(b"%PDF")
    assert version.meta["storybook"]["pages"][0]["text"] == words
    assert version.meta["pictures"] == len(storybook.book_of(work).pages)
    return version


def test_a_storybook_the_whole_way(live_server: Any, book_setup: Any, jobs_inline: Any, tiny_models: Any,
                                   chromium_page: Any, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from playwright.sync_api import expect

    monkeypatch.setattr("aigc_contest.web.works.kinds.storybook.new_seed", lambda: 5)  # short random answers
    page = chromium_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, live_server.url, book_setup.student.username)
    page.goto(f"{live_server.url}/entries/{book_setup.entry.pk}/")
    page.get_by_role("link", name="Open in storybook studio").click()
    page.get_by_label("Theme").fill("A cat on the moon")
    page.get_by_label("Number of pages").fill("2")
    page.get_by_role("button", name="Make my storybook").click()
    expect(page.locator("#live-progress")).to_contain_text("Planning the story")
    when_unlocked(run_jobs)
    expect(page.get_by_test_id("pictures-done")).to_have_text("2 of 2 pictures drawn", timeout=60_000)
    expect(page.get_by_test_id("page-picture")).to_have_count(2)
    expect(page.get_by_text("test model (random weights)").first).to_be_visible()
    page.reload()  # the book as stored now, at its latest revision, before the child edits it

    _edit_redraw_keep_and_submit(page, live_server.url, book_setup.entry, "Mimi the cat jumps over the moon.")
    assert errors == []


def test_a_storybook_from_the_old_tables_the_whole_way(live_server: Any, book_setup: Any, jobs_inline: Any,
                                                       tiny_models: Any, chromium_page: Any, make_png: Any) -> None:  # fmt: skip
    from aigc_contest.works.storybook.pipeline import BookBrief, StoryPlan
    from works_migration_helpers import old_drafts, picture_job

    student = book_setup.student
    plan = StoryPlan(brief=BookBrief(theme="A roof garden", brief="bees", language="en", age_band="6-8", pages=2,
                                     author="Owls", competition="Book comp", seed=3)).model_dump(mode="json")  # fmt: skip
    drawn = [picture_job(student, [make_png(color=(10 * n, 90, 30))]) for n in (1, 2)]
    pages = [{"id": f"p{n}", "text": text, "illustration_prompt": scene,
              "image": {"path": job.assets.get().file.name, "media_type": "image/png",
                        "provenance": {"asset": job.assets.get().pk, "job": job.pk}}}
             for n, text, scene, job in ((1, "Bees wake up.", "bees on a roof", drawn[0]),
                                         (2, "Honey at last.", "a honey jar", drawn[1]))]  # fmt: skip
    book = {"title": "Roof", "language": "en", "pages": pages}
    old_drafts(storybook=(book_setup.entry, plan, book, [(job, "picture", f"p{n}") for n, job in enumerate(drawn, 1)]),
               by=student)  # fmt: skip

    page = chromium_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, live_server.url, student.username)
    page.goto(f"{live_server.url}/storybooks/entries/{book_setup.entry.pk}/")
    _edit_redraw_keep_and_submit(page, live_server.url, book_setup.entry, "The bees wake up in the sun.")
    assert errors == []
