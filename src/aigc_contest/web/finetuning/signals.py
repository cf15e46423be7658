"""A training run is charged to its team's budget once, as soon as its job ends (done or failed); a
cancelled job is settled by the cancel service or by its worker as it stops. The judges' side-by-side
sheet of a fine-tuning entry is queued when the entry is submitted and again (idempotently) when an
organiser opens judging."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from aigc_contest.web.contests.signals import judging_opened
from aigc_contest.web.entries.models import EntryVersion
from aigc_contest.web.jobs.models import FINAL_STATUSES, Job


@receiver(post_save, sender=Job, dispatch_uid="finetuning-job-ended")
def job_saved(sender: Any, instance: Job, **kwargs: Any) -> None:
    if instance.kind != "finetune.train" or instance.status not in FINAL_STATUSES:
        return
    from aigc_contest.web.finetuning.models import TrainingRun
    from aigc_contest.web.finetuning.services import settle

    for run_pk in TrainingRun.objects.filter(job_id=instance.pk).values_list("pk", flat=True):
        settle(run_pk)


@receiver(post_save, sender=EntryVersion, dispatch_uid="finetuning-version-submitted")
def version_submitted(sender: Any, instance: EntryVersion, created: bool = False, **kwargs: Any) -> None:
    if not created or instance.work_type != "finetuned_model":
        return
    from aigc_contest.web.finetuning.services import start_comparison
    from aigc_contest.web.works.models import Work

    work = Work.objects.filter(entry_id=instance.entry_id).select_related("entry__category").first()
    if work is not None:
        start_comparison(work, instance.submitted_by)


@receiver(judging_opened, dispatch_uid="finetuning-judging-opened")
def judging_started(sender: Any, competition: Any, actor: Any = None, **kwargs: Any) -> None:
    from aigc_contest.web.finetuning.services import start_comparisons

    start_comparisons(competition, actor)
