"""The organisers' API routes (/api/v1/): a competition set up from a spec (the structure `competition apply`
reads), judging (rounds, panel, assignment, results, awards) and certificates (issue, revoke). An owner's
token may; a viewer of the competition and another competition's organiser are refused (403); a spec with
mistakes answers 422 with messages by field; a write the state of things forbids answers 409."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db

SPEC: dict[str, Any] = {
    "slug": "city-2031",
    "timezone": "Asia/Hong_Kong",
    "name": {"en": "City AIGC Challenge 2031", "zh-Hant": "城市 AIGC 挑戰賽 2031"},
    "timeline": {
        "registration_opens_at": "2031-09-01 09:00",
        "submission_opens_at": "2031-09-15 09:00",
        "submission_deadline": "2031-10-30 23:59",
        "judging_starts_at": "2031-10-31 00:00",
        "results_at": "2031-11-13 10:00",
    },
    "themes": [{"title": {"en": "Green city"}}],
    "categories": [
        {
            "slug": "primary",
            "name": {"en": "Primary"},
            "school_levels": ["primary"],
            "work_types": ["image"],
            "themes": ["Green city"],
        }
    ],
    "criteria": [
        {"key": "creativity", "name": {"en": "Creativity"}, "weight": 60},
        {"key": "theme", "name": {"en": "Theme"}, "weight": 40},
    ],
}
RUBRIC = [{"key": "creativity", "name": {"en": "Creativity"}, "weight": 100}]


def _token(user: Any) -> dict[str, str]:
    from aigc_contest.web.accounts import tokens

    _record, token = tokens.create_token(user, name="script")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _send(client: Any, method: str, path: str, auth: dict[str, str], body: Any = None) -> Any:
    send = getattr(client, method)
    if body is None:
        return send(f"/api/v1{path}", **auth)
    return send(f"/api/v1{path}", data=json.dumps(body), content_type="application/json", **auth)


@pytest.fixture
def people(world: Any, make_competition: Any, make_user: Any) -> Any:
    """The world's competition with an owner, a viewer, and an organiser of another competition."""
    from types import SimpleNamespace

    from aigc_contest.web.contests.models import CompetitionRole

    owner = make_user("owner", "organiser")
    viewer = make_user("viewer", "organiser")
    stranger = make_user("stranger", "organiser")
    other, _category, _theme = make_competition("other-comp")
    CompetitionRole.objects.create(competition=world.competition, user=owner, role="owner")
    CompetitionRole.objects.create(competition=world.competition, user=viewer, role="viewer")
    CompetitionRole.objects.create(competition=other, user=stranger, role="organiser")
    return SimpleNamespace(
        owner=_token(owner),
        viewer=_token(viewer),
        stranger=_token(stranger),
        teacher=_token(world.teacher_a),
        slug=world.competition.slug,
    )


# ---------------------------------------------------------------- set-up


def test_an_organiser_creates_a_competition_from_a_spec_and_owns_it(
    world: Any, client: Any, make_user: Any
) -> None:
    from aigc_contest.web.contests.models import Competition, CompetitionRole

    creator = make_user("creator", "organiser")
    auth = _token(creator)
    response = _send(client, "post", "/competitions", auth, SPEC)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["spec"]["slug"] == "city-2031" and "created competition city-2031" in body["changes"]
    competition = Competition.objects.get(slug="city-2031")
    assert CompetitionRole.objects.filter(competition=competition, user=creator, role="owner").exists()
    assert [c.key for c in competition.criteria.order_by("order")] == ["creativity", "theme"]

    # The spec comes back as written, and applying it again changes nothing.
    spec = _send(client, "get", "/competitions/city-2031/spec", auth).json()["spec"]
    assert spec["timeline"]["submission_deadline"] == "2031-10-30 23:59"
    again = _send(client, "put", "/competitions/city-2031/spec", auth, spec)
    assert again.status_code == 200 and again.json()["changes"] == []
    # The same slug again is a conflict; a teacher may not create competitions at all.
    assert _send(client, "post", "/competitions", auth, SPEC).status_code == 409
    assert (
        _send(client, "post", "/competitions", _token(world.teacher_a), {**SPEC, "slug": "x"}).status_code
        == 403
    )


