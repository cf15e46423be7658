"""The organiser's participation lists: search, filters, sorting, pagination, counts that click through,
a per-school report; nobody but an organiser reads them."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def _rows(html: str) -> list[str]:
    body = re.search(r"<tbody[^>]*>(.*?)</tbody>", html, re.S)
    assert body, html[:2000]
    return re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)


@pytest.fixture
def crowd(world: Any, make_user: Any, make_png: Any) -> Any:
    """Sixty more teams with an entry each in school B, half of them submitted."""
    from aigc_contest.web.entries import services

    students = [make_user(f"crowd.{n}", "student", world.school_b) for n in range(60)]
    for n, student in enumerate(students):
        team = services.create_team(
            world.teacher_b, world.category, name=f"Crowd team {n:02d}", members=[student]
        )
        entry = services.start_entry(
            student, team, title=f"Harbour picture {n:02d}", work_type="image", theme=world.theme
        )
        services.upload_draft_file(student, entry, filename="p.png", data=make_png())
        if n % 2 == 0:
            services.submit_entry(student, entry, now=world.now)
    return world


def test_entries_list_searches_filters_sorts_and_paginates(crowd: Any, client: Any) -> None:
    w = crowd
    client.force_login(w.organiser)
    url = f"/organiser/{w.competition.slug}/participants/entries/"
    first = client.get(url).content.decode()
    assert "61 found" in first
    assert len(_rows(first)) == 50  # one page
    assert "page=2" in first
    assert len(_rows(client.get(url + "?page=2").content.decode())) == 11
    submitted = client.get(url + "?status=submitted").content.decode()
    assert "30 found" in submitted
    by_school = client.get(url + f"?school={w.school_a.pk}").content.decode()
    assert "1 found" in by_school and "My picture" in by_school
    searched = client.get(url + "?q=picture+07").content.decode()
    assert "1 found" in searched and "Harbour picture 07" in searched
    ordered = _rows(client.get(url + "?sort=title&status=submitted").content.decode())
    titles = [re.search(r"Harbour picture \d\d", r).group(0) for r in ordered]  # type: ignore[union-attr]
    assert titles == sorted(titles)


def test_schools_counts_click_through_and_the_school_report(crowd: Any, client: Any) -> None:
    w = crowd
    client.force_login(w.organiser)
    html = client.get(f"/organiser/{w.competition.slug}/participants/schools/").content.decode()
    assert "2 found" in html
    row_b = next(r for r in _rows(html) if w.school_b.name_en in r)
    assert f'?school={w.school_b.pk}&amp;status=submitted">30</a>' in row_b
    assert f'?school={w.school_b.pk}">60</a>' in row_b
    report = client.get(f"/organiser/{w.competition.slug}/participants/schools/{w.school_b.code}/").content.decode()
    assert "Harbour picture 59" in report and (w.teacher_b.display_name or w.teacher_b.username) in report
    teams = client.get(f"/organiser/{w.competition.slug}/participants/teams/?school={w.school_b.pk}").content.decode()
    assert "60 found" in teams
    teachers = client.get(f"/organiser/{w.competition.slug}/participants/teachers/").content.decode()
    assert w.teacher_a.username in teachers and w.teacher_b.username in teachers


@pytest.mark.parametrize("who", ["teacher_a", "student_a", "judge"])
def test_only_organisers_read_the_lists(world: Any, client: Any, who: str) -> None:
    client.force_login(getattr(world, who))
    for page in ("entries", "teams", "schools", "teachers", f"schools/{world.school_a.code}"):
        assert client.get(f"/organiser/{world.competition.slug}/participants/{page}/").status_code == 403


def test_an_organiser_messages_every_teacher_taking_part_each_on_their_own(world: Any, client: Any) -> None:
    from aigc_contest.web.accounts.models import ChangeRecord
    from aigc_contest.web.entries import services
    from aigc_contest.web.jobs.models import Job

    w = world
    for teacher, address in ((w.teacher_a, "ta@example.org"), (w.teacher_b, "tb@example.org")):
        teacher.email = address
        teacher.save()
    services.create_team(w.teacher_b, w.category, name="Team B", members=[w.student_b])
    Job.objects.filter(kind="email").delete()
    client.force_login(w.organiser)
    url = f"/organiser/{w.competition.slug}/participants/teachers/message/"
    data = {"subject": "Judging starts Monday", "body": "Please check every draft is submitted.", "category": ""}
    preview = client.post(url, data).content.decode()
    assert "This message will go to 2 teachers." in preview
    assert not Job.objects.filter(kind="email").exists()  # a preview sends nothing
    assert client.post(url, {**data, "confirm": "yes"}).status_code == 302
    jobs = list(Job.objects.filter(kind="email").order_by("pk"))
    assert sorted(j.params["recipients"] for j in jobs) == [["ta@example.org"], ["tb@example.org"]]
    assert all(j.params["subject"] == f"[{w.competition.name_en}] Judging starts Monday" for j in jobs)
    assert "Please check every draft is submitted." in jobs[0].params["body"]
    assert ChangeRecord.objects.filter(action="message to teachers", actor=w.organiser).count() == 1
    client.force_login(w.teacher_a)
    assert client.post(url, {**data, "confirm": "yes"}).status_code == 403
    assert Job.objects.filter(kind="email").count() == 2
