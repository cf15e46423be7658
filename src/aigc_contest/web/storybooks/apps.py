from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StorybooksConfig(AppConfig):
    """The storybook editor's pages; the books themselves are works (`aigc_contest.web.works`)."""

    name = "aigc_contest.web.storybooks"
    label = "storybooks"
    verbose_name = _("Storybook studio")
