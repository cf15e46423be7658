from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "aigc_contest.web.jobs"
    label = "jobs"
    verbose_name = _("Generation jobs")

    def ready(self) -> None:
        # The configured Celery app, before anything sends a wake-up: web, command line and worker alike.
        from aigc_contest.web.jobs import celery_app, kinds  # noqa: F401

        kinds.load_configured_kinds()
