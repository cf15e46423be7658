"""The LoRA picker in the image and storybook studios: only the team's own finished LoRAs, on the studio's
picture maker, are offered; the choice goes with every picture job (its stored file and hash); a LoRA of
someone else's team is refused even when its number is posted."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _with_lora(work: Any, *, base: str = "wukong-tiny", sha: str = "ab" * 32) -> Any:
    from aigc_contest.web.works.kinds.finetune import empty_document

    document = {**empty_document(), "description": "ink", "lora": {
        "origin": "trained", "path": f"jobs/lora-{work.pk}.safetensors", "sha256": sha, "base_model": base,
        "samples": []}}  # fmt: skip
    work.document = document
    work.save(update_fields=["document"])
    return work


def works_category(competition: Any, slug: str = "works") -> Any:
    from aigc_contest.web.contests.models import Category

    return Category.objects.create(competition=competition, slug=slug, name_en=slug.title(),
                                   school_levels=["primary"], work_types=["image", "storybook"], min_team_size=1,
                                   max_team_size=3, any_theme=True, submission_limit=3)  # fmt: skip


@pytest.fixture
def studio(ft: Any, models_file: Any, make_user: Any) -> SimpleNamespace:
    """The fine-tuning team's LoRA, and an image entry of the same people in another category."""
    from aigc_contest.web.entries import services as entry_services
    from aigc_contest.web.works import services as work_services
    from aigc_contest.web.works.models import WorkKind

    works = works_category(ft.competition)
    fine = _with_lora(work_services.start(ft.student, ft.entry, WorkKind.FINETUNE))
    team = entry_services.create_team(ft.teacher, works, name="Painters too", members=[ft.student, ft.teammate])
    entry = entry_services.start_entry(ft.student, team, title="Dragon poster", work_type="image")
    return SimpleNamespace(works=works, fine=fine, team=team, entry=entry)


def test_only_the_teams_own_finished_lora_on_the_model_is_offered(ft: Any, studio: Any, make_user: Any) -> None:
    from aigc_contest.web.entries import services as entry_services
    from aigc_contest.web.works.selectors import loras_for

    assert [lora.source for lora in loras_for(ft.student, studio.entry, "wukong-tiny")] == [studio.fine.pk]
    assert loras_for(ft.student, studio.entry, "other-image") == []  # trained on another base model
    assert loras_for(ft.classmate, studio.entry) == []  # not in the team
    # A team that holds someone from outside the fine-tuning team does not get its LoRA.
    mixed = entry_services.create_team(ft.teacher, works_category(ft.competition, "posters"), name="Mixed", members=[ft.teammate, ft.classmate])
    other = entry_services.start_entry(ft.teammate, mixed, title="Other poster", work_type="image")
    assert loras_for(ft.teammate, other) == []


def test_the_studio_shows_the_picker_and_the_job_carries_the_lora(ft: Any, studio: Any, jobs_in_process: Any) -> None:
    from aigc_contest.web.jobs.kinds import local_loras
    from aigc_contest.web.jobs.models import Job
    from aigc_contest.web.works.models import PictureLora

    client = Client()
    client.force_login(ft.student)
    html = client.get(f"/studio/image/entries/{studio.entry.pk}/").content.decode()
    assert 'data-testid="lora-picker"' in html and "Your fine-tuned model" in html
    assert f'<option value="{studio.fine.pk}">Ink dragons (wukong-tiny)</option>' in html
    assert 'value="0.8"' in html and 'max="1.5"' in html and "lora_picker.js" in html
    response = client.post(f"/studio/image/entries/{studio.entry.pk}/make/", {
        "prompt": "an ink dragon", "negative_prompt": "", "model": "wukong-tiny", "n": 1, "seed": "3",
        "lora": studio.fine.pk, "lora_weight": "1.2"})  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    job = Job.objects.get(kind="image")
    assert job.params["loras"] == [{"name": "storage:" + studio.fine.document["lora"]["path"], "scale": 1.2,
                                    "sha256": "ab" * 32}]  # fmt: skip
    assert PictureLora.objects.get(work__entry=studio.entry).weight == 1.2
    with pytest.raises(Exception, match="could not be found"):  # the worker fetches the stored file by name
        local_loras(job.params)
    # Another model than the LoRA's base: the choice is refused, nothing queued.
    response = client.post(f"/studio/image/entries/{studio.entry.pk}/make/", {
        "prompt": "an ink dragon", "negative_prompt": "", "model": "other-image", "n": 1, "seed": "3",
        "lora": studio.fine.pk, "lora_weight": "0.8"})  # fmt: skip
    assert response.status_code == 400 and "cannot be used here" in response.content.decode()
    assert Job.objects.count() == 1


