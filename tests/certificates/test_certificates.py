"""Issue, verify, revoke; bilingual PDF text; the QR's address; who may download; the verify page."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import timedelta

import pytest

pytestmark = pytest.mark.django_db


def _issue_all(j):  # type: ignore[no-untyped-def]
    from aigc_contest.web.certificates.services import issue_all

    return issue_all(j.competition)


def _pdf_text(certificate) -> str:  # type: ignore[no-untyped-def]
    with certificate.pdf.open("rb") as handle:
        data = handle.read()
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def test_issue_all_waits_for_the_announcement(announced) -> None:  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from aigc_contest.web.certificates.models import Certificate
    from aigc_contest.web.core.errors import ServiceError

    announced.competition.results_at = timezone.now() + timedelta(minutes=5)
    announced.competition.save()
    with pytest.raises(ServiceError):
        _issue_all(announced)
    assert not Certificate.objects.exists()


def test_issue_all_covers_every_participant_and_winner_once(announced) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.certificates.models import Certificate

    report = _issue_all(announced)
    assert (report.participation, report.awards) == (3, 2)  # A, A2, B take part; Team A (A, A2) won
    kinds = sorted(Certificate.objects.values_list("user__username", "kind", "award_kind"))
    assert kinds == [("student.a", "award", "first"), ("student.a", "participation", ""),
                     ("student.a2", "award", "first"), ("student.a2", "participation", ""),
                     ("student.b", "participation", "")]
    again = _issue_all(announced)
    assert (again.issued, again.already) == (0, 5)
    certificate = Certificate.objects.first()
    with certificate.pdf.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == certificate.sha256


def test_pdf_is_bilingual(announced) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.certificates.models import Certificate

    _issue_all(announced)
    text = _pdf_text(Certificate.objects.get(user=announced.student_a, kind="award"))
    assert "Certificate of Award" in text and "獎狀" in text and "冠軍" in text
    assert "繁體名稱" in text and "Student.A" in text  # competition's Chinese name, holder's name
    text = _pdf_text(Certificate.objects.get(user=announced.student_b))
    assert "參與證書" in text and "Certificate of Participation" in text


def test_simplified_competition_gets_simplified_chinese(announced) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.certificates.services import issue_certificate

    announced.competition.timezone = "Asia/Shanghai"
    announced.competition.save()
    certificate = issue_certificate(announced.student_b, announced.competition, team=announced.team_b)
    text = _pdf_text(certificate)
    assert "参与证书" in text and "简体名称" in text


def test_qr_encodes_the_verify_address(announced, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import segno

    from aigc_contest.web.certificates import pdf, qr
    from aigc_contest.web.certificates.services import issue_certificate

    settings.SITE_URL = "https://contest.example.org/"
    encoded: list[str] = []
    real = pdf.qr_code
    monkeypatch.setattr(pdf, "qr_code", lambda url: encoded.append(url) or real(url))
    certificate = issue_certificate(announced.student_b, announced.competition, team=announced.team_b)
    assert encoded == [f"https://contest.example.org/verify/{certificate.uuid}"]
    assert qr.qr_code(encoded[0]).matrix == segno.make(encoded[0], error="m", micro=False).matrix
    assert f"contest.example.org/verify/{certificate.uuid}" in _pdf_text(certificate)


def test_issue_verify_revoke_verify(announced, client) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.certificates.models import Certificate
    from aigc_contest.web.certificates.services import revoke, verify

    _issue_all(announced)
    certificate = Certificate.objects.get(user=announced.student_a, kind="award")
    result = verify(str(certificate.uuid))
    assert result.status == "valid" and result.holder_initial == "S." and result.award_kind == "first"
    page = client.get(f"/verify/{certificate.uuid}")
    html = page.content.decode()
    assert page.status_code == 200 and "valid" in html and certificate.sha256 in html
    for private in ("Student.A", "student.a", "School-A", "Team A", "My picture"):
        assert private not in html, private
    revoke(announced.organiser, certificate, "awarded in error")
    assert verify(certificate.uuid).status == "revoked"
    html = client.get(f"/verify/{certificate.uuid}").content.decode()
    assert "revoked" in html and "awarded in error" in html  # the reason is public: the form says so
    assert client.get("/verify/00000000-0000-4000-8000-000000000000").status_code == 404
    api = client.get(f"/api/v1/certificates/{certificate.uuid}/verify").json()
    assert api["status"] == "revoked" and api["revoke_reason"] == "awarded in error"


def test_who_may_download(announced, client, make_user) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.certificates.models import Certificate

    _issue_all(announced)
    certificate = Certificate.objects.get(user=announced.student_a, kind="participation")
    url = f"/certificates/{certificate.uuid}/pdf"
    for user, status in ((announced.student_a, 200), (announced.teacher_a, 200), (announced.organiser, 200),
                         (announced.student_b, 404), (announced.teacher_b, 404), (announced.judge, 404)):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, user
        if status == 200:
            assert b"".join(response.streaming_content).startswith(b"%PDF")
    client.force_login(announced.teacher_a)
    listing = client.get("/certificates/").content.decode()
    assert str(certificate.uuid) in listing
    assert str(Certificate.objects.get(user=announced.student_b).uuid) not in listing
    client.logout()
    assert client.get(url).status_code == 302


def test_cli_verify_exit_codes(announced, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    from aigc_contest.cli.main import main
    from aigc_contest.web.certificates.models import Certificate
    from aigc_contest.web.certificates.services import revoke

    _issue_all(announced)
    certificate = Certificate.objects.get(user=announced.student_b)
    assert main(["certificates", "verify", str(certificate.uuid)]) == 0
    assert "valid" in capsys.readouterr().out
    assert main(["certificates", "verify", str(certificate.uuid), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "valid"
    assert main(["certificates", "verify", "00000000-0000-4000-8000-000000000000"]) == 1
    assert "no certificate" in capsys.readouterr().err
    revoke(announced.organiser, certificate, "duplicate")
    assert main(["certificates", "verify", str(certificate.uuid), "--json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["status"] == "revoked" and "revoked" in captured.err


def test_cli_rejects_a_malformed_number() -> None:
    done = subprocess.run([sys.executable, "-m", "aigc_contest.cli.main", "certificates", "verify", "not-a-uuid"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "not a certificate number" in done.stderr and "Traceback" not in done.stderr
