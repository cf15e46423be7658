"""In a real browser, from an empty database: an organiser sets a competition up with pages only, invites a
judge by e-mail link, the judge accepts and scores, the organiser confirms results and awards, the results
are published at the announcement, certificates are issued, and a school's teacher downloads the school's
certificates as one ZIP. The teams' entries are made on the server side (their pages have their own tests)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-12345678"  # tests/conftest.py make_user


def _sign_in(page: Any, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url


def _sign_out(page: Any) -> None:
    page.get_by_role("button", name=re.compile(r"^Sign out")).click()
    page.wait_for_load_state()


def _click(page: Any, button: str) -> None:
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()


def _set_up_with_pages(page: Any, base: str) -> None:
    from django.utils import timezone

    from aigc_contest.web.core.zoned import in_zone

    today = in_zone(timezone.now(), "Asia/Hong_Kong").date()
    page.goto(f"{base}/organiser/")
    page.get_by_role("link", name="New competition").click()
    page.wait_for_load_state()
    page.get_by_label("Slug").fill("city-2031")
    page.get_by_label("name (English)").fill("City AIGC Challenge")
    page.get_by_label("time zone").select_option("Asia/Hong_Kong")
    times = {"registration_opens_at": (today - timedelta(days=3), "09:00"),
             "submission_opens_at": (today - timedelta(days=2), "09:00"),
             "submission_deadline": (today + timedelta(days=3), "23:59"),
             "judging_starts_at": (today + timedelta(days=4), "00:00"),
             "results_at": (today + timedelta(days=10), "10:00")}  # fmt: skip
    for name, (day, clock) in times.items():
        page.fill(f"#id_{name}_0", day.isoformat())
        page.fill(f"#id_{name}_1", clock)
    _click(page, "Create competition")
    assert page.url.endswith("/organiser/city-2031/setup/themes/"), page.url
    page.get_by_test_id("theme-0").get_by_label("title (English)").fill("Green city")
    _click(page, "Save themes")
    page.get_by_role("link", name="Categories").first.click()
    page.wait_for_load_state()
    category = page.get_by_test_id("category-0")
    category.get_by_label("short name").fill("primary")
    category.get_by_label("name (English)").fill("Primary schools")
    category.get_by_label("Primary", exact=True).check()
    category.get_by_label("Image", exact=True).check()
    category.get_by_label("Green city").check()
    _click(page, "Save categories")
    assert page.get_by_text("Categories saved.").is_visible()
    page.get_by_role("link", name="Rubric").click()
    page.wait_for_load_state()
    for index, (key, name, weight) in enumerate([("creativity", "Creativity", "60"), ("ai_use", "Use of AI", "40")]):
        criterion = page.get_by_test_id(f"criterion-{index}")
        criterion.get_by_label("short name").fill(key)
        criterion.get_by_label("name (English)").fill(name)
        criterion.get_by_label("weight (%)").fill(weight)
    _click(page, "Save rubric")
    assert page.get_by_text("Rubric saved.").is_visible()


def _teams_submit(make_school: Any, make_user: Any, make_png: Any) -> Any:
    from aigc_contest.web.contests.models import Competition
    from aigc_contest.web.entries import services

    competition = Competition.objects.get(slug="city-2031")
    category = competition.categories.get()
    theme = competition.themes.get()
    teachers = []
    for code, color in (("school-a", (200, 30, 30)), ("school-b", (30, 30, 200))):
        school = make_school(code)
        teacher = make_user(f"teacher.{code[-1]}", "teacher", school, email=f"teacher.{code[-1]}@example.org")
        student = make_user(f"student.{code[-1]}", "student", school)
        team = services.create_team(teacher, category, name=f"Team {code[-1].upper()}", members=[student])
        entry = services.start_entry(student, team, title=f"Kite {code[-1]}", work_type="image", theme=theme)
        services.upload_draft_file(student, entry, filename="kite.png", data=make_png(color=color))
        services.submit_entry(student, entry)
        teachers.append(teacher)
    return competition, teachers


def test_a_competition_from_pages_to_a_schools_certificates_zip(
    live_server: Any, chromium_page: Any, make_user: Any, make_school: Any, make_png: Any, settings: Any
) -> None:
    from django.utils import timezone

    from aigc_contest.web.certificates.models import Certificate
    from aigc_contest.web.contests.models import Competition
    from aigc_contest.web.jobs import runner
    from aigc_contest.web.jobs.models import Job
    from aigc_contest.web.judging.models import Assignment, Round

    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False, "batch_window_seconds": 0.0}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert not Competition.objects.exists()
    make_user("organiser.new", "organiser")
    page, base = chromium_page, live_server.url

    # --- set-up pages only
    _sign_in(page, base, "organiser.new")
    _set_up_with_pages(page, base)
    competition, teachers = _teams_submit(make_school, make_user, make_png)

    # --- a judge invited by e-mail link
    page.goto(f"{base}/organiser/{competition.slug}/people/")
    page.get_by_label("E-mail address").fill("kim.judge@example.org")
    page.get_by_label("Role", exact=True).select_option("judge")
    _click(page, "Send the invitation")
    mail = next(j for j in Job.objects.filter(kind="email") if j.params["recipients"] == ["kim.judge@example.org"])
    link = re.search(r"/invitations/[^/\s]+/", mail.params["body"])
    assert link is not None
    _sign_out(page)
    page.goto(f"{base}{link.group(0)}")
    page.get_by_label("Login name").fill("kim.judge")
    page.get_by_label("Your name as others see it").fill("Kim")
    page.get_by_label("Password", exact=True).fill("kite-harbour-42")
    page.get_by_label("Password (again)").fill("kite-harbour-42")
    _click(page, "Create my account and accept")
    _sign_out(page)

    # --- the organiser opens a round, puts the judge on the panel and assigns (before the deadline, confirmed)
    _sign_in(page, base, "organiser.new")
    url = f"{base}/organiser/{competition.slug}/judging/"
    page.goto(url)
    page.fill("#round-k", "1")
    _click(page, "Open or update the round")
    round_ = Round.objects.get(competition=competition)
    page.fill(f"#add-judge-{round_.pk}-username", "kim.judge")
    _click(page, "Add to the panel")
    assert "joined the panel." in page.locator("main").inner_text()
    assert list(round_.panel.values_list("judge__username", flat=True)) == ["kim.judge"]
    page.get_by_label("Open judging before the submission deadline").check()
    _click(page, "Assign judges")
    assert Assignment.objects.filter(round=round_, judge__username="kim.judge").count() == 2
    _sign_out(page)

    # --- the judge scores both entries blind
    _sign_in(page, base, "kim.judge", "kite-harbour-42")
    for scores in (("9", "8"), ("6", "5")):
        page.goto(f"{base}/judging/")
        page.locator('tr[data-state="todo"] a').first.click()
        page.wait_for_load_state()
        assert "Team A" not in page.locator("main").inner_text()
        page.get_by_label("Score").first.fill(scores[0])
        page.get_by_label("Score").nth(1).fill(scores[1])
        _click(page, "Submit scores")
        assert "Scores submitted." in page.locator("main").inner_text()
    _sign_out(page)

    # --- the organiser confirms results and awards; on the day, the results are out and certificates issued
    _sign_in(page, base, "organiser.new")
    page.goto(url)
    page.get_by_label("Aggregation method").select_option("mean")
    page.get_by_role("button", name="Compute (nothing is recorded)").click()
    page.get_by_role("button", name=re.compile("Confirm and record results")).click()
    assert "2 results recorded." in page.locator("main").inner_text()
    _click(page, "Give awards from these ranks")
    now = timezone.now()
    Competition.objects.filter(pk=competition.pk).update(  # the days pass: the announcement instant arrives
        submission_deadline=now - timedelta(hours=2), judging_starts_at=now - timedelta(hours=2),
        results_at=now - timedelta(seconds=1))
    page.goto(f"{base}/competitions/{competition.slug}/winners/")
    assert "Kite a" in page.locator("main").inner_text()  # 9/8 came first
    page.goto(url)
    _click(page, "Issue participation and award certificates")
    assert runner.run_available("default") >= 1
    assert Certificate.objects.filter(competition=competition).count() == 4  # two students, two awards
    page.goto(f"{base}/certificates/?competition={competition.pk}")
    _click(page, "Build each school's ZIP and e-mail its teachers")
    assert runner.run_available("default") >= 2
    _sign_out(page)

    # --- a school's teacher downloads the school's certificates
    _sign_in(page, base, "teacher.a")
    page.goto(f"{base}/certificates/?competition={competition.pk}")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download ZIP").first.click()
    archive = zipfile.ZipFile(io.BytesIO(download_info.value.path().read_bytes()))
    names = archive.namelist()
    assert len([n for n in names if n.endswith(".pdf")]) == 2  # school A's: participation and award
    assert all(archive.read(n).startswith(b"%PDF") for n in names if n.endswith(".pdf"))