def test_a_spec_with_mistakes_answers_422_by_field_and_writes_nothing(
    world: Any, client: Any, make_user: Any
) -> None:
    from aigc_contest.web.contests.models import Competition

    auth = _token(make_user("creator", "organiser"))
    bad = {
        **SPEC,
        "timezone": "Mars/Olympus",
        "criteria": [{"key": "only", "name": {"en": "Only"}, "weight": 50}],
    }
    response = _send(client, "post", "/competitions", auth, bad)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "timezone" in detail and isinstance(detail["timezone"], list)
    assert not Competition.objects.filter(slug="city-2031").exists()


def test_an_owner_changes_the_timeline_and_rubric_a_viewer_and_a_stranger_may_not(
    world: Any, client: Any, people: Any
) -> None:
    slug = people.slug
    spec = _send(client, "get", f"/competitions/{slug}/spec", people.viewer)
    assert spec.status_code == 200  # a viewer reads
    timeline = {**spec.json()["spec"]["timeline"], "results_at": "2040-01-31 10:00"}
    for auth in (people.viewer, people.stranger):
        assert _send(client, "put", f"/competitions/{slug}/timeline", auth, timeline).status_code == 403
        assert _send(client, "put", f"/competitions/{slug}/rubric", auth, RUBRIC).status_code == 403
    assert _send(client, "get", f"/competitions/{slug}/spec", people.stranger).status_code == 403
    assert _send(client, "get", "/competitions/no-such/spec", people.owner).status_code == 404

    response = _send(client, "put", f"/competitions/{slug}/timeline", people.owner, timeline)
    assert response.status_code == 200, response.content
    assert response.json()["spec"]["timeline"]["results_at"] == "2040-01-31 10:00"
    world.competition.refresh_from_db()
    assert world.competition.results_at.year == 2040
    response = _send(client, "put", f"/competitions/{slug}/rubric", people.owner, RUBRIC)
    assert response.status_code == 200 and [c["key"] for c in response.json()["spec"]["criteria"]] == [
        "creativity"
    ]
    bad = _send(client, "put", f"/competitions/{slug}/rubric", people.owner, [{**RUBRIC[0], "weight": 30}])
    assert bad.status_code == 422 and any(k.startswith("criteria") for k in bad.json()["detail"])
    themes = _send(
        client, "put", f"/competitions/{slug}/themes", people.owner, [{"title": {"en": "A greener city"}}]
    )
    assert themes.status_code == 200


# ---------------------------------------------------------------- judging


