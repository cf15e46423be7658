from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinetuningConfig(AppConfig):
    name = "aigc_contest.web.finetuning"
    label = "finetuning"
    verbose_name = _("Fine-tuning")

    def ready(self) -> None:
        # The training job kind exists in every process that runs Django (web server and workers), and a
        # run's budget is settled as soon as its job ends.
        from aigc_contest.web.finetuning import jobs, signals  # noqa: F401
