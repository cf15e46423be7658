"""A LoRA trained through the platform on tiny random weights, used at once in the team's image studio: the
picture job loads the stored file in the worker, and the picture and the submitted work carry its sha256."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.finetuning_web.test_lora_picker import works_category
from tests.finetuning_web.test_training_job_ml import _ready_work, tiny_models, tiny_pipeline_dir  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.ml, pytest.mark.slow]


def test_pictures_drawn_with_the_teams_lora_carry_its_hash(
    ft: Any, tiny_models: Path, jobs_in_process: Any, settings: Any, tmp_path: Path  # noqa: F811
) -> None:
    from django.test import Client

    from aigc_contest.generation.provenance import read_provenance
    from aigc_contest.web.entries import services as entry_services
    from aigc_contest.web.finetuning import services
    from aigc_contest.web.finetuning.models import FinetuneLimits
    from aigc_contest.web.jobs.models import Job, JobStatus
    from aigc_contest.web.jobs.runner import run_available
    from aigc_contest.web.works import services as work_services
    from aigc_contest.web.works.models import Work

    settings.AIGC_LORA_CACHE = str(tmp_path / "lora-cache")
    work = _ready_work(ft, steps=2)
    FinetuneLimits.objects.filter(category=ft.category).update(sample_prompts="an ink dragon")
    services.start_training(ft.student, work)
    assert run_available("training") == 1
    fine = work_services.sync(Work.objects.get(pk=work.pk))
    lora = fine.document["lora"]
    assert lora and len(lora["sha256"]) == 64 and lora["base_model"] == "wukong-tiny"
    client = Client()
    client.force_login(ft.student)
    page = client.get(f"/finetuning/entries/{ft.entry.pk}/").content.decode()
    assert 'data-testid="samples"' in page and f"/finetuning/entries/{ft.entry.pk}/samples/0/" in page
    served = client.get(f"/finetuning/entries/{ft.entry.pk}/samples/0/")
    assert served.status_code == 200 and b"".join(served.streaming_content).startswith(b"\x89PNG")
    from aigc_contest.finetune.inspect import inspect_lora_bytes

    kohya = client.get(f"/finetuning/entries/{ft.entry.pk}/lora/download/kohya/")
    assert kohya.status_code == 200 and inspect_lora_bytes(kohya.content).format == "kohya"
    assert inspect_lora_bytes(kohya.content).rank == 2

    team = entry_services.create_team(ft.teacher, works_category(ft.competition), name="Painters too",
                                      members=[ft.student, ft.teammate])  # fmt: skip
    entry = entry_services.start_entry(ft.student, team, title="Dragon poster", work_type="image")
    response = client.post(f"/studio/image/entries/{entry.pk}/make/", {
        "prompt": "an ink dragon", "negative_prompt": "", "model": "wukong-tiny", "n": 1, "seed": "5",
        "lora": fine.pk, "lora_weight": "0.8"})  # fmt: skip
    assert response.status_code == 302
    assert run_available("gpu") == 1
    job = Job.objects.get(kind="image")
    assert job.status == JobStatus.SUCCEEDED, job.error_detail
    asset = job.assets.get()
    with asset.file.open("rb") as handle:
        png = handle.read()
    made = read_provenance(png).provenance
    assert made is not None
    assert [(item.sha256, item.scale) for item in made.loras] == [(lora["sha256"], 0.8)]
    assert "/" not in made.loras[0].name  # the file's name, never a path on the worker

    picture = Work.objects.get(entry=entry)
    work_services.pick_picture(ft.student, picture, target="", asset_pk=asset.pk)
    work_services.store_draft(ft.student, Work.objects.get(pk=picture.pk))
    entry.refresh_from_db()
    recorded = str(entry.draft_meta)
    assert lora["sha256"] in recorded

    # The fine-tuning entry is sent: the judges' sheet is drawn and shown side by side.
    from aigc_contest.web.judging import services as judging
    from aigc_contest.web.judging.models import Assignment

    fine = services.save_description(ft.student, Work.objects.get(pk=fine.pk), revision=fine.revision,
                                     description="Ink dragons.")  # fmt: skip
    work_services.submit(ft.student, fine)
    assert run_available("gpu") >= 1
    compare = Job.objects.filter(work_job__step="compare")
    assert compare.count() == 2 and all(job.status == JobStatus.SUCCEEDED for job in compare)
    lora_side = compare.get(work_job__target__contains=":lora:").assets.get()
    with lora_side.file.open("rb") as handle:
        drawn = read_provenance(handle.read()).provenance
    assert drawn is not None and [item.sha256 for item in drawn.loras] == [lora["sha256"]]
    from aigc_contest.web.accounts.models import User

    judge = User.objects.create_user(username="judy", password="pw-12345678", role="judge")
    round_ = judging.open_round(ft.organiser, ft.competition, "scoring", k=1)
    judging.add_judge(ft.organiser, round_, judge)
    assignment = Assignment.objects.create(round=round_, judge=judge, entry=ft.entry, version=ft.entry.versions.get())
    judge_client = Client()
    judge_client.force_login(judge)
    page = judge_client.get(f"/judging/assignments/{assignment.pk}/").content.decode()
    assert page.count('data-testid="pair"') == 1 and "an ink dragon" in page
    shown = judge_client.get(f"/judging/assignments/{assignment.pk}/compare/{lora_side.pk}")
    assert shown.status_code == 200 and shown["Content-Type"].startswith("image/")
    assert ft.organiser.username.encode() not in shown.content  # re-encoded as the blind pages do: no names
    assert judge_client.get(f"/judging/assignments/{assignment.pk}/compare/{asset.pk}").status_code == 404
