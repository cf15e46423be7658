from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JudgingConfig(AppConfig):
    # The label "judging" is free: the pure-Python core `aigc_contest.judging` is not a Django app.
    name = "aigc_contest.web.judging"
    label = "judging"
    verbose_name = _("Judging")

    def ready(self) -> None:
        # The results e-mail is queued by the first worker watchdog pass after the announcement instant;
        # the judging rounds are a list of the competition's file (`competition apply` / `export`).
        from aigc_contest.web.contests.services import register_spec_section
        from aigc_contest.web.judging import receivers  # noqa: F401
        from aigc_contest.web.judging.spec import SECTION

        register_spec_section("rounds", SECTION)
