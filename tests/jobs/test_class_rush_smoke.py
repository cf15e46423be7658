"""benchmarks/class_rush.py at a tiny size (2 storybooks of 2 pages + 2 picture requests, one order): every
child's work finishes and every figure of the table is computed. The full run is the benchmark itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.ml, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def test_class_rush_core_finishes_every_work_and_computes_the_figures(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    pytest.importorskip("llguidance")
    figures = tmp_path / "figures.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the benchmark sets up its own data folder and database
    for seed in (0, 1, 2):
        done = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "class_rush.py"), "--students", "2", "--pictures", "2",
             "--pages", "2", "--within", "1", "--orders", "fair", "--no-warm-up", "--seed", str(seed),
             "--json", str(figures)],
            capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
        )  # fmt: skip
        # The tiny text model writes random tokens, and how requests share a batch changes them; now and
        # then the safety layer refuses such gibberish (as it should). That says nothing about the
        # scheduling figures this test checks, so another seed is tried; any other failure fails at once.
        if done.returncode == 0 or "SafetyRefusal" not in done.stderr:
            break
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (
        "first visible" in done.stdout and "of the bare loop" in done.stdout and "load average" in done.stdout
    )
    data = json.loads(figures.read_text())
    assert len(data["bare_images_per_s"]) == 2 and all(rate > 0 for rate in data["bare_images_per_s"])
    fair = data["orders"]["fair"]
    assert not fair["errors"] and not fair["timed_out"]
    for group in ("storybook", "pictures"):
        assert fair[f"{group}_unfinished"] == []
        for metric in ("first", "finished"):
            stats = fair[f"{group}_{metric}"]
            assert stats["count"] == stats["of"] == 2
            assert 0 < stats["p50"] <= stats["p95"] <= stats["max"]
        assert fair[f"{group}_first"]["max"] <= fair[f"{group}_finished"]["max"]
    assert fair["images"] == 2 * 2 + 2 * 2  # two pictures per request, one per storybook page
    assert fair["images_per_s"] > 0 and fair["fraction_of_bare"] > 0
