"""What judging does when something happens below it: on the worker's watchdog pass, the results e-mail and
the judges' due-date reminders (no cron to set up)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.dispatch import receiver

from aigc_contest.web.jobs.signals import watchdog_passed
from aigc_contest.web.judging import services


@receiver(watchdog_passed, dispatch_uid="judging.results_email")
def queue_results_emails(sender: Any, *, now: datetime | None = None, **kwargs: Any) -> int:
    return services.queue_due_results_emails(now)


@receiver(watchdog_passed, dispatch_uid="judging.judge_reminders")
def send_judge_reminders(sender: Any, *, now: datetime | None = None, **kwargs: Any) -> int:
    return services.send_judge_reminders(now)
