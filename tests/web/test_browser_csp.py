"""The Content-Security-Policy breaks no page: key pages load in a real browser without one violation.

A policy fails silently (a script or a style is just not applied), so every console message about it,
and every `securitypolicyviolation` event, fails the test."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DEMO_PASSWORD = "aigc-demo-2024"
WATCH = """document.addEventListener('securitypolicyviolation',
  e => (window.__cspViolations = window.__cspViolations || []).push(e.violatedDirective + ' ' + e.blockedURI));"""


def test_key_pages_load_without_csp_violations(
    live_server: Any, demo: list[Any], chromium_page: Any, make_user: Any
) -> None:
    from aigc_contest.web.accounts.models import User
    from aigc_contest.web.contests.models import Competition
    from aigc_contest.web.entries import services as entry_services
    from aigc_contest.web.entries.models import Entry
    from aigc_contest.web.judging.models import Assignment

    page, base = chromium_page, live_server.url
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(WATCH)
    visited: list[str] = []

    def visit(url: str) -> None:
        response = page.goto(f"{base}{url}")
        assert response is not None and response.status == 200, (
            f"{url} answered {response and response.status}"
        )
        page.wait_for_load_state("load")
        policy = response.header_value("content-security-policy") or ""
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, policy
        violations = page.evaluate("window.__cspViolations || []")
        messages.extend(f"{url}: {v}" for v in violations)
        visited.append(url)

    def sign_in(username: str, password: str = DEMO_PASSWORD) -> None:
        page.context.clear_cookies()
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        assert "/accounts/login/" not in page.url, f"sign-in as {username} failed"

    hk = Competition.objects.get(slug="hk-inter-school-aigc")
    visit("/")
    assert page.evaluate("typeof window.getComputedStyle(document.querySelector('header')).color") == "string"
    visit(f"/competitions/{hk.slug}/")
    visit("/accounts/login/")
    sign_in("p.mei")
    visit("/me/")
    visit("/jobs/")
    book = Entry.objects.get(title="The Dragon Who Loved Dim Sum")
    visit(f"/entries/{book.pk}/")
    visit(f"/storybooks/entries/{book.pk}/")
    # A fresh interactive novel: the node editor, with the vendored Cytoscape drawing the map.
    novel = Entry.objects.get(title="Choices on the Star Ferry")
    writer = make_user("s.new", "student", novel.team.school)
    team = entry_services.create_team(
        novel.team.supervising_teacher, novel.category, name="Ferry Two", members=[writer]
    )
    draft = entry_services.start_entry(
        writer, team, title="Night Ferry", work_type="novel", theme=novel.theme
    )
    sign_in("s.new", "pw-12345678")
    visit(f"/studio/entries/{draft.pk}/")
    page.get_by_role("button", name="Start with the template").click()
    page.wait_for_selector("#graph canvas")
    assert page.locator("#__________cytoscape_stylesheet").count() == 1
    # The play-test frame (srcdoc, under this page's policy and its own) runs the player.
    page.get_by_role("button", name="Play-test the story").click()
    page.frame_locator("#playtest").locator("main button").first.wait_for()
    messages.extend(page.evaluate("window.__cspViolations || []"))
    sign_in("s.hoi")
    visit(f"/studio/entries/{novel.pk}/")
    sign_in("judge1")
    visit("/judging/")
    for assignment in Assignment.objects.filter(judge__username="judge1").order_by("pk")[:4]:
        visit(f"/judging/assignments/{assignment.pk}/")  # pictures, PDFs and the sandboxed novel player
    organiser = (
        User.objects.filter(is_superuser=True).first() or User.objects.filter(role="organiser").first()
    )
    if organiser is not None and organiser.is_staff:
        sign_in(organiser.username)
        visit("/admin/")
        visit("/organiser/audit/")  # the audit log and a competition's people and schools
        visit("/organiser/hk-inter-school-aigc/people/")
        visit("/organiser/hk-inter-school-aigc/schools/")
    page.wait_for_timeout(300)  # late console messages from frames
    assert not messages, f"CSP violations on {visited}:\n" + "\n".join(messages)
