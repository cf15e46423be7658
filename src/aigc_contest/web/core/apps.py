from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "aigc_contest.web.core"
    label = "core"
