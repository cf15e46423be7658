"""Plain-text e-mails carry titles and names as typed: no HTML escaping of < " & ' in subject or body."""

from __future__ import annotations

import pytest

from aigc_contest.web.entries import services
from aigc_contest.web.notifications import emails as notifications

pytestmark = pytest.mark.django_db
TRICKY = """Tom & Jerry's <"best"> day"""


def test_the_receipt_carries_the_title_as_typed(
    world, mailoutbox, django_capture_on_commit_callbacks, settings
):
    from aigc_contest.web.jobs.runner import run_available

    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False, "batch_window_seconds": 0.0}
    world.teacher_a.email = "t@example.org"
    world.teacher_a.save()
    world.entry.title = TRICKY
    world.entry.save()
    world.team.name = "A & B <team>"
    world.team.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_entry(world.student_a, world.entry)
    assert run_available("default") == 1
    message = mailoutbox[0]
    assert TRICKY in message.subject and TRICKY in message.body
    assert "A & B <team>" in message.body
    for escaped in ("&lt;", "&gt;", "&quot;", "&amp;", "&#x27;", "&#39;"):
        assert escaped not in message.subject + message.body


def test_reminders_results_and_account_notes_are_not_escaped(world, mailoutbox):
    world.competition.name_en = 'Art & "Code" <2026>'
    world.competition.save()
    world.teacher_a.email = "t@example.org"
    world.teacher_a.save()
    world.entry.title = TRICKY
    world.entry.save()
    world.student_a.display_name = "Amy <O'Neil> & co"
    world.student_a.save()
    assert notifications.deadline_reminder(world.competition, [world.entry]) == 1
    assert notifications.results_published(world.competition, [world.teacher_a]) == 1
    assert notifications.account_created(world.teacher_a, [world.student_a]) == 1
    reminder, results, accounts = mailoutbox
    assert 'Art & "Code" <2026>' in reminder.subject and TRICKY in reminder.body
    assert results.subject == 'Results of Art & "Code" <2026> are published'
    assert "Amy <O'Neil> & co" in accounts.body
    for message in mailoutbox:
        assert "&lt;" not in message.subject + message.body and "&quot;" not in message.subject + message.body


def test_a_title_with_a_line_break_keeps_the_subject_on_one_line(world, mailoutbox):
    world.competition.name_en = "Line one\nBcc: someone@example.org"
    world.competition.save()
    world.teacher_a.email = "t@example.org"
    world.teacher_a.save()
    assert notifications.results_published(world.competition, [world.teacher_a]) == 1
    assert "\n" not in mailoutbox[0].subject


def test_html_pages_stay_escaped(world, client):
    from django.template import engines

    notifications.render_plain_text("emails/results_published.txt", {"competition": world.competition})
    html = engines["django"].from_string("{{ t }}").render({"t": TRICKY})
    assert html == "Tom &amp; Jerry&#x27;s &lt;&quot;best&quot;&gt; day"
    with pytest.raises(ValueError):
        notifications.render_plain_text("home.html", {})


def test_the_worker_watchdog_sends_deadline_reminders_once(world, settings, mailoutbox) -> None:  # type: ignore[no-untyped-def]
    """No cron: the first watchdog pass inside the reminder window reminds each team with a draft, once."""
    from aigc_contest.web.jobs.runner import Housekeeper

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False}
    world.student_a.email = "a@example.org"
    world.student_a.save()
    settings.AIGC_REMINDER_HOURS = 24  # the deadline is seven days away: not yet
    Housekeeper([]).watch()
    world.entry.refresh_from_db()
    assert world.entry.reminder_sent_at is None
    settings.AIGC_REMINDER_HOURS = 8 * 24
    Housekeeper([]).watch()
    Housekeeper([]).watch()
    world.entry.refresh_from_db()
    assert world.entry.reminder_sent_at is not None
    reminded = [m for m in mailoutbox if "a@example.org" in m.to]
    assert len(reminded) == 1
