"""Safeguards around judging: a conflict needs a reason the organisers read, a dropped sheet is refilled,
judging opens before the deadline only when confirmed, and normalising with too few sheets is confirmed."""

from __future__ import annotations

from datetime import timedelta

import pytest

pytestmark = pytest.mark.django_db


def test_a_conflict_needs_a_reason_and_the_organiser_reads_it(judged, client) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging.models import Assignment, ConflictDeclaration

    j = judged
    assignment = Assignment.objects.filter(round=j.round, judge=j.judge_c).first()
    client.force_login(j.judge_c)
    response = client.post(
        f"/judging/assignments/{assignment.pk}/", {"action": "conflict", "reason": "  "}, follow=True
    )
    assert "Say why you cannot judge this entry" in response.content.decode()
    assert Assignment.objects.filter(pk=assignment.pk).exists() and not ConflictDeclaration.objects.exists()

    client.post(
        f"/judging/assignments/{assignment.pk}/", {"action": "conflict", "reason": "my niece made it"}
    )
    assert not Assignment.objects.filter(pk=assignment.pk).exists()
    client.force_login(j.organiser)
    page = client.get(f"/organiser/{j.competition.slug}/judging/").content.decode()
    assert 'data-testid="declared-conflicts"' in page
    assert "my niece made it" in page and "judge.c" in page


def test_a_conflicted_sheet_goes_to_another_judge_at_once(judged) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import selectors, services
    from aigc_contest.web.judging.models import Assignment

    j = judged
    spare = j.make_user("judge.d", "judge")
    services.add_judge(j.organiser, j.round, spare, max_load=2)
    victim = Assignment.objects.filter(round=j.round, entry=j.entry).first()
    services.declare_conflict(victim.judge, victim, "I taught the team last year")
    judges = set(
        Assignment.objects.filter(round=j.round, entry=j.entry).values_list("judge__username", flat=True)
    )
    assert len(judges) == 2 and "judge.d" in judges and victim.judge.username not in judges
    assert not selectors.round_progress(j.round).under_judged


def test_judging_opens_before_the_deadline_only_when_confirmed(judged, client) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.core.errors import ServiceError
    from aigc_contest.web.judging import services

    j = judged
    round_ = services.open_round(j.organiser, j.competition, "final", k=2)
    for judge in (j.judge, j.judge_a, j.judge_c):
        services.add_judge(j.organiser, round_, judge, max_load=2)
    with pytest.raises(ServiceError) as refused:
        services.assign_judges(j.organiser, round_)
    assert refused.value.code == "before_deadline" and not round_.assignments.exists()

    client.force_login(j.organiser)
    url = f"/organiser/{j.competition.slug}/judging/"
    page = client.get(url).content.decode()
    assert 'data-testid="opens-early"' in page and 'name="early"' in page
    response = client.post(url, {"action": "assign", "round": round_.pk}, follow=True)
    assert "Confirm that judging opens before the deadline" in response.content.decode()
    assert not round_.assignments.exists()
    client.post(url, {"action": "assign", "round": round_.pk, "early": "1"})
    assert round_.assignments.count() == 4
    services.assign_judges(j.organiser, round_)  # once open, filling gaps needs no confirmation

    j.competition.submission_deadline = j.competition.submission_deadline - timedelta(days=30)
    j.competition.registration_opens_at -= timedelta(days=60)
    j.competition.submission_opens_at -= timedelta(days=60)
    j.competition.save()
    later = services.open_round(j.organiser, j.competition, "screening", k=1)
    services.add_judge(j.organiser, later, j.judge_c, max_load=2)
    assert not services.opens_early(later)
    services.assign_judges(j.organiser, later)  # after the deadline: no confirmation
    assert later.assignments.count() == 2


def test_zscore_with_too_few_sheets_warns_and_needs_confirmation(judged, score_all, client) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.core.errors import ServiceError
    from aigc_contest.web.judging import services
    from aigc_contest.web.judging.models import Result

    j = judged
    score_all(j, {})
    preview = services.preview_results(j.round, "zscore")
    assert preview.few_sheets and all(f.sheets < services.MIN_SHEETS_TO_NORMALISE for f in preview.few_sheets)
    assert not services.preview_results(j.round, "mean").few_sheets
    with pytest.raises(ServiceError) as refused:
        services.confirm_results(j.organiser, j.round, "zscore")
    assert refused.value.code == "few_sheets" and "judge.c" in refused.value.message

    client.force_login(j.organiser)
    url = f"/organiser/{j.competition.slug}/judging/"
    page = client.get(f"{url}?round={j.round.pk}&method=zscore").content.decode()
    assert 'data-testid="few-sheets"' in page and 'name="accept_few_sheets"' in page
    client.post(url, {"action": "confirm", "round": j.round.pk, "method": "zscore"})
    assert not Result.objects.exists()
    client.post(url, {"action": "confirm", "round": j.round.pk, "method": "zscore", "accept_few_sheets": "1"})
    assert Result.objects.filter(round=j.round, method="zscore@1").count() == 2
    assert services.confirm_results(j.organiser, j.round, "mean") == 2  # a plain mean needs no confirmation
