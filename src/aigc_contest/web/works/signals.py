"""A job that finishes goes into its work at once, from inside the worker, without waiting for someone to
open the page (opening the page syncs too; either way each result is applied once)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from aigc_contest.web.jobs.kinds import background_kinds
from aigc_contest.web.jobs.models import Job, JobStatus
from aigc_contest.web.works import services
from aigc_contest.web.works.models import Work, WorkJob

logger = logging.getLogger(__name__)


@receiver(post_save, sender=Job, dispatch_uid="works-job-finished")
def job_saved(sender: Any, instance: Job, **kwargs: Any) -> None:
    if instance.status != JobStatus.SUCCEEDED or instance.kind in background_kinds():
        return  # housekeeping (e-mails) never belongs to a work: skip the lookup
    waiting = WorkJob.objects.filter(job_id=instance.pk, state=WorkJob.State.WAITING)
    work_id = waiting.values_list("work_id", flat=True).first()
    if work_id is None:
        return
    transaction.on_commit(lambda: _sync(work_id))


def _sync(work_id: int) -> None:
    try:
        work = Work.objects.filter(pk=work_id).first()
        if work is not None:
            services.sync(work)
    except Exception:  # a work's problem must never stop the worker; opening the work retries the sync
        logger.exception("could not apply a finished job to work %s", work_id)
