"""Teams outside schools: an adult captain signs up and forms a team in a category open to everyone, brings
team-mates in by a one-use link, and school-only categories refuse such a team with a clear reason. The new
pages sign in through the throttled authentication."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from aigc_contest.web.accounts.models import ChangeRecord, User
from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.entries import open_teams, services
from aigc_contest.web.entries.models import Team

pytestmark = pytest.mark.django_db
GOOD_PASSWORD = "tall-river-stone-42"


def _account(**extra: Any) -> dict[str, Any]:
    return {"username": "ada.l", "display_name": "Ada", "email": "Ada@Example.org", "password": GOOD_PASSWORD,
            "region": "Portugal", "adult": True} | extra


@pytest.fixture
def open_category(make_competition: Any) -> Any:
    _competition, category, _theme = make_competition("open-comp", levels=("open",), min_team=2, max_team=3)
    return category


@pytest.fixture
def school_category(make_competition: Any) -> Any:
    _competition, category, _theme = make_competition("school-comp", levels=("primary", "secondary"))
    return category


# ---------------------------------------------------------------- services


def test_sign_up_makes_an_adult_outside_schools_and_their_team(fast_hashing: None, open_category: Any) -> None:
    user, team = open_teams.sign_up(category=open_category, team_name="Lisbon Makers", **_account())
    assert user.role == "participant" and user.school is None and user.is_adult
    assert user.email == "ada@example.org" and user.region == "Portugal"
    assert user.check_password(GOOD_PASSWORD)
    assert team.school is None and list(team.members.all()) == [user]  # the captain alone, until others join
    assert ChangeRecord.objects.filter(actor=user, action="signed up").exists()


def test_sign_up_needs_the_adult_declaration_and_keeps_nothing_when_refused(fast_hashing: None,
                                                                            open_category: Any) -> None:
    with pytest.raises(ServiceError) as refused:
        open_teams.sign_up(category=open_category, team_name="Kids", **_account(adult=False))
    assert refused.value.code == "adult" and "18" in refused.value.message
    with pytest.raises(ServiceError) as weak:
        open_teams.sign_up(category=open_category, team_name="Kids", **_account(password="password"))
    assert weak.value.code == "password"
    assert not User.objects.filter(username="ada.l").exists() and not Team.objects.exists()


def test_a_school_only_category_refuses_a_team_without_a_school(fast_hashing: None, school_category: Any,
                                                                make_user: Any) -> None:
    with pytest.raises(ServiceError) as refused:
        open_teams.sign_up(category=school_category, team_name="Lisbon Makers", **_account())
    assert "for school teams only" in refused.value.message
    assert not User.objects.filter(username="ada.l").exists()
    # The team rules say the same, whoever forms the team.
    adult = make_user("maker.bo", "participant", is_adult=True)
    with pytest.raises(ServiceError, match="for school teams only"):
        services.create_team(adult, school_category, name="Bo's team", members=[adult])


def test_a_link_brings_one_member_in_once(fast_hashing: None, open_category: Any, make_user: Any) -> None:
    captain, team = open_teams.sign_up(category=open_category, team_name="Lisbon Makers", **_account())
    invitation, path = open_teams.invite(captain, team)
    token = path.rstrip("/").rsplit("/", 1)[-1]
    assert open_teams.invitation_for(token) == invitation and invitation.token_hash != token
    member = open_teams.accept(invitation, username="bo.k", display_name="Bo", email="bo@example.org",
                               password=GOOD_PASSWORD, adult=True)
    assert set(team.members.all()) == {captain, member} and member.school is None
    assert "used already" in (open_teams.why_closed(open_teams.invitation_for(token)) or "")
    with pytest.raises(ServiceError, match="used already"):
        open_teams.accept(invitation, make_user("other", "participant", is_adult=True))
    # Someone outside the team cannot make links for it; a school student cannot join an open team.
    with pytest.raises(ServiceError):
        open_teams.invite(make_user("stranger", "participant", is_adult=True), team)
    second, _path = open_teams.invite(captain, team)
    school_kid = make_user("kid", "student")
    with pytest.raises(ServiceError) as refused:
        open_teams.accept(second, school_kid)
    assert refused.value.code == "account"


def test_a_full_team_makes_no_more_links_and_a_withdrawn_or_expired_one_is_closed(
        fast_hashing: None, open_category: Any, make_user: Any, now: Any) -> None:
    captain, team = open_teams.sign_up(category=open_category, team_name="Lisbon Makers", **_account())
    withdrawn, _ = open_teams.invite(captain, team)
    open_teams.withdraw(captain, withdrawn)
    assert "withdrew" in (open_teams.why_closed(withdrawn) or "")
    old, _ = open_teams.invite(captain, team, now=now - timedelta(days=30))
    assert "expired" in (open_teams.why_closed(old) or "")
    for n in range(2):
        link, _ = open_teams.invite(captain, team)
        open_teams.accept(link, make_user(f"mate{n}", "participant", is_adult=True))
    with pytest.raises(ServiceError) as full:
        open_teams.invite(captain, team)
    assert full.value.code == "full"


def test_an_open_team_below_the_smallest_size_cannot_submit(fast_hashing: None, open_category: Any,
                                                            media_root: Any, make_png: Any) -> None:
    captain, team = open_teams.sign_up(category=open_category, team_name="Lisbon Makers", **_account())
    theme = open_category.themes.first()
    entry = services.start_entry(captain, team, title="Harbour", work_type="image", theme=theme)
    services.upload_draft_file(captain, entry, filename="pic.png", data=make_png())
    with pytest.raises(ServiceError) as small:
        services.submit(captain, entry.pk)
    assert small.value.code == "team_too_small"
    entry.refresh_from_db()
    assert entry.status == "draft" and entry.draft_file
    # Once a team-mate has joined, the team submits (its members are adults: no guardian's consent asked).
    link, _ = open_teams.invite(captain, team)
    open_teams.accept(link, username="bo.k", display_name="Bo", email="bo@example.org", password=GOOD_PASSWORD,
                      adult=True)
    assert services.submit(captain, entry.pk).version.number == 1


def test_open_categories_lists_only_categories_open_to_everyone(open_category: Any, school_category: Any) -> None:
    assert list(open_teams.open_categories()) == [open_category]


# ---------------------------------------------------------------- pages


def _sign_up_form(category: Any, **extra: Any) -> dict[str, Any]:
    data = _account() | {"password_again": GOOD_PASSWORD, "category": category.pk, "team_name": "Lisbon Makers"}
    data["adult"] = "on"
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def test_the_sign_up_page_forms_the_team_and_signs_the_captain_in(fast_hashing: None, client: Any,
                                                                  open_category: Any, school_category: Any) -> None:
    page = client.get(reverse("open-sign-up"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "open-comp name — Main" in text and "school-comp name" not in text  # only open categories offered
    response = client.post(reverse("open-sign-up"), _sign_up_form(open_category))
    team = Team.objects.get(name="Lisbon Makers")
    assert response.status_code == 302 and response["Location"] == reverse("team-members", args=[team.pk])
    assert int(client.session["_auth_user_id"]) == User.objects.get(username="ada.l").pk
    assert "Lisbon Makers" in client.get(reverse("my-entries")).content.decode()


def test_the_sign_up_page_refuses_clearly_and_keeps_what_was_typed(fast_hashing: None, client: Any,
                                                                   open_category: Any, school_category: Any) -> None:
    no_declaration = client.post(reverse("open-sign-up"), _sign_up_form(open_category, adult=None))
    assert no_declaration.status_code == 400
    assert "18 or over" in no_declaration.content.decode() and 'value="Ada"' in no_declaration.content.decode()
    school_only = client.post(reverse("open-sign-up"), _sign_up_form(school_category))
    assert school_only.status_code == 400 and "for school teams only" in school_only.content.decode()
    assert not User.objects.filter(username="ada.l").exists()
    assert "_auth_user_id" not in client.session


def test_a_school_account_is_told_the_page_is_not_for_it(world: Any, client: Any) -> None:
    client.force_login(world.student_a)
    assert "Your school's teams are formed by your teacher" in client.get(reverse("open-sign-up")).content.decode()


def test_a_team_mate_joins_by_the_link_page(fast_hashing: None, client: Any, open_category: Any) -> None:
    client.post(reverse("open-sign-up"), _sign_up_form(open_category))
    team = Team.objects.get(name="Lisbon Makers")
    client.post(reverse("team-link-new", args=[team.pk]))
    page = client.get(reverse("team-members", args=[team.pk])).content.decode()
    link = page.split('data-testid="team-link" size="60"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert "/teams/join/" in link
    # Shown once: the next visit no longer holds it.
    assert 'data-testid="team-link"' not in client.get(reverse("team-members", args=[team.pk])).content.decode()
    mate = Client()
    path = link[link.index("/teams/join/"):]
    assert "Lisbon Makers" in mate.get(path).content.decode()
    joined = mate.post(path, _account(username="bo.k", display_name="Bo", email="bo@example.org") | {
        "password_again": GOOD_PASSWORD, "adult": "on"})
    assert joined.status_code == 302
    assert team.members.filter(username="bo.k").exists()
    assert mate.get(path).status_code == 410  # used


def test_the_join_page_signs_in_through_the_throttle(fast_hashing: None, open_category: Any, settings: Any) -> None:
    """A locked address cannot sign a new account in from these pages either: the sign-in goes through the
    authentication backends, where the throttling sits."""
    from axes.models import AccessAttempt

    captain, team = open_teams.sign_up(category=open_category, team_name="Lisbon Makers", **_account())
    _invitation, path = open_teams.invite(captain, team)
    guesser = Client(REMOTE_ADDR="10.9.0.1")
    for n in range(50):
        guesser.post(reverse("login"), {"username": f"nobody{n}", "password": "guess"}, REMOTE_ADDR="10.9.0.1")
    assert AccessAttempt.objects.exists()
    response = guesser.post(path, _account(username="bo.k", display_name="Bo", email="bo@example.org") | {
        "password_again": GOOD_PASSWORD, "adult": "on"}, REMOTE_ADDR="10.9.0.1")
    assert response.status_code == 429
    assert "_auth_user_id" not in guesser.session
    assert not team.members.filter(username="bo.k").exists()  # and nobody joined


def test_category_set_up_explains_the_open_level(world: Any, client: Any) -> None:
    client.force_login(world.organiser)
    page = client.get(reverse("competition-categories", args=[world.competition.slug]))
    assert "teams without a school too" in page.content.decode()


def test_the_sign_up_page_signs_in_through_the_throttle(fast_hashing: None, open_category: Any) -> None:
    guesser = Client()
    for n in range(50):
        guesser.post(reverse("login"), {"username": f"nobody{n}", "password": "guess"}, REMOTE_ADDR="10.9.0.2")
    response = guesser.post(reverse("open-sign-up"), _sign_up_form(open_category), REMOTE_ADDR="10.9.0.2")
    assert response.status_code == 429 and "Too many wrong passwords" in response.content.decode()
    assert "_auth_user_id" not in guesser.session
    assert not User.objects.filter(username="ada.l").exists()  # a paused address makes nothing
    # Another address signs up as usual.
    assert Client().post(reverse("open-sign-up"), _sign_up_form(open_category), REMOTE_ADDR="10.9.0.3").status_code == 302


def test_the_competition_page_says_who_may_enter_and_where_to_sign_up(client: Any, open_category: Any,
                                                                      school_category: Any) -> None:
    open_page = client.get(reverse("competition-detail", args=[open_category.competition.slug])).content.decode()
    assert "teams without a school" in open_page and reverse("open-sign-up") in open_page
    school_page = client.get(reverse("competition-detail", args=[school_category.competition.slug])).content.decode()
    assert "School teams only." in school_page and reverse("open-sign-up") not in school_page


def test_only_the_teams_adults_make_or_withdraw_its_links(fast_hashing: None, client: Any, open_category: Any,
                                                          make_user: Any) -> None:
    captain, team = open_teams.sign_up(category=open_category, team_name="Lisbon Makers", **_account())
    invitation, _path = open_teams.invite(captain, team)
    client.force_login(make_user("stranger", "participant", is_adult=True))
    assert client.post(reverse("team-link-new", args=[team.pk])).status_code == 403
    assert client.post(reverse("team-link-withdraw", args=[invitation.pk])).status_code == 403
    assert client.get(reverse("team-members", args=[team.pk])).status_code == 403
    invitation.refresh_from_db()
    assert invitation.withdrawn_at is None and team.invitations.count() == 1
    client.force_login(captain)
    client.post(reverse("team-link-withdraw", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.withdrawn_at is not None
