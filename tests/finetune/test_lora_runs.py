"""Long LoRA runs on a tiny random SD pipeline: checkpoints and resuming, stopping, time slices, sample
pictures and error codes. The key property: a run interrupted at any point and started again ends with
exactly the weights and losses of a run that was never interrupted."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

pytestmark = pytest.mark.ml


@pytest.fixture(scope="module")
def config(tiny_pipeline_dir: Path):  # type: ignore[no-untyped-def]
    from aigc_contest.finetune.lora import TrainingConfig

    # batch 2 over 3 images crosses passes over the data mid-step; flips draw from the generator too.
    return TrainingConfig(
        base=str(tiny_pipeline_dir), steps=6, resolution=64, learning_rate=5e-3, seed=3, batch_size=2,
        random_flip=True,
    )


@pytest.fixture(scope="module")
def uninterrupted(config, session_dataset, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from aigc_contest.finetune.lora import train_lora

    return train_lora(session_dataset, config, tmp_path_factory.mktemp("whole"))


def test_a_run_that_crashed_resumes_from_its_checkpoint_to_the_same_weights(
    config, session_dataset, uninterrupted, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    from aigc_contest.finetune.checkpoint import CHECKPOINT_NAME
    from aigc_contest.finetune.lora import train_lora

    def crash_at_step_5(step: int, total: int, loss: float) -> None:
        if step == 5:
            raise RuntimeError("the worker was killed")

    checkpoints = tmp_path / "checkpoints"
    with pytest.raises(RuntimeError, match="killed"):
        train_lora(session_dataset, config, tmp_path / "out", crash_at_step_5,
                   checkpoint_dir=checkpoints, checkpoint_every=2)
    assert (checkpoints / CHECKPOINT_NAME).is_file() and not list(checkpoints.glob(".*"))
    (checkpoints / f".{CHECKPOINT_NAME}.999999.tmp").write_bytes(b"half a file")  # a writer killed mid-write
    steps_seen: list[int] = []
    saved: list[int] = []
    resumed = train_lora(session_dataset, config, tmp_path / "out", lambda s, t, loss: steps_seen.append(s),
                         checkpoint_dir=checkpoints, checkpoint_every=2,
                         on_checkpoint=lambda step, path: saved.append(step))
    assert resumed.resumed_from == 4 and resumed.steps_done == 6 and steps_seen == [5, 6]
    assert saved == [6]  # the end of the run; step 5 ran twice but only checkpoints say what is done
    assert resumed.weights_sha256 == uninterrupted.weights_sha256
    assert resumed.losses == uninterrupted.losses and len(resumed.losses) == 6
    assert resumed.total_seconds > resumed.seconds > 0  # the first call's time up to step 4 counts too
    assert sorted(p.name for p in checkpoints.iterdir()) == [CHECKPOINT_NAME]  # the leftover is cleared

    # Started again after it finished: nothing is trained twice, the same file comes out.
    again = train_lora(session_dataset, config, tmp_path / "out", checkpoint_dir=checkpoints, checkpoint_every=2)
    assert again.resumed_from == 6 and again.weights_sha256 == uninterrupted.weights_sha256


def test_should_stop_writes_a_checkpoint_and_the_run_resumes_from_it(
    config, session_dataset, uninterrupted, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    from aigc_contest.finetune.checkpoint import checkpoint_summary
    from aigc_contest.finetune.lora import TrainingError, TrainingStopped, train_lora

    steps_seen: list[int] = []
    with pytest.raises(TrainingStopped) as stopped:
        train_lora(session_dataset, config, tmp_path / "out", lambda s, t, loss: steps_seen.append(s),
                   checkpoint_dir=tmp_path / "ck", should_stop=lambda: len(steps_seen) >= 3)
    error = stopped.value
    assert isinstance(error, TrainingError) and error.code == "stopped" and error.reason == "requested"
    assert (error.step, error.total, error.resumed_from) == (3, 6, 0) and error.checkpoint is not None
    assert error.checkpoint.is_file() and not (tmp_path / "out" / "pytorch_lora_weights.safetensors").exists()
    summary = checkpoint_summary(tmp_path / "ck")  # what a page shows of the paused run, without torch
    assert summary is not None and summary.step == 3 and summary.losses == uninterrupted.losses[:3]
    assert checkpoint_summary(tmp_path / "nothing-here") is None
    resumed = train_lora(session_dataset, config, tmp_path / "out", checkpoint_dir=tmp_path / "ck")
    assert resumed.resumed_from == 3
    assert resumed.weights_sha256 == uninterrupted.weights_sha256 and resumed.losses == uninterrupted.losses


def test_time_slices_add_up_to_the_whole_run(config, session_dataset, uninterrupted, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.finetune.lora import TrainingStopped, train_lora

    starts = []
    for _ in range(10):
        try:
            result = train_lora(session_dataset, config, tmp_path / "out", checkpoint_dir=tmp_path / "ck",
                                max_steps_this_run=4)
        except TrainingStopped as stopped:
            assert stopped.reason == "step_limit"
            starts.append((stopped.resumed_from, stopped.step))
            continue
        starts.append((result.resumed_from, result.steps_done))
        break
    assert starts == [(0, 4), (4, 6)]
    assert result.weights_sha256 == uninterrupted.weights_sha256 and result.losses == uninterrupted.losses


def test_a_checkpoint_of_another_recipe_is_not_resumed(config, session_dataset, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.finetune.lora import TrainingStopped, train_lora

    with pytest.raises(TrainingStopped):
        train_lora(session_dataset, config, tmp_path / "out", checkpoint_dir=tmp_path / "ck", max_steps_this_run=2)
    other = config.model_copy(update={"learning_rate": 1e-3})
    assert train_lora(session_dataset, other, tmp_path / "out", checkpoint_dir=tmp_path / "ck").resumed_from == 0
    longer = config.model_copy(update={"steps": 8})  # more steps is the same run, extended
    with pytest.raises(TrainingStopped):
        train_lora(session_dataset, config, tmp_path / "out2", checkpoint_dir=tmp_path / "ck2", max_steps_this_run=2)
    assert train_lora(session_dataset, longer, tmp_path / "out2", checkpoint_dir=tmp_path / "ck2").resumed_from == 2


def test_sample_pictures_come_every_n_steps_and_at_the_end(config, session_dataset, uninterrupted, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    from aigc_contest.finetune.lora import train_lora

    prompts = ["a red square", "a blue square", "a green square"]
    seen: list[tuple[int, list[bytes]]] = []
    result = train_lora(session_dataset, config, tmp_path / "out", sample_prompts=prompts, sample_every=4,
                        sample_seed=11, on_sample=lambda step, pngs: seen.append((step, pngs)), sample_steps=2)
    assert [step for step, _ in seen] == [4, 6]
    for _, pngs in seen:
        assert len(pngs) == 3
        for png in pngs:
            with Image.open(io.BytesIO(png)) as image:
                assert image.format == "PNG" and image.size == (64, 64)
    assert seen[0][1] != seen[1][1]  # the adapters changed between step 4 and step 6
    assert len(set(seen[1][1])) == 3  # one picture per prompt, each its own
    # Rendering samples leaves training alone: the same weights as the run without samples.
    assert result.weights_sha256 == uninterrupted.weights_sha256 and result.losses == uninterrupted.losses


def test_running_out_of_memory_says_to_lower_rank_or_resolution(
    config, session_dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    torch = pytest.importorskip("torch")
    from aigc_contest.finetune.lora import LoraTrainer, TrainingError, train_lora

    for error in (torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
                  RuntimeError("CUDA error: out of memory")):
        def loss(*args, _error=error, **kwargs):  # type: ignore[no-untyped-def]
            raise _error

        monkeypatch.setattr(LoraTrainer, "loss", loss)
        with pytest.raises(TrainingError) as raised:
            train_lora(session_dataset, config, tmp_path / "out")
        assert raised.value.code == "out_of_memory"
        assert "smaller rank or resolution" in str(raised.value) and "rank 4, 64 px" in str(raised.value)

    def other(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("shapes do not match")

    monkeypatch.setattr(LoraTrainer, "loss", other)
    with pytest.raises(RuntimeError, match="shapes"):  # not every RuntimeError is a memory problem
        train_lora(session_dataset, config, tmp_path / "out")


def test_errors_carry_codes(config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.finetune.dataset import TrainingDataset
    from aigc_contest.finetune.lora import ERROR_CODES, TrainingError, train_lora

    with pytest.raises(TrainingError) as empty:
        train_lora(TrainingDataset(tmp_path, (), "caption files"), config, tmp_path / "out")
    assert empty.value.code == "no_images"
    with pytest.raises(TrainingError) as missing:
        train_lora(_one_image_dataset(tmp_path), config.model_copy(update={"base": str(tmp_path / "nope")}),
                   tmp_path / "out")
    assert missing.value.code == "base_model"
    assert {"no_images", "base_model", "bad_loss", "out_of_memory", "stopped"} <= set(ERROR_CODES)


def _one_image_dataset(root: Path):  # type: ignore[no-untyped-def]
    from finetune_helpers import make_caption_dataset

    from aigc_contest.finetune.dataset import load_dataset

    return load_dataset(make_caption_dataset(root / "data"))
