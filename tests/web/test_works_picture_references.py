"""Pictures named one way: a database holding one work of each kind from before (a storybook naming its
pictures by storage path, a picture from the image studio naming its candidate by number, a novel naming
its illustration `job-asset:N`) comes out with every picture a `job-asset:N` reference of the work's own
jobs, and every kind still reads them: the book exports, the picture is the version file, the story plays."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from works_migration_helpers import migrate

BEFORE = [("works", "0004_finetuned_model_kind")]


@pytest.mark.django_db(transaction=True)
def test_every_picture_becomes_a_reference_of_the_works_own_jobs(  # type: ignore[no-untyped-def]
    make_competition, make_school, make_user, make_png
) -> None:
    from aigc_contest.web.entries.models import Entry, Team
    from aigc_contest.web.jobs.models import Job, JobAsset
    from aigc_contest.web.works.kinds.novel_starter import starter_novel

    _, category, theme = make_competition("refs", work_types=("image", "storybook", "novel"))
    school = make_school("school-r")
    teacher = make_user("teacher.r", "teacher", school)
    student = make_user("ria", "student", school)

    def entry(name: str, work_type: str) -> Entry:
        team = Team.objects.create(competition=category.competition, category=category, name=name, school=school,
                                   supervising_teacher=teacher)  # fmt: skip
        team.members.set([student])
        return Entry.objects.create(team=team, category=category, theme=theme, work_type=work_type, title=name)

    def picture_job() -> Job:
        return Job.objects.create(owner=student, kind="image", params={"prompt": "a roof"}, status="succeeded")

    def asset(of: Job, index: int, png: bytes) -> JobAsset:
        item = JobAsset(job=of, attempt=1, index=index, content_type="image/png")
        item.file.save(f"refs-{of.pk}-{index}.png", ContentFile(png), save=True)
        return item

    pngs = {name: make_png(color=colour) for name, colour in
            (("chosen", (1, 2, 3)), ("other", (4, 5, 6)), ("novel", (7, 8, 9)), ("picked", (9, 9, 1)),
             ("loose", (3, 3, 3)))}  # fmt: skip
    book_job, novel_job, image_job = picture_job(), picture_job(), picture_job()
    chosen, other = asset(book_job, 0, pngs["chosen"]), asset(book_job, 1, pngs["other"])
    novel_asset = asset(novel_job, 0, pngs["novel"])
    picked = asset(image_job, 0, pngs["picked"])
    loose = default_storage.save("storybooks/pictures/loose.png", ContentFile(pngs["loose"]))  # no job made it

    def stored(item: JobAsset, **provenance: Any) -> dict[str, Any]:
        return {"path": item.file.name, "media_type": "image/png", "provenance": provenance}

    book = {"title": "Roof", "language": "en", "pages": [
        {"id": "p1", "text": "Bees on the roof.", "image": stored(chosen, asset=chosen.pk),
         "candidates": [stored(chosen, asset=chosen.pk), stored(other, asset=other.pk),
                        {"path": "storybooks/pictures/gone.png", "media_type": "image/png"}]},
        {"id": "p2", "text": "Honey.", "image": {"path": loose, "media_type": "image/png"}}]}  # fmt: skip
    novel = starter_novel("en", "Night")
    novel["nodes"][0]["illustration"] = {"asset": f"job-asset:{novel_asset.pk}", "alt": "", "provenance": {}}
    book_entry, image_entry, novel_entry = entry("Bees", "storybook"), entry("Ants", "image"), entry("Moths", "novel")

    old = migrate(BEFORE)  # the database as it was before pictures were named one way
    Work, WorkJob = old.get_model("works", "Work"), old.get_model("works", "WorkJob")
    plan = {"brief": {"theme": "A roof garden", "pages": 2}}
    documents = {
        "storybook": (book_entry, {"plan": plan, "book": book, "auto_pictures": False}, book_job),
        "image": (image_entry, {"prompt": "a roof", "caption": "", "picture": {
            "asset": picked.pk, "job": image_job.pk, "provenance": {}}}, image_job),  # fmt: skip
        "novel": (novel_entry, novel, novel_job),
    }
    for kind, (owner, document, job) in documents.items():
        work = Work.objects.create(entry_id=owner.pk, kind=kind, document=document, revision=3)
        WorkJob.objects.create(work=work, job_id=job.pk, step="picture", target="p1", state="applied")

    migrate()

    from aigc_contest.web.works.kinds import image, storybook
    from aigc_contest.web.works.kinds import novel as novel_kind
    from aigc_contest.web.works.models import Work as NewWork

    storybook_work = NewWork.objects.get(entry=book_entry)
    assert storybook_work.revision == 3  # the same work: no new revision
    first, second = storybook_work.document["book"]["pages"]
    assert first["image"]["path"] == f"job-asset:{chosen.pk}"
    assert [c["path"] for c in first["candidates"]] == [f"job-asset:{chosen.pk}", f"job-asset:{other.pk}"]  # gone: dropped
    assert second["image"]["path"] is None and base64.b64decode(second["image"]["data"]) == pngs["loose"]
    assert "storybooks/" not in str(storybook_work.document)  # no storage path is left in the book
    loaded = storybook.book_of(storybook_work)
    assert storybook.picture_bytes(storybook_work, loaded, "p1", 1) == pngs["other"]
    assert storybook.export(storybook_work, "pdf").startswith(b"%PDF")

    picture_work = NewWork.objects.get(entry=image_entry)
    assert picture_work.document["picture"]["asset"] == f"job-asset:{picked.pk}"
    version = image.IMAGE.version_file(picture_work)
    assert hashlib.sha256(version.data).digest() == hashlib.sha256(pngs["picked"]).digest()

    story = NewWork.objects.get(entry=novel_entry)
    assert story.document == novel
    html = novel_kind.playable_html(story)
    assert base64.b64encode(pngs["novel"]).decode("ascii")[:40] in html

    # A reference reads only the work's own pictures: another work's number gives nothing.
    from aigc_contest.web.works import pictures

    assert pictures.read(story, f"job-asset:{picked.pk}") is None
    assert pictures.read(picture_work, f"job-asset:{picked.pk}") == pngs["picked"]

    # And back: the numbers and paths return.
    back = migrate(BEFORE)
    assert back.get_model("works", "Work").objects.get(entry_id=image_entry.pk).document["picture"]["asset"] == picked.pk
    restored = back.get_model("works", "Work").objects.get(entry_id=book_entry.pk).document["book"]["pages"][0]
    assert restored["image"]["path"] == chosen.file.name
    migrate()
