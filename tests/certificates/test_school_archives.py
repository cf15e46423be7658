"""Certificates at scale: a ZIP per school built by the worker and e-mailed to its teachers, a searchable,
paginated list, and the revocation reason where people look."""

from __future__ import annotations

import io
import zipfile

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(settings):  # type: ignore[no-untyped-def]
    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False, "batch_window_seconds": 0.0}


def _run_worker() -> int:
    from aigc_contest.web.jobs import runner

    return runner.run_available("default")


def _issued(announced):  # type: ignore[no-untyped-def]
    from aigc_contest.web.certificates.services import issue_all

    issue_all(announced.competition)
    return announced


def _zip(response) -> zipfile.ZipFile:  # type: ignore[no-untyped-def]
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_each_school_gets_its_own_zip_by_the_worker_and_its_teachers_an_email(
    announced, client, mailoutbox
) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.certificates.models import Certificate, SchoolArchive
    from aigc_contest.web.certificates.services import revoke

    a = _issued(announced)
    a.teacher_a.email = "teacher.a@school-a.example"
    a.teacher_a.save(update_fields=["email"])
    revoked = Certificate.objects.get(user=a.student_a2, kind="participation")
    revoke(a.organiser, revoked, "left the team before the final")

    client.force_login(a.organiser)
    response = client.post(f"/certificates/schools/{a.competition.pk}/build", follow=True)
    assert "Building the certificates of 2 schools" in response.content.decode()
    assert SchoolArchive.objects.count() == 0  # nothing built in the request
    assert _run_worker() >= 2
    _run_worker()  # the e-mail jobs

    record = SchoolArchive.objects.get(school=a.school_a)
    live_a = Certificate.objects.filter(team__school=a.school_a, revoked_at__isnull=True)
    assert record.certificates == live_a.count() == 3 and record.emailed == 1  # 2 participation + 2 award - 1
    response = client.get(f"/certificates/schools/{a.competition.pk}/{a.school_a.pk}.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = _zip(response)
    names = archive.namelist()
    assert len(names) == 3 and all(n.startswith("Team A/") and n.endswith(".pdf") for n in names)
    assert not any(str(revoked.uuid)[:8] in n for n in names)  # revoked certificates are left out
    assert all(archive.read(n).startswith(b"%PDF") for n in names)

    (message,) = [m for m in mailoutbox if "teacher.a@school-a.example" in m.to]
    assert f"/certificates/schools/{a.competition.pk}/{a.school_a.pk}.zip" in message.body
    assert "3 in one ZIP file" in message.body

    # teachers download their own school's ZIP only; students never
    client.force_login(a.teacher_a)
    assert client.get(f"/certificates/schools/{a.competition.pk}/{a.school_a.pk}.zip").status_code == 200
    assert client.get(f"/certificates/schools/{a.competition.pk}/{a.school_b.pk}.zip").status_code == 404
    page = client.get("/certificates/").content.decode()
    assert 'data-testid="school-archives"' in page and "Build each school" not in page
    client.force_login(a.student_a)
    assert client.get(f"/certificates/schools/{a.competition.pk}/{a.school_a.pk}.zip").status_code == 404
    assert client.post(f"/certificates/schools/{a.competition.pk}/build").status_code in (302, 403, 404)
    assert SchoolArchive.objects.count() == 2


def test_a_retried_build_does_not_write_twice(announced) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.certificates import archives
    from aigc_contest.web.certificates.models import SchoolArchive

    a = _issued(announced)
    first = archives.build(a.competition, a.school_a, job_id=987)
    again = archives.build(a.competition, a.school_a, job_id=987)
    assert first == again and SchoolArchive.objects.filter(job_id=987).count() == 1


def test_building_waits_for_certificates(announced, client) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.certificates import archives
    from aigc_contest.web.core.errors import ServiceError

    with pytest.raises(ServiceError, match="issue them first"):
        archives.start_school_archives(announced.organiser, announced.competition)


def test_the_list_is_searchable_and_paginated(announced, client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.certificates import views
    from aigc_contest.web.certificates.models import Certificate
    from aigc_contest.web.certificates.services import revoke

    a = _issued(announced)
    total = Certificate.objects.count()
    client.force_login(a.organiser)
    page = client.get("/certificates/?q=Team+B").content.decode()
    assert "Student.B" in page and "Student.A2" not in page
    page = client.get("/certificates/?q=student.a2").content.decode()
    assert "Student.A2" in page and "Student.B<" not in page
    certificate = Certificate.objects.get(user=a.student_b)
    page = client.get(f"/certificates/?q={str(certificate.uuid)[:8]}").content.decode()
    assert "Student.B" in page and "1 certificate" in page
    assert "No certificate matches." in client.get("/certificates/?q=nobody-at-all").content.decode()

    revoke(a.organiser, certificate, "duplicate entry")
    page = client.get("/certificates/?status=revoked").content.decode()
    assert "1 certificate" in page and "duplicate entry" in page
    assert f"{total - 1} certificates" in client.get("/certificates/?status=valid").content.decode()

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    first = client.get("/certificates/?kind=&status=").content.decode()
    assert f"Page 1 of {-(-total // 2)}" in first and 'rel="next"' in first and "page=2" in first
    assert first.count("<tr>") - 1 == 2  # header row + two
    last = client.get(f"/certificates/?page={-(-total // 2)}").content.decode()
    assert 'rel="prev"' in last and 'rel="next"' not in last
