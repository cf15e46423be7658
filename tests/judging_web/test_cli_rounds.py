"""`aigc-contest judging round …` and `judging results …`: the organiser's judging from the command line, as a
named organiser, through the services the pages and the API call (same rules, same audit log)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aigc_contest.cli.main import main

pytestmark = pytest.mark.django_db


def _cli(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _usage(capsys: Any, *argv: str) -> int:
    """A usage mistake: argparse exits (with 2) before any command runs."""
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    capsys.readouterr()
    return int(exited.value.code or 0)


def _slug(j: Any) -> str:
    return str(j.competition.slug)


def test_open_add_a_judge_assign_and_list_a_round(world: Any, make_user: Any, capsys: Any) -> None:
    from aigc_contest.web.contests.models import Criterion
    from aigc_contest.web.entries import services as entries
    from aigc_contest.web.judging.models import Assignment, Round

    w = world
    Criterion.objects.create(competition=w.competition, key="ai", name_en="AI", weight=100, min_score=0,
                             max_score=10)
    entries.submit_entry(w.student_a, w.entry)
    slug = _slug(w)
    code, out, _err = _cli(capsys, "judging", "round", "open", slug, "screening", "--judges-per-entry", "1",
                           "--as", "organiser", "--json")
    assert code == 0
    assert json.loads(out)["kind"] == "screening" and json.loads(out)["judges_per_entry"] == 1
    assert Round.objects.filter(competition=w.competition, kind="screening").exists()
    code, out, _err = _cli(capsys, "judging", "round", "judge", slug, "screening", "judge", "--max-load", "5",
                           "--category", w.category.slug, "--as", "organiser")
    assert code == 0 and "judge is on the screening round's panel" in out
    # before the deadline the first assignment needs --early, and the message says so
    code, _out, err = _cli(capsys, "judging", "round", "assign", slug, "screening", "--as", "organiser")
    assert code == 1 and "add --early to assign now" in err
    assert not Assignment.objects.exists()
    code, out, _err = _cli(capsys, "judging", "round", "assign", slug, "screening", "--early", "--as", "organiser",
                           "--json")
    assert code == 0
    data = json.loads(out)
    assert data["created"] == 1 and data["kept"] == 0
    assert Assignment.objects.get().judge == w.judge
    code, out, _err = _cli(capsys, "judging", "round", "list", slug, "--as", "organiser")
    assert code == 0
    assert out.strip() == "screening: open, 1 judges per entry, 1 on the panel, 1 assignments"


def test_only_an_organiser_of_the_competition_may_act(judged: Any, make_user: Any, capsys: Any) -> None:
    from aigc_contest.web.judging.models import Round

    make_user("teacher.other", "teacher")
    slug = _slug(judged)
    code, _out, err = _cli(capsys, "judging", "round", "close", slug, "scoring", "--as", "teacher.other")
    assert code == 1 and "teacher.other may not do that" in err
    assert Round.objects.get(pk=judged.round.pk).is_open
    code, _out, err = _cli(capsys, "judging", "round", "close", slug, "scoring", "--as", "nobody")
    assert code == 1 and "no account 'nobody'" in err
    code, _out, err = _cli(capsys, "judging", "round", "close", "nowhere", "scoring", "--as", "organiser")
    assert code == 1 and "no competition 'nowhere'" in err
    code, _out, err = _cli(capsys, "judging", "round", "close", slug, "final", "--as", "organiser")
    assert code == 1 and "has no final round (rounds: scoring)" in err
    assert _usage(capsys, "judging", "round", "close", slug, "scoring") == 2  # no --as


def test_close_and_reopen_are_recorded_under_the_organisers_name(judged: Any, capsys: Any) -> None:
    from aigc_contest.web.accounts.models import ChangeRecord

    slug = _slug(judged)
    code, out, _err = _cli(capsys, "judging", "round", "close", slug, "scoring", "--as", "organiser")
    assert code == 0 and out.startswith("closed the scoring round\nscoring: closed")
    judged.round.refresh_from_db()
    assert not judged.round.is_open
    code, out, _err = _cli(capsys, "judging", "round", "reopen", slug, "scoring", "--as", "organiser", "--json")
    assert code == 0 and json.loads(out)["is_open"] is True
    actions = list(ChangeRecord.objects.filter(actor=judged.organiser).values_list("action", flat=True))
    assert "round closed" in actions and "round reopened" in actions


def test_due_date_is_typed_on_the_competitions_clock_and_can_be_cleared(judged: Any, capsys: Any) -> None:
    from datetime import UTC, datetime

    slug = _slug(judged)
    code, out, _err = _cli(capsys, "judging", "round", "due-date", slug, "scoring", "2031-11-05 23:59",
                           "--remind-days-before", "3", "--as", "organiser", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["due_at"] == "2031-11-05 23:59" and data["remind_days_before"] == 3
    judged.round.refresh_from_db()
    assert judged.round.due_at.astimezone(UTC) == datetime(2031, 11, 5, 15, 59, 59, 999_999, tzinfo=UTC)
    code, _out, err = _cli(capsys, "judging", "round", "due-date", slug, "scoring", "5 Nov", "--as", "organiser")
    assert code == 1 and "Type the due date as" in err
    code, _out, err = _cli(capsys, "judging", "round", "due-date", slug, "scoring", "2031-11-05 23:59",
                           "--remind-days-before", "99", "--as", "organiser")
    assert code == 1 and "Reminders go between 0 and" in err
    code, out, _err = _cli(capsys, "judging", "round", "due-date", slug, "scoring", "--none", "--as", "organiser")
    assert code == 0 and "due on no date" in out
    judged.round.refresh_from_db()
    assert judged.round.due_at is None
    assert _usage(capsys, "judging", "round", "due-date", slug, "scoring", "--as", "organiser") == 2  # no date


def test_results_compute_then_confirm(judged: Any, score_all: Any, capsys: Any) -> None:
    from aigc_contest.web.judging.models import Result

    slug = _slug(judged)
    # nothing scored yet: refused, with the reason
    code, _out, err = _cli(capsys, "judging", "results", "confirm", slug, "scoring", "--method", "mean",
                           "--as", "organiser")
    assert code == 1 and "No submitted scores yet." in err
    score_all(judged, {(judged.entry.pk, "judge"): (9, 9), (judged.entry_b.pk, "judge.c"): (2, 2)})
    code, out, _err = _cli(capsys, "judging", "results", "compute", slug, "scoring", "--method", "mean",
                           "--as", "organiser", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["method"].startswith("mean") and data["defects"] == []
    assert [(r["entry"], r["rank"]) for r in data["results"]] == [(judged.entry.pk, 1), (judged.entry_b.pk, 2)]
    assert not Result.objects.exists()  # computing records nothing
    # a normalising method with few sheets per judge asks for the explicit confirmation
    code, _out, err = _cli(capsys, "judging", "results", "confirm", slug, "scoring", "--method", "zscore",
                           "--as", "organiser")
    assert code == 1 and "add --accept-few-sheets to go on" in err
    assert not Result.objects.exists()
    code, out, _err = _cli(capsys, "judging", "results", "confirm", slug, "scoring", "--method", "mean",
                           "--as", "organiser")
    assert code == 0 and out.strip() == "confirmed 2 results of the scoring round under mean"
    assert Result.objects.filter(round=judged.round, confirmed_by=judged.organiser).count() == 2


def test_promote_the_top_entry_to_the_final(judged: Any, score_all: Any, capsys: Any) -> None:
    from aigc_contest.web.judging.models import Round, ShortlistEntry

    slug = _slug(judged)
    code, _out, err = _cli(capsys, "judging", "round", "promote", slug, "scoring", "--top", "1", "--as", "organiser")
    assert code == 1 and "No submitted scores yet." in err
    assert _usage(capsys, "judging", "round", "promote", slug, "scoring", "--top", "1", "--cut-off", "50",
                  "--as", "organiser") == 2  # one rule or the other
    score_all(judged, {(judged.entry.pk, "judge"): (9, 9), (judged.entry_b.pk, "judge.c"): (2, 2)})
    code, out, _err = _cli(capsys, "judging", "round", "promote", slug, "scoring", "--top", "1",
                           "--judges-per-entry", "1", "--as", "organiser", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["promoted"] == 1 and data["per_category"] == {judged.category.slug: 1}
    assert data["rule"] == "top 1" and data["round"]["kind"] == "final" and data["round"]["source"] == "scoring"
    final = Round.objects.get(competition=judged.competition, kind="final")
    assert final.judges_per_entry == 1
    assert list(ShortlistEntry.objects.filter(round=final).values_list("entry_id", flat=True)) == [judged.entry.pk]
    code, out, _err = _cli(capsys, "judging", "round", "shortlist", slug, "final", "--as", "organiser")
    assert code == 0 and out.startswith(f"{judged.category.slug}\t#1\t")
    # the final is the last round: nothing goes on from it
    code, _out, err = _cli(capsys, "judging", "round", "promote", slug, "final", "--cut-off", "10",
                           "--as", "organiser")
    assert code == 1 and "This is the final round" in err
    # the scoring round cannot reopen once the final has assignments
    code, out, _err = _cli(capsys, "judging", "round", "assign", slug, "final", "--early", "--as", "organiser")
    assert code == 0
    code, _out, err = _cli(capsys, "judging", "round", "reopen", slug, "scoring", "--as", "organiser")
    assert code == 1 and "this round stays closed" in err


def test_incomplete_scores_are_each_listed_with_exit_4(judged: Any, capsys: Any) -> None:
    from aigc_contest.web.judging import services
    from aigc_contest.web.judging.models import Assignment, Result, Score

    # one sheet submitted with a criterion missing (as an import or an older version could leave it)
    a = Assignment.objects.filter(round=judged.round).select_related("judge").first()
    assert a is not None
    services.save_scores(a.judge, a, {judged.criteria[0].pk: 5, judged.criteria[1].pk: 5}, submit=True)
    Score.objects.filter(assignment=a, criterion=judged.criteria[1]).delete()
    code, _out, err = _cli(capsys, "judging", "results", "confirm", _slug(judged), "scoring", "--method", "mean",
                           "--as", "organiser")
    assert code == 4
    assert "the scoring round's scores have 1 defect(s)" in err and "  - " in err
    assert not Result.objects.exists()


def test_the_file_based_assign_is_unchanged(tmp_path: Any, capsys: Any) -> None:
    problem = tmp_path / "p.json"
    problem.write_text(json.dumps({"k": 1, "entries": [{"id": "e1", "category": "c"}],
                                   "judges": [{"id": "j1", "max_load": 1}]}), encoding="utf-8")
    out = tmp_path / "a.csv"
    code, _out, _err = _cli(capsys, "judging", "assign", str(problem), "--out", str(out))
    assert code == 0 and out.read_text(encoding="utf-8").splitlines()[1].startswith("e1,j1")


def test_award_places_then_awards_from_the_confirmed_ranks(judged: Any, score_all: Any, capsys: Any) -> None:
    from aigc_contest.web.judging.models import Award

    slug = _slug(judged)
    code, out, _err = _cli(capsys, "judging", "awards", "places", slug, judged.category.slug, "--second", "0",
                           "--merit", "1", "--as", "organiser", "--json")
    assert code == 0 and json.loads(out) == {"first": 1, "second": 0, "third": 1, "merit": 1}
    code, _out, err = _cli(capsys, "judging", "awards", "places", slug, "nowhere", "--as", "organiser")
    assert code == 1 and "has no category 'nowhere'" in err
    code, _out, err = _cli(capsys, "judging", "awards", "places", slug, judged.category.slug, "--merit", "101",
                           "--as", "organiser")
    assert code == 1 and "between 0 and 100" in err
    score_all(judged, {(judged.entry.pk, "judge"): (9, 9), (judged.entry_b.pk, "judge.c"): (2, 2)})
    assert _cli(capsys, "judging", "results", "confirm", slug, "scoring", "--method", "mean", "--as",
                "organiser")[0] == 0
    code, out, _err = _cli(capsys, "judging", "awards", "give", slug, "scoring", "--as", "organiser")
    assert code == 0 and out.strip() == "gave 2 awards from the scoring round's results"
    assert sorted(Award.objects.values_list("entry_id", "kind")) == sorted(
        [(judged.entry.pk, "first"), (judged.entry_b.pk, "third")])
