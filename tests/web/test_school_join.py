"""A competition whose schools ask to join: a school's teams can submit only once an organiser has let the
school in; until then the entry page and the refusal say why, in words a pupil understands."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def asking(world: Any) -> Any:
    from aigc_contest.web.contests.roles_services import grant_role

    world.competition.schools_must_join = True
    world.competition.save(update_fields=["schools_must_join"])
    grant_role(None, world.competition, world.organiser, "owner", checked=False)
    return world


def _submit(world: Any) -> Any:
    from aigc_contest.web.entries import services

    return services.submit_entry(world.student_a, world.entry)


def test_a_school_that_never_asked_cannot_submit(asking: Any) -> None:
    from aigc_contest.web.core.errors import ServiceError

    with pytest.raises(ServiceError) as refused:
        _submit(asking)
    assert refused.value.code == "school_not_admitted"
    assert "has not asked to take part" in refused.value.message


def test_a_pending_school_cannot_submit_until_an_organiser_lets_it_in(asking: Any, client: Any) -> None:
    from aigc_contest.web.contests import roles_services
    from aigc_contest.web.core.errors import ServiceError
    from aigc_contest.web.entries.models import Entry

    w = asking
    join = roles_services.request_to_join(w.teacher_a, w.competition, w.school_a, "We have a club")
    with pytest.raises(ServiceError) as refused:
        _submit(w)
    assert "waiting for the organisers" in refused.value.message
    client.force_login(w.student_a)
    page = client.get(f"/entries/{w.entry.pk}/").content.decode()
    assert 'data-testid="school-not-admitted"' in page and "waiting for the organisers" in page
    assert "disabled>" in page  # the submit button waits too
    response = client.post(f"/entries/{w.entry.pk}/submit/", follow=True)
    assert "waiting for the organisers" in response.content.decode()
    w.entry.refresh_from_db()
    assert w.entry.status != Entry.Status.SUBMITTED

    roles_services.decide_join_request(w.organiser, join, approve=False, reason="Not in the district")
    with pytest.raises(ServiceError) as refused:
        _submit(w)
    assert "did not let your school" in refused.value.message

    roles_services.request_to_join(w.teacher_a, w.competition, w.school_a)  # asks again
    join.refresh_from_db()
    roles_services.decide_join_request(w.organiser, join, approve=True)
    version = _submit(w)
    assert version.number == 1
    assert 'data-testid="school-not-admitted"' not in client.get(f"/entries/{w.entry.pk}/").content.decode()


def test_a_competition_open_to_every_school_needs_no_request(world: Any) -> None:
    assert not world.competition.schools_must_join
    assert _submit(world).number == 1


def test_the_setting_is_in_the_spec_and_round_trips(asking: Any) -> None:
    from aigc_contest.web.contests import services

    spec = services.export_spec(asking.competition)
    assert spec["schools_must_join"] is True
    assert services.competition_values(spec)["schools_must_join"] is True


def test_the_school_page_says_whether_its_teams_may_submit(asking: Any, client: Any) -> None:
    from aigc_contest.web.contests import roles_services

    w = asking
    client.force_login(w.teacher_a)
    assert "once the organisers let the school in" in client.get("/school/competitions/").content.decode()
    join = roles_services.request_to_join(w.teacher_a, w.competition, w.school_a)
    roles_services.decide_join_request(w.organiser, join, approve=True)
    assert "Your school is in: its teams can submit." in client.get("/school/competitions/").content.decode()
