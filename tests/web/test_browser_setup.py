"""In a real browser, from an empty database: an organiser sets a competition up with the set-up pages only
(details in three languages, the timeline on the Hong Kong clock, themes, a category with eligibility ticked,
a rubric refused at 110 % and accepted at 100 %), and the public page shows it."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _save(page: Any, button: str) -> None:
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()


def test_an_organiser_sets_a_competition_up_with_pages_only(
    live_server: Any, chromium_page: Any, make_user: Any
) -> None:
    from aigc_contest.web.contests.models import Competition

    assert not Competition.objects.exists()
    make_user("organiser.new", "organiser")
    page, base = chromium_page, live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "organiser.new")
    page.fill("#id_password", "pw-12345678")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    page.goto(f"{base}/organiser/")
    page.get_by_role("link", name="New competition").click()
    page.wait_for_load_state()
    page.get_by_label("Slug").fill("city-2031")
    page.get_by_label("name (English)").fill("City AIGC Challenge 2031")
    page.get_by_label("name (Traditional Chinese)").fill("城市 AIGC 挑戰賽 2031")
    page.get_by_label("name (Simplified Chinese)").fill("城市 AIGC 挑战赛 2031")
    page.get_by_label("description (English)").fill("Make a storybook about your city.")
    page.get_by_label("time zone").select_option("Asia/Hong_Kong")
    times = {"registration_opens_at": ("2031-09-01", "09:00"), "submission_opens_at": ("2031-09-15", "09:00"),
             "submission_deadline": ("2031-10-30", "23:59"), "judging_starts_at": ("2031-10-31", "00:00"),
             "results_at": ("2031-11-13", "10:00")}  # fmt: skip
    for name, (day, clock) in times.items():
        page.fill(f"#id_{name}_0", day)
        page.fill(f"#id_{name}_1", clock)
    page.fill("#id_results_at_0", "2031-10-01")  # before the deadline: refused, nothing lost
    _save(page, "Create competition")
    error = page.locator('[data-field="results_at"]')
    assert "The timeline must run in order." in error.inner_text()
    assert page.get_by_label("name (Traditional Chinese)").input_value() == "城市 AIGC 挑戰賽 2031"
    assert page.locator("#id_submission_deadline_1").input_value() == "23:59"
    page.fill("#id_results_at_0", "2031-11-13")
    _save(page, "Create competition")
    assert page.url.endswith("/organiser/city-2031/setup/themes/"), page.url

    first = page.get_by_test_id("theme-0")
    first.get_by_label("title (English)").fill("Green city")
    first.get_by_label("title (Traditional Chinese)").fill("綠色城市")
    page.get_by_test_id("theme-1").get_by_label("title (English)").fill("Old and young")
    _save(page, "Save themes")
    assert page.get_by_text("Themes saved.").is_visible()

    page.get_by_role("link", name="Categories").first.click()
    page.wait_for_load_state()
    category = page.get_by_test_id("category-0")
    category.get_by_label("short name").fill("primary")
    category.get_by_label("name (English)").fill("Primary schools")
    category.get_by_label("Primary", exact=True).check()
    category.get_by_label("Storybook").check()
    category.get_by_label("Interactive novel").check()
    category.get_by_label("Green city").check()
    category.get_by_label("largest team").fill("3")
    _save(page, "Save categories")
    assert page.get_by_text("Categories saved.").is_visible()

    page.get_by_role("link", name="Rubric").click()
    page.wait_for_load_state()
    for index, (key, name, weight) in enumerate(
        [("creativity", "Creativity", "60"), ("ai_use", "Use of AI", "50")]
    ):
        criterion = page.get_by_test_id(f"criterion-{index}")
        criterion.get_by_label("short name").fill(key)
        criterion.get_by_label("name (English)").fill(name)
        criterion.get_by_label("weight (%)").fill(weight)
    page.fill("#id_criteria-0-levels-0-band", "9-10")
    page.fill("#id_criteria-0-levels-0-text", "Outstanding")
    _save(page, "Save rubric")
    weight_error = page.locator('[data-field="criteria-1-weight"]')
    assert "The weights add up to 110 %" in weight_error.inner_text()
    assert page.locator("#id_criteria-0-levels-0-text").input_value() == "Outstanding"
    page.get_by_test_id("criterion-1").get_by_label("weight (%)").fill("40")
    _save(page, "Save rubric")
    assert page.get_by_text("Rubric saved.").is_visible()

    page.get_by_role("link", name="Details and timeline").click()
    page.wait_for_load_state()
    line = page.get_by_test_id("timeline-line")
    assert "2031-10-30 23:59 Asia/Hong_Kong" in line.inner_text()
    assert page.locator("#id_submission_deadline_1").input_value() == "23:59"

    page.get_by_role("link", name="Public page").click()
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    assert "City AIGC Challenge 2031" in main and "Primary schools" in main and "Green city" in main
    assert re.search(r"Creativity\s+60%", main) and re.search(r"Use of AI\s+40%", main)
    competition = Competition.objects.get(slug="city-2031")
    assert competition.local(competition.submission_deadline).strftime("%H:%M:%S") == "23:59:59"
