from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "aigc_contest.web.certificates"
    label = "certificates"
    verbose_name = _("Certificates")

    def ready(self) -> None:
        # The bulk-issuing job kind exists in every process that runs Django (web server and workers).
        from aigc_contest.web.certificates import jobs  # noqa: F401
