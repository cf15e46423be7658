from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "aigc_contest.web.jobs"
    label = "jobs"
    verbose_name = _("Generation jobs")

    def ready(self) -> None:
        from aigc_contest.web.jobs import kinds

        kinds.load_configured_kinds()
