"""`aigc-contest judging aggregate|assign` through files."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from aigc_contest.cli.main import main

RUBRIC = {"criteria": [{"id": "creativity", "weight": 2, "min": 0, "max": 10},
                       {"id": "technique", "weight": 1, "min": 1, "max": 5}]}
SCORES = """entry,judge,criterion,score
E1,J1,creativity,8
E1,J1,technique,2
E1,J2,creativity,6
E1,J2,technique,2
E2,J1,creativity,5
E2,J1,technique,4
E2,J2,creativity,4
E2,J2,technique,4
E3,J1,creativity,2
E3,J1,technique,5
E3,J2,creativity,3
E3,J2,technique,5
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "rubric.json").write_text(json.dumps(RUBRIC))
    (tmp_path / "scores.csv").write_text(SCORES)
    return tmp_path


def _read(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("method", ["mean", "median", "trimmed", "zscore", "calibrated"])
def test_aggregate_round_trip(files, method, capsys):
    out = files / "results.csv"
    code = main(["judging", "aggregate", str(files / "scores.csv"), "--rubric", str(files / "rubric.json"),
                 "--method", method, "--out", str(out), "--json"])
    assert code == 0
    rows = _read(out)
    assert list(rows[0])[:6] == ["entry", "score", "rank", "n_judges", "method", "tiebreak"]
    assert {r["entry"] for r in rows} == {"E1", "E2", "E3"}
    assert all(r["method"] == f"{method}@1" and r["n_judges"] == "2" for r in rows)
    assert [r["rank"] for r in rows] == ["1", "2", "3"]
    assert [float(r["score"]) for r in rows] == sorted((float(r["score"]) for r in rows), reverse=True)
    stats = json.loads(capsys.readouterr().out)
    assert stats["method"] == f"{method}@1" and "krippendorff_alpha_interval" in stats and "icc" in stats


def test_tie_is_broken_by_first_criterion_and_recorded(files):
    out = files / "results.csv"
    # sheet = 100·(2·c/10 + (t−1)/4)/3. E1: (8,2), (6,2); E2: (5,4), (4,4) → both average 55
    assert main(["judging", "aggregate", str(files / "scores.csv"), "--rubric", str(files / "rubric.json"),
                 "--method", "mean", "--out", str(out)]) == 0
    rows = _read(out)
    assert [r["entry"] for r in rows] == ["E1", "E2", "E3"]
    assert rows[0]["score"] == rows[1]["score"] == "55.0000"
    # creativity means: E1 7.0 > E2 4.5 → E1 first, by the first criterion in rubric order
    assert rows[1]["tiebreak"] == "criterion:creativity"
    assert [r["rank"] for r in rows] == ["1", "2", "3"]
    assert main(["judging", "aggregate", str(files / "scores.csv"), "--rubric", str(files / "rubric.json"),
                 "--method", "mean", "--out", str(out), "--tiebreak", "none"]) == 0
    rows = _read(out)
    assert [r["rank"] for r in rows] == ["1", "1", "3"] and rows[1]["tiebreak"] == "shared"


def test_submission_time_breaks_a_remaining_tie(files):
    (files / "times.csv").write_text("entry,submitted_at\nE1,2026-05-02T09:00:00\nE2,2026-05-01T09:00:00\n")
    out = files / "results.csv"
    assert main(["judging", "aggregate", str(files / "scores.csv"), "--rubric", str(files / "rubric.json"),
                 "--method", "mean", "--out", str(out), "--tiebreak", "none",
                 "--submitted", str(files / "times.csv")]) == 0
    rows = _read(out)
    assert [r["entry"] for r in rows][:2] == ["E2", "E1"] and rows[1]["tiebreak"] == "submitted_at"


def test_bad_rows_are_listed_with_line_numbers(files, capsys):
    (files / "bad.csv").write_text(
        "entry,judge,criterion,score\nE1,J1,creativity,11\nE1,J1,style,3\nE1,J1,technique,abc\nE1,J1\n"
    )
    code = main(["judging", "aggregate", str(files / "bad.csv"), "--rubric", str(files / "rubric.json"),
                 "--method", "mean", "--out", str(files / "r.csv")])
    assert code == 4
    err = capsys.readouterr().err
    assert "line 2: score 11 for 'creativity' is outside 0–10" in err
    assert "line 3: unknown criterion 'style'" in err
    assert "line 4: score 'abc' is not a number" in err
    assert "line 5: expected 4 fields, found 2" in err
    assert "Traceback" not in err
    assert not (files / "r.csv").exists()


def test_missing_header_and_bad_rubric(files, capsys):
    (files / "noheader.csv").write_text("E1,J1,creativity,5\n")
    assert main(["judging", "aggregate", str(files / "noheader.csv"), "--rubric", str(files / "rubric.json"),
                 "--method", "mean", "--out", str(files / "r.csv")]) == 4
    assert "line 1: header is missing column(s) entry, judge, criterion, score" in capsys.readouterr().err
    (files / "bad_rubric.json").write_text('{"criteria": [{"id": "a", "weight": 1, "min": 5, "max": 1}]}')
    assert main(["judging", "aggregate", str(files / "scores.csv"), "--rubric", str(files / "bad_rubric.json"),
                 "--method", "mean", "--out", str(files / "r.csv")]) == 4
    assert "max (1.0) must be greater than min (5.0)" in capsys.readouterr().err
    assert main(["judging", "aggregate", str(files / "missing.csv"), "--rubric", str(files / "rubric.json"),
                 "--method", "mean", "--out", str(files / "r.csv")]) == 1


def test_assign_command(files, capsys):
    problem = {"k": 2, "entries": [{"id": f"e{i}", "category": "art", "school": f"s{i % 2}"} for i in range(6)],
               "judges": [{"id": "j1", "max_load": 6, "school": "s0"}, {"id": "j2", "max_load": 6, "school": "s1"},
                          {"id": "j3", "max_load": 6}, {"id": "j4", "max_load": 6}],
               "pins": [["e0", "j2"]]}
    (files / "problem.json").write_text(json.dumps(problem))
    out = files / "assignment.csv"
    assert main(["judging", "assign", str(files / "problem.json"), "--out", str(out), "--json"]) == 0
    rows = _read(out)
    assert len(rows) == 12 and {"entry": "e0", "judge": "j2", "pinned": "1"} in rows
    assert json.loads(capsys.readouterr().out)["pairs"] == 12
    problem["k"] = 4
    (files / "problem.json").write_text(json.dumps(problem))
    assert main(["judging", "assign", str(files / "problem.json"), "--out", str(out)]) == 1
    assert "cannot get k=4 judges" in capsys.readouterr().err
    problem["judges"][0]["max_load"] = -1
    (files / "problem.json").write_text(json.dumps(problem))
    assert main(["judging", "assign", str(files / "problem.json"), "--out", str(out)]) == 4


def test_installed_command_runs_in_a_subprocess(files):
    out = files / "results.csv"
    done = subprocess.run(
        [sys.executable, "-m", "aigc_contest.cli.main", "judging", "aggregate", str(files / "scores.csv"),
         "--rubric", str(files / "rubric.json"), "--method", "zscore", "--out", str(out)],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert _read(out)[0]["rank"] == "1"
