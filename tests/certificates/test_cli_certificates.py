"""`aigc-contest certificates issue SLUG` and `certificates revoke UUID`, as a named organiser, through the
services the organiser's pages and the API call."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from aigc_contest.cli.main import main

pytestmark = pytest.mark.django_db


def _cli(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_issue_here_then_revoke_one_then_verify_says_why(announced: Any, capsys: Any) -> None:
    from aigc_contest.web.accounts.models import ChangeRecord
    from aigc_contest.web.certificates.models import Certificate

    slug = announced.competition.slug
    code, out, _err = _cli(capsys, "certificates", "issue", slug, "--here", "--as", "organiser", "--json")
    assert code == 0
    assert json.loads(out) == {"participation": 3, "awards": 2, "already": 0}
    code, out, _err = _cli(capsys, "certificates", "issue", slug, "--here", "--as", "organiser")
    assert code == 0 and out.strip() == "issued 0 participation and 0 award certificates (5 issued already)"
    certificate = Certificate.objects.filter(kind="participation").first()
    assert certificate is not None
    key = str(certificate.uuid)
    code, _out, err = _cli(capsys, "certificates", "revoke", key, "--reason", " ", "--as", "organiser")
    assert code == 1 and "Say why the certificate is revoked." in err
    code, out, _err = _cli(capsys, "certificates", "revoke", key, "--reason", "Entry withdrawn",
                           "--as", "organiser")
    assert code == 0 and out.strip() == f"revoked certificate {key}: Entry withdrawn"
    assert ChangeRecord.objects.filter(actor=announced.organiser, action="certificate revoked").exists()
    code, _out, err = _cli(capsys, "certificates", "revoke", key, "--reason", "again", "--as", "organiser")
    assert code == 1 and "revoked already" in err
    code, out, _err = _cli(capsys, "certificates", "verify", key, "--json")
    assert code == 1 and json.loads(out)["revoke_reason"] == "Entry withdrawn"


def test_issue_queues_the_workers_job_once(announced: Any, capsys: Any) -> None:
    from aigc_contest.web.jobs.models import Job

    slug = announced.competition.slug
    code, out, _err = _cli(capsys, "certificates", "issue", slug, "--as", "organiser", "--json")
    assert code == 0
    first = json.loads(out)["job"]
    assert Job.objects.filter(pk=first, owner=announced.organiser).exists()
    code, out, _err = _cli(capsys, "certificates", "issue", slug, "--as", "organiser", "--json")
    assert json.loads(out)["job"] == first  # the running one is answered again


def test_refusals_before_the_announcement_and_for_others(announced: Any, make_user: Any, capsys: Any) -> None:
    from django.utils import timezone

    from aigc_contest.web.certificates.models import Certificate

    slug = announced.competition.slug
    code, _out, err = _cli(capsys, "certificates", "issue", slug, "--here", "--as", "teacher.a")
    assert code == 1 and "teacher.a may not do that" in err
    announced.competition.results_at = timezone.now() + timedelta(days=1)
    announced.competition.save(update_fields=["results_at"])
    code, _out, err = _cli(capsys, "certificates", "issue", slug, "--as", "organiser")
    assert code == 1 and "once the results are announced" in err
    assert not Certificate.objects.exists()
    code, _out, err = _cli(capsys, "certificates", "revoke", "0f8c4b9e-0000-4000-8000-000000000000", "--reason",
                           "x", "--as", "organiser")
    assert code == 1 and "no certificate" in err
    code, _out, err = _cli(capsys, "certificates", "revoke", "not-a-uuid", "--reason", "x", "--as", "organiser")
    assert code == 2
