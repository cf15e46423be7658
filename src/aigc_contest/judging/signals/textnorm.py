"""Text normalisation for the advisory signals: Traditional and Simplified Chinese meet in one form.

OpenCC's Traditional → Simplified *character* dictionary (shipped inside opencc-python-reimplemented) is
applied as one ``str.translate`` table: comparing texts needs characters, not phrase-aware conversion, and a
translate table is orders of magnitude faster than OpenCC's pure-Python converter (100,000 texts in about
a second instead of minutes). Where a character has several Simplified readings the first one listed is used.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

# CJK Unified Ideographs (+ extension A, compatibility ideographs, extensions B–F).
CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_CJK = re.compile(f"[{CJK_CLASS}]")
_CJK_SPACED = re.compile(f"([{CJK_CLASS}])")
_NON_WORD = re.compile(r"[\W_]+")


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    import opencc

    path = Path(opencc.__file__).with_name("dictionary") / "TSCharacters.txt"
    table: dict[int, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        if len(source) == 1 and targets:
            target = targets.split()[0]
            if target != source:
                table[ord(source)] = target
    return table


def to_simplified(text: str) -> str:
    """Traditional Chinese characters → Simplified (character by character); other text unchanged."""
    return text.translate(_t2s_table())


def has_traditional(text: str) -> bool:
    """Whether the text contains characters that OpenCC writes differently in Simplified Chinese."""
    return to_simplified(text) != text


def cjk_count(text: str) -> int:
    return len(_CJK.findall(text))


def matching_form(text: str) -> str:
    """The form texts are compared in: NFKC, Simplified characters, case-folded; tokens separated by one space.

    A token is one CJK character or one run of other letters and digits, so Chinese is compared by
    character n-grams and English (or any space-separated language) by word n-grams.
    """
    folded = to_simplified(unicodedata.normalize("NFKC", text)).casefold()
    return _NON_WORD.sub(" ", _CJK_SPACED.sub(r" \1 ", folded)).strip()
