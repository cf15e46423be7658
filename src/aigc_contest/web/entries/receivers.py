"""What entries does when something happens below it: deadline reminders on the worker's watchdog pass,
so both configurations remind teams without a cron job to set up."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.dispatch import receiver

from aigc_contest.web.entries import services
from aigc_contest.web.jobs.signals import watchdog_passed


@receiver(watchdog_passed, dispatch_uid="entries.deadline_reminders")
def send_due_deadline_reminders(sender: Any, *, now: datetime | None = None, **kwargs: Any) -> int:
    hours = float(getattr(settings, "AIGC_REMINDER_HOURS", 48))
    return services.send_deadline_reminders(now, within=timedelta(hours=hours))
