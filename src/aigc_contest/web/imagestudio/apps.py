from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImageStudioConfig(AppConfig):
    name = "aigc_contest.web.imagestudio"
    label = "imagestudio"
    verbose_name = _("Image studio")
