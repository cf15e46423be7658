"""End to end in a real browser: a teacher registers a student, the student uploads an image entry and
submits it, the teacher sees it; then the teacher's page in Traditional Chinese, with the glyphs checked."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEACHER = "teacher.sen"
DEMO_PASSWORD = "aigc-demo-2024"
NEW_STUDENT = "sen.ming"


def sign_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"sign-in as {username} failed"


def sign_out(page: Any) -> None:
    page.get_by_role("button", name=re.compile(r"^Sign out")).click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="Sign in").is_visible()


def dark_pixels(png_path: Path) -> int:
    """How many pixels are clearly darker than the white page: zero means nothing was drawn."""
    from PIL import Image

    with Image.open(png_path) as image:
        grey = image.convert("L")
        return sum(grey.histogram()[:128])


def test_teacher_registers_student_who_submits_an_image(
    live_server: Any, demo: list[Any], chromium_page: Any, png_bytes: bytes, tmp_path: Path
) -> None:
    from aigc_contest.web.contests.models import Category
    from aigc_contest.web.entries.models import Entry

    page = chromium_page
    base = live_server.url
    sen_category = Category.objects.get(competition__slug="hk-inter-school-aigc", slug="sen")

    # --- the teacher registers a student, records consent and forms a team
    sign_in(page, base, TEACHER, DEMO_PASSWORD)
    assert page.url.endswith("/school/")
    # the site's stylesheet is served (the header's dark blue comes from site.css)
    header_colour = page.locator("header.site-header").evaluate("e => getComputedStyle(e).backgroundColor")
    assert header_colour == "rgb(16, 42, 67)"
    add_form = page.locator("form", has=page.get_by_role("heading", name="Add a student"))
    add_form.get_by_label("Login name").fill(NEW_STUDENT)
    add_form.get_by_label("Display name").fill("Ming")
    add_form.get_by_label("Grade").fill("SEN")
    add_form.get_by_role("button", name="Add student").click()
    page.wait_for_load_state()
    logins = page.get_by_test_id("new-logins")
    row = logins.locator("tbody tr", has_text=NEW_STUDENT)
    assert row.count() == 1
    password = row.locator("code").inner_text().strip()
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", password), password
    # shown once: a reload no longer shows it
    page.reload()
    assert page.get_by_test_id("new-logins").count() == 0

    roster_row = page.locator("section[aria-labelledby=roster-heading] tbody tr", has_text=NEW_STUDENT)
    roster_row.locator("select").select_option("paper")
    roster_row.get_by_role("button", name="Record consent").click()
    page.wait_for_load_state()
    assert page.locator("section[aria-labelledby=roster-heading] tbody tr", has_text=NEW_STUDENT).get_by_text(
        "Recorded"
    ).is_visible()

    team_form = page.locator("form", has=page.get_by_role("heading", name="Form a team"))
    team_form.get_by_label("Team name").fill("Bright Colours")
    team_form.get_by_label("Category").select_option(str(sen_category.pk))
    team_form.get_by_label(re.compile(rf"\({re.escape(NEW_STUDENT)},")).check()
    team_form.get_by_role("button", name="Create team").click()
    page.wait_for_load_state()
    assert page.get_by_text("Team created.").is_visible()
    sign_out(page)

    # --- the student starts an image entry, uploads a PNG and submits it
    sign_in(page, base, NEW_STUDENT, password)
    assert page.url.endswith("/me/")
    page.get_by_role("link", name="Start your entry").click()
    page.get_by_label("Title of your work").fill("Rain on the Window")
    page.get_by_label("Type of work").select_option("image")
    page.get_by_role("button", name="Create draft").click()
    page.wait_for_url(re.compile(r"/entries/\d+/$"))
    assert page.get_by_test_id("entry-status").inner_text() == "Draft"

    picture = tmp_path / "rain.png"
    picture.write_bytes(png_bytes)
    page.locator("#upload-details > summary").click()  # the upload form waits behind "Upload your work"
    upload_form = page.locator("form", has=page.locator("input[name=action][value=upload]"))
    upload_form.locator("input[type=file]").set_input_files(str(picture))
    upload_form.get_by_role("button", name="Upload").click()
    page.wait_for_load_state()
    assert page.get_by_text("File uploaded.").is_visible()
    assert page.get_by_role("img", name=re.compile("Rain on the Window")).is_visible()

    page.get_by_role("button", name="Submit final version").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("entry-status").inner_text() == "Submitted"
    assert page.get_by_text(re.compile(r"Submitted! Version 1, file SHA-256 [0-9a-f]{16}")).is_visible()
    page.locator("section[aria-labelledby=versions-heading] tbody tr summary").click()  # "fingerprint"
    shown_hash = page.locator("section[aria-labelledby=versions-heading] tbody tr code").inner_text()
    entry = Entry.objects.get(team__name="Bright Colours")
    version = entry.versions.get()
    assert shown_hash == version.file_sha256
    assert re.fullmatch(r"[0-9a-f]{64}", shown_hash)
    assert entry.status == Entry.Status.SUBMITTED
    sign_out(page)

    # --- the teacher sees the submitted entry
    sign_in(page, base, TEACHER, DEMO_PASSWORD)
    entries_row = page.get_by_test_id("school-entries").locator("tbody tr", has_text="Rain on the Window")
    cells = [c.strip() for c in entries_row.locator("td").all_inner_texts()]
    assert cells == ["Rain on the Window", "Bright Colours", sen_category.name_en, "Submitted", "1"]

    # --- the same page in Traditional Chinese, through the language switcher
    page.select_option("#language-select", "zh-hant")
    page.locator("form.lang-switch button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-Hant"
    heading = page.locator("main h1")
    assert heading.inner_text() == "彩虹橋學校"
    entries_row = page.get_by_test_id("school-entries").locator("tbody tr", has_text="Rain on the Window")
    assert entries_row.locator("td").nth(2).inner_text() == "特殊教育學校組"

    # The glyphs really render: Chromium reports a CJK font used for the heading's characters, the heading
    # has width, and its screenshot has ink in it (tofu boxes would come from a non-CJK fallback font).
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "main h1"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cjk_glyphs = sum(f["glyphCount"] for f in fonts if "CJK" in f["familyName"])
    assert cjk_glyphs == len("彩虹橋學校"), fonts
    box = heading.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 20
    shot = tmp_path / "school-zh-hant-heading.png"
    heading.screenshot(path=str(shot))
    assert dark_pixels(shot) > 200
    page.screenshot(path=str(tmp_path / "school-zh-hant.png"), full_page=True)
