"""Roles and logins: no superuser back door, teachers read-only on students' work unless the competition lets
them help (and then every change names them), password guessing throttled (form and HTTP Basic), Basic auth
for API writes, students' own password change, and printable login slips."""

from __future__ import annotations

import base64
import subprocess
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db
PASSWORD = "pw-12345678"  # make_user's


def _superuser(user: Any) -> Any:
    user.is_staff = user.is_superuser = True  # like the demo organiser
    user.save()
    return user


def _basic(username: str, password: str = PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


# ---------------------------------------------------------------- 7. no superuser back door


def test_a_superuser_cannot_save_or_submit_a_childs_draft(world: Any, client: Any) -> None:
    organiser = _superuser(world.organiser)
    client.force_login(organiser)
    url = reverse("entry-detail", args=[world.entry.pk])
    page = client.get(url).content.decode()
    assert "Save draft" not in page and "Submit final version" not in page
    assert client.post(url, {"action": "save", "title": "Changed by the office"}).status_code in (200, 403)
    world.entry.refresh_from_db()
    assert world.entry.title == "My picture"
    assert client.post(reverse("entry-submit", args=[world.entry.pk])).status_code == 403
    assert world.entry.versions.count() == 0
    # ... and through the API, with Basic credentials
    api = client.post(f"/api/v1/entries/{world.entry.pk}/submit", content_type="application/json",
                      **_basic(organiser.username))
    assert api.status_code in (403, 404)
    assert world.entry.versions.count() == 0


def test_a_superuser_cannot_start_jobs_the_rules_refuse(world: Any) -> None:
    organiser = _superuser(world.organiser)
    assert not organiser.has_perm("imagestudio.create_images", world.entry)  # not in the team
    world.entry.work_type = "storybook"
    assert not world.student_a.has_perm("imagestudio.create_images", world.entry)  # not an image entry
    assert not organiser.has_perm("imagestudio.create_images", world.entry)
    assert not organiser.has_perm("storybooks.edit_storybook", world.entry)


def test_superuser_powers_are_the_organiser_rules_and_the_back_office(world: Any, client: Any) -> None:
    organiser = _superuser(world.organiser)
    assert organiser.has_perm("contests.manage_competition")
    assert organiser.has_perm("entries.view_entry", world.entry)
    assert organiser.has_perm("entries.change_entry")  # Django's model permission: the admin works
    client.force_login(organiser)
    assert client.get("/admin/entries/entry/").status_code == 200
    # A superuser without the organiser role gets the back office only.
    world.judge.is_staff = world.judge.is_superuser = True
    world.judge.save()
    assert not world.judge.has_perm("contests.manage_competition")
    assert not world.judge.has_perm("entries.view_entry", world.entry)


def test_back_office_changes_to_participants_data_are_recorded_with_who(world: Any, client: Any) -> None:
    from aigc_contest.web.accounts.models import ChangeRecord, GuardianConsent

    organiser = _superuser(world.organiser)
    consent = GuardianConsent.objects.get(student=world.student_a)
    client.force_login(organiser)
    response = client.post(f"/admin/accounts/guardianconsent/{consent.pk}/change/", {
        "student": world.student_a.pk, "method": "email", "recorded_by": consent.recorded_by_id,
        "revoked_at_0": "", "revoked_at_1": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    record = ChangeRecord.objects.get(object_id=str(consent.pk), content_type__model="guardianconsent")
    assert record.actor == organiser and record.via == "admin" and record.action == "change"
    assert record.changes == {"method": ["paper", "email"]}

    response = client.post(f"/admin/accounts/user/{world.student_a.pk}/password/", {
        "password1": "a-new-secret-9", "password2": "a-new-secret-9", "usable_password": "true",
    })
    assert response.status_code == 302
    record = ChangeRecord.objects.filter(object_id=str(world.student_a.pk), action="set password").get()
    assert record.actor == organiser and "a-new-secret-9" not in str(record.changes)
    assert client.get("/admin/accounts/changerecord/").status_code == 200


# ---------------------------------------------------------------- 8. teachers see, children write


def test_a_teacher_sees_a_students_entry_read_only(world: Any, client: Any) -> None:
    client.force_login(world.teacher_a)
    url = reverse("entry-detail", args=[world.entry.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="teacher-read-only"' in page
    for button in ("Save draft", "Submit final version", "Withdraw entry", "Upload"):
        assert f">{button}<" not in page
    client.post(url, {"action": "save", "title": "Teacher's title"})
    world.entry.refresh_from_db()
    assert world.entry.title == "My picture"
    assert client.post(reverse("entry-submit", args=[world.entry.pk])).status_code == 403
    assert client.post(reverse("entry-withdraw", args=[world.entry.pk])).status_code == 403
    assert world.entry.versions.count() == 0


def test_where_teachers_may_help_the_page_says_so_and_changes_name_the_teacher(world: Any, client: Any) -> None:
    from aigc_contest.web.accounts.models import ChangeRecord

    world.competition.teachers_may_help = True
    world.competition.save()
    client.force_login(world.teacher_a)
    url = reverse("entry-detail", args=[world.entry.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="teacher-helping"' in page and "Save draft" in page
    response = client.post(url, {"action": "save", "title": "Our picture", "description": "", "theme": world.theme.pk})
    assert response.status_code == 302
    world.entry.refresh_from_db()
    assert world.entry.title == "Our picture"
    assert client.post(reverse("entry-submit", args=[world.entry.pk])).status_code == 302
    assert world.entry.versions.get().submitted_by == world.teacher_a
    records = list(ChangeRecord.objects.filter(actor=world.teacher_a).order_by("at", "pk"))
    assert [r.action for r in records] == ["save draft", "submit"]
    assert records[0].changes["title"] == ["My picture", "Our picture"]
    # The child sees who changed their work; the child's own changes are not listed as someone else's.
    child = Client()
    child.force_login(world.student_a)
    page = child.get(url).content.decode()
    assert 'data-testid="helper-changes"' in page and "Teacher.A changed the details" in page
    assert 'data-testid="teacher-helping"' not in page
    child.post(url, {"action": "save", "title": "Mine again", "description": "", "theme": world.theme.pk})
    assert ChangeRecord.objects.count() == 2


# ---------------------------------------------------------------- 9. throttle guessing


def _login(client: Any, username: str, password: str, ip: str = "10.0.0.1") -> Any:
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_forty_wrong_passwords_then_the_right_one_does_not_sign_in(world: Any, client: Any) -> None:
    for n in range(40):
        _login(client, world.student_a.username, f"guess-{n}")
    response = _login(client, world.student_a.username, PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 60  # seconds until the lock lifts at the latest
    assert "_auth_user_id" not in client.session
    assert "Too many wrong passwords" in response.content.decode()
    assert 'data-testid="locked-out"' in response.content.decode()


def test_forty_wrong_basic_passwords_then_the_right_one_is_refused(world: Any, client: Any) -> None:
    url = f"/api/v1/entries/{world.entry.pk}"
    for n in range(40):
        assert client.get(url, REMOTE_ADDR="10.0.0.2", **_basic(world.student_a.username, f"guess-{n}")).status_code in (401, 429)
    response = client.get(url, REMOTE_ADDR="10.0.0.2", **_basic(world.student_a.username))
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 60
    assert "Too many wrong passwords" in response.json()["detail"]


def test_the_lock_tiers(world: Any, client: Any, make_user: Any) -> None:
    name = world.student_a.username
    for n in range(5):
        _login(client, name, f"guess-{n}", ip="10.1.0.1")
    assert _login(client, name, PASSWORD, ip="10.1.0.1").status_code == 429
    # The same child at another machine is not locked by one machine's guesses...
    assert _login(Client(), name, PASSWORD, ip="10.1.0.2").status_code == 302
    # ...but guessing one account from many addresses locks the account everywhere.
    for n in range(20):
        _login(Client(), world.student_a2.username, f"guess-{n}", ip=f"10.2.0.{n + 1}")
    assert _login(Client(), world.student_a2.username, PASSWORD, ip="10.2.1.1").status_code == 429
    # ...and one address trying many accounts is locked for every account.
    for n in range(50):
        _login(Client(), f"nobody{n}", "guess", ip="10.3.0.1")
    assert _login(Client(), world.student_b.username, PASSWORD, ip="10.3.0.1").status_code == 429
    assert _login(Client(), world.student_b.username, PASSWORD, ip="10.3.0.2").status_code == 302


def test_teachers_unlock_their_students_and_organisers_anyone(world: Any, client: Any) -> None:
    from aigc_contest.web.accounts.models import ChangeRecord

    for user in (world.student_a, world.student_b):
        for n in range(6):
            _login(client, user.username, f"guess-{n}")
    teacher = Client()
    teacher.force_login(world.teacher_a)
    page = teacher.get(reverse("school-home")).content.decode()
    assert "Locked after wrong passwords" in page
    # Another school's student: not this teacher's to unlock.
    assert teacher.post(reverse("unlock-login"), {"username": world.student_b.username}).status_code == 403
    response = teacher.post(reverse("unlock-login"), {"username": world.student_a.username, "next": "/school/"})
    assert response.status_code == 302 and response["Location"] == "/school/"
    assert _login(Client(), world.student_a.username, PASSWORD).status_code == 302
    assert ChangeRecord.objects.filter(actor=world.teacher_a, action="unlock sign-in").exists()
    assert _login(Client(), world.student_b.username, PASSWORD).status_code == 429
    organiser = Client()
    organiser.force_login(world.organiser)
    assert "Unlock a sign-in" in organiser.get(reverse("organiser-home")).content.decode()
    organiser.post(reverse("unlock-login"), {"username": world.student_b.username})
    assert _login(Client(), world.student_b.username, PASSWORD).status_code == 302
    student = Client()
    student.force_login(world.student_a2)
    assert student.post(reverse("unlock-login"), {"username": world.student_b.username}).status_code == 403


# ---------------------------------------------------------------- 10. Basic auth writes, passwords, slips


def test_basic_auth_works_for_writes_with_csrf_checks_on(world: Any) -> None:
    script = Client(enforce_csrf_checks=True)
    response = script.post(f"/api/v1/entries/{world.entry.pk}/submit", content_type="application/json",
                           **_basic(world.student_a.username))
    assert response.status_code == 201, response.content
    assert world.entry.versions.count() == 1
    # A signed-in browser session still needs its CSRF token.
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.student_a)
    assert browser.post(f"/api/v1/entries/{world.entry.pk}/submit", content_type="application/json").status_code == 403


def test_a_student_changes_their_password(world: Any, client: Any) -> None:
    client.force_login(world.student_a)
    page = client.get(reverse("my-entries")).content.decode()
    assert reverse("password-change") in page
    response = client.post(reverse("password-change"), {
        "old_password": PASSWORD, "new_password1": "kite-harbour-77", "new_password2": "kite-harbour-77",
    }, follow=True)
    assert "Your password is changed" in response.content.decode()
    world.student_a.refresh_from_db()
    assert world.student_a.check_password("kite-harbour-77")


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def test_login_slips_for_newly_registered_students(world: Any, client: Any) -> None:
    client.force_login(world.teacher_a)
    csv_file = ("class.csv", b"username,display_name,grade\nnew.kid,Kid,P4\n", "text/csv")
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(reverse("school-import"), {"file": SimpleUploadedFile(*csv_file)})
    page = client.get(reverse("school-home")).content.decode()
    assert 'data-testid="print-new-slips"' in page
    password = page.split('name="password" value="', 1)[1].split('"', 1)[0]
    response = client.post(reverse("school-login-slips"), {
        "username": ["new.kid", world.student_b.username], "password": [password, "not-theirs"],
    })
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert "new.kid" in text and password in text and "/accounts/login/" in text
    assert world.student_b.username not in text  # another school's student is never printed


def test_reset_and_print_sets_new_passwords_and_records_who(world: Any, client: Any) -> None:
    from aigc_contest.web.accounts.models import ChangeRecord

    client.force_login(world.teacher_a)
    response = client.post(reverse("school-login-slips"), {
        "mode": "reset", "student": [world.student_a.pk, world.student_b.pk],
    })
    text = _pdf_text(response.content)
    assert world.student_a.username in text and world.student_b.username not in text
    world.student_a.refresh_from_db()
    world.student_b.refresh_from_db()
    assert not world.student_a.check_password(PASSWORD) and world.student_b.check_password(PASSWORD)
    assert ChangeRecord.objects.filter(actor=world.teacher_a, action="set password",
                                       object_id=str(world.student_a.pk)).exists()


def test_the_back_office_cannot_change_an_entrys_status_or_draft_file_details(world: Any, client: Any) -> None:
    from aigc_contest.web.entries.models import Entry

    entry = world.entry
    Entry.objects.filter(pk=entry.pk).update(draft_file_name="kite.png", draft_file_sha256="a" * 64,
                                             draft_mime="image/png")  # fmt: skip
    client.force_login(_superuser(world.organiser))
    url = f"/admin/entries/entry/{entry.pk}/change/"
    page = client.get(url).content.decode()
    for name in ("status", "draft_file_name", "draft_file_sha256", "draft_mime"):
        assert f'name="{name}"' not in page
    response = client.post(url, {
        "team": entry.team_id, "category": entry.category_id, "theme": entry.theme_id or "",
        "work_type": entry.work_type, "title": "Renamed by the office", "description": "",
        "status": "submitted", "draft_file_name": "evil.html", "draft_file_sha256": "b" * 64,
        "draft_mime": "text/html", "draft_meta": "{}", "withdrawn_at_0": "", "withdrawn_at_1": "",
        "reminder_sent_at_0": "", "reminder_sent_at_1": "",
        "versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0",
        "versions-MIN_NUM_FORMS": "0", "versions-MAX_NUM_FORMS": "1000",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    entry.refresh_from_db()
    assert entry.title == "Renamed by the office"  # the form did save
    assert (entry.status, entry.draft_file_name, entry.draft_file_sha256, entry.draft_mime) == (
        "draft", "kite.png", "a" * 64, "image/png")  # fmt: skip
