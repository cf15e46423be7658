"""Rounds that promote a shortlist: the organiser closes a round and sends the best of each category on to
the next one, which judges only those entries with its own assignment and sheets; results come from the
last round, and the earlier round's scores stay for the organisers."""

from __future__ import annotations

from datetime import timedelta

import pytest

pytestmark = pytest.mark.django_db


def _score(round_, criteria, values=None) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import services
    from aigc_contest.web.judging.models import Assignment

    values = values or {}
    for a in Assignment.objects.filter(round=round_, status="assigned").select_related("judge"):
        ai, creativity = values.get(a.entry_id, (5, 5))
        services.save_scores(a.judge, a, {criteria[0].pk: ai, criteria[1].pk: creativity}, submit=True)


@pytest.fixture
def screened(judged):  # type: ignore[no-untyped-def]
    """The scoring round scored: Team A's entry well ahead of Team B's."""
    _score(judged.round, judged.criteria, {judged.entry.pk: (9, 9), judged.entry_b.pk: (3, 3)})
    return judged


def test_promoting_the_top_entry_opens_a_final_that_judges_only_it(screened) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.accounts.models import ChangeRecord
    from aigc_contest.web.judging import selectors, services
    from aigc_contest.web.judging.models import Assignment, Round

    j = screened
    report = services.promote_shortlist(j.organiser, j.round, top=1)
    final = report.round
    assert final.kind == Round.Kind.FINAL and final.source == j.round
    assert report.promoted == 1 and report.per_category == {j.category.slug: 1}
    j.round.refresh_from_db()
    assert not j.round.is_open and j.round.closed_at is not None  # closed by the promotion
    row = selectors.shortlist(final).get()
    assert row.entry == j.entry and row.rank == 1 and row.score == pytest.approx(90.0)
    # the panel came along; the final has its own assignment, of the version judged before
    assert set(final.panel.values_list("judge__username", flat=True)) == {"judge", "judge.a", "judge.c"}
    assign = services.assign_judges(j.organiser, final, early=True)
    assert assign.created == 2
    assigned = list(Assignment.objects.filter(round=final))
    assert {a.entry_id for a in assigned} == {j.entry.pk}
    first_version = Assignment.objects.filter(round=j.round, entry=j.entry).first().version_id  # type: ignore[union-attr]
    assert {a.version_id for a in assigned} == {first_version}
    # progress counts the shortlist only
    progress = selectors.round_progress(final)
    assert [(c.entries, c.needed) for c in progress.categories] == [(1, 2)]
    record = ChangeRecord.objects.get(action="shortlist promoted")
    assert record.competition_id == j.competition.pk and record.changes["rule"] == [None, "top 1"]


def test_results_come_from_the_final_round_and_not_before_it_is_confirmed(screened) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import selectors, services

    j = screened
    after = j.competition.results_at + timedelta(seconds=1)
    services.confirm_results(j.organiser, j.round, "mean")
    assert selectors.deciding_round(j.competition) == j.round  # one round: it decides, as before
    final = services.promote_shortlist(j.organiser, j.round, top=1).round
    assert selectors.deciding_round(j.competition) is None  # the shortlist went on: nothing out yet
    assert not selectors.published_results(j.competition, after).exists()
    services.assign_judges(j.organiser, final, early=True)
    _score(final, j.criteria, {j.entry.pk: (7, 7)})
    services.confirm_results(j.organiser, final, "mean")
    assert selectors.deciding_round(j.competition) == final
    published = list(selectors.published_results(j.competition, after))
    assert [(r.entry_id, r.rank, r.score) for r in published] == [(j.entry.pk, 1, pytest.approx(70.0))]
    # the earlier round's confirmed scores stay for the organisers
    assert j.round.results.count() == 2


def test_a_cutoff_takes_every_entry_over_it(screened) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import selectors, services

    j = screened
    report = services.promote_shortlist(j.organiser, j.round, cutoff=20, kind="final", k=1)
    assert report.promoted == 2 and report.round.judges_per_entry == 1
    assert {r.entry_id for r in selectors.shortlist(report.round)} == {j.entry.pk, j.entry_b.pk}
    again = services.promote_shortlist(j.organiser, j.round, cutoff=50)  # not started: the shortlist changes
    assert again.round == report.round and [r.entry_id for r in selectors.shortlist(again.round)] == [j.entry.pk]


def test_promotion_refusals(screened, make_user) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.core.errors import ServiceError
    from aigc_contest.web.judging import services

    j = screened
    for kwargs, code in (({}, "rule"), ({"top": 1, "cutoff": 3.0}, "rule"), ({"top": 0}, "rule"),
                         ({"top": 1, "kind": "screening"}, "order")):
        with pytest.raises(ServiceError) as refused:
            services.promote_shortlist(j.organiser, j.round, **kwargs)
        assert refused.value.code == code
    with pytest.raises(ServiceError):  # nobody but the competition's organisers
        services.promote_shortlist(make_user("someone", "teacher"), j.round, top=1)
    final = services.promote_shortlist(j.organiser, j.round, top=1).round
    with pytest.raises(ServiceError) as refused:
        services.promote_shortlist(j.organiser, final, top=1)
    assert refused.value.code == "last_round"
    services.assign_judges(j.organiser, final, early=True)
    for write in (lambda: services.promote_shortlist(j.organiser, j.round, top=2),
                  lambda: services.reopen_round(j.organiser, j.round)):
        with pytest.raises(ServiceError) as refused:
            write()
        assert refused.value.code == "started"


