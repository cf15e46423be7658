"""`aigc-contest finetune train …` and `aigc-contest finetune inspect …`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from finetune_helpers import diffusers_lora_tensors, safetensors_bytes

from aigc_contest.cli.main import main


def _lora_file(tmp_path: Path) -> Path:
    file = tmp_path / "lora.safetensors"
    file.write_bytes(safetensors_bytes(diffusers_lora_tensors(rank=8), {"aigc_contest.steps": "120"}))
    return file


def test_inspect_prints_a_summary_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _lora_file(tmp_path)
    assert main(["finetune", "inspect", str(file)]) == 0
    out = capsys.readouterr().out
    assert "LoRA (diffusers format) for unet" in out and "rank 8" in out and "steps: 120" in out
    assert main(["finetune", "inspect", str(file), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rank"] == 8 and data["training"] == {"steps": "120"} and data["tensor_count"] == 16


def test_inspect_refuses_pickles_with_exit_4_and_missing_files_with_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint = tmp_path / "model.ckpt"
    checkpoint.write_bytes(b"\x80\x04K\x01.")
    assert main(["finetune", "inspect", str(checkpoint)]) == 4
    assert "pickle-based checkpoint" in capsys.readouterr().err
    assert main(["finetune", "inspect", str(tmp_path / "nope.safetensors")]) == 1
    assert "no such file" in capsys.readouterr().err


def test_train_reports_dataset_defects_and_refusals(
    caption_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (caption_dataset / "red.txt").unlink()
    args = ["finetune", "train", str(caption_dataset), "--base", "some/model", "--out", str(tmp_path / "out")]
    assert main(args) == 4
    err = capsys.readouterr().err
    assert "red.png: has no caption file (expected red.txt)" in err and "Traceback" not in err
    (caption_dataset / "red.txt").write_text("a naked person", encoding="utf-8")
    assert main(args) == 3
    err = capsys.readouterr().err
    assert "red.txt: the caption for red.png was not accepted" in err and "naked" not in err
    assert not (tmp_path / "out").exists()


def test_train_rejects_bad_settings_as_usage_errors(caption_dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["finetune", "train", str(caption_dataset), "--base", "x/y", "--out", "o", "--resolution", "100"]
    assert main(args) == 2
    assert "resolution" in capsys.readouterr().err


@pytest.mark.ml
def test_train_end_to_end(caption_dataset: Path, tiny_pipeline_dir: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "lora"
    args = ["finetune", "train", str(caption_dataset), "--base", str(tiny_pipeline_dir), "--out", str(out),
            "--steps", "2", "--rank", "2", "--lr", "1e-3", "--resolution", "64", "--seed", "1", "--json"]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["path"] == str(out / "pytorch_lora_weights.safetensors") and data["steps"] == 2
    assert data["metadata"]["aigc_contest.rank"] == "2"
    assert main(["finetune", "inspect", data["path"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rank"] == 2


@pytest.mark.ml
def test_train_with_checkpoints_and_samples_resumes_and_writes_a_model_card(
    caption_dataset: Path, tiny_pipeline_dir: Path, tmp_path: Path, capsys  # type: ignore[no-untyped-def]
) -> None:
    out = tmp_path / "lora"
    args = ["finetune", "train", str(caption_dataset), "--base", str(tiny_pipeline_dir), "--out", str(out),
            "--steps", "4", "--lr", "1e-3", "--resolution", "64", "--checkpoint-every", "2",
            "--sample-prompt", "a red square", "--sample-prompt", "a blue square", "--sample-every", "2", "--json"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["resumed_from"] == 0 and (out / "checkpoint" / "checkpoint.safetensors").is_file()
    assert sorted(Path(p).name for p in first["samples"]) == [
        "step-000002-0.png", "step-000002-1.png", "step-000004-0.png", "step-000004-1.png"]
    card = (out / "README.md").read_text(encoding="utf-8")
    assert f"sha256: `{first['sha256']}`" in card and "## Recipe" in card
    assert main(args) == 0  # run again: the finished checkpoint is found, nothing is trained twice
    again = json.loads(capsys.readouterr().out)
    assert again["resumed_from"] == 4 and again["final_loss"] == first["final_loss"]


def test_inspect_through_the_installed_command(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "aigc_contest.cli.main", "finetune", "inspect", str(_lora_file(tmp_path)), "--json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env={**os.environ})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["target_modules"] == ["to_k", "to_out.0", "to_q", "to_v"]


@pytest.mark.ml
def test_a_worker_killed_mid_run_resumes_from_its_checkpoint_to_the_same_weights(
    caption_dataset: Path, tiny_pipeline_dir: Path, tmp_path: Path
) -> None:
    """kill -9 of a real training process, then the same run again: never from zero, same weights."""
    import signal
    import time

    from aigc_contest.finetune.checkpoint import CHECKPOINT_NAME
    from aigc_contest.finetune.dataset import load_dataset
    from aigc_contest.finetune.lora import TrainingConfig, train_lora

    steps = 60
    out = tmp_path / "lora"
    command = [sys.executable, "-m", "aigc_contest.cli.main", "finetune", "train", str(caption_dataset),
               "--base", str(tiny_pipeline_dir), "--out", str(out), "--steps", str(steps), "--lr", "1e-3",
               "--resolution", "64", "--checkpoint-every", "1"]
    worker = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ})
    checkpoint = out / "checkpoint" / CHECKPOINT_NAME
    deadline = time.monotonic() + 240
    while not checkpoint.exists() and worker.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=60)
    assert checkpoint.exists() and not (out / "pytorch_lora_weights.safetensors").exists()

    dataset = load_dataset(caption_dataset)
    config = TrainingConfig(base=str(tiny_pipeline_dir), steps=steps, learning_rate=1e-3, resolution=64)
    resumed = train_lora(dataset, config, out, checkpoint_dir=out / "checkpoint", checkpoint_every=1)
    assert 1 <= resumed.resumed_from < steps
    whole = train_lora(dataset, config, tmp_path / "whole")
    assert resumed.weights_sha256 == whole.weights_sha256 and resumed.losses == whole.losses
