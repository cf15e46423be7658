"""Content stored in the three product languages.

Competition names, themes and criteria are written by organisers in English, Traditional and Simplified
Chinese; a model keeps one column per language (`name_en`, `name_zh_hant`, `name_zh_hans`) and pages ask
for `obj.tr("name")`, which follows the active language and falls back to whatever is filled in.
"""

from __future__ import annotations

from django.utils import translation

LANGUAGE_SUFFIXES = {"en": "en", "zh-hant": "zh_hant", "zh-hans": "zh_hans"}
FALLBACK_ORDER = {
    "en": ("en", "zh_hant", "zh_hans"),
    "zh_hant": ("zh_hant", "zh_hans", "en"),
    "zh_hans": ("zh_hans", "zh_hant", "en"),
}


def suffix_for(language: str | None) -> str:
    language = (language or "en").lower()
    if language.startswith("zh"):
        return "zh_hans" if language in {"zh-hans", "zh-cn", "zh-sg"} else "zh_hant"
    return "en"


class TranslatedFieldsMixin:
    def tr(self, field: str, language: str | None = None) -> str:
        suffix = suffix_for(language or translation.get_language())
        for candidate in FALLBACK_ORDER[suffix]:
            value = getattr(self, f"{field}_{candidate}", "")
            if value:
                return str(value)
        return ""


def style_choices() -> list[tuple[str, str]]:
    """The picture styles a student can pick (storybooks, novel pictures), named in the page's language."""
    from django.utils.translation import gettext as _

    from aigc_contest.works.storybook.prompts import STYLE_PRESETS

    labels = {
        "watercolor": _("Watercolour"), "crayon": _("Crayon"), "cartoon": _("Cartoon"), "paper-cut": _("Paper cut"),
        "ink-wash": _("Chinese ink wash"), "pixel": _("Pixel art"), "3d": _("Clay 3D"),
    }  # fmt: skip
    return [(key, labels.get(key, key)) for key in STYLE_PRESETS]
