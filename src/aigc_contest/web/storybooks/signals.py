"""A storybook job that finishes moves its book on at once: its result goes into the book and the next step
is queued, from inside the worker, without waiting for someone to open the page."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from aigc_contest.web.jobs.models import Job, JobStatus
from aigc_contest.web.storybooks import services
from aigc_contest.web.storybooks.models import StorybookStep, StorybookWork

logger = logging.getLogger(__name__)


@receiver(post_save, sender=Job, dispatch_uid="storybooks-job-finished")
def job_saved(sender: Any, instance: Job, **kwargs: Any) -> None:
    if instance.status != JobStatus.SUCCEEDED:
        return
    work_id = StorybookStep.objects.filter(job_id=instance.pk, applied=False).values_list("work_id", flat=True).first()
    if work_id is None:
        return
    transaction.on_commit(lambda: _sync(work_id))


def _sync(work_id: int) -> None:
    try:
        work = StorybookWork.objects.filter(pk=work_id).first()
        if work is not None:
            services.sync_work(work)
    except Exception:  # a storybook problem must never stop the worker; opening the book retries the sync
        logger.exception("could not apply a finished job to storybook %s", work_id)
