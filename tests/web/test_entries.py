"""Submission rules: the deadline to the millisecond, immutable versions, limits, withdrawal, uploads."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.storage import default_storage

from aigc_contest.web.core.errors import PermissionDenied, ServiceError
from aigc_contest.web.entries import services
from aigc_contest.web.entries.models import Entry, EntryVersion, ImmutableVersionError

pytestmark = pytest.mark.django_db
MS = timedelta(milliseconds=1)


@pytest.mark.parametrize("tz", ["Asia/Hong_Kong", "UTC", "America/Los_Angeles", "Pacific/Kiritimati"])
def test_deadline_to_the_millisecond_in_any_time_zone(world, tz):
    competition = world.competition
    competition.timezone = tz
    # The organiser's deadline: 23:59:59.999 on a day in the competition's own zone.
    local_deadline = competition.local(world.now + timedelta(days=3)).replace(hour=23, minute=59, second=59,
                                                                             microsecond=999000, tzinfo=ZoneInfo(tz))
    competition.submission_deadline = local_deadline
    competition.save()

    version = services.submit_entry(world.student_a, world.entry, now=local_deadline - MS)
    assert version.number == 1

    with pytest.raises(ServiceError) as exc:
        services.submit_entry(world.student_a, world.entry, now=local_deadline + MS)
    assert exc.value.code == "deadline_passed"
    assert tz in exc.value.message
    # The late attempt changed nothing: one version, and the draft is still there.
    world.entry.refresh_from_db()
    assert world.entry.versions.count() == 1
    assert world.entry.draft_file and default_storage.exists(world.entry.draft_file.name)


def test_exactly_at_the_deadline_is_late(world):
    deadline = world.competition.submission_deadline
    with pytest.raises(ServiceError):
        services.submit_entry(world.student_a, world.entry, now=deadline)


def test_before_submission_opens(world):
    with pytest.raises(ServiceError) as exc:
        services.submit_entry(world.student_a, world.entry, now=world.competition.submission_opens_at - MS)
    assert exc.value.code == "not_open"


def test_each_submission_is_a_new_immutable_version_with_a_content_hash(world, make_png):
    first = services.submit_entry(world.student_a, world.entry)
    services.upload_draft_file(world.student_a, world.entry, filename="v2.png", data=make_png(color=(0, 0, 255)))
    services.update_draft(world.student_a, world.entry, title="My better picture", theme=world.theme)
    second = services.submit_entry(world.student_a, world.entry)
    assert (first.number, second.number) == (1, 2)
    assert first.content_hash != second.content_hash
    assert first.file_sha256 != second.file_sha256
    assert second.title == "My better picture" and first.title == "My picture"
    assert default_storage.open(first.file.name).read() == make_png()
    assert world.entry.latest_version == second

    first.title = "tampered"
    with pytest.raises(ImmutableVersionError):
        first.save()
    with pytest.raises(ImmutableVersionError):
        first.delete()
    assert EntryVersion.objects.get(pk=first.pk).title == "My picture"


def test_same_content_gives_same_hash(world):
    a = services.submit_entry(world.student_a, world.entry)
    b = services.submit_entry(world.student_a, world.entry)
    assert a.content_hash == b.content_hash and a.number != b.number


def test_submission_limit_per_category(world):
    for _ in range(world.category.submission_limit):
        services.submit_entry(world.student_a, world.entry)
    with pytest.raises(ServiceError) as exc:
        services.submit_entry(world.student_a, world.entry)
    assert exc.value.code == "limit_reached"
    assert world.entry.versions.count() == world.category.submission_limit


def test_withdraw_before_deadline_then_resubmit(world):
    services.submit_entry(world.student_a, world.entry)
    services.withdraw_entry(world.student_a, world.entry)
    assert world.entry.status == Entry.Status.WITHDRAWN
    services.submit_entry(world.student_a, world.entry)
    assert world.entry.status == Entry.Status.SUBMITTED


def test_no_withdrawal_after_deadline(world):
    services.submit_entry(world.student_a, world.entry)
    with pytest.raises(ServiceError):
        services.withdraw_entry(world.student_a, world.entry, now=world.competition.submission_deadline + MS)
    world.entry.refresh_from_db()
    assert world.entry.status == Entry.Status.SUBMITTED


def test_rejected_upload_leaves_the_draft_intact(world):
    before = (world.entry.draft_file.name, world.entry.draft_file_sha256)
    for bad in (b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, b""):
        with pytest.raises(ServiceError):
            services.upload_draft_file(world.student_a, world.entry, filename="bad.png", data=bad)
    world.entry.refresh_from_db()
    assert (world.entry.draft_file.name, world.entry.draft_file_sha256) == before
    assert default_storage.exists(before[0])


def test_pdf_refused_for_an_image_entry(world):
    data = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"
    with pytest.raises(ServiceError) as exc:
        services.upload_draft_file(world.student_a, world.entry, filename="x.pdf", data=data)
    assert exc.value.code == "wrong_type"


def test_new_upload_replaces_and_removes_the_old_draft_file(world, make_png, django_capture_on_commit_callbacks):
    old = world.entry.draft_file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.upload_draft_file(world.student_a, world.entry, filename="new.png", data=make_png(color=(1, 2, 3)))
    assert world.entry.draft_file.name != old
    assert not default_storage.exists(old)


def test_consent_required_for_minors(world, make_user):
    minor = make_user("minor", "student", world.school_a, consent=False)
    team = services.create_team(world.teacher_a, world.category, name="Team M", members=[minor])
    entry = services.start_entry(minor, team, title="T", work_type="image", theme=world.theme)
    services.upload_draft_file(minor, entry, filename="a.png", data=world.make_png())
    with pytest.raises(ServiceError) as exc:
        services.submit_entry(minor, entry)
    assert exc.value.code == "consent_missing"
    from aigc_contest.web.accounts.services import record_consent

    record_consent(world.teacher_a, minor, "paper")
    assert services.submit_entry(minor, entry).number == 1


def test_receipt_email_goes_to_the_teacher(world, mailoutbox, django_capture_on_commit_callbacks, settings):
    from aigc_contest.web.jobs.runner import run_available

    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False, "batch_window_seconds": 0.0}
    with django_capture_on_commit_callbacks(execute=True):
        version = services.submit_entry(world.student_a, world.entry)
    assert run_available("default") == 0 and len(mailoutbox) == 0  # the teacher has no email address
    world.teacher_a.email = "t@example.org"
    world.teacher_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        version = services.submit_entry(world.student_a, world.entry)
    assert len(mailoutbox) == 0  # sent by the job worker, not in the request
    assert run_available("default") == 1
    assert len(mailoutbox) == 1
    assert version.content_hash in mailoutbox[0].body


def test_team_size_and_eligibility(world, make_user, make_school):
    with pytest.raises(ServiceError, match="1 to 3"):
        services.create_team(world.teacher_a, world.category, name="Empty", members=[])
    secondary = make_school("secondary-x", level="secondary")
    teacher = make_user("teacher.s", "teacher", secondary)
    older = make_user("older", "student", secondary)
    with pytest.raises(ServiceError, match="not eligible"):
        services.create_team(teacher, world.category, name="Too old", members=[older])
    with pytest.raises(ServiceError, match="Already in a team"):
        services.create_team(world.teacher_a, world.category, name="Again", members=[world.student_a])
    with pytest.raises(ServiceError, match="own school"):
        services.create_team(world.teacher_a, world.category, name="Poach", members=[world.student_b])


def test_students_cannot_form_teams(world):
    with pytest.raises(PermissionDenied):
        services.create_team(world.student_a2, world.category, name="Mine", members=[world.student_a2])


def test_work_type_and_theme_rules(world):
    team = services.create_team(world.teacher_a, world.category, name="Team T", members=[world.student_a2])
    with pytest.raises(ServiceError, match="type of work"):
        services.start_entry(world.student_a2, team, title="x", work_type="novel", theme=world.theme)
    with pytest.raises(ServiceError, match="themes"):
        services.start_entry(world.student_a2, team, title="x", work_type="image", theme=None)


def test_other_schools_cannot_touch_an_entry(world):
    for outsider in (world.student_b, world.teacher_b, world.judge, world.student_a2):
        with pytest.raises(PermissionDenied):
            services.submit_entry(outsider, world.entry)
        with pytest.raises(PermissionDenied):
            services.upload_draft_file(outsider, world.entry, filename="x.png", data=world.make_png())
    assert world.entry.versions.count() == 0


def test_teacher_submits_for_their_team_only_where_teachers_may_help(world):
    from aigc_contest.web.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.submit_entry(world.teacher_a, world.entry)
    world.competition.teachers_may_help = True
    world.competition.save()
    world.entry.category.competition.refresh_from_db()
    assert services.submit_entry(world.teacher_a, world.entry).submitted_by == world.teacher_a


def test_deadline_reminder_once_per_unsubmitted_draft(world, mailoutbox, now):
    world.teacher_a.email = "t@example.org"
    world.teacher_a.save()
    early = world.competition.submission_deadline - timedelta(days=5)
    assert services.send_deadline_reminders(now=early, within=timedelta(hours=48)) == 0
    near = world.competition.submission_deadline - timedelta(hours=10)
    assert services.send_deadline_reminders(now=near) == 1
    assert services.send_deadline_reminders(now=near) == 0  # only once
    assert "My picture" in mailoutbox[0].body


def test_html_works_are_served_sandboxed(world, client):
    from django.urls import reverse

    html = b"<!doctype html><script>fetch('/api/v1/entries')</script>"
    services.set_draft_from_work(world.student_a, world.entry, filename="story.html", data=html, mime="text/html", meta={})
    client.force_login(world.teacher_a)
    response = client.get(reverse("entry-draft-file", args=[world.entry.pk]))
    assert response.status_code == 200
    assert response["Content-Security-Policy"].startswith("sandbox allow-scripts")
    assert "allow-same-origin" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_entry_page_says_when_the_work_changed_since_it_was_sent(world, client, make_png) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.entries import services

    client.force_login(world.student_a)
    url = f"/entries/{world.entry.pk}/"
    services.submit_entry(world.student_a, world.entry, now=world.now)
    assert 'data-testid="changed-since-sent"' not in client.get(url).content.decode()
    world.entry.refresh_from_db()
    services.update_draft(world.student_a, world.entry, title="My picture, finished", theme=world.theme)
    assert 'data-testid="changed-since-sent"' in client.get(url).content.decode()
    services.submit_entry(world.student_a, world.entry, now=world.now)
    assert 'data-testid="changed-since-sent"' not in client.get(url).content.decode()
