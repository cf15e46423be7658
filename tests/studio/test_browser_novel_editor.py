"""In a real browser: the novel editor's checks name the faulty field (aria-invalid, an outline) in words
that can be read, the play-test shows the variables' values as the reader goes, and long part titles fit
on the story map (the full title kept as a tooltip)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_TITLE = "The very long and winding path through the whispering bamboo forest at night"


def _story() -> dict[str, Any]:
    from aigc_contest.web.works.kinds.novel_starter import starter_novel

    story = copy.deepcopy(starter_novel("en", "Owl Night"))
    story["variables"] = {"courage": {"type": "int", "initial": 0}}
    story["nodes"][0]["choices"][1]["sets"] = {"courage": "+1"}  # "Take the right path" adds courage
    story["nodes"][2]["title"] = LONG_TITLE
    return story


def test_checks_mark_the_field_and_the_play_test_shows_the_variables(live_server: Any, novel_setup: Any,
                                                                     chromium_page: Any) -> None:  # fmt: skip
    from playwright.sync_api import expect

    from aigc_contest.web.works import services
    from aigc_contest.web.works.models import WorkKind

    work = services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL, document=_story())
    page = chromium_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", novel_setup.student.username)
    page.fill("#id_password", "pw-12345678")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/studio/entries/{novel_setup.entry.pk}/")
    page.wait_for_selector("#graph canvas")
    page.wait_for_function("() => document.getElementById('defect-summary').textContent.startsWith('No problems')")

    # Long titles: shortened on the map, full in the list link's title.
    link = page.locator(f"#node-list a[title='{LONG_TITLE} (right)']")
    expect(link).to_have_count(1)
    label = page.evaluate("() => window.cytoscape && document.querySelector('#graph') && "
                          "document.querySelector('#graph')._cyreg.cy.getElementById('right').data('label')")  # fmt: skip
    assert label.endswith("…") and len(label) <= 36

    # A choice leading nowhere: the check is readable and its field is marked.
    link.click()
    page.get_by_label("Choice 1 leads to").select_option("happy")
    page.get_by_role("button", name="Remove choice 1").click()
    dead_end = page.get_by_test_id("checks").locator("li[data-code=dead-end]")
    dead_end.wait_for()
    colour = dead_end.locator("button").evaluate("b => getComputedStyle(b).color")
    background = dead_end.evaluate("li => getComputedStyle(li).backgroundColor")
    assert colour == "rgb(122, 16, 20)" and background == "rgb(253, 236, 236)"  # dark red on pale pink
    ending = page.locator("#node-ending")
    expect(ending).to_have_attribute("aria-invalid", "true")
    assert ending.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
    described = ending.get_attribute("aria-describedby")
    assert "no choices and is not an ending" in page.locator(f"#{described}").inner_text()
    # From the checks list, straight to the field; fixing it clears the mark.
    page.get_by_role("button", name="Add a choice", exact=True).click()
    page.get_by_label("Choice 1 leads to").select_option("happy")
    page.wait_for_function("() => document.getElementById('defect-summary').textContent.startsWith('No problems')")
    expect(ending).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("node-defects")).to_be_hidden()

    # Play-test: a large frame, the variables beside it, changing as the reader chooses.
    page.get_by_role("button", name="Play-test the story").click()
    frame = page.frame_locator("#playtest")
    variables = page.get_by_test_id("play-vars")
    expect(variables).to_contain_text("courage")
    expect(variables.locator("dd")).to_have_text("0")
    expect(page.get_by_test_id("play-where")).to_have_text("Now reading: The beginning")
    frame.get_by_role("button", name="Take the right path").click()
    expect(variables.locator("dd")).to_have_text("1")
    expect(page.get_by_test_id("play-where")).to_contain_text(LONG_TITLE)
    height = page.locator("#playtest").evaluate("f => f.getBoundingClientRect().height")
    assert height >= 500
    assert errors == []
    assert work.pk


def test_new_pictures_wait_where_the_parts_picture_is_until_one_is_kept(
    live_server: Any, novel_setup: Any, chromium_page: Any, jobs_inline: Any, fake_models: Any
) -> None:
    from playwright.sync_api import expect

    from aigc_contest.web.studio.views import request_picture
    from aigc_contest.web.works import services
    from aigc_contest.web.works.models import Work, WorkKind

    from .conftest import run_jobs

    student = novel_setup.student
    work = services.start(student, novel_setup.entry, WorkKind.NOVEL)
    first = request_picture(student, work, node_id="start", prompt="a red kite over the sea")
    run_jobs()
    services.pick_picture(student, work, target="start", asset_pk=first.job.assets.order_by("index").first().pk)
    second = request_picture(student, Work.objects.get(pk=work.pk), node_id="start", prompt="a blue kite")
    run_jobs()

    def illustration() -> str:
        return Work.objects.get(pk=work.pk).document["nodes"][0]["illustration"]["asset"]

    old = illustration()
    page = chromium_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", student.username)
    page.fill("#id_password", "pw-12345678")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/studio/entries/{novel_setup.entry.pk}/")
    chooser = page.get_by_test_id("picture-choice")
    expect(chooser).to_be_visible()
    expect(page.locator("#node-picture")).to_be_hidden()  # the choice stands where the picture is
    expect(chooser.get_by_role("button", name="Keep the old picture")).to_be_visible()
    assert illustration() == old  # the old one stays until the student picks
    chooser.get_by_role("button", name="Keep new picture 2").click()
    expect(chooser).to_be_hidden()
    expect(page.locator("#node-picture")).to_be_visible()
    new = second.job.assets.order_by("index")[1]
    assert illustration() == f"job-asset:{new.pk}"

    # Once more, keeping the old one: the question goes away and nothing changes.
    request_picture(student, Work.objects.get(pk=work.pk), node_id="start", prompt="a green kite")
    run_jobs()
    page.reload()
    expect(chooser).to_be_visible()
    chooser.get_by_role("button", name="Keep the old picture").click()
    expect(chooser).to_be_hidden()
    assert illustration() == f"job-asset:{new.pk}"
    assert errors == []
