"""In a real browser, the fine-tuning track end to end on tiny random weights: a team uploads its training
set as a ZIP (captions beside the pictures), ticks the declaration, saves a recipe, trains (the worker
functions run in this thread), sees the loss curve and the sample pictures, then draws with its own LoRA in
the image studio of its other entry and submits the picture, which records the LoRA's hash."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from tests.finetuning_web.conftest import picture, zipped
from tests.finetuning_web.test_lora_picker import works_category
from tests.finetuning_web.test_training_job_ml import tiny_pipeline_dir  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.ml, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _wait_for(kind: str, timeout: float = 10.0) -> Any:
    from aigc_contest.web.jobs.models import Job

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = Job.objects.filter(kind=kind).order_by("-pk").first()
        if job is not None:
            return job
        time.sleep(0.1)
    raise AssertionError(f"no {kind} job was queued")


def test_upload_train_see_samples_draw_with_the_lora_and_submit(
    live_server: Any, ft: Any, tiny_pipeline_dir: Path, jobs_in_process: Any, chromium_page: Any,  # noqa: F811
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Any,
) -> None:
    from playwright.sync_api import expect

    from aigc_contest.generation.provenance import read_provenance
    from aigc_contest.web.entries import services as entry_services
    from aigc_contest.web.finetuning.models import FinetuneLimits
    from aigc_contest.web.jobs import runner
    from aigc_contest.web.works.models import Work

    models = tmp_path / "models.toml"
    models.write_text('[[models]]\nname = "wukong-tiny"\nkind = "image"\nbackend = "diffusers"\n'
                      f'path = "{tiny_pipeline_dir.as_posix()}"\ntest_model = true\n'
                      'options = { device = "cpu" }\ndefaults = { steps = 2, size = "64x64" }\n', encoding="utf-8")  # fmt: skip
    monkeypatch.setenv("AIGC_MODELS_FILE", str(models))
    settings.AIGC_LORA_CACHE = str(tmp_path / "lora-cache")
    FinetuneLimits.objects.create(category=ft.category, base_models=["wukong-tiny"], rank_min=1, rank_max=8,
                                  steps_min=1, steps_max=50, resolution_min=64, resolution_max=128,
                                  learning_rate_min=1e-6, learning_rate_max=1e-1, budget_steps=20,
                                  sample_prompts="an ink dragon")  # fmt: skip
    team = entry_services.create_team(ft.teacher, works_category(ft.competition), name="Painters too",
                                      members=[ft.student, ft.teammate])  # fmt: skip
    poster = entry_services.start_entry(ft.student, team, title="Dragon poster", work_type="image")

    page = chromium_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", ft.student.username)
    page.fill("#id_password", "pw-12345678")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    # The training set: a ZIP with a caption beside each picture, then the declaration.
    page.goto(f"{live_server.url}/finetuning/entries/{ft.entry.pk}/")
    page.get_by_role("link", name="Open the training set").click()
    members = {f"dragon{i}.png": picture(i) for i in range(5)}
    members.update({f"dragon{i}.txt": f"an ink dragon number {i}".encode() for i in range(5)})
    page.get_by_label(re.compile("Or a ZIP archive")).set_input_files(
        {"name": "set.zip", "mimeType": "application/zip", "buffer": zipped(members)})
    page.get_by_role("button", name="Add the archive").click()
    expect(page.get_by_text("5 pictures added.")).to_be_visible()
    expect(page.get_by_label("Caption of dragon0.png")).to_have_value("an ink dragon number 0")
    page.get_by_label(re.compile("Our team made these pictures")).check()
    page.get_by_role("button", name="Save captions and declaration").click()
    page.get_by_role("link", name="Back to the fine-tuned model").click()

    # The recipe, then training.
    page.get_by_label("LoRA rank").fill("2")
    page.get_by_label("Training steps").fill("3")
    page.get_by_label("Resolution (pixels)").fill("64")
    page.get_by_label("Learning rate").fill("0.005")
    page.get_by_role("button", name="Save the recipe").click()
    expect(page.get_by_text("Recipe saved.")).to_be_visible()
    page.get_by_role("button", name="Train a LoRA with this recipe").click()
    _wait_for("finetune.train")
    assert runner.run_available("training") == 1  # the training worker, in this thread
    page.reload()
    expect(page.get_by_test_id("loss-curve")).to_be_visible()
    sample = page.get_by_test_id("samples").locator("img").first
    expect(sample).to_be_visible()
    sample.scroll_into_view_if_needed()
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=sample.element_handle())  # it loaded
    expect(page.get_by_role("link", name="Download (Kohya format)")).to_be_visible()
    lora = Work.objects.get(entry=ft.entry).document["lora"]

    # Drawing with the LoRA in the image studio of the team's other entry.
    page.goto(f"{live_server.url}/studio/image/entries/{poster.pk}/")
    page.get_by_label("Draw with").select_option(label="Ink dragons (wukong-tiny)")
    slider = page.get_by_test_id("lora-slider")  # lora_picker.js added it beside the number input
    expect(slider).to_have_value("0.8")
    slider.fill("1.1")
    expect(page.get_by_role("spinbutton", name="How strongly to use it")).to_have_value("1.1")
    page.get_by_label("What would you like to see?").fill("an ink dragon on a poster")
    page.get_by_role("radio", name="1").check()
    page.get_by_role("button", name="Make my pictures").click()
    page.wait_for_url(re.compile(r"\?job=\d+"))
    job = _wait_for("image")
    assert job.params["loras"][0]["sha256"] == lora["sha256"] and job.params["loras"][0]["scale"] == 1.1
    assert runner.run_available("gpu") >= 1
    pick = page.get_by_role("button", name="Use picture 1")
    expect(pick).to_be_visible(timeout=15_000)
    pick.click()
    page.wait_for_url(re.compile(rf"/entries/{poster.pk}/$"))
    page.get_by_role("button", name="Submit final version").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("entry-status")).to_have_text("Submitted")
    assert errors == []

    version = poster.versions.get()
    info = read_provenance(version.file.open("rb").read())
    assert info.provenance is not None and [(x.sha256, x.scale) for x in info.provenance.loras] == [(lora["sha256"], 1.1)]
    assert lora["sha256"] in str(version.meta)
