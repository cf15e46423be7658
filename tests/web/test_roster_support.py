"""The teacher's roster shows which students need learning support, and the teacher switches the mark."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from aigc_contest.web.accounts import services
from aigc_contest.web.accounts.models import ChangeRecord
from aigc_contest.web.core.errors import ServiceError

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_school: Any, make_user: Any) -> dict[str, Any]:
    school, elsewhere = make_school("sen-school", "sen"), make_school("other-school", "primary")
    return {
        "teacher": make_user("teacher.s", "teacher", school),
        "bo": make_user("bo", "student", school, needs_support=True),
        "joy": make_user("joy", "student", school),
        "other_teacher": make_user("teacher.o", "teacher", elsewhere),
        "organiser": make_user("org", "organiser"),
    }


def _client(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_roster_shows_the_mark_and_a_switch_for_each_student(people: dict[str, Any]) -> None:
    html = _client(people["teacher"]).get("/school/").content.decode()
    assert "Learning support" in html
    assert "Remove the support mark for Bo" in html and "Mark Joy as needing support" in html
    assert f'action="/school/students/{people["joy"].pk}/support/"' in html


def test_teacher_switches_the_mark_on_and_off_and_each_change_is_recorded(people: dict[str, Any]) -> None:
    joy, client = people["joy"], _client(people["teacher"])
    response = client.post(f"/school/students/{joy.pk}/support/", {"needs_support": "on"}, follow=True)
    joy.refresh_from_db()
    assert joy.needs_support and "Joy is marked as needing learning support." in response.content.decode()
    assert "Remove the support mark for Joy" in response.content.decode()
    client.post(f"/school/students/{joy.pk}/support/", {"needs_support": "off"})
    joy.refresh_from_db()
    assert not joy.needs_support
    records = list(
        ChangeRecord.objects.filter(object_id=str(joy.pk), action="needs learning support").order_by("pk")
    )
    assert [r.changes["needs_support"] for r in records] == [[False, True], [True, False]]
    assert all(r.actor == people["teacher"] for r in records)


def test_bad_or_repeated_requests_change_nothing(people: dict[str, Any]) -> None:
    bo, client = people["bo"], _client(people["teacher"])
    response = client.post(f"/school/students/{bo.pk}/support/", {"needs_support": "maybe"}, follow=True)
    assert "Choose whether the student needs learning support." in response.content.decode()
    client.post(f"/school/students/{bo.pk}/support/", {"needs_support": "on"})  # already marked
    bo.refresh_from_db()
    assert bo.needs_support and not ChangeRecord.objects.filter(action="needs learning support").exists()
    assert _client(people["teacher"]).get(f"/school/students/{bo.pk}/support/").status_code == 405


@pytest.mark.parametrize("who", ["other_teacher", "bo", "joy"])
def test_only_the_students_own_teacher_or_an_organiser_may_switch_it(
    people: dict[str, Any], who: str
) -> None:
    bo = people["bo"]
    response = _client(people[who]).post(f"/school/students/{bo.pk}/support/", {"needs_support": "off"})
    assert response.status_code == 403
    bo.refresh_from_db()
    assert bo.needs_support
    with pytest.raises(ServiceError):
        services.set_needs_support(people[who], bo, False)
    assert services.set_needs_support(people["organiser"], bo, False) is True
    bo.refresh_from_db()
    assert not bo.needs_support


def test_a_teacher_cannot_mark_another_teacher(people: dict[str, Any], make_user: Any) -> None:
    colleague = make_user("teacher.c", "teacher", people["teacher"].school)
    with pytest.raises(ServiceError):
        services.set_needs_support(people["teacher"], colleague, True)
