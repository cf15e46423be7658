from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StorybooksConfig(AppConfig):
    name = "aigc_contest.web.storybooks"
    label = "storybooks"
    verbose_name = _("Storybook studio")

    def ready(self) -> None:
        # The storybook job kinds exist in every process that runs Django (web server and workers), and a
        # finished job moves its book on as soon as the worker stores the result.
        from aigc_contest.web.storybooks import jobs, signals  # noqa: F401
