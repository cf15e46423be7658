from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "aigc_contest.web.moderation"
    label = "moderation"
    verbose_name = _("Safety and moderation")

    def ready(self) -> None:
        # The job queue's pages and worker screen with the school's safety settings, in every process.
        from aigc_contest.web.jobs import screening
        from aigc_contest.web.moderation.screen import ModerationScreen

        screening.plug(ModerationScreen())
