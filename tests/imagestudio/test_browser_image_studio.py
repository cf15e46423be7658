"""In a real browser: an SEN student describes a picture in Chinese, waits for the pictures (a tiny
random-weight model, run by the worker functions in this thread), picks one and submits the entry."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _wait_for_job(timeout: float = 10.0) -> Any:
    from aigc_contest.web.jobs.models import Job

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = Job.objects.filter(kind="image").first()
        if job is not None:
            return job
        time.sleep(0.1)
    raise AssertionError("no picture job was queued")


def test_sen_student_makes_picks_and_submits_a_picture(
    live_server: Any, image_setup: Any, image_models: Any, jobs_in_process: Any, chromium_page: Any
) -> None:
    from playwright.sync_api import expect

    from aigc_contest.generation.provenance import read_provenance
    from aigc_contest.web.jobs import runner

    page = chromium_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    entry = image_setup.entry
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", image_setup.student.username)
    page.fill("#id_password", "pw-12345678")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    page.goto(f"{live_server.url}/entries/{entry.pk}/")
    page.get_by_role("link", name="Create with AI").click()
    expect(page.get_by_role("heading", name="Make a picture for “My happy place”")).to_be_visible()
    if page.evaluate("'speechSynthesis' in window"):
        expect(page.get_by_role("button", name="Read aloud")).to_be_visible()

    # keyboard: an example idea fills the prompt box
    page.locator("button.example").first.focus()
    page.keyboard.press("Enter")
    prompt = page.get_by_label("What would you like to see?")
    expect(prompt).to_have_value("A happy cat reading a book under a big tree")
    assert page.evaluate("document.activeElement.id") == "id_prompt"
    prompt.fill("我最喜歡的小狗在公園裏玩")
    expect(prompt).to_have_attribute("lang", "zh")
    page.get_by_role("radio", name="2").check()
    page.get_by_text("More choices").click()
    page.get_by_role("button", name="Surprise me").click()
    expect(page.get_by_label("Magic number (seed)")).to_have_value(re.compile(r"^\d+$"))
    seed = int(page.get_by_label("Magic number (seed)").input_value())
    for target in (page.get_by_role("button", name="Make my pictures"), page.locator("button.example").first,
                   page.get_by_role("button", name="Surprise me")):
        assert target.bounding_box()["height"] >= 48  # big touch targets
    page.get_by_role("button", name="Make my pictures").click()
    page.wait_for_url(re.compile(r"\?job=\d+"))

    job = _wait_for_job()
    assert job.owner == image_setup.student and job.params["seed"] == seed
    assert runner.run_available("gpu") == 1  # the worker, in this thread
    pick = page.get_by_role("button", name="Use picture 2")
    expect(pick).to_be_visible(timeout=15_000)  # jobs.js polled the card until the pictures came
    assert pick.bounding_box()["height"] >= 48
    page.get_by_label("A short caption for your picture (optional)").fill("我的小狗很開心")
    pick.click()

    page.wait_for_url(re.compile(rf"/entries/{entry.pk}/$"))
    expect(page.get_by_text("Your picture is now your draft.")).to_be_visible()
    expect(page.locator("img.preview")).to_be_visible()
    page.get_by_role("button", name="Submit final version").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("entry-status")).to_have_text("Submitted")
    assert errors == []

    version = entry.versions.get()
    assert version.mime == "image/png" and version.description == "我的小狗很開心"
    info = read_provenance(version.file.open("rb").read())
    assert info.provenance is not None and info.provenance.prompt == "我最喜歡的小狗在公園裏玩"
    assert info.seed == seed + 1 and version.meta["provenance"]["seed"] == seed + 1
