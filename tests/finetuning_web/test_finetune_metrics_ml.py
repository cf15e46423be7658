"""Advisory metrics of a fine-tuning entry through a CLIP-family model: a tiny random CLIPConfig model is
built and saved in the test, loaded by the real loading code (CLIPModel.from_pretrained through the clip
embedder), and the numbers checked against CLIP itself; the judge's page shows them as advisory."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from tests.finetuning_web.conftest import picture, write_models_file

pytestmark = [pytest.mark.django_db, pytest.mark.ml]


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from aigc_contest.generation.tiny import build_clip_guard

    return build_clip_guard(tmp_path_factory.mktemp("tiny-clip"), seed=3)  # a random CLIPConfig model


def _image(data: bytes) -> Any:
    from PIL import Image

    return Image.open(io.BytesIO(data)).convert("RGB")


def test_the_metrics_are_clip_scores_and_max_cosines(clip_dir: Path) -> None:
    import torch
    from transformers import CLIPModel, CLIPProcessor

    from aigc_contest.finetune.metrics import advisory_metrics
    from aigc_contest.generation.backends.embed_clip import ClipEmbedder

    embedder = ClipEmbedder("clip-tiny", str(clip_dir), is_test_model=True, device="cpu")
    training = [_image(picture(i)) for i in range(4)]
    samples = [(training[1], "an ink dragon"), (_image(picture(9)), "a paper boat")]
    found = advisory_metrics(embedder, samples, training)
    assert found.samples == 2 and found.training_images == 4 and found.is_test_model

    model, processor = CLIPModel.from_pretrained(clip_dir).eval(), CLIPProcessor.from_pretrained(clip_dir)
    with torch.inference_mode():
        inputs = processor(text=["an ink dragon", "a paper boat"], images=[s[0] for s in samples],
                           return_tensors="pt", padding=True)  # fmt: skip
        out = model(**inputs)
        images = torch.nn.functional.normalize(out.image_embeds, dim=-1)
        texts = torch.nn.functional.normalize(out.text_embeds, dim=-1)
        cosines = (images * texts).sum(-1).tolist()
        train = torch.nn.functional.normalize(model(**processor(text=["x"], images=training, return_tensors="pt",
                                                                 padding=True)).image_embeds, dim=-1)  # fmt: skip
        best = (images @ train.T).max(dim=1).values.tolist()
    expected = [100 * max(c, 0.0) for c in cosines]
    assert found.adherence_per_sample == pytest.approx(expected, abs=0.05)
    assert found.prompt_adherence == pytest.approx(sum(expected) / 2, abs=0.05)
    assert best[0] == pytest.approx(1.0, abs=1e-4)  # a sample that is a training picture: cosine 1
    assert found.training_similarity == pytest.approx(sum(best) / 2, abs=1e-3)


def test_the_judge_sees_the_metrics_as_advisory(
    ft: Any, clip_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_user: Any
) -> None:
    from django.test import Client
    from tests.finetuning_web.conftest import lora_tensors, safetensors_bytes

    from aigc_contest.web.finetuning import services
    from aigc_contest.web.judging import services as judging
    from aigc_contest.web.judging.models import Assignment
    from aigc_contest.web.works import services as work_services
    from aigc_contest.web.works.models import Work, WorkKind

    models = write_models_file(tmp_path, (tmp_path / "no-weights").as_posix())
    models.write_text(models.read_text(encoding="utf-8") + '[[models]]\nname = "clip-tiny"\nkind = "embedding"\n'
                      f'backend = "clip"\npath = "{clip_dir.as_posix()}"\ntest_model = true\n'
                      'options = { device = "cpu" }\n', encoding="utf-8")  # fmt: skip
    monkeypatch.setenv("AIGC_MODELS_FILE", str(models))
    work = work_services.start(ft.student, ft.entry, WorkKind.FINETUNE)
    work, _ = services.add_images(ft.student, work, revision=work.revision,
                                  files=[(f"p{i}.png", picture(i)) for i in range(5)])  # fmt: skip
    data = safetensors_bytes(lora_tensors(rank=4), {"aigc_contest.base_model": "wukong-tiny"})
    work = services.upload_lora(ft.student, work, revision=work.revision, filename="mine.safetensors", data=data)
    document = dict(work.document)  # the LoRA's samples: one is the first training picture
    document["lora"] = {**document["lora"], "samples": [{"path": document["images"][0]["path"],
                                                         "prompt": "an ink dragon", "seed": 0, "step": 1}]}  # fmt: skip
    Work.objects.filter(pk=work.pk).update(document=document)
    work = services.save_description(ft.student, Work.objects.get(pk=work.pk), revision=work.revision,
                                     description="Ink dragons.")  # fmt: skip
    work_services.submit(ft.student, work)
    judge = make_user("judy", "judge")
    round_ = judging.open_round(ft.organiser, ft.competition, "scoring", k=1)
    judging.add_judge(ft.organiser, round_, judge)
    assignment = Assignment.objects.create(round=round_, judge=judge, entry=ft.entry, version=ft.entry.versions.get())
    client = Client()
    client.force_login(judge)
    page = client.get(f"/judging/assignments/{assignment.pk}/").content.decode()
    assert 'data-testid="finetune-metrics"' in page and "Advisory metrics" in page
    assert "Prompt adherence" in page and "cosine of 1.00 on average" in page and "over 5 training pictures" in page
    assert "random weights" in page
    ft.competition.judge_signals = ["duplicates"]  # the organiser hides model-based signals
    ft.competition.save(update_fields=["judge_signals"])
    assert "finetune-metrics" not in client.get(f"/judging/assignments/{assignment.pk}/").content.decode()
