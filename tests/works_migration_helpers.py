"""The database as it was before the works app (or before a later works migration), for the tests that carry
old drafts across: migrate back, build the old rows, migrate forward. Importable from every test folder
(this folder holds the top conftest)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE_WORKS = [("studio", "0002_studiojob"), ("storybooks", "0001_initial"), ("works", "0001_initial")]


def migrate(targets: list[tuple[str, str]] | None = None) -> Any:
    """Migrate to `targets` (every app's latest when None); the apps registry of that state."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = targets if targets is not None else executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def old_drafts(*, novel: tuple[Any, dict[str, Any], Any] | None = None,
               storybook: tuple[Any, dict[str, Any], dict[str, Any], list[tuple[Any, str, str]]] | None = None,
               image: tuple[Any, Any, bytes] | None = None, by: Any) -> None:  # fmt: skip
    """Drafts in the old tables, then every migration run: `novel` (entry, document, picture job),
    `storybook` (entry, plan, book, [(job, step, page)]), `image` (entry, picture job, the PNG picked)."""
    old = migrate(BEFORE_WORKS)
    if novel is not None:
        entry, document, picture_job = novel
        old.get_model("studio", "StudioWork").objects.create(entry_id=entry.pk, kind="novel", document=document,
                                                             revision=2, updated_by_id=by.pk)  # fmt: skip
        old.get_model("studio", "StudioJob").objects.create(entry_id=entry.pk, job_id=picture_job.pk,
                                                            step="picture", node_id="start", applied=True)  # fmt: skip
    if storybook is not None:
        entry, plan, book, steps = storybook
        work = old.get_model("storybooks", "StorybookWork").objects.create(
            entry_id=entry.pk, plan=plan, document=book, revision=2, auto_pictures=False, updated_by_id=by.pk)
        for job, step, page_id in steps:
            old.get_model("storybooks", "StorybookStep").objects.create(work_id=work.pk, job_id=job.pk, step=step,
                                                                        page_id=page_id, applied=True)  # fmt: skip
    if image is not None:
        entry, picture_job, png = image
        old.get_model("entries", "Entry").objects.filter(pk=entry.pk).update(
            draft_file_sha256=hashlib.sha256(png).hexdigest(),
            draft_meta={"job": picture_job.pk, "provenance": {}})
    migrate()


def picture_job(owner: Any, pngs: list[bytes], prompt: str = "a calm lake") -> Any:
    """A finished picture job with its PNGs stored, as the worker leaves one."""
    from django.core.files.base import ContentFile

    from aigc_contest.web.jobs.models import Job, JobAsset

    job = Job.objects.create(owner=owner, school=owner.school, kind="image", status="succeeded",
                             params={"prompt": prompt}, result={})  # fmt: skip
    for index, png in enumerate(pngs):
        asset = JobAsset(job=job, attempt=1, index=index, content_type="image/png")
        asset.file.save(f"old-{job.pk}-{index}.png", ContentFile(png), save=True)
    return job
