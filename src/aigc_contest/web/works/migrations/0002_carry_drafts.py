"""Every draft made in the studio before there was one works app comes across: novels (`studio`), storybooks
(`storybooks`) with their jobs and steps, and pictures picked in the image studio (the entry's draft file
names the job that made it). Novels keep their numbers, and so do storybooks where the number is free, so
the addresses of open editors keep working."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import migrations


def _state(applied: bool, note: str = "") -> str:
    if not applied:
        return "waiting"
    return "unused" if note else "applied"


def _free_pk(Work: Any, pk: int) -> int | None:
    return None if Work.objects.filter(pk=pk).exists() else pk


def _keep_times(Model: Any, pk: int, **times: Any) -> None:
    Model.objects.filter(pk=pk).update(**{k: v for k, v in times.items() if v is not None})


def carry(apps: Any, schema_editor: Any) -> None:
    Work = apps.get_model("works", "Work")
    WorkJob = apps.get_model("works", "WorkJob")
    StudioWork = apps.get_model("studio", "StudioWork")
    StudioJob = apps.get_model("studio", "StudioJob")
    StorybookWork = apps.get_model("storybooks", "StorybookWork")
    StorybookStep = apps.get_model("storybooks", "StorybookStep")
    Entry = apps.get_model("entries", "Entry")
    Job = apps.get_model("jobs", "Job")

    for old in StudioWork.objects.order_by("pk"):
        work = Work.objects.create(id=old.pk, entry_id=old.entry_id, kind="novel", document=old.document,
                                   revision=old.revision, updated_by_id=old.updated_by_id)  # fmt: skip
        _keep_times(Work, work.pk, created_at=old.created_at, updated_at=old.updated_at)
    for old in StorybookWork.objects.order_by("pk"):
        document = {"plan": old.plan, "book": old.document, "auto_pictures": old.auto_pictures}
        work = Work.objects.create(id=_free_pk(Work, old.pk), entry_id=old.entry_id, kind="storybook",
                                   document=document, revision=old.revision, updated_by_id=old.updated_by_id)  # fmt: skip
        _keep_times(Work, work.pk, created_at=old.created_at, updated_at=old.updated_at)
        for step in StorybookStep.objects.filter(work_id=old.pk).order_by("pk"):
            item = WorkJob.objects.create(work=work, job_id=step.job_id, step=step.step, target=step.page_id,
                                          state=_state(step.applied))  # fmt: skip
            _keep_times(WorkJob, item.pk, created_at=step.created_at)
    for old in StudioJob.objects.order_by("pk"):
        work = Work.objects.filter(entry_id=old.entry_id).first()
        if work is None:  # only a first draft asked for, no story yet: the work waits for it
            work = Work.objects.create(entry_id=old.entry_id, kind="novel", document=None)
        item = WorkJob.objects.create(work=work, job_id=old.job_id, step=old.step, target=old.node_id,
                                      state=_state(old.applied, old.note), applied_revision=old.applied_revision,
                                      note=old.note, dismissed=old.dismissed)  # fmt: skip
        _keep_times(WorkJob, item.pk, created_at=old.created_at)

    taken = set(WorkJob.objects.values_list("job_id", flat=True))
    for entry in Entry.objects.filter(work_type="image").exclude(work__isnull=False).order_by("pk"):
        job_pk = (entry.draft_meta or {}).get("job")
        job = Job.objects.filter(pk=job_pk, kind="image").first() if isinstance(job_pk, int) else None
        if job is None or job.pk in taken:
            continue
        asset = None
        for candidate in job.assets.order_by("index"):
            try:
                with candidate.file.open("rb") as handle:
                    if hashlib.sha256(handle.read()).hexdigest() == entry.draft_file_sha256:
                        asset = candidate
                        break
            except OSError:
                continue
        picture = None
        if asset is not None:
            picture = {
                "asset": asset.pk,
                "job": job.pk,
                "provenance": (entry.draft_meta or {}).get("provenance") or {},
            }
        document = {"prompt": str((job.params or {}).get("prompt") or ""), "picture": picture,
                    "caption": entry.description}  # fmt: skip
        work = Work.objects.create(
            entry_id=entry.pk, kind="image", document=document, updated_by_id=job.owner_id
        )
        WorkJob.objects.create(work=work, job_id=job.pk, step="picture", state="applied")
        taken.add(job.pk)

    _reset_sequences(schema_editor, [Work, WorkJob])


def _reset_sequences(schema_editor: Any, models: list[Any]) -> None:
    """Rows inserted with their old numbers: PostgreSQL's counters move past them (SQLite needs nothing)."""
    from django.core.management.color import no_style

    connection = schema_editor.connection
    for sql in connection.ops.sequence_reset_sql(no_style(), models):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("works", "0001_initial"),
        ("studio", "0002_studiojob"),
        ("storybooks", "0001_initial"),
        ("entries", "0003_entry_version_count"),
        ("jobs", "0001_initial"),
    ]

    operations = [migrations.RunPython(carry, migrations.RunPython.noop)]
