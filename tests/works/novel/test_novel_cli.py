"""``aigc-contest novel validate`` and ``novel convert``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from novel_helpers import DATA, make_novel

from aigc_contest.cli.main import main


@pytest.fixture
def gate_file(gate_novel, tmp_path):
    path = tmp_path / "gate.json"
    path.write_text(gate_novel.to_json(), encoding="utf-8")
    return path


def test_validate_clean_novel(gate_file, capsys):
    assert main(["novel", "validate", str(gate_file), "--playthroughs", "200"]) == 0
    out = capsys.readouterr().out
    assert "no defects" in out and "200 playthroughs" in out and "ending 'garden'" in out


def test_validate_lists_defects_and_exits_4(tmp_path, capsys):
    novel = make_novel([{"id": "a", "choices": [{"label": "x", "target": "gone"}]}, {"id": "b"}])
    path = tmp_path / "bad.json"
    path.write_text(novel.to_json(), encoding="utf-8")
    assert main(["novel", "validate", str(path)]) == 4
    out = capsys.readouterr().out
    for expected in ("missing-target: [a]", "unreachable: [b]", "dead-end: [b]", "too-few-endings"):
        assert expected in out
    assert main(["novel", "validate", str(path), "--json", "--playthroughs", "5"]) == 4
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and {d["code"] for d in report["defects"]} >= {"missing-target", "dead-end"}
    assert report["playthroughs"]["runs"] == 5


def test_validate_reports_bad_input_without_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.twee"
    bad.write_text(":: A\nx\n:: A\ny\n", encoding="utf-8")
    assert main(["novel", "validate", str(bad)]) == 1
    assert "line 3" in capsys.readouterr().err
    assert main(["novel", "validate", str(tmp_path / "missing.json")]) == 1
    assert "file not found" in capsys.readouterr().err
    assert main(["novel", "validate", str(tmp_path / "story.docx")]) == 2
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "aigc-contest/novel", "version": 1, "start": "a", "nodes": [{"id": 3}]}')
    assert main(["novel", "validate", str(broken)]) == 1
    err = capsys.readouterr().err
    assert "not valid" in err and "nodes.0.id" in err and "Traceback" not in err


def test_convert_to_every_format_and_back(gate_file, tmp_path, capsys):
    for name in ("out.twee", "out.ink", "out.html", "out.twine.html", "copy.json"):
        assert main(["novel", "convert", str(gate_file), str(tmp_path / name)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert (
        main(["novel", "convert", str(gate_file), str(tmp_path / "s.twee"), "--story-format", "sugarcube"])
        == 0
    )
    assert "<<if $courage >= 2>>" in (tmp_path / "s.twee").read_text()
    for source in ("out.twee", "out.twine.html", "s.twee"):
        assert main(["novel", "convert", str(tmp_path / source), str(tmp_path / "back.json")]) == 0
        assert main(["novel", "validate", str(tmp_path / "back.json"), "--playthroughs", "50"]) == 0
    assert main(["novel", "convert", str(gate_file), str(tmp_path / "x.pdf")]) == 2
    assert main(["novel", "convert", str(tmp_path / "out.ink"), str(tmp_path / "y.json")]) == 2
    capsys.readouterr()


def test_cli_in_a_subprocess():
    result = subprocess.run(
        [sys.executable, "-m", "aigc_contest.cli.main", "novel", "validate", str(DATA / "sugarcube_ship.twee"),
         "--playthroughs", "100", "--json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["playthroughs"]["node_coverage"]["visited"] == 6
    assert report["import_notes"]
