"""The runner passes the training core only the keywords it takes, all from one place."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def test_core_options_follow_the_core_signature(settings: Any, tmp_path: Path) -> None:
    from aigc_contest.web.finetuning.jobs import core_options
    from aigc_contest.web.jobs.kinds import RunContext

    settings.AIGC_FINETUNE_CHECKPOINTS = str(tmp_path)
    context = RunContext(41, 2, {"sample_prompts": ["一條龍"]}, "amy")

    def today(dataset: Any, config: Any, out_dir: Any, progress: Any = None) -> None: ...

    def later(dataset: Any, config: Any, out_dir: Any, progress: Any = None, *, checkpoint_dir: Any = None,
              checkpoint_every: int = 0, should_stop: Any = None, sample_prompts: Any = (), sample_every: int = 0,
              on_sample: Any = None) -> None: ...  # fmt: skip

    def stop() -> bool:
        return False

    def sample(png: bytes, **info: Any) -> None: ...

    assert core_options(today, context, stop, sample) == {}
    options = core_options(later, context, stop, sample)
    assert options["checkpoint_dir"] == tmp_path / "job-41"  # the same folder on every attempt of the job
    assert options["should_stop"] is stop and options["on_sample"] is sample
    assert options["sample_prompts"] == ["一條龍"] and set(options) == {
        "checkpoint_dir", "checkpoint_every", "should_stop", "sample_prompts", "sample_every", "on_sample"}
