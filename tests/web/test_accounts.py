"""Registering students from CSV: every row checked, nothing imported when any row is bad."""

from __future__ import annotations

import pytest

from aigc_contest.web.accounts.models import User
from aigc_contest.web.accounts.services import create_student, import_students_csv, record_consent
from aigc_contest.web.core.errors import PermissionDenied, ServiceError

pytestmark = pytest.mark.django_db

GOOD = "username,display_name,grade\nchan.tai.man,Tai Man,P5\nlee.siu,小明,P4\n"


def test_good_csv_creates_students_with_initial_passwords(world):
    result = import_students_csv(world.teacher_a, world.school_a, "\ufeff" + GOOD)
    assert result.ok
    assert [u.username for u, _ in result.created] == ["chan.tai.man", "lee.siu"]
    student, password = result.created[1]
    assert student.school == world.school_a and student.role == "student" and student.display_name == "小明"
    assert student.check_password(password)
    assert not student.has_consent  # consent is recorded separately, by the teacher


def test_every_bad_row_is_reported_and_nothing_is_imported(world):
    csv_text = (
        "username,display_name,grade,is_adult\n"
        "ok.one,One,P1,no\n"            # line 2: fine
        "X,Two,P1,no\n"                 # line 3: bad username
        "ok.three,,P1,no\n"             # line 4: empty display name
        "ok.four,Four,Z9,no\n"          # line 5: bad grade
        "ok.one,Again,P1,no\n"          # line 6: repeats line 2
        "student.a,Taken,P1,no\n"       # line 7: already taken
        "ok.seven,Seven,P1,maybe\n"     # line 8: bad flag
        "ok.eight,Eight,P1,no,extra\n"  # line 9: too many values
    )
    result = import_students_csv(world.teacher_a, world.school_a, csv_text)
    assert not result.ok
    assert [e.line for e in result.errors] == [3, 4, 5, 6, 7, 8, 9]
    reasons = {e.line: e.reason for e in result.errors}
    assert "repeats line 2" in reasons[6]
    assert "already taken" in reasons[7]
    assert not User.objects.filter(username="ok.one").exists()


def test_header_problems(world):
    result = import_students_csv(world.teacher_a, world.school_a, "name,grade\nx,P1\n")
    assert [e.line for e in result.errors] == [1]
    assert "missing columns" in result.errors[0].reason and "unknown columns" in result.errors[0].reason
    assert import_students_csv(world.teacher_a, world.school_a, "username,display_name,grade\n").errors


def test_only_the_schools_own_teacher_or_an_organiser_may_import(world):
    for outsider in (world.teacher_b, world.student_a, world.judge):
        with pytest.raises(PermissionDenied):
            import_students_csv(outsider, world.school_a, GOOD)
    assert import_students_csv(world.organiser, world.school_a, GOOD).ok


def test_create_student_follows_the_same_rules(world):
    with pytest.raises(ServiceError, match="already taken"):
        create_student(world.teacher_a, world.school_a, username="student.a", display_name="Dup", grade="P1")
    student, _ = create_student(world.teacher_a, world.school_a, username="new.kid", display_name="Kid", grade="P2")
    assert student.grade == "P2"


def test_consent_is_recorded_only_by_the_students_teacher(world, make_user):
    minor = make_user("minor.x", "student", world.school_a, consent=False)
    with pytest.raises(PermissionDenied):
        record_consent(world.teacher_b, minor, "paper")
    with pytest.raises(PermissionDenied):
        record_consent(minor, minor, "paper")
    record_consent(world.teacher_a, minor, "paper")
    assert minor.has_consent
    adult = make_user("adult.x", "student", world.school_a, consent=False, is_adult=True)
    assert adult.has_consent


def test_the_teachers_email_lists_usernames_but_never_passwords(world, client, mailoutbox):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    world.teacher_a.email = "teacher.a@school.example"
    world.teacher_a.save()
    client.force_login(world.teacher_a)
    upload = SimpleUploadedFile("students.csv", GOOD.encode(), content_type="text/csv")
    assert client.post("/school/import/", {"file": upload}).status_code == 302
    page = client.get("/school/").content.decode()  # shown once on the page…
    passwords = [chunk.split("</code>")[0] for chunk in page.split("<code>")[1:]]
    assert len(passwords) == 2
    assert "<code>" not in client.get("/school/").content.decode()  # …and only once
    (mail,) = mailoutbox
    assert "chan.tai.man" in mail.body and "lee.siu" in mail.body
    assert not any(password in mail.body for password in passwords)
