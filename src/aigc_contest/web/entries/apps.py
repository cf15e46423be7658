from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EntriesConfig(AppConfig):
    name = "aigc_contest.web.entries"
    label = "entries"
    verbose_name = _("Entries")

    def ready(self) -> None:
        # Deadline reminders go out from the first worker watchdog pass inside the reminder window.
        from aigc_contest.web.entries import receivers  # noqa: F401
