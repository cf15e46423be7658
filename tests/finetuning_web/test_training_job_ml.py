"""A training run through the platform on a tiny random-weight pipeline: the job on the training queue,
the loss per step stored as it trains, the LoRA a job asset that goes into the work, the budget charged
by the steps done, the loss curve on the page and in the model card; and a failure in plain words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.finetuning_web.conftest import picture, write_models_file

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.ml, pytest.mark.slow]


@pytest.fixture(scope="module")
def tiny_pipeline_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    pytest.importorskip("peft")
    from aigc_contest.generation.tiny import build_image_pipeline

    directory = tmp_path_factory.mktemp("ft-tiny-pipeline")
    build_image_pipeline().save_pretrained(directory, safe_serialization=True)
    return directory


@pytest.fixture
def tiny_models(tiny_pipeline_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    models = write_models_file(tmp_path, tiny_pipeline_dir.as_posix())
    monkeypatch.setenv("AIGC_MODELS_FILE", str(models))
    return models


def _ready_work(ft: Any, steps: int, learning_rate: float = 5e-3) -> Any:
    from aigc_contest.web.finetuning import services
    from aigc_contest.web.finetuning.models import FinetuneLimits
    from aigc_contest.web.works import services as work_services
    from aigc_contest.web.works.models import WorkKind

    FinetuneLimits.objects.create(category=ft.category, base_models=["wukong-tiny"], rank_min=1, rank_max=8,
                                  steps_min=1, steps_max=50, resolution_min=64, resolution_max=128,
                                  learning_rate_min=1e-6, learning_rate_max=1e6, budget_steps=20)  # fmt: skip
    work = work_services.start(ft.student, ft.entry, WorkKind.FINETUNE)
    work, _report = services.add_images(ft.student, work, revision=work.revision,
                                        files=[(f"p{i}.png", picture(i)) for i in range(5)])  # fmt: skip
    work = services.save_set(ft.student, work, revision=work.revision,
                             captions=[f"an ink dragon number {i}" for i in range(5)], declaration=True)  # fmt: skip
    recipe = {"base": "wukong-tiny", "rank": 2, "steps": steps, "resolution": 64, "learning_rate": learning_rate,
              "seed": 7}  # fmt: skip
    return services.save_recipe(ft.student, work, revision=work.revision, recipe=recipe)


def test_a_run_trains_stores_its_curve_and_the_lora_goes_into_the_work(
    ft: Any, tiny_models: Path, jobs_in_process: Any, client: Any
) -> None:
    from django.urls import reverse

    from aigc_contest.finetune.inspect import inspect_lora_bytes
    from aigc_contest.web.finetuning import selectors, services
    from aigc_contest.web.jobs.models import JobStatus
    from aigc_contest.web.jobs.runner import run_available
    from aigc_contest.web.works.models import Work

    work = _ready_work(ft, steps=4)
    run = services.start_training(ft.student, work)
    assert run_available("training") == 1
    run.refresh_from_db()
    run.job.refresh_from_db()
    assert run.job.status == JobStatus.SUCCEEDED, run.job.error_detail
    assert run.steps_done == 4 and len(run.losses) == 4 and all(loss > 0 for loss in run.losses)
    assert run.charged_steps == 4 and selectors.budget_of(ft.team).left == 16
    asset = run.job.assets.get(index=0)
    with asset.file.open("rb") as handle:
        info = inspect_lora_bytes(handle.read())
    assert info.rank == 2 and info.format == "diffusers"
    lora = Work.objects.get(pk=work.pk).document["lora"]
    assert lora["origin"] == "trained" and lora["job"] == run.job_id and lora["losses"] == run.losses
    assert lora["steps"] == 4 and lora["images"] == 5 and len(lora["dataset_hash"]) == 64

    client.force_login(ft.student)
    page = client.get(reverse("finetune-editor", args=[ft.entry.pk])).content.decode()
    assert "<polyline" in page and "4 of 20 steps used, 16 left" in page
    work = Work.objects.get(pk=work.pk)
    services.save_description(ft.student, work, revision=work.revision, description="Ink dragons.")
    assert client.post(reverse("finetune-submit", args=[ft.entry.pk]), {"confirm": "yes"}).status_code == 302
    with ft.entry.versions.get().file.open("rb") as handle:
        card = handle.read().decode()
    assert "<polyline" in card and lora["sha256"] in card and "wukong-tiny" in card and "<script" not in card


def test_a_failed_run_says_why_in_plain_words_and_charges_only_what_it_did(
    ft: Any, models_file: Path, jobs_in_process: Any
) -> None:
    from aigc_contest.web.finetuning import services
    from aigc_contest.web.jobs.models import JobStatus
    from aigc_contest.web.jobs.runner import run_available

    pytest.importorskip("diffusers")
    work = _ready_work(ft, steps=6)  # the models file names a folder that holds no weights
    run = services.start_training(ft.student, work)
    run_available("training")
    run.refresh_from_db()
    run.job.refresh_from_db()
    assert run.job.status == JobStatus.FAILED
    assert run.job.error == "The base model could not be loaded on the training computer. Please ask the organisers."
    assert "no-weights-here" in run.job.error_detail  # the detail is kept for staff, never shown to the team
    assert run.charged_steps == 0


def test_failure_reasons_are_worded_for_the_team() -> None:
    torch = pytest.importorskip("torch")
    from aigc_contest.finetune.lora import TrainingError
    from aigc_contest.web.finetuning.jobs import OOM_ADVICE, plain_reason

    assert plain_reason(torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")) == OOM_ADVICE
    assert "smaller LoRA rank or a lower resolution" in OOM_ADVICE
    assert "lower learning rate" in plain_reason(TrainingError("the loss became nan at step 3; try a lower learning rate"))
    assert "Please try again" in plain_reason(RuntimeError("segfault in kernel 0x7f"))


def test_a_cancelled_run_stops_at_once_and_is_charged_the_steps_it_took(
    ft: Any, tiny_models: Path, jobs_in_process: Any
) -> None:
    from aigc_contest.web.finetuning import jobs, selectors, services
    from aigc_contest.web.jobs.kinds import JobCancelled, RunContext

    work = _ready_work(ft, steps=6)
    run = services.start_training(ft.student, work)
    seen: list[float] = []

    def progress(fraction: float, message: str) -> None:  # what the worker does once the job is cancelled
        seen.append(fraction)
        if fraction >= 2 / 6:
            raise JobCancelled

    from aigc_contest.web.jobs import services as job_services

    claimed = job_services.claim_batch("training", "test-worker", force=True).jobs  # running, as in a worker
    context = RunContext(run.job_id, claimed[0].attempts, claimed[0].params, ft.student.get_username())
    with pytest.raises(JobCancelled):
        jobs.run_training([context], progress)
    run.refresh_from_db()
    assert run.steps_done == 2 and len(run.losses) == 2 and run.charged_steps == 2
    assert selectors.budget_of(ft.team).used == 2


def test_an_attempt_that_dies_resumes_from_its_checkpoint_and_the_samples_are_screened(
    ft: Any, tiny_models: Path, jobs_in_process: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker dies after step 3 (checkpoints every 2 steps): the next attempt resumes at step 2, so
    the curve holds each step once and the budget is charged 4 steps, not 7; the organiser's sample
    prompts are drawn with the finished LoRA, screened, and stored beside it."""
    from aigc_contest.finetune.checkpoint import checkpoint_summary
    from aigc_contest.web.finetuning import jobs, selectors, services
    from aigc_contest.web.finetuning.models import FinetuneLimits, TrainingRun
    from aigc_contest.web.jobs import services as job_services
    from aigc_contest.web.jobs.kinds import RunContext
    from aigc_contest.web.jobs.models import JobStatus
    from aigc_contest.web.jobs.runner import run_available
    from aigc_contest.web.works.models import Work

    monkeypatch.setattr(jobs, "CHECKPOINT_EVERY", 2)
    work = _ready_work(ft, steps=4)
    FinetuneLimits.objects.filter(category=ft.category).update(sample_prompts="an ink dragon\na paper boat")
    run = services.start_training(ft.student, work)
    claimed = job_services.claim_batch("training", "first-worker", force=True).jobs
    assert [job.pk for job in claimed] == [run.job_id]

    class WorkerDied(BaseException):  # not an Exception: nothing in the runner may catch it, like a kill
        pass

    def dying_progress(fraction: float, message: str) -> None:
        if fraction >= 3 / 4:
            raise WorkerDied

    context = RunContext(run.job_id, claimed[0].attempts, claimed[0].params, ft.student.get_username())
    with pytest.raises(WorkerDied):
        jobs.run_training([context], dying_progress)
    summary = checkpoint_summary(jobs.checkpoint_dir(context))
    assert summary is not None and summary.step == 2
    # The watchdog gives the silent job back; another attempt runs it to the end.
    job_services.fail_attempt(run.job_id, claimed[0].attempts, "worker lost", retryable=True)
    assert run_available("training") == 1
    run = TrainingRun.objects.get(pk=run.pk)
    run.job.refresh_from_db()
    assert run.job.status == JobStatus.SUCCEEDED, run.job.error_detail
    assert run.job.attempts == 2 and run.steps_done == 4 and len(run.losses) == 4
    assert run.charged_steps == 4 and selectors.budget_of(ft.team).used == 4
    assert not jobs.checkpoint_dir(context).exists()  # finished: nothing left to resume
    samples = Work.objects.get(pk=work.pk).document["lora"]["samples"]
    assert [s["prompt"] for s in samples] == ["an ink dragon", "a paper boat"]
    assert [s["seed"] for s in samples] == [0, 1] and all(s["step"] == 4 for s in samples)
    assert run.job.result["samples_refused"] == 0
