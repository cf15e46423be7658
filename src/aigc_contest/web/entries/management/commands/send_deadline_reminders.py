from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand

from aigc_contest.web.entries.services import send_deadline_reminders


class Command(BaseCommand):
    help = "Email a reminder for each unsubmitted draft whose deadline is within the window (once per entry)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--hours", type=int, default=48)

    def handle(self, *args: Any, hours: int, **options: Any) -> None:
        sent = send_deadline_reminders(within=timedelta(hours=hours))
        self.stdout.write(f"{sent} reminder emails sent")
