"""The `finetune.train` job kind: one LoRA training run on the `training` queue, one at a time per worker.

The runner copies the team's pictures and captions from storage into a scratch folder, checks them again
(`finetune.dataset.load_dataset`, under the school's safety settings the job carries), and calls
`finetune.lora.train_lora`. Each step's loss goes into the run's row (so the page draws the curve while it
trains) and the job's progress; the LoRA comes back as the job's first asset, and `works.services.sync`
puts it into the work (the kind's `apply`). Like `certificates.issue_all`, the runner writes to its own
rows (the run's steps and losses) because the page reads them while the job is still going.

Every keyword the training core takes beyond the four positional arguments is built in `core_options`,
the one place to pass checkpoints, a stop check and sample prompts as the core learns them.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage

from aigc_contest.web.jobs.kinds import (
    JobCancelled,
    JobFailure,
    JobKind,
    JobOutput,
    Progress,
    RunContext,
    register,
    safety_policy_of,
)

logger = logging.getLogger(__name__)

KIND = "finetune.train"
QUEUE = "training"
TIMEOUT_SECONDS = 6 * 3600
LOSS_WRITE_EVERY = 0.5  # seconds between writes of the loss curve to the run's row
CHECKPOINT_EVERY = 100  # steps, where the core can write checkpoints
SAMPLE_EVERY = 0  # steps between sample pictures (0: only at the end)
SAMPLE_SEED = 0  # prompt i is drawn with seed SAMPLE_SEED + i at every step, so the pictures show the change
OOM_ADVICE = ("The graphics card ran out of memory. Try a smaller LoRA rank or a lower resolution, then "
              "train again.")  # fmt: skip


def _prepare(params: dict[str, Any]) -> tuple[dict[str, Any], str]:
    recipe = params.get("recipe")
    images = params.get("images")
    if not isinstance(recipe, dict) or not isinstance(images, list) or not images:
        raise JobFailure("A training run needs a recipe and a training set.")
    if not isinstance(params.get("base_source"), str) or not params["base_source"]:
        raise JobFailure("This base model has no weights set up. Please ask the organisers.")
    try:
        _config(params, Path("."))
    except ValueError as exc:
        raise JobFailure("These training settings cannot be used.", detail=str(exc)) from exc
    return dict(params), ""  # never batched: one run per worker at a time


def _config(params: dict[str, Any], _root: Path) -> Any:
    from aigc_contest.finetune.lora import TrainingConfig

    recipe = params["recipe"]
    return TrainingConfig(
        base=params["base_source"], steps=int(recipe["steps"]), rank=int(recipe["rank"]),
        learning_rate=float(recipe["learning_rate"]), resolution=int(recipe["resolution"]),
        seed=int(recipe.get("seed") or 0), device=params.get("device") or None,
    )  # fmt: skip


def checkpoint_root() -> Path:
    """Where a run's checkpoints are kept between attempts: `AIGC_FINETUNE_CHECKPOINTS`, else the worker's own
    disk beside the site's data."""
    configured = getattr(settings, "AIGC_FINETUNE_CHECKPOINTS", None)
    if configured:
        return Path(configured)
    return Path(getattr(settings, "DATA_DIR", Path(settings.MEDIA_ROOT).parent)) / "finetune-checkpoints"


def checkpoint_dir(context: RunContext) -> Path:
    return checkpoint_root() / f"job-{context.job_id}"  # the same folder on every attempt of the job


def core_options(context: RunContext, should_stop: Callable[[], bool],
                 on_sample: Callable[[int, list[bytes]], None]) -> dict[str, Any]:  # fmt: skip
    """The keyword arguments for `train_lora` beyond its four positional ones, in one place."""
    return {
        "checkpoint_dir": checkpoint_dir(context),
        "checkpoint_every": CHECKPOINT_EVERY,
        "should_stop": should_stop,
        "sample_prompts": list(context.params.get("sample_prompts") or []),
        "sample_every": SAMPLE_EVERY,
        "sample_seed": SAMPLE_SEED,
        "on_sample": on_sample,
    }


