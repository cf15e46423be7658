"""The organiser's limits (a form, no JSON), the team's recipe within them, training runs queued on the
training queue with the budget set aside, cancelling, charging once, LoRAs trained elsewhere, and the
model card the entry sends."""

from __future__ import annotations

from typing import Any

import pytest
from tests.finetuning_web.conftest import lora_tensors, picture, safetensors_bytes

pytestmark = pytest.mark.django_db

RECIPE = {"base": "wukong-tiny", "rank": 4, "steps": 40, "resolution": 256, "learning_rate": 1e-4, "seed": 3}


def _work(ft: Any) -> Any:
    from aigc_contest.web.works import services as work_services
    from aigc_contest.web.works.models import WorkKind

    return work_services.start(ft.student, ft.entry, WorkKind.FINETUNE)


def _limits(client: Any, ft: Any, **changes: Any) -> Any:
    from django.urls import reverse

    values = {"base_models": ["wukong-tiny"], "rank_min": 1, "rank_max": 8, "steps_min": 10, "steps_max": 100,
              "resolution_min": 64, "resolution_max": 512, "learning_rate_min": 1e-5, "learning_rate_max": 1e-3,
              "budget_steps": 100, "sample_prompts": "一條水墨龍\n\na red kite", **changes}  # fmt: skip
    client.force_login(ft.organiser)
    return client.post(reverse("finetune-limits", args=[ft.category.pk]), values)


def _ready(ft: Any, recipe: dict[str, Any] | None = None) -> Any:
    from aigc_contest.web.finetuning import services

    work = _work(ft)
    work, _report = services.add_images(ft.student, work, revision=work.revision,
                                        files=[(f"p{i}.png", picture(i)) for i in range(5)])  # fmt: skip
    work = services.save_set(ft.student, work, revision=work.revision, captions=[f"dragon {i}" for i in range(5)],
                             declaration=True)  # fmt: skip
    return services.save_recipe(ft.student, work, revision=work.revision, recipe=recipe or RECIPE)


def test_the_organiser_sets_limits_in_a_form_on_the_category_set_up(ft: Any, client: Any, models_file: Any) -> None:
    from django.urls import reverse

    client.force_login(ft.organiser)
    page = client.get(reverse("competition-categories", args=[ft.competition.slug])).content.decode()
    assert reverse("finetune-limits", args=[ft.category.pk]) in page
    form = client.get(reverse("finetune-limits", args=[ft.category.pk])).content.decode()
    assert 'type="checkbox" name="base_models" value="wukong-tiny"' in form
    assert form.count("<textarea") == 1 and 'name="sample_prompts"' in form  # prompts one per line; no JSON
    assert _limits(client, ft, rank_min=9).status_code == 400  # smallest above largest
    assert _limits(client, ft).status_code == 302
    limits = ft.category.finetune_limits
    assert limits.base_models == ["wukong-tiny"] and limits.budget_steps == 100
    assert limits.prompts() == ["一條水墨龍", "a red kite"]
    table = client.get(reverse("finetune-limits", args=[ft.category.pk])).content.decode()
    assert "<td>Painters</td><td>0</td><td>100</td>" in table
    client.force_login(ft.student)
    assert client.get(reverse("finetune-limits", args=[ft.category.pk])).status_code == 403


def test_the_recipe_stays_within_the_limits(ft: Any, client: Any, models_file: Any) -> None:
    from django.urls import reverse

    _limits(client, ft)
    work = _work(ft)
    client.force_login(ft.student)
    url = reverse("finetune-recipe", args=[ft.entry.pk])
    too_big = client.post(url, {**RECIPE, "rank": 64, "revision": work.revision})
    assert too_big.status_code == 400 and "Choose a value from 1 to 8" in too_big.content.decode()
    other = client.post(url, {**RECIPE, "base": "other-image", "revision": work.revision})
    assert other.status_code == 400  # a model of the models file this category does not allow
    assert client.post(url, {**RECIPE, "resolution": 100, "revision": work.revision}).status_code == 400
    assert client.post(url, {**RECIPE, "revision": work.revision}).status_code == 302
    work.refresh_from_db()
    assert work.document["recipe"] == RECIPE
    page = client.get(reverse("finetune-editor", args=[ft.entry.pk])).content.decode()
    assert "0 of 100 steps used, 100 left" in page


def test_a_run_needs_a_ready_set_and_budget_and_is_charged_once(ft: Any, client: Any, models_file: Any,
                                                                jobs_in_process: Any) -> None:  # fmt: skip
    from aigc_contest.web.core.errors import ServiceError
    from aigc_contest.web.finetuning import selectors, services
    from aigc_contest.web.jobs.models import JobStatus

    _limits(client, ft)
    work = _work(ft)
    with pytest.raises(ServiceError, match="5 to 200 pictures"):
        services.start_training(ft.student, work)
    work = _ready(ft, {**RECIPE, "steps": 60})
    run = services.start_training(ft.student, work)
    assert run.job.queue == "training" and run.job.kind == "finetune.train" and run.steps_planned == 60
    assert run.job.params["base_source"].endswith("no-weights-here")
    assert run.job.params["sample_prompts"] == ["一條水墨龍", "a red kite"]  # the same for every team
    assert selectors.budget_of(ft.team).used == 60  # set aside while it waits
    with pytest.raises(ServiceError, match="already going"):
        services.start_training(ft.teammate, work)
    services.cancel_training(ft.student, work)
    run.refresh_from_db()
    assert run.job.status == JobStatus.CANCELLED and run.charged_steps == 0
    assert selectors.budget_of(ft.team).left == 100

    # A run that stopped after 30 steps is charged 30, once, however often its job is saved.
    run = services.start_training(ft.student, work)
    type(run).objects.filter(pk=run.pk).update(steps_done=30)
    run.job.status = JobStatus.FAILED
    run.job.save()
    type(run).objects.filter(pk=run.pk).update(steps_done=60)
    run.job.save()
    run.refresh_from_db()
    assert run.charged_steps == 30 and selectors.budget_of(ft.team).used == 30
    work.refresh_from_db()
    work = services.save_recipe(ft.student, work, revision=work.revision, recipe={**RECIPE, "steps": 80})
    with pytest.raises(ServiceError, match="80 steps but your team has 70 of 100"):
        services.start_training(ft.student, work)


