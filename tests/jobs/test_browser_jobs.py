"""In a real browser: the jobs page follows a job's progress live, then the owner cancels another job."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_live_progress_and_cancel(live_server: Any, world: Any, submit: Any, chromium_page: Any) -> None:
    from playwright.sync_api import expect

    from aigc_contest.web.jobs import services
    from aigc_contest.web.jobs.kinds import JobOutput
    from aigc_contest.web.jobs.models import Job, JobStatus

    first, second = submit(world.student_a), submit(world.student_a)
    page = chromium_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", world.student_a.username)
    page.fill("#id_password", "pw-12345678")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/jobs/")
    card_1, card_2 = page.locator(f"#job-{first.pk}"), page.locator(f"#job-{second.pk}")
    expect(card_1.locator(".queue-position")).to_have_text("number 1 in line")
    expect(card_2.locator(".queue-position")).to_have_text("number 2 in line")

    # A worker takes the first job and reports progress: the page follows without a reload.
    (claimed,) = services.claim_batch("default", "browser-test", force=True).jobs
    assert claimed.pk == first.pk
    services.report_progress(first.pk, claimed.attempts, 0.5, "painting")
    expect(card_1.locator(".percent")).to_have_text("50%")
    expect(card_1.locator(".progress-message")).to_have_text("painting")
    expect(card_2.locator(".queue-position")).to_have_text("number 1 in line")
    services.complete_job(first.pk, claimed.attempts, JobOutput(files=[("r.txt", b"hi", "text/plain")]))
    expect(card_1.locator("[data-status]")).to_have_text("Done")
    expect(card_1.get_by_role("link", name="Download 1")).to_be_visible()

    # The owner cancels the job still waiting.
    card_2.get_by_role("button", name="Cancel").click()
    page.wait_for_load_state()
    expect(page.locator(f"#job-{second.pk} [data-status]")).to_have_text("Cancelled")
    expect(page.locator(f"#job-{second.pk}").get_by_role("button", name="Try again")).to_be_visible()
    assert Job.objects.get(pk=second.pk).status == JobStatus.CANCELLED
