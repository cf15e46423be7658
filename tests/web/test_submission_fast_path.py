"""The submission path under a deadline surge: shared content-addressed files, few queries, the receipt as a
job, and the API's idempotent retry, with every guarantee of the slower path kept."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from aigc_contest.web.core.errors import PermissionDenied, ServiceError
from aigc_contest.web.entries import services
from aigc_contest.web.entries.models import Entry, EntryVersion
from aigc_contest.web.jobs.models import Job, JobStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiet_jobs(settings):  # type: ignore[no-untyped-def]
    """Jobs stay in the database until the test runs the worker's loop itself."""
    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False, "batch_window_seconds": 0.0}
    return settings.AIGC_JOBS


def test_a_version_names_the_drafts_blob_without_copying_it(world, make_png, django_capture_on_commit_callbacks):
    draft_name = world.entry.draft_file.name
    assert draft_name.startswith(f"blobs/{world.entry.draft_file_sha256[:2]}/{world.entry.draft_file_sha256}")
    version = services.submit_entry(world.student_a, world.entry)
    assert version.file.name == draft_name
    assert len(default_storage.listdir("blobs")[0]) == 1  # one folder, one file: nothing was copied

    # The draft moves on; the blob the version names stays, byte for byte.
    with django_capture_on_commit_callbacks(execute=True):
        services.upload_draft_file(world.student_a, world.entry, filename="v2.png", data=make_png(color=(9, 9, 9)))
    assert world.entry.draft_file.name != draft_name
    assert default_storage.open(version.file.name).read() == make_png()
    assert EntryVersion.objects.get(pk=version.pk).file.name == draft_name


def test_a_blob_shared_by_two_drafts_survives_one_of_them_moving_on(world, make_user, make_png,
                                                                  django_capture_on_commit_callbacks):
    other = make_user("student.a3", "student", world.school_a)
    team = services.create_team(world.teacher_a, world.category, name="Team B", members=[other])
    entry = services.start_entry(other, team, title="Same picture", work_type="image", theme=world.theme)
    services.upload_draft_file(other, entry, filename="same.png", data=make_png())
    shared = entry.draft_file.name
    assert shared == world.entry.draft_file.name  # equal bytes, one blob

    with django_capture_on_commit_callbacks(execute=True):
        services.upload_draft_file(other, entry, filename="new.png", data=make_png(color=(4, 5, 6)))
    assert default_storage.exists(shared)  # still world.entry's draft
    with django_capture_on_commit_callbacks(execute=True):
        services.upload_draft_file(world.student_a, world.entry, filename="new.png", data=make_png(color=(7, 7, 7)))
    assert not default_storage.exists(shared)  # nobody names it any more


def test_a_submission_takes_few_queries(world, quiet_jobs, django_assert_max_num_queries):
    world.teacher_a.email = "t@example.org"
    world.teacher_a.save()
    # Lock + load (1), members with consent (1), version (1), entry (1), email job (1), and the test
    # transaction's savepoint pair; the slower path took 16.
    with django_assert_max_num_queries(7):
        version = services.submit(world.student_a, world.entry.pk).version
    assert version.number == 1
    world.entry.refresh_from_db()
    assert world.entry.version_count == 1 and world.entry.status == Entry.Status.SUBMITTED


def test_the_version_count_numbers_versions_and_enforces_the_limit(world):
    numbers = [services.submit_entry(world.student_a, world.entry).number for _ in range(world.category.submission_limit)]
    assert numbers == list(range(1, world.category.submission_limit + 1))
    assert world.entry.version_count == world.category.submission_limit
    with pytest.raises(ServiceError) as exc:
        services.submit_entry(world.student_a, world.entry)
    assert exc.value.code == "limit_reached"
    assert world.entry.versions.count() == world.category.submission_limit


def test_migration_counts_the_versions_made_before_it(world):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("aigc_contest.web.entries.migrations.0003_entry_version_count")
    services.submit_entry(world.student_a, world.entry)
    services.submit_entry(world.student_a, world.entry)
    Entry.objects.update(version_count=0)
    migration.count_existing_versions(apps, None)
    assert Entry.objects.get(pk=world.entry.pk).version_count == 2


def test_the_receipt_is_a_job_committed_with_the_version_and_sent_by_the_worker(
    world, quiet_jobs, mailoutbox, django_capture_on_commit_callbacks
):
    from aigc_contest.web.jobs.runner import run_available

    world.teacher_a.email = "t@example.org"
    world.teacher_a.save()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        version = services.submit_entry(world.student_a, world.entry)
    job = Job.objects.get(kind="email")
    assert job.status == JobStatus.QUEUED and job.school_id is None  # no school quota spent on receipts
    assert job.params["recipients"] == ["t@example.org"]
    assert version.content_hash in job.params["body"]
    assert callbacks  # the wake-up waits for the commit
    assert mailoutbox == []

    assert run_available("default") == 1
    assert [m.to for m in mailoutbox] == [["t@example.org"]]
    assert version.content_hash in mailoutbox[0].body
    assert Job.objects.get(pk=job.pk).status == JobStatus.SUCCEEDED


def test_a_refused_submission_queues_no_receipt(world, quiet_jobs):
    world.teacher_a.email = "t@example.org"
    world.teacher_a.save()
    with pytest.raises(ServiceError):
        services.submit_entry(world.student_a, world.entry, now=world.competition.submission_deadline)
    assert not Job.objects.filter(kind="email").exists()
    assert world.entry.versions.count() == 0


