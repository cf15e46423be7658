"""The organiser's limits for fine-tuning in a category, and each training run (its steps and losses, and
what it charged to the team's compute budget)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.contests.models import Category
from aigc_contest.web.entries.models import Team
from aigc_contest.web.jobs.models import Job
from aigc_contest.web.works.models import Work

SAMPLE_PROMPTS_MAX = 4
# Used where a category has no limits row yet (and as the form's first values).
DEFAULTS = {
    "rank_min": 1, "rank_max": 32, "steps_min": 10, "steps_max": 2000, "resolution_min": 256,
    "resolution_max": 768, "learning_rate_min": 1e-6, "learning_rate_max": 1e-2, "budget_steps": 4000,
}  # fmt: skip


class FinetuneLimits(models.Model):
    """What a team may train in a category: the base models (names from the models file) and bounds, and
    the compute budget (optimizer steps per team, all runs together) so every team trains on equal terms."""

    category = models.OneToOneField(Category, on_delete=models.CASCADE, related_name="finetune_limits")
    base_models = models.JSONField(_("allowed base models"), default=list, blank=True)  # models-file names
    rank_min = models.PositiveSmallIntegerField(_("smallest LoRA rank"), default=DEFAULTS["rank_min"])
    rank_max = models.PositiveSmallIntegerField(_("largest LoRA rank"), default=DEFAULTS["rank_max"])
    steps_min = models.PositiveIntegerField(_("fewest steps in a run"), default=DEFAULTS["steps_min"])
    steps_max = models.PositiveIntegerField(_("most steps in a run"), default=DEFAULTS["steps_max"])
    resolution_min = models.PositiveIntegerField(_("smallest resolution (px)"), default=DEFAULTS["resolution_min"])
    resolution_max = models.PositiveIntegerField(_("largest resolution (px)"), default=DEFAULTS["resolution_max"])
    learning_rate_min = models.FloatField(_("lowest learning rate"), default=DEFAULTS["learning_rate_min"])
    learning_rate_max = models.FloatField(_("highest learning rate"), default=DEFAULTS["learning_rate_max"])
    budget_steps = models.PositiveIntegerField(_("compute budget per team (steps)"), default=DEFAULTS["budget_steps"])
    sample_prompts = models.TextField(
        _("prompts for sample pictures"), blank=True,
        help_text=_("One per line, at most four: every team's samples use the same prompts and seeds."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("fine-tuning limits")
        verbose_name_plural = _("fine-tuning limits")

    def __str__(self) -> str:
        return f"fine-tuning limits of {self.category}"

    def prompts(self) -> list[str]:
        return [line.strip()[:300] for line in (self.sample_prompts or "").splitlines() if line.strip()][:SAMPLE_PROMPTS_MAX]


class TrainingRun(models.Model):
    """One training job of a team. `steps_done` and `losses` are written by the worker as it trains;
    `charged_steps` is set once, when the run ends (null until then), so a run never charges twice."""

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="training_runs")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="training_runs")
    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="training_run")
    recipe = models.JSONField(default=dict)
    steps_planned = models.PositiveIntegerField()
    steps_done = models.PositiveIntegerField(default=0)
    losses = models.JSONField(default=list, blank=True)
    charged_steps = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("training run")
        verbose_name_plural = _("training runs")

    def __str__(self) -> str:
        return f"training run #{self.pk} of {self.team} ({self.steps_done}/{self.steps_planned})"
