"""`aigc-contest storybook export` as DESIGN.md §10 writes it, in process and once as a real process."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aigc_contest.cli.main import main


@pytest.mark.parametrize(("fmt", "magic"), [("pdf", b"%PDF"), ("epub", b"PK"), ("html", b"<!DOCTYPE html>")])
def test_export_each_format(book_folder: Path, tmp_path: Path, fmt: str, magic: bytes) -> None:
    out = tmp_path / f"book.{fmt}"
    assert main(["storybook", "export", str(book_folder / "book.json"), "--format", fmt, "--out", str(out)]) == 0
    assert out.read_bytes().startswith(magic)


def test_a4_layout_and_json_output(book_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "a4.pdf"
    code = main(["storybook", "export", str(book_folder), "--format", "pdf", "--out", str(out),
                 "--layout", "a4", "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["out"] == str(out) and report["format"] == "pdf" and report["pages"] == 6


def test_errors_are_messages_not_tracebacks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.json"
    assert main(["storybook", "export", str(missing), "--format", "pdf", "--out", str(tmp_path / "x.pdf")]) == 1
    assert "cannot read" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "aigc-contest/storybook", "version": 1, "title": "",
                               "pages": [{"id": "p 1"}]}), encoding="utf-8")
    assert main(["storybook", "export", str(bad), "--format", "html", "--out", str(tmp_path / "x.html")]) == 1
    err = capsys.readouterr().err
    assert "problems" in err and "title" in err and "pages.0.id" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as usage:
        main(["storybook", "export", str(bad), "--format", "docx", "--out", "x"])
    assert usage.value.code == 2


def test_real_process(book_folder: Path, tmp_path: Path) -> None:
    exe = shutil.which("aigc-contest", path=str(Path(sys.executable).parent))
    command = [exe] if exe else [sys.executable, "-m", "aigc_contest.cli.main"]
    out = tmp_path / "book.html"
    result = subprocess.run(
        [*command, "storybook", "export", str(book_folder / "book.json"), "--format", "html", "--out", str(out)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stdout and out.stat().st_size > 1000
