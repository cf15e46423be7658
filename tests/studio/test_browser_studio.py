"""In a real browser: a student opens the studio, edits a part, watches the checks react, plays the story
to an ending in the play-test frame, and submits it."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_student_edits_checks_plays_and_submits(live_server: Any, novel_setup: Any, chromium_page: Any) -> None:
    page = chromium_page
    base = live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", novel_setup.student.username)
    page.fill("#id_password", "pw-12345678")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    page.goto(f"{base}/entries/{novel_setup.entry.pk}/")
    page.get_by_role("link", name="Open in studio").click()
    page.get_by_role("button", name="Start with the template").click()
    page.wait_for_selector("#graph canvas")  # cytoscape drew the map
    checks = page.get_by_test_id("checks")
    page.wait_for_function("() => document.getElementById('defect-summary').textContent.startsWith('No problems')")

    # keyboard alternative to the map: the list of parts
    page.get_by_role("link", name=re.compile(r"Edit part The right path")).click()
    assert page.locator("#node-id").inner_text() == "right"
    assert page.evaluate("document.activeElement.id") == "node-title"
    page.get_by_label("Text").fill("Ming meets a <b>friendly</b> owl & they talk.")

    # removing the only choice makes a dead end; the checks say so without saving
    page.get_by_role("button", name="Remove choice 1").click()
    dead_end = checks.locator("li[data-code=dead-end]")
    dead_end.wait_for()
    assert "The right path (right)" in dead_end.inner_text()
    assert checks.locator("li[data-code=unreachable]").count() == 1  # "happy" is now out of reach

    # a new choice leading to the happy ending fixes both
    page.get_by_role("button", name="Add a choice", exact=True).click()
    page.get_by_label("Choice 1 leads to").select_option("happy")
    page.get_by_label("Words of choice 1").fill("Fly home together")
    page.wait_for_function("() => document.getElementById('defect-summary').textContent.startsWith('No problems')")
    assert checks.locator("li").count() == 0

    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_test_id("save-status").filter(has_text="Saved (version 2).").wait_for()

    # play-test in the sandboxed frame, to the ending
    page.get_by_role("button", name="Play-test the story").click()
    frame = page.frame_locator("#playtest")
    frame.get_by_role("button", name="Take the right path").click()
    assert frame.locator("main").get_by_text("Ming meets a <b>friendly</b> owl & they talk.").is_visible()
    frame.get_by_role("button", name="Fly home together").click()
    assert frame.get_by_text("The End").is_visible()

    page.get_by_role("button", name="Submit the story").click()
    page.wait_for_url(re.compile(rf"/entries/{novel_setup.entry.pk}/$"))
    assert page.get_by_test_id("entry-status").inner_text() == "Submitted"
    assert errors == []

    version = novel_setup.entry.versions.get()
    html = version.file.open("rb").read().decode("utf-8")
    assert version.mime == "text/html"
    assert "Ming meets a \\u003cb\\u003efriendly\\u003c/b\\u003e owl \\u0026 they talk." in html
    assert "Fly home together" in html


@pytest.mark.ml
def test_student_draws_a_picture_adds_a_variable_and_plays_it(live_server: Any, novel_setup: Any, jobs_inline: Any,
                                                              tiny_models: Any, chromium_page: Any) -> None:  # fmt: skip
    from playwright.sync_api import expect

    from .conftest import run_jobs

    page = chromium_page
    base = live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", novel_setup.student.username)
    page.fill("#id_password", "pw-12345678")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"{base}/studio/entries/{novel_setup.entry.pk}/")
    page.get_by_role("button", name="Start with the template").click()
    page.wait_for_selector("#graph canvas")
    checks = page.get_by_test_id("checks")

    # The picture description is built from the part (style + what happens), and can be changed.
    prompt = page.get_by_label("What should the picture show?")
    expect(prompt).to_have_value(re.compile(r"^children's .*The beginning: Write how your story begins"))
    page.get_by_label("Picture style").select_option("crayon")
    expect(prompt).to_have_value(re.compile(r"^children's crayon drawing"))
    prompt.fill("a crayon drawing of an owl at the forest gate")
    page.get_by_role("button", name="Draw a picture").click()
    helpers = page.get_by_test_id("ai-jobs")
    expect(helpers).to_contain_text("Drawing a picture")

    assert run_jobs() == 1  # a worker draws; the open page follows without a reload
    helpers.get_by_role("button", name="Use picture 2").click()
    expect(page.get_by_test_id("save-status")).to_have_text("Picture chosen for “The beginning (start)”.")
    expect(page.get_by_test_id("node-picture")).to_be_visible()
    expect(helpers).to_contain_text("test model (random weights)")

    # A variable, a condition that reads it, and the checks reacting before anything is saved.
    page.get_by_role("button", name="Add a variable").click()
    page.get_by_label("Name of variable 1").fill("courage")
    page.get_by_label("Name of variable 1").press("Tab")
    page.get_by_label("Choice 1 is shown only if").fill("courage >=")
    expect(checks.locator("li[data-code=condition-syntax]")).to_have_count(1)
    page.get_by_label("Choice 1 is shown only if").fill("courage >= 1")
    expect(checks.locator("li[data-code=condition-syntax]")).to_have_count(0)
    page.get_by_label("Starting value of variable 1").fill("")
    expect(checks.locator("li[data-code=read-before-set]")).to_have_count(1)
    page.get_by_label("Starting value of variable 1").fill("1")
    page.wait_for_function("() => document.getElementById('defect-summary').textContent.startsWith('No problems')")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_test_id("save-status")).to_have_text("Saved (version 3).")  # the pick was version 2

    page.get_by_role("button", name="Play-test the story").click()
    frame = page.frame_locator("#playtest")
    picture = frame.locator("main img")
    expect(picture).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    frame.get_by_role("button", name="Take the left path").click()  # shown: courage starts at 1
    assert errors == []

    work = novel_setup.entry.work
    work.refresh_from_db()
    start = work.document["nodes"][0]
    assert start["illustration"]["provenance"]["model"] == "image-tiny"
    assert start["illustration"]["provenance"]["prompt"] == "a crayon drawing of an owl at the forest gate"
    assert work.document["variables"] == {"courage": {"type": "int", "initial": 1}}
