from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StudioConfig(AppConfig):
    """The novel editor's pages; the novels themselves are works (`aigc_contest.web.works`)."""

    name = "aigc_contest.web.studio"
    label = "studio"
    verbose_name = _("Studio")
