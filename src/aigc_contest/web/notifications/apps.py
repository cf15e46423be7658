from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """E-mails the platform sends: their templates' rendering and the `email` job kind that sends them."""

    name = "aigc_contest.web.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # The `email` job kind exists in every process that runs Django (web server and workers), and a
        # roster that gains students tells their teacher.
        from aigc_contest.web.notifications import jobs, signals  # noqa: F401
