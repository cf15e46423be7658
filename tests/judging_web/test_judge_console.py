"""The judges' and entrants' side of judging: a judge's own home page, progress that never reads 100 % with
sheets missing, results on the entrants' pages after the announcement only, and the results e-mail."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def _scores(j, ai=5, creativity=5):  # type: ignore[no-untyped-def]
    return {j.criteria[0].pk: ai, j.criteria[1].pk: creativity}


# ---------------------------------------------------------------- the judge's home page


def test_a_judge_signing_in_lands_on_their_judging_page(judged, client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/accounts/login/", {"username": "judge", "password": "pw-12345678"}, follow=True)
    assert response.redirect_chain[-1][0] == "/judging/"
    page = response.content.decode()
    assert "not in a team" not in page
    assert "Entries to judge" in page
    assert 'href="/judging/"' in page  # the header's menu links to it


def test_the_judge_home_lists_each_sheet_with_its_state_due_date_and_link(judged, client) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import services
    from aigc_contest.web.judging.models import Assignment

    j = judged
    # four sheets over three judges, judge.a at most one (same school as Team A): someone has two
    judge = next(
        u for u in (j.judge, j.judge_c) if Assignment.objects.filter(round=j.round, judge=u).count() == 2
    )
    saved, conflicted = Assignment.objects.filter(round=j.round, judge=judge).order_by("entry_id")
    services.save_scores(judge, saved, {j.criteria[0].pk: 4})  # a draft: saved, not submitted
    code = conflicted.blind_code
    services.declare_conflict(judge, conflicted, "my niece")

    client.force_login(judge)
    page = client.get("/judging/").content.decode()
    states = re.findall(r'<tr data-state="(\w+)">', page)
    assert states == ["saved", "conflict"]
    assert "Saved, not submitted" in page and "Conflict declared" in page
    assert f'href="/judging/assignments/{saved.pk}/"' in page  # the scoring sheet
    assert f"Entry {code}" in page  # the conflict keeps its blind code, without a link
    assert f"/judging/assignments/{conflicted.pk}/" not in page
    assert "Category" in page and j.category.name_en in page
    # Rounds have no due date: the judging stage ends at the announcement, shown in the competition's zone.
    results_at = j.competition.results_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
    assert f'<time datetime="{results_at}' in page
    assert f'data-zone="{j.competition.timezone}"' in page
    assert j.category.name_en in page and "Scoring" in page

    services.save_scores(judge, saved, _scores(j), submit=True)
    page = client.get("/judging/").content.decode()
    assert re.findall(r'<tr data-state="(\w+)">', page) == ["submitted", "conflict"]
    assert "0 entries left to score" in page


def test_a_judge_with_nothing_assigned_is_told_so(judged, client, make_user) -> None:  # type: ignore[no-untyped-def]
    client.force_login(make_user("judge.new", "judge"))
    assert "Nothing to judge yet." in client.get("/judging/").content.decode()


# ---------------------------------------------------------------- progress


def test_a_declared_conflict_leaves_the_entry_under_judged_and_progress_below_100(judged, client) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import selectors, services
    from aigc_contest.web.judging.models import Assignment

    j = judged
    victim = Assignment.objects.filter(round=j.round, entry=j.entry).first()
    assert victim is not None
    services.declare_conflict(victim.judge, victim, "my nephew is in the team")
    # both judges who may judge the entry were on it: nobody can take the sheet, so it stays short
    assert Assignment.objects.filter(round=j.round, entry=j.entry).count() == 1
    for a in Assignment.objects.filter(round=j.round, status="assigned"):
        services.save_scores(a.judge, a, _scores(j), submit=True)
    # every sheet still on the list is submitted, and yet the entry has one judge of two
    progress = selectors.round_progress(j.round)
    (category,) = progress.categories
    assert category.submitted == category.sheets == 3
    assert category.judged == 1 and category.entries == 2
    assert category.percent < 100
    assert [u.entry for u in progress.under_judged] == [j.entry]
    assert (progress.under_judged[0].judges, progress.under_judged[0].needed) == (1, 2)

    client.force_login(j.organiser)
    page = client.get(f"/organiser/{j.competition.slug}/judging/").content.decode()
    assert "Under-judged: 1 entry" in page
    assert f"Entry {j.entry.pk} “{j.entry.title}”: 1 of 2 judges" in page
    assert re.search(r'data-testid="category-percent">(\d+)<', page).group(1) == str(category.percent)


def test_an_abstention_is_refilled_by_the_least_loaded_judge_and_a_full_round_reads_100(judged, score_all) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import selectors, services
    from aigc_contest.web.judging.models import Assignment

    j = judged
    a = j.round.assignments.filter(entry=j.entry_b).first()
    before = set(j.round.assignments.filter(entry=j.entry_b).values_list("judge__username", flat=True))
    services.abstain(a.judge, a)
    on_b = j.round.assignments.filter(entry=j.entry_b).exclude(status=Assignment.Status.ABSTAINED)
    (newcomer,) = set(on_b.values_list("judge__username", flat=True)) - before  # the third judge took it
    assert not selectors.round_progress(j.round).under_judged
    score_all(j, {})
    progress = selectors.round_progress(j.round)
    assert progress.categories[0].percent == 100 and not progress.under_judged

    # when every judge who may take the entry has abstained or is on it, it shows as under-judged
    round_ = services.open_round(j.organiser, j.competition, "final", k=2)
    for judge in (j.judge, j.judge_a, j.judge_c):
        services.add_judge(j.organiser, round_, judge, max_load=2)
    services.assign_judges(j.organiser, round_, early=True)
    for a in round_.assignments.filter(entry=j.entry_b):
        services.abstain(a.judge, a)
    progress = selectors.round_progress(round_)
    assert progress.categories[0].percent < 100
    assert [u.entry for u in progress.under_judged] == [j.entry_b]


def test_a_submitted_entry_nobody_was_given_is_under_judged(judged, make_png, make_user) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.entries import services as entries
    from aigc_contest.web.judging import selectors

    j = judged
    student = make_user("student.b2", "student", j.school_b)
    team = entries.create_team(j.teacher_b, j.category, name="Team C", members=[student])
    late = entries.start_entry(student, team, title="Late kite", work_type="image", theme=j.theme)
    entries.upload_draft_file(student, late, filename="late.png", data=make_png())
    entries.submit_entry(student, late)
    progress = selectors.round_progress(j.round)
    assert late in [u.entry for u in progress.under_judged]
    assert progress.categories[0].entries == 3


# ---------------------------------------------------------------- results for entrants


@pytest.fixture
def awarded(judged, score_all):  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import services

    j = judged
    score_all(j, {(j.entry_b.pk, "judge.c"): (9, 9), (j.entry_b.pk, "judge"): (9, 8)})
    services.confirm_results(j.organiser, j.round, "mean")
    services.give_awards(j.organiser, j.round)
    return j


def _announce(competition, when) -> None:  # type: ignore[no-untyped-def]
    competition.results_at = when
    competition.save(update_fields=["results_at"])


def _entrant_pages(client, j, user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    client.force_login(user)
    return {
        "entry": client.get(f"/entries/{j.entry_b.pk}/").content.decode(),
        "mine": client.get("/me/").content.decode(),
    }


@pytest.mark.parametrize("who", ["student_b", "teacher_b"])
def test_entrants_see_nothing_before_the_announcement(awarded, client, who) -> None:  # type: ignore[no-untyped-def]
    _announce(awarded.competition, timezone.now() + timedelta(seconds=30))
    for name, page in _entrant_pages(client, awarded, getattr(awarded, who)).items():
        assert 'data-testid="entry-result"' not in page, name
        assert "First place" not in page, name


@pytest.mark.parametrize("who", ["student_b", "teacher_b"])
def test_the_team_and_its_teacher_see_rank_and_award_after_the_announcement(awarded, client, who) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging.models import Result

    _announce(awarded.competition, timezone.now() - timedelta(microseconds=1))
    rank = Result.objects.get(entry=awarded.entry_b).rank
    assert rank == 1
    for name, page in _entrant_pages(client, awarded, getattr(awarded, who)).items():
        assert 'data-testid="entry-result"' in page, name
        assert "Award: First place" in page, name
        assert "Place in the category: 1" in page, name


def test_another_team_never_sees_the_entry_result(awarded, client) -> None:  # type: ignore[no-untyped-def]
    _announce(awarded.competition, timezone.now() - timedelta(microseconds=1))
    client.force_login(awarded.student_a)
    page = client.get("/me/").content.decode()
    assert "First place" not in page  # Team A's own entry came second
    assert "Place in the category: 2" in page


# ---------------------------------------------------------------- the results e-mail


@pytest.fixture
def with_emails(awarded):  # type: ignore[no-untyped-def]
    for user, address in (
        (awarded.student_a, "a@example.org"),
        (awarded.teacher_a, "ta@example.org"),
        (awarded.student_b, "b@example.org"),
        (awarded.teacher_b, "tb@example.org"),
    ):
        user.email = address
        user.save(update_fields=["email"])
    return awarded


def test_no_results_email_before_the_announcement(with_emails) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.jobs.models import Job
    from aigc_contest.web.judging import services

    j = with_emails
    before = j.competition.results_at - timedelta(microseconds=1)
    assert services.queue_due_results_emails(before) == 0
    assert services.queue_results_email(j.competition, before) == 0  # the embargo gate holds here too
    assert not [job for job in Job.objects.filter(kind="email") if "Results" in job.params["subject"]]


def test_the_results_email_is_queued_once_per_team_after_the_announcement(
    with_emails, mailoutbox, settings
) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.jobs.models import Job
    from aigc_contest.web.jobs.runner import run_available
    from aigc_contest.web.judging import selectors, services

    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False, "batch_window_seconds": 0.0}
    j = with_emails
    Job.objects.filter(kind="email").delete()  # the submission receipts
    after = j.competition.results_at
    assert services.queue_due_results_emails(after) == 2
    assert services.queue_due_results_emails(after + timedelta(minutes=1)) == 0  # once
    assert services.queue_results_email(j.competition, after) == 0
    jobs = Job.objects.filter(kind="email").order_by("id")
    assert sorted(job.params["recipients"] for job in jobs) == [
        ["a@example.org", "ta@example.org"],
        ["b@example.org", "tb@example.org"],
    ]
    body_b = next(job.params["body"] for job in jobs if "b@example.org" in job.params["recipients"])
    assert "“Kite over the harbour”: First place (place 1 in the category)" in body_b
    assert "My picture" not in body_b  # each team hears about its own entries only
    notice = selectors.results_notice(j.competition)
    assert notice is not None and notice.messages == 2

    assert run_available("default") == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["a@example.org", "b@example.org"]


def test_the_worker_watchdog_queues_the_results_email(with_emails, settings) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.jobs.models import Job
    from aigc_contest.web.jobs.runner import Housekeeper

    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False}
    j = with_emails
    Job.objects.filter(kind="email").delete()
    Housekeeper([]).watch()  # before the announcement: nothing
    assert not Job.objects.filter(kind="email").exists()
    _announce(j.competition, timezone.now() - timedelta(seconds=1))
    Housekeeper([]).watch()
    Housekeeper([]).watch()
    assert Job.objects.filter(kind="email").count() == 2


def test_an_old_announcement_is_not_emailed_late(with_emails) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import services

    j = with_emails
    long_after = j.competition.results_at + services.RESULTS_EMAIL_WINDOW + timedelta(seconds=1)
    assert services.queue_due_results_emails(long_after) == 0
