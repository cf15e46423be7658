"""Reads for works: the work an entry has, its jobs as an open page shows them, and which models exist."""

from __future__ import annotations

from typing import Any

from aigc_contest.web.entries.models import Entry
from aigc_contest.web.works.base import PICTURE
from aigc_contest.web.works.models import Work, WorkJob

RECENT_JOBS = 12


def work_for(entry: Entry) -> Work | None:
    return (
        Work.objects.filter(entry=entry).select_related("entry__team", "entry__category__competition").first()
    )


def works_with_jobs() -> list[Work]:
    return list(Work.objects.filter(jobs__isnull=False).distinct())


def visible_jobs(work: Work, *, hidden_steps: tuple[str, ...] = ()) -> list[WorkJob]:
    """The AI helper cards of an open work: pictures (to pick from), and writing under way or failed."""
    recent = (work.jobs.filter(dismissed=False).exclude(step__in=hidden_steps)
              .select_related("job").prefetch_related("job__assets")[:RECENT_JOBS])  # fmt: skip
    return [item for item in recent if item.step == PICTURE or not item.applied or item.note]


def latest_job(work: Work | None, step: str) -> WorkJob | None:
    """The work's latest `step` job still on show (waiting, running or failed)."""
    if work is None:
        return None
    return work.jobs.filter(step=step, dismissed=False).select_related("job").first()


def finished_texts(work: Work, step: str) -> list[dict[str, Any]]:
    """Parts the AI wrote again, as an open page brings them in: which part, the text, and the revision the
    stored work reached by taking it (null when the part was not saved yet)."""
    rows = work.jobs.filter(step=step, state=WorkJob.State.APPLIED, note="").select_related("job")[
        :RECENT_JOBS
    ]
    return [{"id": row.pk, "node": row.target, "text": str(row.job.result.get("text") or ""),
             "revision": row.applied_revision} for row in rows]  # fmt: skip


def applied_text_jobs(work: Work, step: str) -> list[int]:
    """Writing already in the work when the page was drawn (the page must not bring it in twice)."""
    return list(work.jobs.exclude(state=WorkJob.State.WAITING).filter(step=step)
                .values_list("pk", flat=True)[:RECENT_JOBS])  # fmt: skip


def model_available(kind: str) -> bool:
    from aigc_contest.generation.registry import RegistryError, shared_registry

    try:
        return bool(shared_registry().names(kind))
    except RegistryError:
        return False


def is_test_model(name: Any) -> bool:
    from aigc_contest.generation.registry import RegistryError, shared_registry

    try:
        return bool(name) and bool(shared_registry().get(str(name)).test_model)
    except (RegistryError, KeyError, LookupError):
        return False


def image_models() -> list[tuple[str, str, bool]]:
    """(name, is it a test model) of every image model in the models file."""
    from aigc_contest.generation.registry import RegistryError, shared_registry

    try:
        registry = shared_registry()
    except RegistryError:
        return []
    return [(name, name, bool(registry.get(name).test_model)) for name in registry.names("image")]
