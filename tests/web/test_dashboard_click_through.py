"""Every number on the organiser dashboard, the participation lists and a school's report links to the list
it counts: each link is followed and the list it opens holds exactly that many rows."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

import pytest

pytestmark = pytest.mark.django_db

# A link whose text is a number, or a number and a word ("3 teams"): (href, number).
NUMBER_LINK = re.compile(r'<a href="([^"]+)">\s*(\d+)(?:\s+[^<\d]+)?\s*</a>')


def _found(client: Any, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    match = re.search(r"(\d+) found", response.content.decode())
    assert match, url
    return int(match.group(1))


def _number_links(page: str, under: str) -> list[tuple[str, int]]:
    return [(html_lib.unescape(href), int(n)) for href, n in NUMBER_LINK.findall(page) if under in href]


@pytest.fixture
def taking_part(world: Any, make_user: Any, make_png: Any) -> Any:
    """School A: Team A (two students, one draft) and Team A2 (one submitted entry, a student without consent
    who needs support); school B: Team B, supervised by teacher B, with a submitted entry."""
    from aigc_contest.web.entries import services

    w = world
    w.team.members.add(w.student_a2)
    no_consent = make_user("student.nc", "student", w.school_a, consent=False, needs_support=True)
    team_a2 = services.create_team(w.teacher_a, w.category, name="Team A2", members=[no_consent])
    entry = services.start_entry(no_consent, team_a2, title="Kites", work_type="image", theme=w.theme)
    services.upload_draft_file(no_consent, entry, filename="k.png", data=make_png())
    team_b = services.create_team(w.teacher_b, w.category, name="Team B", members=[w.student_b])
    entry_b = services.start_entry(w.student_b, team_b, title="Harbour", work_type="image", theme=w.theme)
    services.upload_draft_file(w.student_b, entry_b, filename="h.png", data=make_png())
    services.submit_entry(w.student_b, entry_b, now=w.now)
    return w


def test_every_number_on_the_dashboard_opens_a_list_of_that_many(taking_part: Any, client: Any) -> None:
    w = taking_part
    client.force_login(w.organiser)
    page = client.get("/organiser/").content.decode()
    links = _number_links(page, f"/organiser/{w.competition.slug}/participants/")
    shown = {href.split("/participants/")[1]: n for href, n in links}
    assert shown == {"teams/": 3, "entries/": 3, "entries/?status=submitted": 1, "schools/": 2,
                     "teachers/": 2, "students/": 4}  # fmt: skip
    for href, n in links:
        assert _found(client, href) == n, href


def test_every_number_in_the_lists_opens_a_list_of_that_many(taking_part: Any, client: Any) -> None:
    w = taking_part
    client.force_login(w.organiser)
    base = f"/organiser/{w.competition.slug}/participants/"
    followed = 0
    for page in ("teams/", "schools/", "teachers/", "students/"):
        html = client.get(base + page).content.decode()
        for href, n in _number_links(html, base):
            assert _found(client, href) == n, f"{page}: {href}"
            followed += 1
    assert followed >= 3 * 2 + 2 * 3 + 2 + 4  # teams (members, entries), schools (3 counts), teachers, students


def test_team_counts_name_the_team_they_narrow_to(taking_part: Any, client: Any) -> None:
    w = taking_part
    client.force_login(w.organiser)
    url = f"/organiser/{w.competition.slug}/participants/entries/?team={w.team.pk}"
    page = client.get(url).content.decode()
    # "Team A" as a search would also find "Team A2" and "Team B"; the team filter finds its own entry only
    assert "1 found" in page and "My picture" in page and "Kites" not in page
    assert "Team: Team A" in page
    assert f'<input type="hidden" name="team" value="{w.team.pk}"' in page  # kept while filtering more
    students = client.get(f"/organiser/{w.competition.slug}/participants/students/?team={w.team.pk}").content.decode()
    assert "2 found" in students and "student.a2" in students and "student.nc" not in students


def test_every_number_in_a_school_report_opens_a_list_of_that_many(taking_part: Any, client: Any) -> None:
    w = taking_part
    client.force_login(w.organiser)
    base = f"/organiser/{w.competition.slug}/participants/"
    report = client.get(base + f"schools/{w.school_a.code}/").content.decode()
    links = _number_links(report, base)
    figures = {re.sub(r"\d+", "#", href.split("/participants/")[1]): n for href, n in links}
    assert figures["teams/?school=#"] == 2
    assert figures["students/?school=#"] == 3
    assert figures["students/?school=#&consent=missing"] == 1
    assert figures["students/?school=#&needs_support=true"] == 1
    assert figures["entries/?school=#&status=draft"] == 2
    assert figures["teams/?teacher=#"] == 2  # teacher A supervises both of school A's teams
    for href, n in links:
        assert _found(client, href) == n, href


def test_the_students_list_filters_by_consent_and_support(taking_part: Any, client: Any) -> None:
    w = taking_part
    client.force_login(w.organiser)
    url = f"/organiser/{w.competition.slug}/participants/students/"
    missing = client.get(url + "?consent=missing").content.decode()
    assert "1 found" in missing and "student.nc" in missing
    assert "3 found" in client.get(url + "?consent=given").content.decode()
    assert "1 found" in client.get(url + "?needs_support=true").content.decode()
    assert "4 found" in client.get(url + "?q=student").content.decode()
    client.force_login(w.teacher_a)
    assert client.get(url).status_code == 403
