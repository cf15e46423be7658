"""In a real browser: a judge scores an assigned entry blind, the organiser confirms results and awards,
the results are announced, certificates are issued, a student downloads one and its address verifies."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-12345678"  # tests/conftest.py make_user


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url


def sign_out(page: Any) -> None:
    page.get_by_role("button", name=re.compile(r"^Sign out")).click()
    page.wait_for_load_state()


def test_blind_scoring_to_verified_certificate(judged: Any, score_all: Any, live_server: Any,
                                               chromium_page: Any, settings: Any) -> None:
    from django.utils import timezone

    from aigc_contest.web.jobs import runner

    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False, "batch_window_seconds": 0.0}

    from aigc_contest.web.judging.models import Assignment

    j, page, base = judged, chromium_page, live_server.url

    # --- a judge scores one assigned entry, seeing no names
    sign_in(page, base, "judge.c")
    page.get_by_role("link", name="Judging").click()
    page.get_by_role("link", name=re.compile(r"^Entry ")).first.click()
    body = page.locator("main").inner_text()
    assert "Use of AI models" in body and "Team A" not in body and "Team B" not in body and "School" not in body
    page.get_by_label("Score").first.fill("9")
    page.get_by_label("Score").nth(1).fill("8")
    page.get_by_role("button", name="Submit scores").click()
    page.wait_for_load_state()
    assert "Scores submitted." in page.locator("main").inner_text()
    assert Assignment.objects.filter(judge=j.judge_c, status="submitted").count() == 1
    sign_out(page)
    score_all(j, {})  # the other judges finish on the server side

    # --- the organiser computes, confirms and gives awards
    sign_in(page, base, "organiser")
    page.goto(f"{base}/organiser/{j.competition.slug}/judging/")
    page.get_by_label("Aggregation method").select_option("mean")
    page.get_by_role("button", name="Compute (nothing is recorded)").click()
    page.get_by_role("button", name=re.compile("Confirm and record results")).click()
    assert "2 results recorded." in page.locator("main").inner_text()
    page.get_by_role("button", name="Give awards from these ranks").click()
    assert "awards given" in page.locator("main").inner_text()

    # --- the announcement time arrives; certificates are issued
    j.competition.results_at = timezone.now() - timedelta(seconds=1)
    j.competition.save(update_fields=["results_at"])
    page.reload()
    page.get_by_role("button", name="Issue participation and award certificates").click()
    assert "Issuing certificates" in page.locator("main").inner_text()
    assert runner.run_available("default") == 1  # the worker's loop, run here; the page polls for progress
    page.wait_for_selector('main [data-status="succeeded"]')
    page.reload()
    # Student A and Student B take part; both teams won a place.
    assert "Certificates issued: 4 (already issued: 0)." in page.locator("main").inner_text()
    sign_out(page)

    # --- a student downloads a certificate, and its verification address says it is valid
    sign_in(page, base, "student.a")
    page.get_by_role("link", name="Certificates").first.click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").first.click()
    assert download_info.value.path().read_bytes().startswith(b"%PDF")
    page.get_by_role("link", name="Valid").first.click()
    assert "/verify/" in page.url
    assert "This certificate is valid." in page.locator("#verify-status").inner_text()