def test_a_lora_of_another_team_is_refused_when_posted(ft: Any, studio: Any, make_user: Any, make_school: Any,
                                                      jobs_in_process: Any) -> None:  # fmt: skip
    from aigc_contest.web.core.errors import ServiceError
    from aigc_contest.web.entries import services as entry_services
    from aigc_contest.web.jobs.models import Job
    from aigc_contest.web.works import services as work_services
    from aigc_contest.web.works.models import WorkKind

    outsider = make_user("olly", "student", ft.student.school)
    team = entry_services.create_team(ft.teacher, studio.works, name="Loners", members=[outsider])
    entry = entry_services.start_entry(outsider, team, title="Mine", work_type="image")
    work = work_services.start(outsider, entry, WorkKind.IMAGE)
    with pytest.raises(ServiceError, match="cannot be used here"):
        work_services.set_lora(outsider, work, studio.fine.pk, 0.8, model="wukong-tiny")
    client = Client()
    client.force_login(outsider)
    html = client.get(f"/studio/image/entries/{entry.pk}/").content.decode()
    assert "lora-picker" not in html
    client.post(f"/studio/image/entries/{entry.pk}/make/", {"prompt": "a cat", "negative_prompt": "",
                "model": "wukong-tiny", "n": 1, "seed": "", "lora": studio.fine.pk, "lora_weight": "1"})  # fmt: skip
    assert Job.objects.count() == 1 and not Job.objects.get().params.get("loras")


def test_the_storybook_studio_offers_the_lora_for_its_picture_maker(
    ft: Any, studio: Any, jobs_in_process: Any, models_file: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aigc_contest.web.works.models import PictureLora

    with_text = models_file.with_name("with-text.toml")  # a writing model too (never loaded here)
    with_text.write_text(models_file.read_text(encoding="utf-8") + '[[models]]\nname = "text-x"\nkind = "text"\n'
                         'backend = "transformers"\npath = "nowhere"\n', encoding="utf-8")  # fmt: skip
    monkeypatch.setenv("AIGC_MODELS_FILE", str(with_text))
    book = studio.entry
    book.work_type = "storybook"
    book.save(update_fields=["work_type"])
    client = Client()
    client.force_login(ft.student)
    html = client.get(f"/storybooks/entries/{book.pk}/").content.decode()
    assert 'data-testid="lora-picker"' in html and "Ink dragons (wukong-tiny)" in html  # the site's default model
    client.post(f"/storybooks/entries/{book.pk}/start/", {"theme": "dragons", "pages": 2, "age_band": "6-8",
                "style": "", "lora": studio.fine.pk, "lora_weight": "0.5"})  # fmt: skip
    chosen = PictureLora.objects.get(work__entry=book)
    assert (chosen.source_id, chosen.weight) == (studio.fine.pk, 0.5)
    editor = client.get(f"/storybooks/books/{chosen.work_id}/").content.decode()
    assert 'name="op" value="lora"' in editor and 'value="0.5"' in editor
    client.post(f"/storybooks/books/{chosen.work_id}/edit/", {"op": "lora", "lora": "", "lora_weight": "0.8"})
    assert not PictureLora.objects.exists()


def test_the_lora_downloads_in_both_layouts_for_the_team_only(ft: Any, models_file: Any) -> None:
    from safetensors.numpy import load
    from tests.finetuning_web.conftest import lora_tensors, safetensors_bytes

    from aigc_contest.finetune.inspect import inspect_lora_bytes
    from aigc_contest.web.finetuning import services
    from aigc_contest.web.works import services as work_services
    from aigc_contest.web.works.models import WorkKind

    work = work_services.start(ft.student, ft.entry, WorkKind.FINETUNE)
    data = safetensors_bytes(lora_tensors(rank=4), {"aigc_contest.base_model": "wukong-tiny"})
    services.upload_lora(ft.student, work, revision=work.revision, filename="mine.safetensors", data=data)
    client = Client()
    client.force_login(ft.teammate)
    page = client.get(f"/finetuning/entries/{ft.entry.pk}/").content.decode()
    assert 'data-testid="lora-downloads"' in page and "Kohya format" in page
    same = client.get(f"/finetuning/entries/{ft.entry.pk}/lora/download/diffusers/")
    assert same.status_code == 200 and same.content == data
    assert 'filename="ink-dragons-diffusers.safetensors"' in same["Content-Disposition"]
    kohya = client.get(f"/finetuning/entries/{ft.entry.pk}/lora/download/kohya/")
    assert kohya.status_code == 200 and inspect_lora_bytes(kohya.content).format == "kohya"
    keys = set(load(kohya.content))
    assert any(k.startswith("lora_unet_") and k.endswith(".lora_down.weight") for k in keys)
    assert any(k.endswith(".alpha") for k in keys)
    assert client.get(f"/finetuning/entries/{ft.entry.pk}/lora/download/ckpt/").status_code == 404
    outsider = Client()
    outsider.force_login(ft.classmate)
    assert outsider.get(f"/finetuning/entries/{ft.entry.pk}/lora/download/kohya/").status_code == 403
    assert outsider.get(f"/finetuning/entries/{ft.entry.pk}/samples/0/").status_code == 403
    assert client.get(f"/finetuning/entries/{ft.entry.pk}/samples/0/").status_code == 404  # an upload has none