def test_a_closed_round_takes_no_scores_and_leaves_the_judge_home(judged, client) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.core.errors import ServiceError
    from aigc_contest.web.judging import services
    from aigc_contest.web.judging.models import Assignment

    j = judged
    services.close_round(j.organiser, j.round)
    a = Assignment.objects.filter(round=j.round).first()
    assert a is not None
    with pytest.raises(ServiceError):
        services.save_scores(a.judge, a, {j.criteria[0].pk: 3})
    client.force_login(a.judge)
    assert "Nothing to judge yet." in client.get("/judging/").content.decode()
    services.reopen_round(j.organiser, j.round)
    assert "Nothing to judge yet." not in client.get("/judging/").content.decode()


def test_existing_rounds_stay_single_rounds_after_the_migration(judged) -> None:  # type: ignore[no-untyped-def]
    """The data migration's rule: a round made before shortlists judges every submitted entry, and one
    closed before is recorded as closed."""
    import importlib

    from django.apps import apps

    from aigc_contest.web.judging import selectors, services
    from aigc_contest.web.judging.models import Round

    migration = importlib.import_module("aigc_contest.web.judging.migrations.0005_existing_rounds_stand_alone")
    Round.objects.filter(pk=judged.round.pk).update(is_open=False, closed_at=None)
    migration.forwards(apps, None)
    judged.round.refresh_from_db()
    assert judged.round.closed_at == judged.round.created_at and judged.round.source is None
    problem = services.panel_problem(judged.round)
    assert set(problem.entries) == {str(judged.entry.pk), str(judged.entry_b.pk)}
    services.reopen_round(judged.organiser, judged.round)
    assert selectors.round_progress(judged.round).categories[0].entries == 2


def test_the_organiser_page_promotes_and_shows_the_shortlist_with_earlier_scores(screened, client) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging.models import Round

    j = screened
    client.force_login(j.organiser)
    url = f"/organiser/{j.competition.slug}/judging/"
    page = client.get(url).content.decode()
    assert 'data-testid="promote"' in page and "Close this round and promote the shortlist" in page
    refused = client.post(url, {"action": "promote", "round": j.round.pk, "top": "1", "cutoff": "50", "k": "2"})
    assert refused.status_code == 400
    assert "not both" in refused.content.decode() and 'value="50"' in refused.content.decode()
    response = client.post(url, {"action": "promote", "round": j.round.pk, "top": "1", "method": "mean",
                                 "kind": "final", "k": "2"})
    assert response.status_code == 302
    final = Round.objects.get(competition=j.competition, kind="final")
    page = client.get(url).content.decode()
    assert 'data-testid="shortlist"' in page and "<td>90.00</td>" in page
    assert "Judges the shortlist of the Scoring round: 1 entry." in page
    assert "Closed for scoring since" in page
    assert final.source == j.round


def test_awards_come_from_the_round_the_shortlist_went_to(screened) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.core.errors import ServiceError
    from aigc_contest.web.judging import services
    from aigc_contest.web.judging.models import Award

    j = screened
    services.confirm_results(j.organiser, j.round, "mean")
    assert services.give_awards(j.organiser, j.round) == 2
    final = services.promote_shortlist(j.organiser, j.round, top=1).round
    assert not Award.objects.filter(category=j.category).exists()  # the screening's awards are gone
    with pytest.raises(ServiceError) as refused:
        services.give_awards(j.organiser, j.round)
    assert refused.value.code == "promoted"
    services.assign_judges(j.organiser, final, early=True)
    _score(final, j.criteria)
    services.confirm_results(j.organiser, final, "mean")
    assert services.give_awards(j.organiser, final) == 1


def test_the_organiser_closes_and_reopens_a_round_from_the_page(judged, client) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.accounts.models import ChangeRecord

    j = judged
    client.force_login(j.organiser)
    url = f"/organiser/{j.competition.slug}/judging/"
    assert client.post(url, {"action": "close_round", "round": j.round.pk}).status_code == 302
    page = client.get(url).content.decode()
    assert "Closed for scoring since" in page and "Open the round again" in page
    assert client.post(url, {"action": "reopen_round", "round": j.round.pk}).status_code == 302
    assert "Open for scoring." in client.get(url).content.decode()
    assert list(ChangeRecord.objects.filter(competition=j.competition, action__startswith="round ")
                .order_by("pk").values_list("action", flat=True)) == ["round closed", "round reopened"]
    audit = client.get(f"/organiser/audit/?competition={j.competition.pk}").content.decode()
    assert "Judging round closed" in audit
