"""Reads for works: the work an entry has, its jobs as an open page shows them, and which models exist."""

from __future__ import annotations

from dataclasses import dataclass
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


# ---------------------------------------------------------------- the team's own fine-tuned models


@dataclass(frozen=True)
class OfferedLora:
    """A finished LoRA (trained here or uploaded) that a studio may draw with."""

    source: int  # the fine-tuning work's pk
    title: str  # its entry's title
    path: str  # the storage name of the .safetensors file
    sha256: str
    base_model: str  # the models-file name it was trained on
    origin: str  # "trained" | "uploaded"


def lora_of(work: Work) -> OfferedLora | None:
    """A fine-tuning work's finished LoRA, or None."""
    from aigc_contest.web.works.models import WorkKind

    lora = (work.document or {}).get("lora") if work.kind == WorkKind.FINETUNE else None
    if not isinstance(lora, dict) or not lora.get("path") or not lora.get("sha256"):
        return None
    return OfferedLora(source=work.pk, title=work.entry.title, path=str(lora["path"]), sha256=str(lora["sha256"]),
                       base_model=str(lora.get("base_model") or ""), origin=str(lora.get("origin") or ""))  # fmt: skip


def loras_for(actor: Any, entry: Entry, model: str | None = None) -> list[OfferedLora]:
    """The LoRAs a studio of `entry` offers `actor`: finished LoRAs of fine-tuning entries in the same
    competition whose team holds every member of the entry's team (the team's own: the same people entered
    the fine-tuning track), which `actor` may use (`works.use_lora`: that team's members and helping teachers),
    trained on `model` where one is named (a LoRA only fits the base model it was trained on)."""
    from aigc_contest.web.works.models import WorkKind

    members = set(entry.team.members.values_list("pk", flat=True))
    if not members or actor is None or not getattr(actor, "is_authenticated", False):
        return []
    candidates = (Work.objects.filter(kind=WorkKind.FINETUNE, entry__category__competition_id=entry.category.competition_id)
                  .select_related("entry__team").prefetch_related("entry__team__members").order_by("pk"))  # fmt: skip
    offered = []
    for work in candidates:
        lora = lora_of(work)
        if lora is None or (model is not None and lora.base_model != model):
            continue
        if not members <= {member.pk for member in work.entry.team.members.all()}:
            continue
        if actor.has_perm("works.use_lora", work.entry):
            offered.append(lora)
    return offered


# ---------------------------------------------------------------- the judges' side-by-side sheet


@dataclass(frozen=True)
class ComparisonPair:
    """One prompt and seed drawn through the base model and through base + LoRA (screened pictures)."""

    index: int
    prompt: str
    seed: int
    base: Any  # the JobAsset of each side
    lora: Any


def comparison_pairs(work: Work | None, sha256: str) -> tuple[list[ComparisonPair], int]:
    """The finished pairs of the sheet for the LoRA `sha256`, and how many are still being drawn. A side
    whose job failed (a picture the safety layer refused, say) leaves its pair out."""
    from aigc_contest.web.jobs.models import FINAL_STATUSES, JobAsset, JobStatus

    if work is None or not sha256:
        return [], 0
    tag = sha256[:16]
    sides: dict[int, dict[str, Any]] = {}
    waiting = 0
    for item in work.jobs.filter(step="compare", target__endswith=f":{tag}").select_related("job"):
        index_text, side, _tag = (item.target.split(":") + ["", ""])[:3]
        if not index_text.isdigit():
            continue
        if item.job.status not in FINAL_STATUSES:
            waiting += 1
            continue
        if item.job.status != JobStatus.SUCCEEDED:
            continue
        asset = JobAsset.objects.filter(job=item.job).order_by("index").first()
        if asset is not None:
            sides.setdefault(int(index_text), {})[side] = (asset, item.job.params)
    pairs = []
    for index in sorted(sides):
        found = sides[index]
        if "base" in found and "lora" in found:
            params = found["base"][1]
            pairs.append(ComparisonPair(index, str(params.get("prompt") or ""), int(params.get("seed") or 0),
                                        found["base"][0], found["lora"][0]))  # fmt: skip
    return pairs, waiting


def comparison_asset(work: Work | None, asset_pk: int) -> Any:
    """A picture of the work's side-by-side sheet, or None."""
    from aigc_contest.web.jobs.models import JobAsset, JobStatus

    if work is None:
        return None
    return JobAsset.objects.filter(pk=asset_pk, job__work_job__work=work, job__work_job__step="compare",
                                   job__status=JobStatus.SUCCEEDED).first()  # fmt: skip