def test_loras_trained_elsewhere_are_safetensors_only_and_inspected(ft: Any, models_file: Any) -> None:
    from aigc_contest.web.core.errors import ServiceError
    from aigc_contest.web.finetuning import services

    work = _work(ft)
    good = safetensors_bytes(lora_tensors(rank=4), {"aigc_contest.base_model": "wukong-huahua"})
    for name, data, words in (
        ("model.ckpt", b"\x80\x04pickle", "never accepted"),
        ("model.pt", good, "never accepted"),
        ("model.txt", good, ".safetensors"),
        ("model.safetensors", b"\x80\x04\x95pickled", "not a LoRA"),
        ("big.safetensors", safetensors_bytes(lora_tensors(rank=64)), "rank is 64"),
        ("sdxl.safetensors", safetensors_bytes({**lora_tensors(), **lora_tensors(prefix="text_encoder_2.text_model")}),
         "another family"),
    ):
        with pytest.raises(ServiceError, match=words):
            services.upload_lora(ft.student, work, revision=work.revision, filename=name, data=data)
    work.refresh_from_db()
    assert work.document["lora"] is None
    work = services.upload_lora(ft.student, work, revision=work.revision, filename="ink.safetensors", data=good)
    lora = work.document["lora"]
    assert lora["origin"] == "uploaded" and lora["rank"] == 4 and lora["format"] == "diffusers"
    assert lora["base_model"] == "wukong-huahua" and len(lora["sha256"]) == 64


def test_the_entry_sends_a_script_free_model_card(ft: Any, client: Any, models_file: Any) -> None:
    from django.urls import reverse

    from aigc_contest.web.core.errors import ServiceError
    from aigc_contest.web.finetuning import services

    work = _ready(ft)
    client.force_login(ft.student)
    submit = reverse("finetune-submit", args=[ft.entry.pk])
    response = client.post(submit, {"confirm": "yes"}, follow=True)
    assert any("Train a LoRA" in str(m) for m in response.context["messages"]) and not ft.entry.versions.exists()
    work.refresh_from_db()
    data = safetensors_bytes(lora_tensors(rank=4))
    work = services.upload_lora(ft.student, work, revision=work.revision, filename="ink.safetensors", data=data)
    with pytest.raises(ServiceError):
        services.save_description(ft.student, work, revision=work.revision, description="a massacre in the village")
    work = services.save_description(ft.student, work, revision=work.revision,
                                     description="Draws dragons in ink.\n水墨龍。")  # fmt: skip
    assert client.post(submit, {"confirm": "yes"}).status_code == 302
    version = ft.entry.versions.get()
    assert version.mime == "text/html"
    with version.file.open("rb") as handle:
        card = handle.read().decode()
    assert "<script" not in card.lower() and "水墨龍。" in card and work.document["lora"]["sha256"] in card
    assert "<td>5</td>" in card  # the data summary: five pictures, never the pictures themselves
    assert "data:image" not in card


def test_the_pages_refuse_a_pickle_and_a_hostile_zip_with_the_draft_intact(ft: Any, client: Any, models_file: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse
    from tests.finetuning_web.conftest import zipped

    work = _ready(ft)
    before = (work.revision, work.document)
    client.force_login(ft.student)
    response = client.post(reverse("finetune-upload-lora", args=[ft.entry.pk]), {
        "revision": work.revision, "lora": SimpleUploadedFile("dragon.ckpt", b"\x80\x04\x95 pickle", "application/octet-stream"),
    }, follow=True)  # fmt: skip
    assert any("never accepted" in str(m) for m in response.context["messages"])
    response = client.post(reverse("finetune-add-zip", args=[ft.entry.pk]), {
        "revision": work.revision, "archive": SimpleUploadedFile("set.zip", zipped({"../evil.png": picture(1)})),
    }, follow=True)  # fmt: skip
    assert any("outside its folder" in str(m) for m in response.context["messages"])
    response = client.post(reverse("finetune-add-images", args=[ft.entry.pk]), {
        "revision": work.revision, "images": [SimpleUploadedFile("ok.png", picture(11), "image/png"),
                                              SimpleUploadedFile("fake.png", b"<script>", "image/png")],
    }, follow=True)  # fmt: skip
    assert any("fake.png was not added" in str(m) for m in response.context["messages"])
    work.refresh_from_db()
    assert (work.revision, work.document) == before
    response = client.post(reverse("finetune-add-images", args=[ft.entry.pk]), {
        "revision": work.revision, "images": [SimpleUploadedFile("ok.png", picture(11), "image/png"),
                                              SimpleUploadedFile("ok2.png", picture(12), "image/png")],
    }, follow=True)  # fmt: skip
    assert any("2 pictures added" in str(m) for m in response.context["messages"])
