"""Content stored in the three product languages.

Competition names, themes and criteria are written by organisers in English, Traditional and Simplified
Chinese; a model keeps one column per language (`name_en`, `name_zh_hant`, `name_zh_hans`) and pages ask
for `obj.tr("name")`, which follows the active language and falls back to whatever is filled in.
"""

from __future__ import annotations

from typing import Literal

from django.utils import translation

# The one mapping from Django's language codes to the product's three languages. Simplified Chinese is
# zh-hans and the mainland and Singapore codes; every other Chinese code (zh-hant, zh-hk, zh-tw, zh-mo,
# a bare zh) is Traditional, the script of the platform's first competitions.
ProductLanguage = Literal["en", "zh-Hant", "zh-Hans"]
SIMPLIFIED_CODES = frozenset({"zh-hans", "zh-cn", "zh-sg", "zh-my"})
SUFFIXES: dict[ProductLanguage, str] = {"en": "en", "zh-Hant": "zh_hant", "zh-Hans": "zh_hans"}
FALLBACK_ORDER = {
    "en": ("en", "zh_hant", "zh_hans"),
    "zh_hant": ("zh_hant", "zh_hans", "en"),
    "zh_hans": ("zh_hans", "zh_hant", "en"),
}


def product_language(code: str | None = None) -> ProductLanguage:
    """The product language ("en", "zh-Hant", "zh-Hans": what the safety messages, the model prompts and
    the generated works are told) of a Django language code, by default the active one."""
    code = (code if code is not None else translation.get_language() or "en").lower().replace("_", "-")
    if code == "zh" or code.startswith("zh-"):
        return "zh-Hans" if code in SIMPLIFIED_CODES else "zh-Hant"
    return "en"


def suffix_for(language: str | None) -> str:
    """The column suffix (`en`, `zh_hant`, `zh_hans`) of a Django language code."""
    return SUFFIXES[product_language(language or "en")]


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
