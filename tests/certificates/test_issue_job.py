"""Bulk certificates as a job: refused before the announcement, progress per certificate, safe to retry."""

from __future__ import annotations

from datetime import timedelta

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(settings):  # type: ignore[no-untyped-def]
    """The tests run the worker's own loop (`runner.run_available`) themselves."""
    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False, "batch_window_seconds": 0.0}


def _run_worker() -> int:
    from aigc_contest.web.jobs import runner

    return runner.run_available("default")


def test_refused_before_the_announcement(announced, client) -> None:  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from aigc_contest.web.certificates.services import start_issue_all
    from aigc_contest.web.core.errors import ServiceError
    from aigc_contest.web.jobs.models import Job

    announced.competition.results_at = timezone.now() + timedelta(minutes=5)
    announced.competition.save(update_fields=["results_at"])
    with pytest.raises(ServiceError) as caught:
        start_issue_all(announced.organiser, announced.competition)
    assert caught.value.code == "embargo"
    client.force_login(announced.organiser)
    response = client.post(f"/organiser/{announced.competition.slug}/certificates/issue", follow=True)
    assert "once the results are announced" in response.content.decode()
    assert not Job.objects.exists()


def test_the_job_issues_every_certificate_reporting_each(announced) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.certificates import jobs
    from aigc_contest.web.certificates.models import Certificate
    from aigc_contest.web.certificates.services import start_issue_all
    from aigc_contest.web.jobs.kinds import RunContext

    job = start_issue_all(announced.organiser, announced.competition)
    assert (job.kind, job.queue, job.params) == ("certificates.issue_all", "default",
                                                  {"competition": announced.competition.pk})
    reported: list[tuple[float, str]] = []
    outcome = jobs.issue_for(RunContext(job.pk, 1, job.params, "organiser"), lambda f, m: reported.append((f, m)))
    assert outcome.result == {"participation": 3, "awards": 2, "already": 0, "issued": 5}
    assert reported == [(0.0, "starting")] + [(n / 5, f"{n}/5") for n in range(1, 6)]
    assert Certificate.objects.count() == 5


def test_the_worker_runs_it_and_stores_the_report(announced, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.certificates.models import Certificate
    from aigc_contest.web.certificates.services import start_issue_all
    from aigc_contest.web.jobs import runner, services

    writes: list[tuple[float, str]] = []
    real = services.report_batch_progress

    def record(attempts: dict[int, int], fraction: float, message: str = "") -> int:
        writes.append((fraction, message))
        return real(attempts, fraction, message)

    monkeypatch.setattr(services, "report_batch_progress", record)
    monkeypatch.setattr(runner, "PROGRESS_EVERY", 0.0)
    job = start_issue_all(announced.organiser, announced.competition)
    assert start_issue_all(announced.organiser, announced.competition).pk == job.pk  # one run at a time
    assert _run_worker() == 1
    job.refresh_from_db()
    assert job.status == "succeeded" and job.result["issued"] == 5 and job.progress == 1.0
    assert [m for _f, m in writes if "/" in m] == [f"{n}/5" for n in range(1, 6)]
    assert Certificate.objects.count() == 5
    assert start_issue_all(announced.organiser, announced.competition).pk != job.pk  # finished: a new run


def test_a_failed_run_retried_issues_only_the_rest(announced, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.certificates import services as certificate_services
    from aigc_contest.web.certificates.models import Certificate
    from aigc_contest.web.jobs.models import Job

    real = certificate_services.issue_certificate
    calls = {"n": 0}

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")  # bad luck: the job goes back in line
        return real(*args, **kwargs)

    monkeypatch.setattr(certificate_services, "issue_certificate", flaky)
    job = certificate_services.start_issue_all(announced.organiser, announced.competition)
    _run_worker()
    job = Job.objects.get(pk=job.pk)
    assert job.status == "succeeded" and job.attempts == 2
    assert job.result == {"participation": 1, "awards": 2, "already": 2, "issued": 3}
    assert Certificate.objects.count() == 5
    per_person = sorted(Certificate.objects.values_list("user__username", "kind"))
    assert len(per_person) == len(set(per_person))  # nobody holds two live certificates of a kind

    # Retrying a finished job (the organiser's "Try again") changes nothing either.
    job.status = "failed"
    job.save(update_fields=["status"])
    from aigc_contest.web.jobs.services import retry_job

    retry_job(announced.organiser, job)
    _run_worker()
    job.refresh_from_db()
    assert job.result == {"participation": 0, "awards": 0, "already": 5, "issued": 0}
    assert Certificate.objects.count() == 5


def test_an_overlapping_run_never_duplicates(announced, settings) -> None:  # type: ignore[no-untyped-def]
    """Another run issues a certificate after this run looked up who has one: the constraint decides."""
    from aigc_contest.web.certificates import services as certificate_services
    from aigc_contest.web.certificates.models import Certificate

    def other_run(done: int, total: int) -> None:
        if done == 1:  # Team A's first member is done; Student B comes later in this run
            certificate_services.issue_certificate(announced.student_b, announced.competition, team=announced.team_b)

    report = certificate_services.issue_all(announced.competition, progress=other_run)
    assert (report.issued, report.already) == (4, 1)
    assert Certificate.objects.filter(user=announced.student_b).count() == 1
    assert Certificate.objects.count() == 5
    from django.core.files.storage import default_storage  # the media folder, or the S3 bucket

    folders, _files = default_storage.listdir("certificates")
    stored = [name for folder in folders for name in default_storage.listdir(f"certificates/{folder}")[1]]
    assert len(stored) == 5 and all(name.endswith(".pdf") for name in stored)  # the refused duplicate left none


def test_the_organiser_page_follows_the_job(announced, client) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.jobs.models import Job

    url = f"/organiser/{announced.competition.slug}/judging/"
    issue = f"/organiser/{announced.competition.slug}/certificates/issue"
    for user in (announced.teacher_a, announced.student_a, announced.judge):
        client.force_login(user)
        assert client.post(issue).status_code == 403
    assert not Job.objects.exists()
    client.force_login(announced.organiser)
    response = client.post(issue, follow=True)
    assert response.redirect_chain == [(url, 302)]  # back to the organiser page, where the panel is
    html = response.content.decode()
    job = Job.objects.get()
    assert f'data-poll-url="/jobs/{job.pk}/status/"' in html and "js/jobs.js" in html
    assert f'action="{issue}"' not in html  # no second run while one is under way
    assert client.get(f"/jobs/{job.pk}/status/").status_code == 200
    _run_worker()
    html = client.get(url).content.decode()
    assert "data-poll-url" not in html and "Certificates issued: 5 (already issued: 0)." in html
    assert f'action="{issue}"' in html


def test_the_job_refuses_at_run_time_too(announced) -> None:  # type: ignore[no-untyped-def]
    """Queued just after the announcement time was moved later: the worker refuses, and does not retry."""
    from django.utils import timezone

    from aigc_contest.web.certificates.models import Certificate
    from aigc_contest.web.certificates.services import start_issue_all

    job = start_issue_all(announced.organiser, announced.competition)
    announced.competition.results_at = timezone.now() + timedelta(days=1)
    announced.competition.save(update_fields=["results_at"])
    _run_worker()
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("failed", 1)
    assert "announced" in job.error and not Certificate.objects.exists()
