"""Every role on every page and API route of the platform core."""

from __future__ import annotations

import base64

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
ROLES = ["anonymous", "student_a", "student_a2", "student_b", "teacher_a", "teacher_b", "organiser", "judge"]


def _client(client, world, role):  # type: ignore[no-untyped-def]
    if role != "anonymous":
        client.force_login(getattr(world, role))
    return client


def _expect(role: str, allowed: set[str]) -> int | str:
    if role in allowed:
        return 200
    return "login" if role == "anonymous" else 403


PAGES = {
    # name: (url builder, roles allowed)
    "entry-detail": (lambda w: reverse("entry-detail", args=[w.entry.pk]), {"student_a", "teacher_a", "organiser"}),
    "entry-draft-file": (lambda w: reverse("entry-draft-file", args=[w.entry.pk]), {"student_a", "teacher_a", "organiser"}),
    # Teachers see their students' entries; only the team starts, changes and submits one (unless the
    # competition lets teachers help: tests/web/test_roles_and_logins.py).
    "entry-start": (lambda w: reverse("entry-start", args=[w.team.pk]), {"student_a"}),
    "school-home": (lambda w: reverse("school-home"), {"teacher_a", "teacher_b"}),
    "organiser-home": (lambda w: reverse("organiser-home"), {"organiser"}),
    "export-participants": (lambda w: reverse("export-participants", args=[w.competition.slug]), {"organiser"}),
    "export-entries": (lambda w: reverse("export-entries", args=[w.competition.slug]), {"organiser"}),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_permissions(client, world, role, page):
    url_for, allowed = PAGES[page]
    response = _client(client, world, role).get(url_for(world))
    expected = _expect(role, allowed)
    if expected == "login":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == expected, (page, role, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_public_pages_for_everyone(client, world, role):
    c = _client(client, world, role)
    assert c.get("/").status_code == 200
    assert c.get(reverse("competition-detail", args=[world.competition.slug])).status_code == 200
    assert c.get("/api/v1/competitions").status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_submit_and_withdraw_pages(client, world, role):
    c = _client(client, world, role)
    response = c.post(reverse("entry-submit", args=[world.entry.pk]))
    allowed = {"student_a"}
    if role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif role in allowed:
        assert response.status_code == 302
        assert world.entry.versions.count() == 1
    else:
        assert response.status_code == 403
        assert world.entry.versions.count() == 0


@pytest.mark.parametrize("role", ["student_b", "teacher_b", "judge", "student_a2"])
def test_outsiders_cannot_post_to_an_entry(client, world, role):
    c = _client(client, world, role)
    response = c.post(reverse("entry-detail", args=[world.entry.pk]), {"action": "save", "title": "hacked"})
    assert response.status_code == 403
    world.entry.refresh_from_db()
    assert world.entry.title == "My picture"


@pytest.mark.parametrize("role", ["student_a", "teacher_b", "judge", "anonymous"])
def test_roster_actions_only_for_the_schools_teacher(client, world, role, make_user):
    minor = make_user("minor.y", "student", world.school_a, consent=False)
    c = _client(client, world, role)
    response = c.post(reverse("school-consent", args=[minor.pk]), {"method": "paper"})
    assert response.status_code in (302, 403)
    assert not minor.has_consent
    response = c.post(reverse("school-add-student"), {"username": "sneaky", "display_name": "S"})
    assert response.status_code in (302, 403)
    from aigc_contest.web.accounts.models import User

    # Another school's teacher adds to their own school only; nobody else can add anyone.
    if role == "teacher_b":
        assert User.objects.get(username="sneaky").school == world.school_b
    else:
        assert not User.objects.filter(username="sneaky").exists()


def _api(client, world, role):  # type: ignore[no-untyped-def]
    headers = {}
    if role != "anonymous":
        token = base64.b64encode(f"{getattr(world, role).username}:pw-12345678".encode()).decode()
        headers["HTTP_AUTHORIZATION"] = f"Basic {token}"
    return headers


@pytest.mark.parametrize("role", ROLES)
def test_api_entry_routes(client, world, role):
    headers = _api(client, world, role)
    detail = client.get(f"/api/v1/entries/{world.entry.pk}", **headers)
    listing = client.get("/api/v1/entries", **headers)
    submit = client.post(f"/api/v1/entries/{world.entry.pk}/submit", content_type="application/json", **headers)
    team = client.get(f"/api/v1/teams/{world.team.pk}", **headers)
    if role == "anonymous":
        assert {detail.status_code, listing.status_code, submit.status_code, team.status_code} == {401}
        return
    viewers = {"student_a", "teacher_a", "organiser"}
    submitters = {"student_a"}
    assert detail.status_code == (200 if role in viewers else 404)
    assert team.status_code == (200 if role in viewers else 404)
    ids = [e["id"] for e in listing.json()]
    assert (world.entry.pk in ids) == (role in viewers)
    if role in submitters:
        assert submit.status_code == 201
        assert len(submit.json()["content_hash"]) == 64
    else:
        assert submit.status_code in (403, 404)
        assert world.entry.versions.count() == 0


def test_api_submit_is_idempotent_with_expected_hash(client, world):
    headers = _api(client, world, "student_a")
    first = client.post(f"/api/v1/entries/{world.entry.pk}/submit", content_type="application/json", **headers).json()
    again = client.post(f"/api/v1/entries/{world.entry.pk}/submit", {"expected_content_hash": first["content_hash"]},
                        content_type="application/json", **headers)
    assert again.status_code == 200 and again.json()["number"] == 1
    assert world.entry.versions.count() == 1


def test_api_late_submission_is_refused_with_a_clear_message(client, world, now):
    from datetime import timedelta

    world.competition.submission_deadline = now - timedelta(seconds=1)
    world.competition.submission_opens_at = now - timedelta(days=2)
    world.competition.registration_opens_at = now - timedelta(days=3)
    world.competition.save()
    response = client.post(f"/api/v1/entries/{world.entry.pk}/submit", content_type="application/json",
                           **_api(client, world, "student_a"))
    assert response.status_code == 409
    assert "deadline" in response.json()["detail"]


def test_session_api_requires_csrf(world):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(world.student_a)
    response = c.post(f"/api/v1/entries/{world.entry.pk}/submit", content_type="application/json")
    assert response.status_code == 403
    assert world.entry.versions.count() == 0


def test_openapi_schema_lists_the_routes(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/competitions", "/api/v1/entries", "/api/v1/entries/{entry_id}/submit"} <= set(schema["paths"])


def test_organiser_csv_exports(client, world):
    client.force_login(world.organiser)
    body = client.get(reverse("export-participants", args=[world.competition.slug])).content.decode("utf-8-sig")
    assert body.splitlines()[0].startswith("team,category,school")
    assert "student.a" in body and "yes" in body
    body = client.get(reverse("export-entries", args=[world.competition.slug])).content.decode("utf-8-sig")
    assert "My picture" in body


# ---------------------------------------------------------------- error pages and refused changes


def test_a_refused_page_is_a_friendly_page_in_the_site_layout(client, world):  # type: ignore[no-untyped-def]
    client.force_login(world.student_b)
    response = client.get(reverse("entry-detail", args=[world.entry.pk]))
    assert response.status_code == 403
    page = response.content.decode()
    assert "You can't open this page. It may belong to another team." in page.replace("&#x27;", "'")
    assert 'class="site-header"' in page and f'href="{reverse("home")}"' in page
    assert "403 Forbidden" not in page


def test_a_missing_page_and_a_server_error_have_the_site_layout(client, world):  # type: ignore[no-untyped-def]
    from django.template.loader import render_to_string

    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert 'class="site-header"' in response.content.decode()
    # Django renders 500.html with no request at all: it must still draw.
    page = render_to_string("500.html")
    assert "Something went wrong" in page and 'class="site-header"' in page


@pytest.mark.parametrize("role", ["organiser", "teacher_a"])
@pytest.mark.parametrize("action", ["save", "upload"])
def test_a_change_by_someone_who_may_only_look_is_refused(client, world, role, action):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    from aigc_contest.web.accounts.models import ChangeRecord

    _client(client, world, role)
    records = ChangeRecord.objects.count()
    data = {"action": action, "title": "Not theirs", "description": "", "theme": world.theme.pk}
    if action == "upload":
        data["file"] = SimpleUploadedFile(
            "other.png", world.entry.draft_file.read(), content_type="image/png"
        )
    response = client.post(reverse("entry-detail", args=[world.entry.pk]), data)
    assert response.status_code == 403
    assert "You can't open this page." in response.content.decode().replace("&#x27;", "'")
    world.entry.refresh_from_db()
    assert world.entry.title == "My picture" and world.entry.draft_file_name == "pic.png"
    assert ChangeRecord.objects.count() == records