def _write_set(params: dict[str, Any], folder: Path) -> None:
    """The pictures and a metadata.jsonl with their captions, as the core's data set loader reads them."""
    folder.mkdir(parents=True)
    lines = []
    for index, image in enumerate(params["images"]):
        suffix = Path(image["path"]).suffix.lower() or ".png"
        name = f"{index:04d}{suffix}"
        with default_storage.open(image["path"], "rb") as source:
            (folder / name).write_bytes(source.read())
        lines.append(json.dumps({"file_name": name, "text": image.get("caption") or ""}, ensure_ascii=False))
    (folder / "metadata.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def plain_reason(exc: BaseException) -> str:
    """Why a run failed, in words a team can act on."""
    from aigc_contest.finetune.dataset import DatasetInvalid
    from aigc_contest.finetune.lora import TrainingError

    text = str(exc)
    if isinstance(exc, MemoryError) or "out of memory" in text.lower() or type(exc).__name__ == "OutOfMemoryError":
        return OOM_ADVICE
    if isinstance(exc, DatasetInvalid):
        first = "; ".join(str(d) for d in exc.defects[:3])
        return f"The training set cannot be used: {first}"[:300]
    if isinstance(exc, TrainingError):
        code = getattr(exc, "code", "")
        if code == "out_of_memory":
            return OOM_ADVICE
        if code == "bad_loss" or "loss became" in text:
            return "The training became unstable (the loss stopped being a number). Try a lower learning rate."
        if "could not load the base model" in text or "neither a pipeline folder" in text or "not cached" in text:
            return "The base model could not be loaded on the training computer. Please ask the organisers."
        return f"Training stopped: {text}"[:300]
    return "Training stopped because of a problem on the training computer. Please try again, or ask the organisers."


def _known_failure(exc: BaseException) -> bool:
    """A failure that another try would meet again (bad data, bad settings, no memory for this recipe)."""
    from aigc_contest.finetune.dataset import DatasetInvalid
    from aigc_contest.finetune.lora import TrainingError

    return isinstance(exc, DatasetInvalid | TrainingError | MemoryError | ValueError) or plain_reason(exc) == OOM_ADVICE


def train_one(context: RunContext, progress: Progress) -> JobOutput:
    from aigc_contest.finetune.dataset import load_dataset
    from aigc_contest.finetune.lora import train_lora
    from aigc_contest.web.finetuning.models import TrainingRun

    run = TrainingRun.objects.filter(job_id=context.job_id).first()
    if run is None:
        raise JobFailure("This training run no longer exists.")
    from aigc_contest.finetune.checkpoint import checkpoint_summary
    from aigc_contest.finetune.lora import TrainingStopped

    params = context.params
    earlier = checkpoint_summary(checkpoint_dir(context))  # an attempt that resumes keeps the curve so far
    losses: list[float] = list(earlier.losses) if earlier is not None else []
    last_write = [0.0]
    stop = [False]
    samples: list[tuple[bytes, dict[str, Any]]] = []

    def write(step: int) -> None:
        TrainingRun.objects.filter(pk=run.pk).update(steps_done=step, losses=losses)

    def on_step(step: int, total: int, loss: float) -> None:
        losses.append(float(loss))
        now = time.monotonic()
        if step == total or now - last_write[0] >= LOSS_WRITE_EVERY:
            last_write[0] = now
            write(step)
        try:
            progress(step / max(total, 1), f"step {step}/{total}, loss {loss:.4f}")
        except JobCancelled:
            write(step)
            stop[0] = True
            raise

    checked = [0.0, False]

    def should_stop() -> bool:
        """Whether this attempt no longer runs (cancelled, timed out, taken over): asked at most once a second."""
        from aigc_contest.web.jobs.models import Job, JobStatus

        now = time.monotonic()
        if not stop[0] and now - checked[0] >= 1.0:
            checked[0] = now
            stop[0] = not Job.objects.filter(pk=context.job_id, attempts=context.attempt,
                                             status=JobStatus.RUNNING).exists()  # fmt: skip
        return stop[0]

    prompts = list(params.get("sample_prompts") or [])
    refused = [0]

    def on_sample(step: int, pngs: list[bytes]) -> None:
        """The finished LoRA's pictures, each through the image safety layer under the school's settings:
        a refused one is left out (and counted), never stored where the team would see it."""
        from aigc_contest.safety import check_image

        if step != int(params["recipe"]["steps"]):
            return
        samples.clear()
        refused[0] = 0
        for index, (prompt, png) in enumerate(zip(prompts, pngs, strict=False)):
            if check_image(png, safety_policy_of(params)).allowed:
                samples.append((png, {"prompt": prompt, "seed": SAMPLE_SEED + index, "step": step}))
            else:
                refused[0] += 1

    progress(0.0, "preparing the training set")
    with tempfile.TemporaryDirectory(prefix="aigc-finetune-") as scratch:
        root = Path(scratch)
        try:
            _write_set(params, root / "data")
            dataset = load_dataset(root / "data", safety_policy_of(params))
            config = _config(params, root)
            result = train_lora(dataset, config, root / "out", on_step, **core_options(context, should_stop, on_sample))
        except (JobCancelled, TrainingStopped) as exc:  # cancelled or taken over: the checkpoint stays
            raise JobCancelled from exc
        except Exception as exc:  # noqa: BLE001 - worded for the team; the detail stays for staff
            known = _known_failure(exc)
            raise JobFailure(plain_reason(exc), detail=f"{type(exc).__name__}: {exc}", retryable=not known) from exc
        data = result.path.read_bytes()
    write(len(result.losses))
    shutil.rmtree(checkpoint_root() / f"job-{context.job_id}", ignore_errors=True)  # done: nothing to resume
    files = [(f"lora-job{context.job_id}.safetensors", data, "application/octet-stream")]
    noted = []
    for index, (png, info) in enumerate(samples, start=1):
        files.append((f"sample-job{context.job_id}-{index}.png", png, "image/png"))
        noted.append({"index": index, **info})
    meta = result.metadata
    return JobOutput(files=files, result={
        "sha256": result.sha256, "bytes": len(data), "losses": result.losses, "steps": len(result.losses),
        "rank": int(params["recipe"]["rank"]), "base_model": params["base"],
        "base_hash": meta.get("aigc_contest.base_model_hash", ""), "dataset_hash": dataset.sha256,
        "images": len(dataset), "recipe": params["recipe"], "seconds": round(result.seconds, 2),
        "device": result.device, "samples": noted, "samples_refused": refused[0],
    })  # fmt: skip


def run_training(contexts: list[RunContext], progress: Progress) -> list[JobOutput | Exception]:
    from aigc_contest.web.finetuning.models import TrainingRun
    from aigc_contest.web.finetuning.services import settle

    outcomes: list[JobOutput | Exception] = []
    for context in contexts:
        try:
            outcomes.append(train_one(context, progress))
        except JobCancelled:
            for run_pk in TrainingRun.objects.filter(job_id=context.job_id).values_list("pk", flat=True):
                settle(run_pk)  # charged the steps it took before it stopped
            raise
        except Exception as exc:  # noqa: BLE001 - reported for this job; the runner decides about retrying
            outcomes.append(exc)
    return outcomes


register(JobKind(KIND, run_training, queue=QUEUE, prepare=_prepare, max_batch=lambda params: 1,
                 timeout_seconds=TIMEOUT_SECONDS, label="training"))
