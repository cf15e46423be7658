"""A studio job that finishes goes into its story at once, from inside the worker, without waiting for
someone to open the page (opening the page applies it too; either way it is applied once)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from aigc_contest.web.jobs.models import Job, JobStatus
from aigc_contest.web.studio import services
from aigc_contest.web.studio.models import StudioJob

logger = logging.getLogger(__name__)


@receiver(post_save, sender=Job, dispatch_uid="studio-job-finished")
def job_saved(sender: Any, instance: Job, **kwargs: Any) -> None:
    if instance.status != JobStatus.SUCCEEDED:
        return
    entry_id = StudioJob.objects.filter(job_id=instance.pk, applied=False).values_list("entry_id", flat=True).first()
    if entry_id is None:
        return
    transaction.on_commit(lambda: _sync(entry_id))


def _sync(entry_id: int) -> None:
    try:
        services.sync_jobs(entry_id)
    except Exception:  # a story problem must never stop the worker; opening the studio retries the sync
        logger.exception("could not apply a finished job to the story of entry %s", entry_id)
