"""What judging does when something happens below it: the results e-mail on the worker's watchdog pass."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.dispatch import receiver

from aigc_contest.web.jobs.signals import watchdog_passed
from aigc_contest.web.judging import services


@receiver(watchdog_passed, dispatch_uid="judging.results_email")
def queue_results_emails(sender: Any, *, now: datetime | None = None, **kwargs: Any) -> int:
    return services.queue_due_results_emails(now)
