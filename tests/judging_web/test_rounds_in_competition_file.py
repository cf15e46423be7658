"""The judging rounds in a competition's file: `competition apply` opens them with their judges per entry, due
dates and planned shortlists, `competition export` writes them back the same, and the promotion uses the
plan when no rule is given."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aigc_contest.cli.main import main

pytestmark = pytest.mark.django_db

SPEC = '''
slug = "rounds-2031"
timezone = "Asia/Hong_Kong"
schools_must_join = true

[name]
en = "Rounds 2031"

[timeline]
registration_opens_at = "2031-09-01 09:00"
submission_opens_at = "2031-09-15 09:00"
submission_deadline = "2031-10-30 23:59"
judging_starts_at = "2031-10-31 00:00"
results_at = "2031-11-20 10:00"

[[categories]]
slug = "primary"
name = { en = "Primary" }
school_levels = ["primary"]
work_types = ["image"]
any_theme = true

[[criteria]]
key = "creativity"
name = { en = "Creativity" }
weight = 100

[[rounds]]
kind = "screening"
judges_per_entry = 1
due_at = "2031-11-05 23:59"
remind_days_before = 3
promote_top = 10

[[rounds]]
kind = "final"
judges_per_entry = 3
due_at = "2031-11-15 18:00"
'''


def _cli(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _apply(capsys: Any, tmp_path: Path, text: str, name: str = "c.toml") -> tuple[int, str, str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return _cli(capsys, "competition", "apply", str(path))


def test_apply_opens_the_rounds_and_a_second_apply_changes_nothing(tmp_path: Path, capsys: Any) -> None:
    from aigc_contest.web.contests.models import Competition
    from aigc_contest.web.judging.models import Round

    code, out, err = _apply(capsys, tmp_path, SPEC)
    assert code == 0, err
    assert "created round screening" in out and "created round final" in out
    competition = Competition.objects.get(slug="rounds-2031")
    assert competition.schools_must_join is True
    screening = Round.objects.get(competition=competition, kind="screening")
    assert (screening.judges_per_entry, screening.remind_days_before, screening.promote_top) == (1, 3, 10)
    assert screening.due_at == datetime(2031, 11, 5, 15, 59, 59, 999_999, tzinfo=UTC)  # 23:59 in Hong Kong
    final = Round.objects.get(competition=competition, kind="final")
    assert final.due_at == datetime(2031, 11, 15, 10, 0, 59, 999_999, tzinfo=UTC)
    assert final.promote_top is None and final.promote_cutoff is None and final.remind_days_before == 2
    code, out, _err = _apply(capsys, tmp_path, SPEC)
    assert code == 0 and out.strip() == "competition rounds-2031: nothing to change"


def test_export_writes_the_rounds_back_and_round_trips_byte_for_byte(tmp_path: Path, capsys: Any) -> None:
    from aigc_contest.web.contests.models import Competition

    _apply(capsys, tmp_path, SPEC)
    code, first, _err = _cli(capsys, "competition", "export", "rounds-2031")
    assert code == 0
    assert "[[rounds]]" in first and 'due_at = "2031-11-05 23:59"' in first and "promote_top = 10" in first
    assert 'due_at = "2031-11-15 18:00"' in first and "schools_must_join = true" in first
    Competition.objects.all().delete()
    code, _out, err = _apply(capsys, tmp_path, first, "first.toml")
    assert code == 0, err
    code, second, _err = _cli(capsys, "competition", "export", "rounds-2031")
    assert second == first


def test_apply_changes_a_round_and_removes_one_left_out(tmp_path: Path, capsys: Any) -> None:
    from aigc_contest.web.accounts.models import ChangeRecord
    from aigc_contest.web.judging.models import Round

    _apply(capsys, tmp_path, SPEC)
    changed = SPEC.replace("promote_top = 10", "promote_cutoff = 72.5").split("[[rounds]]\nkind = \"final\"")[0]
    code, out, err = _apply(capsys, tmp_path, changed, "changed.toml")
    assert code == 0, err
    lines = out.splitlines()
    assert "removed round final" in lines
    assert "changed round screening: promote_top, promote_cutoff" in lines
    screening = Round.objects.get(kind="screening")
    assert (screening.promote_top, screening.promote_cutoff) == (None, 72.5)
    assert not Round.objects.filter(kind="final").exists()
    assert ChangeRecord.objects.filter(action="round set up").exists()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('kind = "final"', 'kind = "semi-final"', "rounds.1.kind: A round is one of: screening, scoring, final."),
        ('kind = "final"', 'kind = "screening"', "rounds.1.kind: Another row already has"),
        ("judges_per_entry = 3", "judges_per_entry = 30", "rounds.1.judges_per_entry: Judges per entry must be"),
        ('due_at = "2031-11-05 23:59"', 'due_at = "5 Nov"', "rounds.0.due_at: Type the due date as"),
        ("remind_days_before = 3", "remind_days_before = 99", "rounds.0.remind_days_before: Reminders go between"),
        ("promote_top = 10", "promote_top = 10\npromote_cutoff = 50", "rounds.0.promote_top: Give either"),
        ("promote_top = 10", "promote_cutoff = 150", "rounds.0.promote_cutoff: The cut-off is between 0 and 100."),
        ("promote_top = 10", 'colour = "red"', "rounds.0: Unknown keys: colour"),
    ],
)  # fmt: skip
def test_rounds_with_defects_change_nothing_and_are_each_listed(
    tmp_path: Path, capsys: Any, old: str, new: str, expected: str
) -> None:
    from aigc_contest.web.contests.models import Competition

    assert old in SPEC
    code, _out, err = _apply(capsys, tmp_path, SPEC.replace(old, new, 1), "bad.toml")
    assert code == 4
    assert expected in err
    assert not Competition.objects.exists()


def test_a_started_round_is_not_removed_by_a_file_that_leaves_it_out(judged: Any, tmp_path: Path, capsys: Any) -> None:
    from aigc_contest.web.contests import services
    from aigc_contest.web.judging.models import Round

    spec = services.export_spec(judged.competition)
    assert [r["kind"] for r in spec["rounds"]] == ["scoring"]
    spec["rounds"] = []
    with pytest.raises(services.SetupError) as refused:
        services.apply_spec(judged.organiser, spec)
    assert "The Scoring round has started and cannot be removed." in refused.value.lines()[0]
    assert Round.objects.filter(pk=judged.round.pk).exists()


def test_promoting_without_a_rule_uses_the_planned_shortlist(judged: Any, score_all: Any, capsys: Any) -> None:
    from aigc_contest.web.judging.models import ShortlistEntry

    slug = judged.competition.slug
    score_all(judged, {(judged.entry.pk, "judge"): (9, 9), (judged.entry_b.pk, "judge.c"): (2, 2)})
    code, _out, err = _cli(capsys, "judging", "round", "promote", slug, "scoring", "--as", "organiser")
    assert code == 1 and "Say how many entries of each category go on" in err  # no plan, no rule
    code, _out, err = _cli(capsys, "judging", "round", "plan", slug, "scoring", "--top", "0", "--as", "organiser")
    assert code == 1 and "Say how many entries" in err
    code, out, _err = _cli(capsys, "judging", "round", "plan", slug, "scoring", "--top", "1", "--as", "organiser")
    assert code == 0 and "plans to send on the top 1 of each category" in out
    code, out, _err = _cli(capsys, "judging", "round", "promote", slug, "scoring", "--as", "organiser", "--json")
    assert code == 0 and json.loads(out)["rule"] == "top 1"
    assert ShortlistEntry.objects.get().entry == judged.entry


def test_the_rule_a_promotion_used_becomes_the_plan_the_file_shows(judged: Any, score_all: Any) -> None:
    from aigc_contest.web.contests import services as contests
    from aigc_contest.web.judging import services

    score_all(judged, {(judged.entry.pk, "judge"): (9, 9), (judged.entry_b.pk, "judge.c"): (2, 2)})
    services.promote_shortlist(judged.organiser, judged.round, cutoff=40)
    rounds = contests.export_spec(judged.competition)["rounds"]
    assert rounds[0]["kind"] == "scoring" and rounds[0]["promote_cutoff"] == 40.0
    assert rounds[1]["kind"] == "final" and "promote_top" not in rounds[1]


def test_the_plan_through_the_api(judged: Any, client: Any) -> None:
    client.force_login(judged.organiser)
    url = f"/api/v1/competitions/{judged.competition.slug}/rounds/scoring/promotion-plan"
    response = client.put(url, {"top": 5}, content_type="application/json")
    assert response.status_code == 200 and response.json()["promote_top"] == 5
    response = client.put(url, {"top": 5, "cutoff": 50}, content_type="application/json")
    assert response.status_code == 422
    judged.round.refresh_from_db()
    assert judged.round.promote_top == 5


def test_cloning_moves_the_due_dates_with_the_timeline(tmp_path: Path, capsys: Any) -> None:
    from aigc_contest.web.contests import services
    from aigc_contest.web.contests.models import Competition
    from aigc_contest.web.judging.models import Round

    _apply(capsys, tmp_path, SPEC)
    clone = services.clone_competition(None, Competition.objects.get(slug="rounds-2031"),
                                       slug="rounds-2032", name_en="Rounds 2032", days=365)
    screening = Round.objects.get(competition=clone, kind="screening")
    assert screening.due_at == datetime(2032, 11, 4, 15, 59, 59, 999_999, tzinfo=UTC)
    assert screening.promote_top == 10 and not screening.assignments.exists()
