"""Judges' due dates: a due date per round typed and shown on the competition's clock, the judge home with
due dates and progress, and reminder e-mails days before and on the day, sent once each by the worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailed(judged, settings):  # type: ignore[no-untyped-def]
    from aigc_contest.web.jobs.models import Job

    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False, "batch_window_seconds": 0.0}
    for user in (judged.judge, judged.judge_a, judged.judge_c):
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    Job.objects.filter(kind="email").delete()  # the submission receipts
    return judged


def _reminders():  # type: ignore[no-untyped-def]
    from aigc_contest.web.jobs.models import Job

    return [job.params for job in Job.objects.filter(kind="email").order_by("id")
            if "Judging for" in job.params["subject"]]


def test_the_due_date_is_typed_and_shown_on_the_competitions_clock(judged, client) -> None:  # type: ignore[no-untyped-def]
    j = judged
    assert j.competition.timezone == "Asia/Hong_Kong"
    client.force_login(j.organiser)
    url = f"/organiser/{j.competition.slug}/judging/"
    response = client.post(url, {"action": "due_date", "round": j.round.pk, "due_at_0": "2030-03-01",
                                 "due_at_1": "18:00", "remind_days_before": "3"})
    assert response.status_code == 302
    j.round.refresh_from_db()
    assert j.round.due_at == datetime(2030, 3, 1, 10, 0, 59, 999999, tzinfo=UTC)  # to the end of 18:00 in HK
    assert j.round.remind_days_before == 3
    page = client.get(url).content.decode()
    assert 'value="2030-03-01"' in page and 'value="18:00"' in page and "Asia/Hong_Kong" in page
    # a wrong time is shown beside its field, with what was typed
    response = client.post(url, {"action": "due_date", "round": j.round.pk, "due_at_0": "2030-03-01",
                                 "due_at_1": "25:00", "remind_days_before": "3"})
    assert response.status_code == 400
    assert "is not a time of day" in response.content.decode() and 'value="25:00"' in response.content.decode()
    from aigc_contest.web.accounts.models import ChangeRecord

    assert ChangeRecord.objects.filter(action="due date moved", competition=j.competition).count() == 1


def test_the_judge_home_lists_due_dates_and_progress(judged, client) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import services
    from aigc_contest.web.judging.models import Assignment

    j = judged
    due = datetime(2030, 3, 1, 15, 59, 59, 999999, tzinfo=UTC)
    services.set_due_date(j.organiser, j.round, due)
    a = Assignment.objects.filter(round=j.round, judge=j.judge_c).first()
    assert a is not None
    total = Assignment.objects.filter(round=j.round, judge=j.judge_c).count()
    services.save_scores(j.judge_c, a, {j.criteria[0].pk: 5, j.criteria[1].pk: 5}, submit=True)
    client.force_login(j.judge_c)
    page = client.get("/judging/").content.decode()
    assert "Scores due" in page and '<time datetime="2030-03-01T15:59' in page
    assert f'<progress value="1" max="{total}"' in page
    assert f"1 of {total} submitted" in page


def test_reminders_go_days_before_and_on_the_day_once_each(mailed) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import services

    j = mailed
    due = datetime(2030, 3, 10, 15, 59, 59, 999999, tzinfo=UTC)  # 23:59 on 10 March in Hong Kong
    services.set_due_date(j.organiser, j.round, due, remind_days_before=2)
    waiting = {a.judge.email for a in j.round.assignments.select_related("judge")}
    assert services.send_judge_reminders(due - timedelta(days=3)) == 0  # too early
    sent = services.send_judge_reminders(due - timedelta(days=2))
    assert sent == len(waiting)
    assert services.send_judge_reminders(due - timedelta(days=1, hours=20)) == 0  # once
    before = _reminders()
    assert {p["recipients"][0] for p in before} == waiting
    assert "due soon" in before[0]["subject"] and "2030-03-10 23:59 Asia/Hong_Kong" in before[0]["body"]
    # on the day (Hong Kong's calendar: 00:30 on 10 March there is still 9 March in UTC)
    on_the_day = datetime(2030, 3, 9, 16, 30, tzinfo=UTC)
    assert services.send_judge_reminders(on_the_day) == len(waiting)
    assert services.send_judge_reminders(on_the_day + timedelta(hours=5)) == 0
    assert "due today" in _reminders()[-1]["subject"]
    assert services.send_judge_reminders(due + timedelta(minutes=1)) == 0  # past the due date: no more


def test_a_judge_with_everything_submitted_is_not_reminded(mailed, score_all) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import services

    j = mailed
    score_all(j, {})
    due = datetime(2030, 3, 10, 15, 59, tzinfo=UTC)
    services.set_due_date(j.organiser, j.round, due)
    assert services.send_judge_reminders(due - timedelta(hours=2)) == 0


def test_the_worker_watchdog_sends_the_reminders(mailed) -> None:  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from aigc_contest.web.jobs.runner import Housekeeper
    from aigc_contest.web.judging import services

    j = mailed
    services.set_due_date(j.organiser, j.round, timezone.now() + timedelta(hours=1, days=1), remind_days_before=3)
    Housekeeper([]).watch()
    Housekeeper([]).watch()
    assert len(_reminders()) == j.round.assignments.values("judge").distinct().count()