def test_an_unreachable_mail_server_keeps_the_receipt_for_later(world, quiet_jobs, settings):
    from aigc_contest.web.jobs.runner import run_available

    world.teacher_a.email = "t@example.org"
    world.teacher_a.save()
    services.submit_entry(world.student_a, world.entry)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1  # nothing listens
    run_available("default", max_batches=1)
    job = Job.objects.get(kind="email")
    assert job.status == JobStatus.QUEUED and job.attempts == 1  # back in line, not lost


def test_wake_ups_are_shared_by_messages_committed_together(monkeypatch):
    from aigc_contest.web.jobs import services as job_services
    from aigc_contest.web.notifications import jobs as email_jobs

    sent: list[str] = []
    done = threading.Event()

    def fake_wake(queue: str) -> None:
        sent.append(queue)
        done.set()

    monkeypatch.setattr(job_services, "wake_workers", fake_wake)
    monkeypatch.setattr(email_jobs, "WAKE_DELAY_SECONDS", 0.05)
    for _ in range(5):
        email_jobs.wake_soon("default")
    assert done.wait(5)
    assert sent == ["default"]
    email_jobs.wake_soon("default")  # after the wake-up went out, a new message starts a new one
    deadline = timezone.now() + timedelta(seconds=5)
    while len(sent) < 2 and timezone.now() < deadline:
        threading.Event().wait(0.01)
    assert sent == ["default", "default"]


def test_consent_from_the_annotation_matches_the_users_own_rule(world, make_user):
    from aigc_contest.web.accounts.models import GuardianConsent
    from aigc_contest.web.entries.models import Team

    revoked = make_user("revoked", "student", world.school_a)
    GuardianConsent.objects.filter(student=revoked).update(revoked_at=timezone.now())
    adult = make_user("adult", "participant", world.school_a, is_adult=True)
    minor_participant = make_user("young.maker", "participant", world.school_a)
    people = [world.student_a, revoked, adult, minor_participant, world.teacher_a]
    team = Team.objects.create(competition=world.competition, category=world.category, name="Mixed",
                               school=world.school_a)
    team.members.add(*people)  # beyond the form's checks: every kind of person in one team
    entry = Entry.objects.create(team=team, category=world.category, work_type="image", title="T")
    loaded = services._locked_for_submission(entry.pk)
    by_pk = {m.pk: services._has_consent(m) for m in loaded.team.members.all()}
    assert by_pk == {p.pk: p.has_consent for p in people}


def test_team_membership_from_prefetched_members_matches_the_query(world):
    from aigc_contest.web.entries.models import Team

    plain = Team.objects.get(pk=world.team.pk)
    prefetched = Team.objects.prefetch_related("members").get(pk=world.team.pk)
    for user in (world.student_a, world.student_a2, world.student_b, world.teacher_a, world.organiser):
        for perm in ("entries.view_entry", "entries.submit_entry", "entries.edit_entry"):
            assert user.has_perm(perm, prefetched) == user.has_perm(perm, plain), (user, perm)


# ---------------------------------------------------------------- the API route


def _post(client, entry_id, body=None):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/entries/{entry_id}/submit", body or {}, content_type="application/json")


def test_api_submit_then_idempotent_retry(client, world, quiet_jobs):
    client.force_login(world.student_a)
    first = _post(client, world.entry.pk)
    assert first.status_code == 201 and first.json()["number"] == 1
    retry = _post(client, world.entry.pk, {"expected_content_hash": first.json()["content_hash"]})
    assert retry.status_code == 200 and retry.json() == first.json()
    second = _post(client, world.entry.pk, {"expected_content_hash": "0" * 64})  # not the latest: a new version
    assert second.status_code == 201 and second.json()["number"] == 2
    assert world.entry.versions.count() == 2


def test_api_submit_hides_other_entries_and_refuses_onlookers(client, world, quiet_jobs):
    client.force_login(world.student_b)
    assert _post(client, world.entry.pk).status_code == 404  # not theirs: it does not exist for them
    assert _post(client, 999_999).status_code == 404
    client.force_login(world.organiser)
    assert _post(client, world.entry.pk).status_code == 403  # may see it, may not submit it
    assert world.entry.versions.count() == 0


def test_api_submit_after_the_deadline_is_a_conflict(client, world, quiet_jobs):
    from aigc_contest.web.contests.models import Competition

    Competition.objects.filter(pk=world.competition.pk).update(submission_deadline=timezone.now() - timedelta(seconds=1))
    client.force_login(world.student_a)
    response = _post(client, world.entry.pk)
    assert response.status_code == 409 and "deadline" in response.json()["detail"]
    assert world.entry.versions.count() == 0 and not Job.objects.exists()


def test_submit_entry_refuses_a_non_member_with_permission_denied(world):
    with pytest.raises(PermissionDenied):
        services.submit_entry(world.student_b, world.entry)


def test_receipt_jobs_are_housekeeping_not_the_childs_requests(world, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    from aigc_contest.web.jobs import selectors as job_selectors
    from aigc_contest.web.jobs.models import Job

    world.teacher_a.email = "t@example.org"
    world.teacher_a.save()
    with django_capture_on_commit_callbacks(execute=False):
        services.submit_entry(world.student_a, world.entry)
    assert Job.objects.filter(owner=world.student_a, kind="email").count() == 1
    assert not job_selectors.jobs_of(world.student_a).exists()
    assert job_selectors.jobs_in_last_day(user=world.student_a) == 0
