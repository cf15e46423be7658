"""The judges' side-by-side sheet of a fine-tuning entry: queued when the entry is submitted and again,
idempotently, when an organiser opens judging; each organiser prompt drawn with the same seed through the
base model and through base + LoRA; the judge's page shows only finished, screened pairs."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _submitted(ft: Any) -> Any:
    from tests.finetuning_web.conftest import lora_tensors, safetensors_bytes

    from aigc_contest.web.finetuning import services
    from aigc_contest.web.finetuning.models import FinetuneLimits
    from aigc_contest.web.works import services as work_services
    from aigc_contest.web.works.models import WorkKind

    FinetuneLimits.objects.create(category=ft.category, sample_prompts="an ink dragon\na paper boat")
    work = work_services.start(ft.student, ft.entry, WorkKind.FINETUNE)
    data = safetensors_bytes(lora_tensors(rank=4), {"aigc_contest.base_model": "wukong-tiny"})
    work = services.upload_lora(ft.student, work, revision=work.revision, filename="mine.safetensors", data=data)
    work = services.save_description(ft.student, work, revision=work.revision, description="Ink dragons.")
    work_services.submit(ft.student, work)
    return work


def test_submitting_queues_the_pairs_once_and_opening_judging_adds_nothing(
    ft: Any, models_file: Any, jobs_in_process: Any
) -> None:
    from aigc_contest.web.jobs.models import Job
    from aigc_contest.web.judging import services as judging

    work = _submitted(ft)
    sha = work.document["lora"]["sha256"]
    jobs = {item.target: item.job for item in work.jobs.filter(step="compare").select_related("job")}
    assert sorted(jobs) == sorted(f"{i}:{side}:{sha[:16]}" for i in (0, 1) for side in ("base", "lora"))
    for index, prompt in enumerate(["an ink dragon", "a paper boat"]):
        base, lora = jobs[f"{index}:base:{sha[:16]}"], jobs[f"{index}:lora:{sha[:16]}"]
        assert base.queue == "gpu" and base.kind == "image" and lora.kind == "image"
        assert base.params["prompt"] == lora.params["prompt"] == prompt
        assert base.params["seed"] == lora.params["seed"] == index and base.params["model"] == "wukong-tiny"
        assert base.params["loras"] == [] and lora.params["loras"][0]["sha256"] == sha
    judging.open_round(ft.organiser, ft.competition, "scoring", k=1)
    assert Job.objects.filter(kind="image").count() == 4  # idempotent


def test_opening_judging_starts_a_sheet_that_is_missing(ft: Any, models_file: Any, jobs_in_process: Any) -> None:
    from aigc_contest.web.judging import services as judging

    work = _submitted(ft)
    work.jobs.filter(step="compare").delete()
    judging.open_round(ft.organiser, ft.competition, "scoring", k=1)
    assert work.jobs.filter(step="compare").count() == 4
    assert all(item.job.owner == ft.organiser for item in work.jobs.filter(step="compare"))


def test_the_judge_sees_the_sheet_being_drawn(ft: Any, models_file: Any, jobs_in_process: Any, make_user: Any) -> None:
    from aigc_contest.web.judging import services as judging
    from aigc_contest.web.judging.models import Assignment

    _submitted(ft)
    judge = make_user("judy", "judge")
    round_ = judging.open_round(ft.organiser, ft.competition, "scoring", k=1)
    judging.add_judge(ft.organiser, round_, judge)
    assignment = Assignment.objects.create(round=round_, judge=judge, entry=ft.entry,
                                           version=ft.entry.versions.get())  # fmt: skip
    client = Client()
    client.force_login(judge)
    page = client.get(f"/judging/assignments/{assignment.pk}/").content.decode()
    assert 'data-testid="comparison"' in page and "still being drawn" in page


def test_a_lora_that_names_no_known_base_gets_no_sheet(ft: Any, models_file: Any, jobs_in_process: Any) -> None:
    from tests.finetuning_web.conftest import lora_tensors, safetensors_bytes

    from aigc_contest.web.finetuning import services
    from aigc_contest.web.works import services as work_services
    from aigc_contest.web.works.models import WorkKind

    for number, metadata in enumerate(({}, {"ss_sd_model_name": "somewhere/else"})):
        work = work_services.start(ft.student, ft.entry, WorkKind.FINETUNE)
        data = safetensors_bytes(lora_tensors(rank=4 + number), metadata)
        work = services.upload_lora(ft.student, work, revision=work.revision, filename="x.safetensors", data=data)
        assert services.start_comparison(work) == 0  # never drawn on some other model
        assert not work.jobs.filter(step="compare").exists()
