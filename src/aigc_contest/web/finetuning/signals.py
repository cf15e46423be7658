"""A training run is charged to its team's budget once, as soon as its job ends (done or failed); a
cancelled job is settled by the cancel service or by its worker as it stops."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from aigc_contest.web.jobs.models import FINAL_STATUSES, Job


@receiver(post_save, sender=Job, dispatch_uid="finetuning-job-ended")
def job_saved(sender: Any, instance: Job, **kwargs: Any) -> None:
    if instance.kind != "finetune.train" or instance.status not in FINAL_STATUSES:
        return
    from aigc_contest.web.finetuning.models import TrainingRun
    from aigc_contest.web.finetuning.services import settle

    for run_pk in TrainingRun.objects.filter(job_id=instance.pk).values_list("pk", flat=True):
        settle(run_pk)
