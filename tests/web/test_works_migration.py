"""The move to one works app: a database holding a novel (with a part rewritten and a picture job), a
storybook (with its pipeline steps, one still waiting) and a picture picked in the image studio, from
before the move, comes out with every document, revision, job and picture in the works tables, and the
old tables gone."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from works_migration_helpers import BEFORE_WORKS, migrate


def _png(colour: tuple[int, int, int]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.django_db(transaction=True)
def test_every_draft_moves_to_the_works_tables_intact(make_competition, make_school, make_user) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.entries.models import Entry, Team
    from aigc_contest.web.jobs.models import Job, JobAsset
    from aigc_contest.web.works.kinds.novel_starter import starter_novel

    _, category, theme = make_competition("move", work_types=("image", "storybook", "novel"))
    school = make_school("school-m")
    teacher = make_user("teacher.m", "teacher", school)
    student = make_user("mia", "student", school)

    def entry(name: str, work_type: str, title: str, **extra: Any) -> Entry:
        team = Team.objects.create(competition=category.competition, category=category, name=name, school=school,
                                   supervising_teacher=teacher)  # fmt: skip
        team.members.set([student])
        return Entry.objects.create(team=team, category=category, theme=theme, work_type=work_type, title=title,
                                    **extra)  # fmt: skip

    novel_entry = entry("Moths", "novel", "Night")
    book_entry = entry("Bees", "storybook", "Roof")
    image_entry = entry("Ants", "image", "Lake", description="A calm lake")

    def job(kind: str, status: str = "succeeded", **result: Any) -> Job:
        return Job.objects.create(owner=student, kind=kind, params={"prompt": "a calm lake", "step": "x"},
                                  status=status, result=result)  # fmt: skip

    def asset(of: Job, index: int, png: bytes) -> JobAsset:
        item = JobAsset(job=of, attempt=1, index=index)
        item.file.save(f"move-{of.pk}-{index}.png", ContentFile(png), save=True)
        return item

    novel_text, novel_picture = job("novel.text", text="New words."), job("image")
    novel_asset = asset(novel_picture, 0, _png((1, 2, 3)))
    outline, picture_step = job("storybook.text", plan={"brief": {}}), job("image", status="queued")
    image_job = job("image")
    asset(image_job, 0, _png((9, 9, 9)))
    chosen_png = _png((7, 8, 9))
    chosen = asset(image_job, 1, chosen_png)
    image_entry.draft_file_sha256 = hashlib.sha256(chosen_png).hexdigest()
    image_entry.draft_meta = {"job": image_job.pk, "provenance": {"model": "image-tiny"}}
    image_entry.save()

    novel = starter_novel("en", "Night")
    novel["nodes"][0]["illustration"] = {
        "asset": f"job-asset:{novel_asset.pk}",
        "alt": "",
        "provenance": {"job": novel_picture.pk},
    }
    plan = {"brief": {"theme": "A roof garden", "pages": 2}}
    book = {"title": "Roof", "pages": [{"id": "p1", "text": "Hello."}]}

    old = migrate(BEFORE_WORKS)  # the database as it was before the works app
    StudioWork, StudioJob = old.get_model("studio", "StudioWork"), old.get_model("studio", "StudioJob")
    StorybookWork, StorybookStep = (
        old.get_model("storybooks", "StorybookWork"),
        old.get_model("storybooks", "StorybookStep"),
    )
    studio_work = StudioWork.objects.create(entry_id=novel_entry.pk, kind="novel", document=novel, revision=4,
                                            updated_by_id=student.pk)  # fmt: skip
    StudioJob.objects.create(entry_id=novel_entry.pk, job_id=novel_text.pk, step="node_text", node_id="left",
                             applied=True, applied_revision=3)  # fmt: skip
    StudioJob.objects.create(entry_id=novel_entry.pk, job_id=novel_picture.pk, step="picture", node_id="start",
                             applied=True, dismissed=True)  # fmt: skip
    storybook_work = StorybookWork.objects.create(entry_id=book_entry.pk, plan=plan, document=book, revision=7,
                                                  auto_pictures=False, updated_by_id=student.pk)  # fmt: skip
    StorybookStep.objects.create(work_id=storybook_work.pk, job_id=outline.pk, step="outline", applied=True)
    StorybookStep.objects.create(
        work_id=storybook_work.pk, job_id=picture_step.pk, step="picture", page_id="p1"
    )

    migrate()  # the move, and the old tables removed

    from aigc_contest.web.works.models import Work, WorkJob

    tables = connection.introspection.table_names()
    assert "studio_studiowork" not in tables and "storybooks_storybookstep" not in tables
    assert Work.objects.count() == 3

    story = Work.objects.get(entry=novel_entry)
    assert (story.pk, story.kind, story.revision, story.updated_by) == (studio_work.pk, "novel", 4, student)
    assert story.document == novel  # the picture's reference and provenance with it
    rewritten, drawn = WorkJob.objects.get(job=novel_text), WorkJob.objects.get(job=novel_picture)
    assert (rewritten.work, rewritten.step, rewritten.target, rewritten.state, rewritten.applied_revision) == (
        story, "node_text", "left", "applied", 3)  # fmt: skip
    assert (drawn.step, drawn.target, drawn.dismissed, list(drawn.job.assets.all())) == ("picture", "start", True,
                                                                                          [novel_asset])  # fmt: skip

    storybook = Work.objects.get(entry=book_entry)
    assert (storybook.kind, storybook.revision) == ("storybook", 7)
    assert storybook.document == {"plan": plan, "book": book, "auto_pictures": False}
    steps = {item.step: item for item in storybook.jobs.all()}
    assert steps["outline"].state == "applied" and steps["outline"].job == outline
    assert (steps["picture"].state, steps["picture"].target, steps["picture"].job) == (
        "waiting",
        "p1",
        picture_step,
    )

    picture = Work.objects.get(entry=image_entry)
    assert picture.kind == "image"
    assert picture.document == {"prompt": "a calm lake", "caption": "A calm lake",
                                "picture": {"asset": f"job-asset:{chosen.pk}", "job": image_job.pk,
                                            "provenance": {"model": "image-tiny"}}}  # fmt: skip
    assert list(picture.jobs.values_list("job", "step", "state")) == [(image_job.pk, "picture", "applied")]
    # A new work after the move gets a number of its own.
    other = entry("Wasps", "novel", "Next")
    assert Work.objects.create(entry=other, kind="novel", document=None).pk not in {
        story.pk,
        storybook.pk,
        picture.pk,
    }

    # The carried works open in their editors, at the addresses they had.
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(student)
    assert b'id="graph"' in client.get(reverse("studio-home", args=[novel_entry.pk])).content
    assert client.get(reverse("studio-document", args=[story.pk])).json()["revision"] == 4
    assert client.get(reverse("storybook-home", args=[book_entry.pk]))["Location"] == reverse(
        "storybook-editor", args=[storybook.pk])  # fmt: skip
    assert client.get(reverse("storybook-editor", args=[storybook.pk])).status_code == 200
    assert client.get(reverse("image-studio", args=[image_entry.pk])).status_code == 200
