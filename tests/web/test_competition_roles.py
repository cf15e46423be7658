"""Roles per competition: what each role may do on its own competition and nothing on another; invitations
by e-mail link (accept, expiry, a second use refused); schools asking to join; the audit log and its page."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiet_jobs(settings):  # type: ignore[no-untyped-def]
    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False, "batch_window_seconds": 0.0}
    return settings.AIGC_JOBS


@pytest.fixture
def two(world: Any, make_competition: Any, make_user: Any, quiet_jobs: Any) -> SimpleNamespace:
    """Competition A (the world's) and B, with an owner, an organiser, a viewer and a judge of A only."""
    from aigc_contest.web.contests.roles_services import grant_role

    competition_b, category_b, theme_b = make_competition("comp-b")
    people = {
        name: make_user(name, "staff", email=f"{name}@example.org") for name in ("owner", "org.a", "viewer")
    }
    judge_a = make_user("judge.x", "judge")
    a = world.competition
    grant_role(None, a, people["owner"], "owner", checked=False)
    grant_role(people["owner"], a, people["org.a"], "organiser")
    grant_role(people["owner"], a, people["viewer"], "viewer")
    grant_role(people["owner"], a, judge_a, "judge")
    return SimpleNamespace(
        **vars(world),
        b=competition_b,
        category_b=category_b,
        theme_b=theme_b,
        owner=people["owner"],
        org_a=people["org.a"],
        viewer=people["viewer"],
        judge_a=judge_a,
    )


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# ---------------------------------------------------------------- predicates


def test_each_role_does_what_it_may_on_its_own_competition_only(two: Any) -> None:
    a, b = two.competition, two.b
    for user in (two.owner, two.org_a):
        assert user.has_perm("contests.manage_competition", a)
        assert user.has_perm("judging.manage_judging", a)
        assert user.has_perm("contests.view_audit_log", a)
        assert user.has_perm("entries.view_entry", two.entry)
        assert user.has_perm("entries.change_team", two.team)
        # An organiser of competition A cannot touch competition B.
        assert not user.has_perm("contests.manage_competition", b)
        assert not user.has_perm("contests.view_competition", b)
        assert not user.has_perm("judging.manage_judging", b)
        assert not user.has_perm("contests.export_participants", b)
    # A viewer reads, never changes.
    assert two.viewer.has_perm("contests.view_competition", a)
    assert two.viewer.has_perm("contests.export_participants", a)
    assert two.viewer.has_perm("entries.view_entry", two.entry)
    assert not two.viewer.has_perm("contests.manage_competition", a)
    assert not two.viewer.has_perm("judging.manage_judging", a)
    assert not two.viewer.has_perm("entries.change_team", two.team)
    assert not two.viewer.has_perm("contests.view_audit_log", a)
    assert not two.viewer.has_perm("contests.decide_join_requests", a)
    # Only owners decide who holds which role; organisers may invite judges and viewers.
    assert two.owner.has_perm("contests.manage_roles", a)
    assert not two.org_a.has_perm("contests.manage_roles", a)
    assert two.org_a.has_perm("contests.invite_people", a)
    # A judge judges; the competition's organiser pages are not theirs, nor the team's entry.
    assert not two.judge_a.has_perm("contests.view_competition", a)
    assert not two.judge_a.has_perm("entries.view_entry", two.entry)
    # Asked with no object: does the person run any competition at all (which pages to show)?
    assert two.viewer.has_perm("contests.see_organiser_pages")
    assert not two.judge_a.has_perm("contests.see_organiser_pages")
    assert not two.student_a.has_perm("contests.see_organiser_pages")


def test_an_entry_of_competition_b_is_not_visible_to_an_organiser_of_a(two: Any) -> None:
    from aigc_contest.web.entries import selectors, services

    team_b = services.create_team(two.teacher_b, two.category_b, name="Team B", members=[two.student_b])
    entry_b = services.start_entry(
        two.student_b, team_b, title="B's picture", work_type="image", theme=two.theme_b
    )
    assert not two.org_a.has_perm("entries.view_entry", entry_b)
    assert set(selectors.entries_for(two.org_a)) == {two.entry}
    assert _client(two.org_a).get(reverse("entry-detail", args=[entry_b.pk])).status_code in {403, 404}
    assert _client(two.org_a).get(reverse("export-entries", args=[two.b.slug])).status_code == 403
    assert _client(two.viewer).get(reverse("export-entries", args=[two.competition.slug])).status_code == 200


def test_the_organiser_home_lists_only_the_competitions_one_runs(two: Any) -> None:
    page = _client(two.viewer).get(reverse("organiser-home"))
    assert page.status_code == 200
    assert two.competition.name_en in page.content.decode() and two.b.name_en not in page.content.decode()
    assert _client(two.judge_a).get(reverse("organiser-home")).status_code == 403


def test_a_judge_scores_only_while_holding_the_judge_role_on_that_competition(two: Any) -> None:
    from aigc_contest.web.contests.models import CompetitionRole
    from aigc_contest.web.judging.models import Assignment, Round

    round_ = Round.objects.create(competition=two.competition, kind="scoring", judges_per_entry=1)
    assignment = Assignment.objects.create(
        round=round_,
        judge=two.judge_a,
        entry=two.entry,
        version=two.entry.versions.first() or _submitted(two),
    )
    assert two.judge_a.has_perm("judging.score_assignment", assignment)
    assert not two.org_a.has_perm("judging.score_assignment", assignment)  # not theirs
    CompetitionRole.objects.filter(user=two.judge_a).delete()
    two.judge_a.forget_competition_roles()
    assert not two.judge_a.has_perm("judging.score_assignment", assignment)


def _submitted(two: Any) -> Any:
    from aigc_contest.web.entries import services

    return services.submit_entry(two.student_a, two.entry)


def test_putting_a_judge_on_a_panel_makes_them_a_judge_of_that_competition(two: Any, make_user: Any) -> None:
    from aigc_contest.web.judging import services

    newcomer = make_user("judge.new", "judge")
    round_ = services.open_round(two.org_a, two.competition, "scoring", k=1)
    services.add_judge(two.org_a, round_, newcomer)
    from aigc_contest.web.contests.rules import is_competition_judge
    from aigc_contest.web.core.errors import PermissionDenied

    assert is_competition_judge(newcomer, two.competition) and not is_competition_judge(newcomer, two.b)
    with pytest.raises(PermissionDenied):  # B is not the organiser's
        services.open_round(two.org_a, two.b, "scoring", k=1)


def test_certificates_of_a_are_managed_by_the_organisers_of_a(two: Any) -> None:
    from aigc_contest.web.certificates.models import Certificate

    certificate = Certificate(competition=two.competition, user=two.student_a, kind="participation")
    other = Certificate(competition=two.b, user=two.student_a, kind="participation")
    assert two.org_a.has_perm("certificates.manage_certificates", certificate)
    assert not two.org_a.has_perm("certificates.manage_certificates", other)
    assert two.viewer.has_perm("certificates.download_certificate", certificate)
    assert not two.viewer.has_perm("certificates.manage_certificates", certificate)


def test_the_last_owner_cannot_be_removed_and_students_hold_no_role(two: Any) -> None:
    from aigc_contest.web.contests import roles_services as services
    from aigc_contest.web.core.errors import PermissionDenied, ServiceError

    with pytest.raises(ServiceError, match="at least one owner"):
        services.revoke_role(two.owner, two.competition, two.owner, "owner")
    with pytest.raises(PermissionDenied):
        services.grant_role(
            two.org_a, two.competition, two.teacher_a, "organiser"
        )  # organisers do not make organisers
    with pytest.raises(ServiceError):
        services.grant_role(two.owner, two.competition, two.student_a, "viewer")
    assert services.revoke_role(two.org_a, two.competition, two.viewer, "viewer")
    assert not two.viewer.has_perm("contests.view_competition", two.competition)


# ---------------------------------------------------------------- invitations


def _invite(two: Any, role: str = "judge", **kwargs: Any) -> tuple[Any, str]:
    from aigc_contest.web.contests import roles_services as services

    return services.invite(
        two.org_a, email="New.Judge@Example.org", role=role, competition=two.competition, **kwargs
    )


def test_an_invitation_is_e_mailed_as_a_job_with_a_link_only_the_e_mail_holds(two: Any) -> None:
    from aigc_contest.web.jobs.models import Job

    invitation, path = _invite(two)
    job = Job.objects.get(kind="email")
    assert job.params["recipients"] == ["new.judge@example.org"]
    assert path in job.params["body"] and two.competition.name_en in job.params["subject"]
    token = path.rstrip("/").rsplit("/", 1)[-1]
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64


def test_accepting_creates_the_account_with_the_role_and_a_second_use_is_refused(two: Any) -> None:
    from aigc_contest.web.accounts.models import User

    invitation, path = _invite(two)
    client = Client()
    assert client.get(path).status_code == 200
    response = client.post(
        path,
        {
            "username": "new.judge",
            "display_name": "Dr New",
            "password": "kite-harbour-42",
            "password_again": "kite-harbour-42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="new.judge")
    assert user.email == "new.judge@example.org" and user.role == "judge" and not user.is_superuser
    from aigc_contest.web.contests.rules import is_competition_judge

    assert is_competition_judge(user, two.competition) and not is_competition_judge(user, two.b)
    assert client.get(reverse("dashboard")).status_code == 302  # signed in
    # The link works once.
    again = Client().post(
        path,
        {
            "username": "someone.else",
            "display_name": "X",
            "password": "kite-harbour-42",
            "password_again": "kite-harbour-42",
        },
    )
    assert again.status_code == 410 and "accepted already" in again.content.decode()
    assert not User.objects.filter(username="someone.else").exists()


def test_an_expired_or_withdrawn_invitation_opens_nothing(two: Any) -> None:
    from aigc_contest.web.contests import roles_services as services
    from aigc_contest.web.core.errors import ServiceError

    invitation, path = _invite(two)
    later = timezone.now() + timedelta(days=services.INVITATION_DAYS, seconds=1)
    with pytest.raises(ServiceError, match="expired"):
        services.accept_invitation(invitation, two.teacher_b, now=later)
    invitation.expires_at = timezone.now() - timedelta(seconds=1)
    invitation.save()
    page = Client().get(path)
    assert page.status_code == 410 and "expired" in page.content.decode()
    second, path2 = _invite(two)
    services.withdraw_invitation(two.org_a, second)
    assert Client().get(path2).status_code == 410
    assert Client().get(reverse("invitation-accept", args=["not-a-real-token"])).status_code == 404


def test_a_signed_in_adult_accepts_with_their_own_account_and_a_student_cannot(two: Any) -> None:
    invitation, path = _invite(two, role="viewer")
    refused = _client(two.student_a).post(path)
    assert refused.status_code == 400 and not two.student_a.competition_roles.exists()
    assert _client(two.teacher_b).post(path).status_code == 302
    two.teacher_b.forget_competition_roles()
    assert two.teacher_b.has_perm("contests.view_competition", two.competition)
    assert not two.teacher_b.has_perm("contests.view_competition", two.b)


def test_only_owners_invite_organisers(two: Any) -> None:
    from aigc_contest.web.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        _invite(two, role="organiser")
    page = _client(two.org_a).get(reverse("contests-people", args=[two.competition.slug])).content.decode()
    assert 'value="judge"' in page and 'value="organiser"' not in page
    assert _client(two.viewer).get(reverse("contests-people", args=[two.competition.slug])).status_code == 403
    owner_page = _client(two.owner).post(
        reverse("contests-people", args=[two.competition.slug]),
        {"email": "co@example.org", "role": "organiser"},
    )
    assert owner_page.status_code == 302


def test_a_teacher_invites_a_colleague_to_their_own_school(two: Any) -> None:
    from aigc_contest.web.accounts.models import User
    from aigc_contest.web.contests import roles_services as services
    from aigc_contest.web.core.errors import PermissionDenied

    client = _client(two.teacher_a)
    assert (
        client.post(reverse("school-invite-teacher"), {"email": "colleague@example.org"}).status_code == 302
    )
    with pytest.raises(PermissionDenied):
        services.invite(two.teacher_b, email="x@example.org", role="teacher", school=two.school_a)
    _invitation, path = services.invite(
        two.teacher_a, email="c2@example.org", role="teacher", school=two.school_a
    )
    Client().post(
        path,
        {
            "username": "ms.colleague",
            "display_name": "Ms C",
            "password": "kite-harbour-42",
            "password_again": "kite-harbour-42",
        },
    )
    colleague = User.objects.get(username="ms.colleague")
    assert colleague.role == "teacher" and colleague.school == two.school_a


# ---------------------------------------------------------------- schools asking to join


def test_a_school_asks_to_join_and_an_organiser_lets_it_in(two: Any) -> None:
    from aigc_contest.web.contests.models import JoinRequest
    from aigc_contest.web.contests.roles_selectors import takes_part

    teacher = _client(two.teacher_b)
    assert teacher.get(reverse("school-competitions")).status_code == 200
    teacher.post(
        reverse("school-competitions"), {"competition": two.competition.slug, "message": "We have 12 pupils"}
    )
    join = JoinRequest.objects.get(school=two.school_b)
    assert join.status == "pending" and not takes_part(two.competition, two.school_b)
    page = _client(two.viewer).get(reverse("contests-join-requests", args=[two.competition.slug]))
    assert page.status_code == 200 and "We have 12 pupils" in page.content.decode()
    decide = reverse("contests-decide-join", args=[join.pk])
    assert _client(two.viewer).post(decide, {"decision": "approve"}).status_code == 403
    assert _client(two.judge_a).post(decide, {"decision": "approve"}).status_code == 403
    assert _client(two.org_a).post(decide, {"decision": "approve"}).status_code == 302
    join.refresh_from_db()
    assert (
        join.status == "approved"
        and join.decided_by == two.org_a
        and takes_part(two.competition, two.school_b)
    )
    assert _client(two.student_b).get(reverse("school-competitions")).status_code == 403


# ---------------------------------------------------------------- the audit log


def _actions(competition: Any) -> list[str]:
    from aigc_contest.web.accounts.models import ChangeRecord

    return list(ChangeRecord.objects.filter(competition=competition).values_list("action", flat=True))


def test_roles_granted_and_revoked_are_in_the_audit_log(two: Any) -> None:
    from aigc_contest.web.contests import roles_services as services

    services.revoke_role(two.owner, two.competition, two.org_a, "organiser")
    actions = _actions(two.competition)
    assert actions.count("role granted") == 4 and "role revoked" in actions
    assert not _actions(two.b)


def test_a_draft_changed_by_a_helping_teacher_is_in_the_competitions_audit_log(
    two: Any, make_png: Any
) -> None:
    from aigc_contest.web.entries import services

    two.competition.teachers_may_help = True
    two.competition.save()
    two.entry.refresh_from_db()
    services.upload_draft_file(
        two.teacher_a, two.entry, filename="teacher.png", data=make_png(color=(1, 2, 3))
    )
    assert "upload file" in _actions(two.competition)


def test_revoking_a_certificate_is_in_the_audit_log(two: Any) -> None:
    from aigc_contest.web.certificates.models import Certificate
    from aigc_contest.web.certificates.services import revoke

    certificate = Certificate.objects.create(
        competition=two.competition,
        user=two.student_a,
        kind="participation",
        sha256="0" * 64,
        issued_at=timezone.now(),
    )
    revoke(two.org_a, certificate, "Issued to the wrong team")
    assert "certificate revoked" in _actions(two.competition)


EMPTY_INLINES = {
    f"{prefix}-{key}": value
    for prefix in ("themes", "categories", "criteria")
    for key, value in (
        ("TOTAL_FORMS", "0"),
        ("INITIAL_FORMS", "0"),
        ("MIN_NUM_FORMS", "0"),
        ("MAX_NUM_FORMS", "9"),
    )
}


def test_the_creator_owns_a_competition_and_moving_its_dates_is_in_its_audit_log(two: Any) -> None:
    from aigc_contest.web.accounts.models import ChangeRecord
    from aigc_contest.web.contests.models import Competition

    office = two.organiser
    office.is_staff = office.is_superuser = True
    office.save()
    form = {
        "slug": "hk-2031", "name_en": "HK 2031", "timezone": "Asia/Hong_Kong", "is_public": "on",
        "registration_opens_at_0": "2031-09-20", "registration_opens_at_1": "09:00",
        "submission_opens_at_0": "2031-10-01", "submission_opens_at_1": "09:00",
        "submission_deadline_0": "2031-10-30", "submission_deadline_1": "23:59",
        "judging_starts_at_0": "2031-10-31", "judging_starts_at_1": "00:00",
        "results_at_0": "2031-11-13", "results_at_1": "10:00",
        "ceremony_at_0": "", "ceremony_at_1": "", **EMPTY_INLINES,
    }  # fmt: skip
    client = _client(office)
    assert client.post("/admin/contests/competition/add/", form).status_code == 302
    created = Competition.objects.get(slug="hk-2031")
    office.forget_competition_roles()
    assert office.has_perm("contests.manage_roles", created)  # the creator owns it
    assert not two.org_a.has_perm("contests.view_competition", created)
    moved = {**form, "submission_deadline_0": "2031-10-29"}
    response = client.post(f"/admin/contests/competition/{created.pk}/change/", moved)
    assert response.status_code == 302
    record = ChangeRecord.objects.get(competition=created, action="timeline changed")
    assert record.via == "admin" and record.actor == office and "submission_deadline" in record.changes


def test_the_audit_page_shows_owners_and_organisers_their_own_competitions(two: Any) -> None:
    from aigc_contest.web.accounts.services import record_change

    record_change(two.org_a, two.b, "timeline changed", {"submission_deadline": ("a", "b")})  # about B
    page = _client(two.org_a).get(reverse("contests-audit-log"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Role granted" in text and two.b.name_en not in text
    filtered = _client(two.owner).get(
        reverse("contests-audit-log"),
        {"competition": two.competition.slug, "action": "role granted", "actor": "owner"},
    )
    assert filtered.status_code == 200 and len(filtered.context["rows"]) == 3  # the owner granted three roles
    assert _client(two.viewer).get(reverse("contests-audit-log")).status_code == 403
    assert _client(two.judge_a).get(reverse("contests-audit-log")).status_code == 403
    assert _client(two.teacher_a).get(reverse("contests-audit-log")).status_code == 403


def test_the_audit_page_is_paginated(two: Any) -> None:
    from aigc_contest.web.accounts.services import record_change
    from aigc_contest.web.contests.roles_views import AUDIT_PAGE_SIZE

    for n in range(AUDIT_PAGE_SIZE + 5):
        record_change(two.org_a, two.competition, "change", {"n": (n, n + 1)})
    client = _client(two.owner)
    first = client.get(reverse("contests-audit-log"))
    assert len(first.context["rows"]) == AUDIT_PAGE_SIZE and first.context["page"].has_next()
    second = client.get(reverse("contests-audit-log"), {"page": 2})
    assert len(second.context["rows"]) == 4 + 5  # four role grants and the five left over


# ---------------------------------------------------------------- the data migration


def test_existing_global_organisers_and_judges_get_the_matching_role_on_every_competition(
    world: Any, make_competition: Any
) -> None:
    import importlib

    from django.apps import apps

    from aigc_contest.web.contests.models import CompetitionRole

    second, _c, _t = make_competition("older")
    CompetitionRole.objects.all().delete()
    migration = importlib.import_module(
        "aigc_contest.web.contests.migrations.0005_roles_for_existing_organisers_and_judges"
    )
    migration.give_roles(apps, None)
    migration.give_roles(apps, None)  # twice: nothing doubles
    held = set(CompetitionRole.objects.values_list("user__username", "competition__slug", "role"))
    assert held == {
        ("organiser", "demo-comp", "owner"),
        ("organiser", "older", "owner"),
        ("judge", "demo-comp", "judge"),
        ("judge", "older", "judge"),
    }


def test_a_declined_school_may_ask_again_and_the_colleague_page_opens(two: Any) -> None:
    from aigc_contest.web.contests import roles_services as services

    join = services.request_to_join(two.teacher_b, two.competition, two.school_b, "First try")
    services.decide_join_request(two.org_a, join, approve=False, reason="Registration is full")
    page = _client(two.teacher_b).get(reverse("school-competitions")).content.decode()
    assert "Registration is full" in page and "Ask to take part" in page
    again = services.request_to_join(two.teacher_b, two.competition, two.school_b, "Second try")
    assert again.pk == join.pk and again.status == "pending" and again.reason == ""
    assert _client(two.teacher_a).get(reverse("school-invite-teacher")).status_code == 200
    assert _client(two.org_a).get(reverse("school-invite-teacher")).status_code == 403
