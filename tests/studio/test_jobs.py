"""The studio's AI work as jobs: the first draft and one part again (`novel.text`), and pictures (`image`):
each finished job goes into the story exactly once, pictures are picked and exported inline, and a failed
job leaves the story usable and can be tried again."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.studio.views import request_draft
from aigc_contest.web.works import services
from aigc_contest.web.works.kinds import novel
from aigc_contest.web.works.models import WorkJob, WorkKind

from .conftest import run_jobs

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_json(client: Client, url: str, body: object) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_the_first_draft_is_a_job_and_goes_into_the_story_once(novel_setup, jobs_inline, fake_models) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.works import signals

    client = client_for(novel_setup.student)
    entry = novel_setup.entry
    response = client.post(reverse("studio-start", args=[entry.pk]), {"source": "generate", "theme": "owls at night"})
    assert response.status_code == 302
    item = WorkJob.objects.get(work__entry=entry)
    assert item.step == "draft" and item.job.kind == "novel.text" and item.job.params["theme"] == "owls at night"
    page = client.get(reverse("studio-home", args=[entry.pk])).content.decode()
    assert 'data-testid="draft-progress"' in page and "Waiting" in page  # no story yet, the draft is queued
    assert client.get(reverse("studio-draft", args=[entry.pk])).json()["ready"] is False

    assert run_jobs() == 1
    work = entry.work
    assert work.revision == 1 and work.document["title"] == "The Lantern Garden"
    assert all(node["text"] for node in work.document["nodes"])
    # Applying again (the worker's signal, another open page) changes nothing.
    signals._sync(entry.work.pk)
    services.sync_entry(entry)
    work.refresh_from_db()
    assert work.revision == 1 and WorkJob.objects.get(pk=item.pk).applied
    assert client.get(reverse("studio-draft", args=[entry.pk])).json()["ready"] is True
    assert b'id="graph"' in client.get(reverse("studio-home", args=[entry.pk])).content


def test_a_draft_that_arrives_after_the_template_never_overwrites_it(novel_setup, jobs_inline, fake_models) -> None:  # type: ignore[no-untyped-def]
    item = request_draft(novel_setup.student, novel_setup.entry, theme="owls")
    work = services.start(novel_setup.teammate, novel_setup.entry, WorkKind.NOVEL)
    run_jobs()
    work.refresh_from_db()
    item.refresh_from_db()
    assert work.document["nodes"][0]["id"] == "start" and item.applied and item.note == "exists"
    with pytest.raises(ServiceError, match="already has"):
        request_draft(novel_setup.student, novel_setup.entry, theme="owls")


def test_write_a_part_again_is_applied_once_and_the_open_page_can_still_save(novel_setup, jobs_inline,
                                                                            fake_models) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    work = services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL)
    client = client_for(novel_setup.student)
    page_copy = copy.deepcopy(work.document)
    page_copy["nodes"][0]["text"] = "My own unsaved start."  # the open page has an unsaved edit elsewhere
    answer = post_json(client, reverse("studio-regenerate", args=[work.pk]), {"document": page_copy, "node": "left"})
    assert answer.status_code == 200
    item = WorkJob.objects.get(pk=answer.json()["job"])
    assert item.job.kind == "novel.text" and item.job.params["node"] == "left"
    assert work.document == services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL).document  # nothing yet

    assert run_jobs() == 1
    work.refresh_from_db()
    assert work.revision == 2
    new_text = work.document["nodes"][1]["text"]
    assert new_text.startswith("A calm scene") and work.document["nodes"][0]["text"].startswith("Write how")
    status = client.get(reverse("studio-jobs", args=[work.pk])).json()
    assert status["texts"] == [{"id": item.pk, "node": "left", "text": new_text, "revision": 2}]
    assert status["busy"] is False and status["revision"] == 2
    services.sync_entry(novel_setup.entry)
    work.refresh_from_db()
    assert work.revision == 2  # applied once

    # The page makes the same change to its copy and carries on from revision 2: its save is not stale.
    page_copy["nodes"][1]["text"] = new_text
    saved = post_json(client, reverse("studio-document", args=[work.pk]), {"document": page_copy, "revision": 2})
    assert saved.status_code == 200 and saved.json()["revision"] == 3
    work.refresh_from_db()
    assert work.document["nodes"][0]["text"] == "My own unsaved start." and work.document["nodes"][1]["text"] == new_text


def _draw(client: Client, work: Any, node: str = "start", prompt: str = "a red kite over the sea") -> WorkJob:
    answer = post_json(client, reverse("studio-picture", args=[work.pk]), {"node": node, "prompt": prompt})
    assert answer.status_code == 200, answer.content
    return WorkJob.objects.get(pk=answer.json()["job"])


def test_a_picked_picture_is_stored_on_the_part_and_exported_inline(novel_setup, jobs_inline, fake_models) -> None:  # type: ignore[no-untyped-def]
    work = services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL)
    client = client_for(novel_setup.student)
    suggestion = post_json(client, reverse("studio-picture-prompt", args=[work.pk]),
                           {"title": "The gate", "text": "Mei finds a glowing gate. It hums.", "style": "crayon"})  # fmt: skip
    assert suggestion.json()["prompt"].startswith("children's crayon drawing") and "The gate: Mei finds" in suggestion.json()["prompt"]
    item = _draw(client, work)
    assert item.job.kind == "image" and item.job.params["n"] == 2 and item.target == "start"
    assert run_jobs() == 1
    panel = client.get(reverse("studio-jobs", args=[work.pk])).json()["html"]
    assets = list(item.job.assets.order_by("index"))
    assert len(assets) == 2 and "Use picture 2" in panel
    assert reverse("studio-picture-file", args=[work.pk, assets[1].pk]) in panel
    assert client.get(reverse("studio-picture-file", args=[work.pk, assets[1].pk])).content.startswith(b"\x89PNG")

    picked = post_json(client, reverse("studio-pick", args=[work.pk]), {"node": "start", "asset": assets[1].pk,
                                                                         "alt": "The beginning"})  # fmt: skip
    assert picked.status_code == 200
    illustration = picked.json()["illustration"]
    assert picked.json()["revision"] == 2 and illustration["asset"] == f"job-asset:{assets[1].pk}"
    provenance = illustration["provenance"]
    assert provenance["model"] == "fake-image" and provenance["prompt"] == "a red kite over the sea"
    assert provenance["job"] == item.job_id and len(provenance["sha256"]) == 64
    work.refresh_from_db()
    assert work.document["nodes"][0]["illustration"] == illustration

    html = novel.playable_html(work)
    assert html.count("data:image/png;base64,") == 1
    version = services.submit(novel_setup.student, work)
    submitted = version.file.open("rb").read().decode()
    assert "data:image/png;base64," in submitted
    assert version.meta["illustrations"] == [{"node": "start", "asset": illustration["asset"], "provenance": provenance}]


def test_pictures_of_another_story_cannot_be_used_or_read(novel_setup, jobs_inline, fake_models) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.entries.models import Entry, Team

    work = services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL)
    item = _draw(client_for(novel_setup.student), work)
    run_jobs()
    asset = item.job.assets.first()
    mine = novel_setup.entry
    team = Team.objects.create(competition=mine.category.competition, category=mine.category, name="Foxes",
                               school=mine.team.school, supervising_teacher=novel_setup.teacher)  # fmt: skip
    team.members.set([novel_setup.other_student])
    other_entry = Entry.objects.create(team=team, category=mine.category, theme=mine.theme, work_type="novel",
                                       title="Other")  # fmt: skip
    other = services.start(novel_setup.other_student, other_entry, WorkKind.NOVEL)
    mine.category.competition.teachers_may_help = True
    mine.category.competition.save()
    client = client_for(novel_setup.teacher)  # the (helping) teacher of both teams may edit both stories
    refused = post_json(client, reverse("studio-pick", args=[other.pk]), {"node": "start", "asset": asset.pk})
    assert refused.status_code == 400 and refused.json()["code"] == "not_found"
    assert client.get(reverse("studio-picture-file", args=[other.pk, asset.pk])).status_code == 404
    document = copy.deepcopy(other.document)
    document["nodes"][0]["illustration"] = {"asset": f"job-asset:{asset.pk}"}  # naming it is not enough
    assert "data:image/png" not in novel.playable_html(other, document)
    assert client_for(novel_setup.other_student).get(
        reverse("studio-picture-file", args=[work.pk, asset.pk])).status_code == 403  # fmt: skip


def test_an_unkind_picture_description_is_refused_before_any_job(novel_setup, jobs_inline, fake_models) -> None:  # type: ignore[no-untyped-def]
    work = services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL)
    answer = post_json(client_for(novel_setup.student), reverse("studio-picture", args=[work.pk]),
                       {"node": "start", "prompt": "kill them with a gun"})  # fmt: skip
    assert answer.status_code == 400 and answer.json()["code"] == "refused" and "gun" not in answer.json()["error"]
    empty = post_json(client_for(novel_setup.student), reverse("studio-picture", args=[work.pk]),
                      {"node": "start", "prompt": "  "})  # fmt: skip
    assert empty.status_code == 400 and empty.json()["code"] == "empty"
    assert not WorkJob.objects.exists()


def test_a_failed_picture_job_shows_why_keeps_the_story_usable_and_can_be_tried_again(
        novel_setup, jobs_inline, fake_models, monkeypatch) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    from aigc_contest.generation.types import GenerationError
    from aigc_contest.web.jobs.models import JobStatus

    from .fakes import fake_image_batch

    def broken(requests, **kwargs):  # type: ignore[no-untyped-def]
        return [GenerationError("the picture model is not available") for _ in requests]

    monkeypatch.setattr("aigc_contest.generation.service.generate_image_batch", broken)
    work = services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL)
    client = client_for(novel_setup.student)
    item = _draw(client, work)
    run_jobs()
    item.refresh_from_db()
    assert item.job.status == JobStatus.FAILED
    panel = client.get(reverse("studio-jobs", args=[work.pk])).json()["html"]
    # The child reads a plain sentence; the backend's own words are kept for staff in the job's detail.
    assert "The AI could not make this" in panel and 'data-action="retry"' in panel
    assert "the picture model is not available" not in panel
    assert "the picture model is not available" in item.job.error_detail
    # The story is still usable: edits save, the play-test plays, the editor opens.
    document = copy.deepcopy(work.document)
    document["nodes"][0]["text"] = "Still my story."
    assert post_json(client, reverse("studio-document", args=[work.pk]),
                     {"document": document, "revision": 1}).status_code == 200  # fmt: skip
    assert b"Still my story." in post_json(client, reverse("studio-player", args=[work.pk]), {"document": document}).content
    assert client.get(reverse("studio-home", args=[novel_setup.entry.pk])).status_code == 200

    monkeypatch.setattr("aigc_contest.generation.service.generate_image_batch", fake_image_batch)
    again = post_json(client, reverse("studio-job-action", args=[work.pk]), {"job": item.pk, "action": "retry"})
    assert again.status_code == 200 and again.json()["job"] == item.pk
    run_jobs()
    item.refresh_from_db()
    assert item.job.status == JobStatus.SUCCEEDED and item.job.assets.count() == 2
    # A teammate's "try again" of someone else's job is a new job of their own.
    services.dismiss(novel_setup.student, item)
    monkeypatch.setattr("aigc_contest.generation.service.generate_image_batch", broken)
    mine = _draw(client, work, node="left")
    run_jobs()
    theirs = services.try_again(novel_setup.teammate, WorkJob.objects.get(pk=mine.pk))
    assert theirs.pk != mine.pk and theirs.job.owner == novel_setup.teammate and theirs.target == "left"
    assert WorkJob.objects.get(pk=mine.pk).dismissed


def test_a_failed_draft_says_why_and_the_template_is_still_there(novel_setup, jobs_inline, fake_models) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.generation.types import GenerationError

    class Broken:
        def complete_json(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise GenerationError("the writing model is not available")

    fake_models.backend = Broken()
    client = client_for(novel_setup.student)
    entry = novel_setup.entry
    client.post(reverse("studio-start", args=[entry.pk]), {"source": "generate", "theme": "owls"})
    run_jobs()
    page = client.get(reverse("studio-home", args=[entry.pk])).content.decode()
    assert "The AI could not make this" in page and "Try again" in page
    assert "the writing model is not available" not in page  # backend details are for staff only
    assert "Start with the template" in page and "Write a first draft" in page
    client.post(reverse("studio-start", args=[entry.pk]), {"source": "template"})
    assert entry.work.document["start"] == "start"


def test_writing_jobs_carry_the_schools_safety_settings(novel_setup, jobs_inline, fake_models) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.jobs.kinds import safety_policy_of
    from aigc_contest.web.moderation.models import SchoolSafetyPolicy
    from aigc_contest.works.novel.generate import settings_for_document
    from aigc_contest.works.novel.model import Novel

    SchoolSafetyPolicy.objects.create(school=novel_setup.student.school, extra_blocked_terms="broccoli")
    work = services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL, draft=True)
    item = services.queue_job(novel_setup.student, work, "novel.text", {"step": "draft", "theme": "space", "nodes": 4},
                              "draft")
    policy = safety_policy_of(item.job.params)
    assert policy is not None and "broccoli" in policy.extra_blocked_terms
    novel = Novel.model_validate({"start": "a", "nodes": [{"id": "a", "text": "x", "ending": "happy"}]})
    settings = settings_for_document("m", "t", novel, policy=policy)
    from aigc_contest.safety import check_text

    assert not check_text("I love broccoli", settings.policy).allowed
