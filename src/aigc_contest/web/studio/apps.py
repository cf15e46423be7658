from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StudioConfig(AppConfig):
    name = "aigc_contest.web.studio"
    label = "studio"
    verbose_name = _("Studio")

    def ready(self) -> None:
        # The `novel.text` job kind exists in every process that runs Django (web server and workers), and a
        # finished job goes into its story as soon as the worker stores the result.
        from aigc_contest.web.studio import jobs, signals  # noqa: F401