def test_an_owner_runs_judging_through_the_api(world: Any, client: Any, people: Any) -> None:
    from aigc_contest.web.entries import services as entry_services
    from aigc_contest.web.judging.models import Assignment

    slug = people.slug
    entry_services.submit(world.student_a, world.entry.pk, now=timezone.now())
    for auth in (people.viewer, people.stranger):
        assert (
            _send(client, "post", f"/competitions/{slug}/rounds", auth, {"judges_per_entry": 1}).status_code
            == 403
        )
    opened = _send(client, "post", f"/competitions/{slug}/rounds", people.owner, {"judges_per_entry": 1})
    assert opened.status_code == 201 and opened.json()["kind"] == "scoring"
    assert (
        _send(
            client, "post", f"/competitions/{slug}/rounds", people.owner, {"judges_per_entry": 99}
        ).status_code
        == 422
    )

    path = f"/competitions/{slug}/rounds/scoring"
    assert _send(client, "post", f"{path}/judges", people.stranger, {"username": "judge"}).status_code == 403
    assert _send(client, "post", f"{path}/judges", people.owner, {"username": "nobody"}).status_code == 422
    added = _send(client, "post", f"{path}/judges", people.owner, {"username": "judge"})
    assert added.status_code == 201 and added.json()["judges"] == ["judge"]

    # Before the deadline, assigning needs the explicit confirmation.
    assert _send(client, "post", f"{path}/assignment", people.owner, {}).status_code == 409
    assert _send(client, "post", f"{path}/assignment", people.viewer, {"early": True}).status_code == 403
    assigned = _send(client, "post", f"{path}/assignment", people.owner, {"early": True})
    assert assigned.status_code == 200 and assigned.json()["created"] == 1
    assert Assignment.objects.filter(round__competition=world.competition, judge=world.judge).count() == 1

    # No rubric yet, then no scores: "not now", 409; an unknown method is a mistake, 422.
    assert _send(client, "get", f"{path}/results/preview?method=mean", people.owner).status_code == 409
    _send(client, "put", f"/competitions/{slug}/rubric", people.owner, RUBRIC)
    preview = _send(client, "get", f"{path}/results/preview?method=mean", people.owner)
    assert preview.status_code == 200 and preview.json()["results"] == []
    assert _send(client, "get", f"{path}/results/preview?method=dice", people.owner).status_code == 422
    assert _send(client, "get", f"{path}/results/preview", people.viewer).status_code == 403
    assert _send(client, "post", f"{path}/results", people.owner, {"method": "mean"}).status_code == 409
    assert _send(client, "post", f"{path}/results", people.stranger, {"method": "mean"}).status_code == 403

    places = _send(
        client, "put", f"/competitions/{slug}/categories/main/award-places", people.owner, {"merit": 2}
    )
    assert places.status_code == 200 and places.json()["merit"] == 2
    assert (
        _send(
            client, "put", f"/competitions/{slug}/categories/nope/award-places", people.owner, {"merit": 2}
        ).status_code
        == 404
    )
    awards = _send(client, "post", f"{path}/awards", people.owner)
    assert awards.status_code == 200 and awards.json()["count"] == 0
    assert _send(client, "post", f"{path}/awards", people.viewer).status_code == 403

    # Once the results are announced they can no longer change: 409.
    world.competition.results_at = timezone.now() - timedelta(minutes=1)
    world.competition.save(update_fields=["results_at"])
    assert _send(client, "post", f"{path}/results", people.owner, {"method": "mean"}).status_code == 409
    assert _send(client, "post", f"{path}/awards", people.owner).status_code == 409
    assert _send(client, "post", f"/competitions/{slug}/rounds/final/awards", people.owner).status_code == 404


# ---------------------------------------------------------------- certificates


def test_an_owner_issues_certificates_after_the_announcement_and_revokes_one(
    world: Any, client: Any, people: Any
) -> None:
    from aigc_contest.web.certificates.models import Certificate
    from aigc_contest.web.jobs.models import Job

    path = f"/competitions/{people.slug}/certificates/issue"
    assert _send(client, "post", path, people.owner).status_code == 409  # before the announcement
    world.competition.results_at = timezone.now() - timedelta(minutes=1)
    world.competition.save(update_fields=["results_at"])
    for auth in (people.viewer, people.stranger, people.teacher):
        assert _send(client, "post", path, auth).status_code == 403
    response = _send(client, "post", path, people.owner)
    assert response.status_code == 202 and Job.objects.filter(pk=response.json()["job"]).exists()

    certificate = Certificate.objects.create(
        competition=world.competition,
        user=world.student_a,
        kind="participation",
        sha256="0" * 64,
        issued_at=timezone.now(),
    )
    revoke = f"/certificates/{certificate.uuid}/revoke"
    assert _send(client, "post", revoke, people.stranger, {"reason": "wrong name"}).status_code == 403
    assert _send(client, "post", revoke, people.viewer, {"reason": "wrong name"}).status_code == 403
    assert _send(client, "post", revoke, people.owner, {"reason": "  "}).status_code == 422
    done = _send(client, "post", revoke, people.owner, {"reason": "wrong name"})
    assert done.status_code == 200 and done.json()["status"] == "revoked"
    assert _send(client, "post", revoke, people.owner, {"reason": "again"}).status_code == 409
    assert (
        _send(
            client,
            "post",
            "/certificates/00000000-0000-0000-0000-000000000000/revoke",
            people.owner,
            {"reason": "x"},
        ).status_code
        == 404
    )


