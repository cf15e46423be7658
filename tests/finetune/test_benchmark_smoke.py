"""benchmarks/finetune_lora.py at a tiny size: both loops run, checkpoints and samples happen, every figure
is computed. The full run is the benchmark itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.ml, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def test_finetune_benchmark_runs_both_loops_and_reports_the_ratio(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("peft")
    figures = tmp_path / "figures.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "finetune_lora.py"), "--steps", "12", "--warmup", "2",
         "--images", "3", "--checkpoint-every", "5", "--sample-every", "6", "--sample-steps", "2",
         "--device", "cpu", "--json", str(figures)],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "ratio platform/bare" in done.stdout
    data = json.loads(figures.read_text())
    assert data["bare"]["steps_per_s"] > 0 and data["platform"]["steps_per_s"] > 0
    assert data["platform"]["checkpoints"] == 3 and data["platform"]["samples"] == 2  # steps 5, 10, 12; 6, 12
    assert data["ratio"] == pytest.approx(data["platform"]["steps_per_s"] / data["bare"]["steps_per_s"])
