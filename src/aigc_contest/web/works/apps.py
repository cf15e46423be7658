from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorksConfig(AppConfig):
    name = "aigc_contest.web.works"
    label = "works"
    verbose_name = _("Works in the studio")

    def ready(self) -> None:
        # The kinds' writing jobs exist in every process that runs Django (web server and workers), and a
        # finished job goes into its work as soon as the worker stores the result.
        from aigc_contest.web.works import jobs, signals  # noqa: F401