def test_rounds_promote_a_shortlist_and_take_a_due_date_through_the_api(world: Any, client: Any, people: Any) -> None:
    from aigc_contest.web.contests.models import Criterion
    from aigc_contest.web.entries import services as entry_services
    from aigc_contest.web.judging import services
    from aigc_contest.web.judging.models import Assignment

    slug = people.slug
    entry_services.submit(world.student_a, world.entry.pk, now=timezone.now())
    _send(client, "put", f"/competitions/{slug}/rubric", people.owner, RUBRIC)
    _send(client, "post", f"/competitions/{slug}/rounds", people.owner, {"kind": "screening", "judges_per_entry": 1})
    path = f"/competitions/{slug}/rounds/screening"
    _send(client, "post", f"{path}/judges", people.owner, {"username": "judge"})
    _send(client, "post", f"{path}/assignment", people.owner, {"early": True})

    due = _send(client, "put", f"{path}/due-date", people.owner, {"due_at": "2031-11-05 18:00", "remind_days_before": 3})
    assert due.status_code == 200
    assert (due.json()["due_at"], due.json()["timezone"]) == ("2031-11-05 18:00", "Asia/Hong_Kong")
    assert _send(client, "put", f"{path}/due-date", people.owner, {"due_at": "5 Nov"}).status_code == 422
    assert _send(client, "put", f"{path}/due-date", people.viewer, {"due_at": None}).status_code == 403

    assert _send(client, "post", f"{path}/promote", people.owner, {"top": 1}).status_code == 409  # no scores
    assignment = Assignment.objects.get(round__kind="screening", round__competition=world.competition)
    criterion = Criterion.objects.get(competition=world.competition)
    services.save_scores(world.judge, assignment, {criterion.pk: 8}, submit=True)
    assert _send(client, "post", f"{path}/promote", people.owner, {"top": 1, "cutoff": 5}).status_code == 422
    assert _send(client, "post", f"{path}/promote", people.stranger, {"top": 1}).status_code == 403
    promoted = _send(client, "post", f"{path}/promote", people.owner, {"top": 1, "judges_per_entry": 1})
    assert promoted.status_code == 201
    body = promoted.json()
    assert body["promoted"] == 1 and body["round"]["kind"] == "scoring" and body["round"]["source"] == "screening"
    assert body["round"]["judges"] == ["judge"]
    listed = _send(client, "get", f"/competitions/{slug}/rounds/scoring/shortlist", people.owner).json()
    assert [(s["entry"], s["rank"]) for s in listed] == [(world.entry.pk, 1)]
    rounds = {r["kind"]: r for r in _send(client, "get", f"/competitions/{slug}/rounds", people.owner).json()}
    assert rounds["screening"]["is_open"] is False and rounds["scoring"]["shortlisted"] == 1

    assigned = _send(client, "post", f"/competitions/{slug}/rounds/scoring/assignment", people.owner, {"early": True})
    assert assigned.status_code == 200 and assigned.json()["created"] == 1
    assert _send(client, "post", f"{path}/reopen", people.owner).status_code == 409  # the next round started
    assert _send(client, "post", f"{path}/promote", people.owner, {"top": 1}).status_code == 409
    closed = _send(client, "post", f"/competitions/{slug}/rounds/scoring/close", people.owner)
    assert closed.status_code == 200 and closed.json()["is_open"] is False
