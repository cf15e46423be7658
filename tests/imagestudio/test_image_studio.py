"""The image studio through Django's test client: who may open it, refusals, jobs, and picking a picture."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.test import Client

from aigc_contest.web.jobs import runner
from aigc_contest.web.jobs.models import Job, JobStatus
from aigc_contest.web.moderation.models import SafetyEvent, SchoolSafetyPolicy

pytestmark = pytest.mark.django_db


def _client(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def _make(client: Client, entry: Any, prompt: str, **extra: Any) -> Any:
    data = {"prompt": prompt, "negative_prompt": "", "model": "image-tiny", "n": 2, "seed": "", **extra}
    return client.post(f"/studio/image/entries/{entry.pk}/make/", data)


@pytest.mark.parametrize(
    ("who", "status"),
    [("student", 200), ("teammate", 200), ("teacher", 403), ("classmate", 403), ("other_teacher", 403),
     ("other_student", 403), ("organiser", 403), ("judge", 403)],
)
def test_who_may_open_the_studio(image_setup: Any, image_models: Any, who: str, status: int) -> None:
    response = _client(getattr(image_setup, who)).get(f"/studio/image/entries/{image_setup.entry.pk}/")
    assert response.status_code == status


def test_anonymous_is_sent_to_sign_in(image_setup: Any) -> None:
    response = Client().get(f"/studio/image/entries/{image_setup.entry.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_only_image_entries_have_an_image_studio(image_setup: Any, image_models: Any) -> None:
    entry = image_setup.entry
    entry.work_type = "novel"
    entry.save()
    assert _client(image_setup.student).get(f"/studio/image/entries/{entry.pk}/").status_code == 403


def test_page_offers_models_examples_and_read_aloud_in_the_ui_language(image_setup: Any, image_models: Any) -> None:
    html = _client(image_setup.student, "zh-HK").get(f"/studio/image/entries/{image_setup.entry.pk}/").content.decode()
    assert "image-tiny — " in html and 'value="image-tiny"' in html
    assert "一隻開心的貓在大樹下看書" in html and "一只开心的猫" not in html  # Traditional examples for zh-HK
    assert 'lang="zh-Hant"' in html and 'id="read-aloud"' in html and 'id="surprise-seed"' in html
    entry_page = _client(image_setup.student).get(f"/entries/{image_setup.entry.pk}/").content.decode()
    assert f'href="/studio/image/entries/{image_setup.entry.pk}/"' in entry_page


def test_refused_prompt_is_recorded_and_answered_kindly_without_the_words(
    image_setup: Any, image_models: Any, jobs_in_process: Any
) -> None:
    response = _make(_client(image_setup.student, "zh-CN"), image_setup.entry, "一个人在屠杀村民")
    html = response.content.decode()
    assert response.status_code == 400
    assert "这个想法有可怕或伤害人的暴力内容" in html  # the kind violence message, in Simplified Chinese
    assert "屠杀" not in html and "村民" not in html  # nothing of the prompt comes back
    assert not Job.objects.exists()
    event = SafetyEvent.objects.get()
    assert (event.user, event.school, event.where, event.outcome) == (
        image_setup.student, image_setup.student.school, "prompt", "refused")
    assert event.category == "violence" and event.matched == ["屠杀"] and "屠杀" in event.excerpt


def test_school_policy_blocks_a_word_for_its_own_students_only(
    image_setup: Any, image_models: Any, jobs_in_process: Any, make_competition: Any
) -> None:
    SchoolSafetyPolicy.objects.create(school=image_setup.student.school, extra_blocked_terms="dragon\n")
    refused = _make(_client(image_setup.student), image_setup.entry, "A friendly dragon")
    assert refused.status_code == 400 and "dragon" not in refused.content.decode().lower()
    assert SafetyEvent.objects.get().category == "custom"
    # the platform default lets it through for another school's student
    from aigc_contest.safety import check_text
    from aigc_contest.web.moderation.selectors import policy_for

    assert check_text("A friendly dragon", policy_for(image_setup.other_student)).allowed


def test_pictures_are_made_as_a_job_then_the_picked_one_becomes_the_draft(
    image_setup: Any, image_models: Any, jobs_in_process: Any
) -> None:
    from PIL import Image

    from aigc_contest.generation.provenance import read_provenance

    client = _client(image_setup.student)
    entry = image_setup.entry
    response = _make(client, entry, "我的快樂地方：海邊的日落", negative_prompt="blurry", seed="42")
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"?job={job.pk}#job-{job.pk}")
    assert (job.kind, job.params["n"], job.params["seed"], job.params["width"]) == ("image", 2, 42, 64)
    assert "safety_policy" not in job.params  # the school has no settings of its own

    card = client.get(f"/studio/image/entries/{entry.pk}/jobs/{job.pk}/").content.decode()
    assert "data-poll-url" in card  # waiting: jobs.js keeps polling
    assert runner.run_available("gpu") == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error_detail
    card = client.get(f"/studio/image/entries/{entry.pk}/jobs/{job.pk}/").content.decode()
    assert "data-poll-url" not in card
    assets = list(job.assets.all())
    assert len(assets) == 2 and card.count('name="asset"') == 2

    response = client.post(f"/studio/image/entries/{entry.pk}/pick/", {"asset": assets[1].pk, "caption": "海邊很平靜"})
    assert response.status_code == 302 and response["Location"] == f"/entries/{entry.pk}/"
    entry.refresh_from_db()
    data = entry.draft_file.open("rb").read()
    assert data == assets[1].file.open("rb").read()  # the PNG as made, chunks and all
    assert entry.draft_mime == "image/png" and entry.draft_file_name == "picture-seed43.png"
    assert Image.open(io.BytesIO(data)).size == (64, 64)
    info = read_provenance(data)
    assert info.provenance is not None and info.provenance.prompt == "我的快樂地方：海邊的日落"
    assert info.aigc_label is not None and info.aigc_label["Label"] == "1"
    assert entry.draft_meta["provenance"]["seed"] == 43 and entry.draft_meta["job"] == job.pk
    assert entry.draft_meta["provenance"]["negative_prompt"] == "blurry"
    assert entry.description == "海邊很平靜"

    from aigc_contest.web.entries.services import submit_entry

    version = submit_entry(image_setup.student, entry)
    assert version.meta["provenance"]["model"] == "image-tiny"


def test_a_teacher_can_make_and_pick_for_the_team(image_setup: Any, image_models: Any, jobs_in_process: Any) -> None:
    competition = image_setup.entry.category.competition
    competition.teachers_may_help = True  # teachers are read-only unless the competition lets them help
    competition.save()
    client = _client(image_setup.teacher)
    assert _make(client, image_setup.entry, "A rainbow", n=1).status_code == 302
    runner.run_available("gpu")
    asset = Job.objects.get().assets.get()
    response = client.post(f"/studio/image/entries/{image_setup.entry.pk}/pick/", {"asset": asset.pk})
    assert response.status_code == 302
    image_setup.entry.refresh_from_db()
    assert image_setup.entry.draft_meta["provenance"]["prompt"] == "A rainbow"


def test_someone_elses_picture_cannot_be_picked(image_setup: Any, image_models: Any, jobs_in_process: Any) -> None:
    from aigc_contest.web.jobs.services import submit_job

    job = submit_job(image_setup.classmate, "image", {"model": "image-tiny", "prompt": "a cat", "width": 64, "height": 64})
    runner.run_available("gpu")
    asset = job.assets.get()
    response = _client(image_setup.student).post(f"/studio/image/entries/{image_setup.entry.pk}/pick/", {"asset": asset.pk})
    assert response.status_code == 403  # the student may not even see a classmate's job
    competition = image_setup.entry.category.competition
    competition.teachers_may_help = True
    competition.save()
    response = _client(image_setup.teacher).post(f"/studio/image/entries/{image_setup.entry.pk}/pick/", {"asset": asset.pk})
    assert response.status_code == 302 and response["Location"].endswith(f"/studio/image/entries/{image_setup.entry.pk}/")
    image_setup.entry.refresh_from_db()
    assert not image_setup.entry.draft_file  # the classmate is not in the team


def test_bad_input_gets_clear_messages(image_setup: Any, image_models: Any, jobs_in_process: Any) -> None:
    client = _client(image_setup.student)
    for data, message in (
        ({"prompt": ""}, "Please write what you would like to see."),
        ({"prompt": "a cat", "n": 9}, "Select a valid choice"),
        ({"prompt": "a cat", "seed": "-1"}, "greater than or equal to 0"),
        ({"prompt": "a cat", "model": "nope"}, "Select a valid choice"),
    ):
        response = _make(client, image_setup.entry, **{"prompt": data.pop("prompt")}, **data)
        assert response.status_code == 400 and message in response.content.decode()
    assert not Job.objects.exists()
    response = client.post(f"/studio/image/entries/{image_setup.entry.pk}/pick/", {"asset": "x"})
    assert response.status_code == 302


def test_worker_refusal_is_recorded_and_shown_kindly_in_the_page_language(
    image_setup: Any, image_models: Any, jobs_in_process: Any
) -> None:
    from aigc_contest.web.jobs.services import submit_job

    # Through the plain jobs page (no studio pre-check), the worker's own screening refuses it.
    job = submit_job(image_setup.student, "image", {"model": "image-tiny", "prompt": "a naked person", "width": 64, "height": 64})
    runner.run_available("gpu")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    event = SafetyEvent.objects.get()
    assert (event.job, event.where, event.category, event.matched) == (job, "prompt", "sexual", ["naked"])
    card = _client(image_setup.student, "zh-HK").get(
        f"/studio/image/entries/{image_setup.entry.pk}/jobs/{job.pk}/").content.decode()
    assert "這個想法涉及成年人的私密內容" in card and "naked" not in card


def test_school_allowed_words_travel_with_the_job_to_the_worker(
    image_setup: Any, image_models: Any, jobs_in_process: Any
) -> None:
    SchoolSafetyPolicy.objects.create(school=image_setup.student.school, allowed_terms="massacre")
    response = _make(_client(image_setup.student), image_setup.entry, "A history poster about the massacre memorial", n=1)
    assert response.status_code == 302
    job = Job.objects.get()
    assert job.params["safety_policy"]["allowed_terms"] == ["massacre"]
    runner.run_available("gpu")
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    # without the school's settings the worker would refuse the same words
    from aigc_contest.web.jobs.services import submit_job

    plain = submit_job(image_setup.other_student, "image", {"model": "image-tiny", "prompt": "the massacre", "width": 64, "height": 64})
    assert plain.batch_key != job.batch_key
    runner.run_available("gpu")
    plain.refresh_from_db()
    assert plain.status == JobStatus.FAILED


def test_stricter_school_picture_setting_applies_when_picking(
    image_setup: Any, image_models: Any, jobs_in_process: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aigc_contest.safety.image as image_safety

    monkeypatch.setattr(image_safety, "nsfw_scores", lambda views, model_path=None: [0.2] * len(views))
    client = _client(image_setup.student)
    _make(client, image_setup.entry, "A calm lake", n=1)
    runner.run_available("gpu")  # 0.2 is below the platform's 0.6: the worker lets it through
    asset = Job.objects.get().assets.get()
    SchoolSafetyPolicy.objects.create(school=image_setup.student.school, nsfw_threshold=0.15)
    response = client.post(f"/studio/image/entries/{image_setup.entry.pk}/pick/", {"asset": asset.pk}, follow=True)
    assert "This picture isn&#x27;t suitable for our creative space" in response.content.decode()
    image_setup.entry.refresh_from_db()
    assert not image_setup.entry.draft_file
    event = SafetyEvent.objects.get(where="generated_image")
    assert event.outcome == "refused" and event.score == pytest.approx(0.2)
    assert event.excerpt == "" and re.fullmatch(r"[0-9a-f]{64}", event.content_sha256)
