"""The Wukong-Huahua competition of the demo: a fine-tuning entry (training set, recipe, description; with
the ml extra and the tiny test model its LoRA is trained when the demo loads and the entry is sent) and a
submitted application entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_the_demo_holds_a_fine_tuning_draft_and_a_submitted_application(demo: Any) -> None:
    from aigc_contest.web.entries.models import Entry

    finetune = Entry.objects.get(category__competition__slug="wukong-huahua-scifi", work_type="finetuned_model")
    document = finetune.work.document
    assert len(document["images"]) == 6 and all(i["caption"] for i in document["images"]) and document["declaration"]
    assert document["description"] and finetune.status == "draft"  # no models file here: nothing trained
    app = Entry.objects.get(category__competition__slug="wukong-huahua-scifi", work_type="application")
    assert app.status == "submitted" and app.versions.get().mime == "text/html"
    assert len(app.work.document["screenshots"]) == 2 and app.work.document["demo_url"].startswith("https://")
    assert app.assignments.count() == 2  # two demo judges score the application
    assert not finetune.assignments.exists()  # a draft is never given to judges


@pytest.mark.ml
@pytest.mark.slow
def test_with_the_tiny_model_the_demo_trains_the_lora_and_sends_the_entry(
    fast_hashing: None, media_root: Path, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    pytest.importorskip("peft")
    from aigc_contest.generation.tiny import build_image_pipeline
    from aigc_contest.web.demo import demo_logins, load_demo
    from aigc_contest.web.entries.models import Entry
    from aigc_contest.web.jobs.models import Job

    build_image_pipeline().save_pretrained(tmp_path / "image", safe_serialization=True)
    models = tmp_path / "models.toml"
    models.write_text('[[models]]\nname = "image-tiny"\nkind = "image"\nbackend = "diffusers"\n'
                      f'path = "{(tmp_path / "image").as_posix()}"\ntest_model = true\n'
                      'options = { device = "cpu" }\ndefaults = { steps = 2, size = "64x64" }\n', encoding="utf-8")  # fmt: skip
    monkeypatch.setenv("AIGC_MODELS_FILE", str(models))
    settings.AIGC_FINETUNE_CHECKPOINTS = str(tmp_path / "checkpoints")
    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False, "batch_window_seconds": 0.0, "quotas": {}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    load_demo(train=True)
    entry = Entry.objects.get(category__competition__slug="wukong-huahua-scifi", work_type="finetuned_model")
    lora = entry.work.document["lora"]
    assert entry.status == "submitted" and lora["origin"] == "trained" and lora["base_model"] == "image-tiny"
    assert len(lora["losses"]) == 8 and len(lora["samples"]) == 2 and len(lora["sha256"]) == 64
    with entry.versions.get().file.open("rb") as handle:
        card = handle.read().decode()
    assert "<polyline" in card and lora["sha256"] in card and "Sample pictures" in card
    assert Job.objects.filter(work_job__step="compare").count() == 4  # the judges' sheet is queued once
    assert entry.assignments.count() == 2  # two demo judges score the fine-tuning entry
    assert "LoRA trained" in next(login.note for login in demo_logins() if login.username == "maker.ada")
