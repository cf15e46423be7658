"""Reads for fine-tuning: a category's limits (with the defaults), the base models a team may pick, a
team's compute budget, and the near-duplicates of a training set."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aigc_contest.web.contests.models import Category
from aigc_contest.web.entries.models import Team
from aigc_contest.web.finetuning.images import near_duplicates
from aigc_contest.web.finetuning.models import DEFAULTS, FinetuneLimits, TrainingRun
from aigc_contest.web.jobs.models import FINAL_STATUSES


def trainable_models() -> list[str]:
    """The image models of the models file that can be fine-tuned (diffusers pipelines), by name."""
    from aigc_contest.generation.registry import shared_registry

    try:
        registry = shared_registry()
    except Exception:  # noqa: BLE001 - a broken models file: nothing to offer; the models page says why
        return []
    return [e.name for e in registry.entries if e.kind == "image" and e.backend == "diffusers"]


def limits_for(category: Category) -> FinetuneLimits:
    """The category's limits, or the defaults (not saved) where the organiser has set none; no saved base
    models means every trainable model of the models file."""
    found = FinetuneLimits.objects.filter(category=category).first()
    return found if found is not None else FinetuneLimits(category=category, base_models=[], **DEFAULTS)


def allowed_bases(limits: FinetuneLimits) -> list[str]:
    available = trainable_models()
    if not limits.base_models:
        return available
    return [name for name in limits.base_models if name in available]


def base_source(name: str) -> str:
    """Where a models-file entry's weights are (a folder or a hub id)."""
    from aigc_contest.generation.registry import shared_registry

    return shared_registry().get(name).source


@dataclass(frozen=True)
class Budget:
    total: int
    used: int  # charged by finished runs, plus what running and waiting runs have set aside
    running: int  # of `used`: set aside by runs not finished yet

    @property
    def left(self) -> int:
        return max(0, self.total - self.used)

    @property
    def percent_used(self) -> int:
        return min(100, round(100 * self.used / self.total)) if self.total else 100


def run_cost(run: TrainingRun) -> tuple[int, bool]:
    """What a run counts against the budget, and whether it is still going: a settled run its charge, an
    ended one its steps done, one still going the steps it may yet take."""
    if run.charged_steps is not None:
        return run.charged_steps, False
    if run.job.status in FINAL_STATUSES:
        return run.steps_done, False
    return max(run.steps_planned, run.steps_done), True


def budget_of(team: Team, limits: FinetuneLimits | None = None) -> Budget:
    limits = limits or limits_for(team.category)
    used = running = 0
    for run in TrainingRun.objects.filter(team=team).select_related("job"):
        cost, going = run_cost(run)
        used += cost
        running += cost if going else 0
    return Budget(total=limits.budget_steps, used=used, running=running)


def latest_run(work: Any) -> TrainingRun | None:
    return TrainingRun.objects.filter(work=work).select_related("job").order_by("-id").first()


def duplicates_of(images: list[dict[str, Any]]) -> dict[int, int]:
    return near_duplicates([str(i.get("dhash") or "") for i in images])
