"""Text normalisation shared by the keyword lists and the text being checked.

Both sides go through the same functions, so a list term and a child's prompt meet in one canonical form.
Two views of a text are produced:

* the Latin view: NFKC, case-folded, accents dropped, look-alike Cyrillic/Greek letters and leetspeak mapped
  to Latin letters, every non-letter turned into a single space, runs of single spaced letters joined
  ("s e x" -> "sex") and repeated letters collapsed ("seeex" -> "sex"); padded with spaces so that word
  boundaries can be part of a term;
* the CJK view: NFKC, Traditional -> Simplified (OpenCC's t2s character dictionary), case-folded, with spacing, punctuation and
  symbols removed ("色 。情" -> "色情").

A third, the model view (`model_view`), keeps both scripts in one string for the co-occurrence rules and the
offline classifier: Latin words as in the Latin view (digits kept where they stand alone: ages matter),
Chinese as in the CJK view, a single space between words and around every Latin word.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

# Characters that carry no visible content and are used to split words invisibly (zero-width space, joiners,
# soft hyphen, BOM, bidi controls) plus C0/C1 controls.
_INVISIBLE = re.compile(
    r"[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
)
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
_NON_LETTER = re.compile(r"[^a-z]+")
# Three or more single letters separated by spaces: "k i l l", "p.o.r.n" (after punctuation became spaces).
_SPACED_LETTERS = re.compile(r"(?<![a-z])[a-z](?: [a-z]){2,}(?![a-z])")
_REPEATED_LETTER = re.compile(r"([a-z])\1+")
# "!" and "|" stand for i/l only inside a word ("b!tch"); at a word's end "!" is punctuation.
_BANG_IN_WORD = re.compile(r"(?<=[a-z])[!|](?=[a-z])")
_CJK_STRIP = re.compile(r"[\W_]+")  # \W keeps letters/digits of every script, CJK ideographs included
_HAS_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")

# Leetspeak and symbol substitutions used to dodge word lists.
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "8": "b"}
# Cyrillic and Greek letters that look like Latin ones (after case folding).
_CONFUSABLES = {
    "а": "a",
    "в": "b",
    "е": "e",
    "ё": "e",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "і": "i",
    "ј": "j",
    "ѕ": "s",
    "ԁ": "d",
    "ɡ": "g",
    "α": "a",
    "β": "b",
    "ε": "e",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
}
_LATIN_TABLE = str.maketrans({**_LEET, **_CONFUSABLES})


def basic(text: str) -> str:
    """NFKC (full-width -> half-width, compatibility forms) without invisible characters."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))


def latin_view(text: str) -> str:
    """The Latin view of an already `basic`-normalised text, padded with one space on each side."""
    folded = text.casefold()
    if not folded.isascii():
        folded = _COMBINING.sub("", unicodedata.normalize("NFD", folded))
    mapped = _BANG_IN_WORD.sub("i", folded.translate(_LATIN_TABLE))
    letters = _NON_LETTER.sub(" ", mapped)
    letters = _SPACED_LETTERS.sub(lambda m: m.group(0).replace(" ", ""), letters)
    letters = _REPEATED_LETTER.sub(r"\1", letters)
    return f" {letters.strip()} "


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str] | None:
    """OpenCC's Traditional -> Simplified character dictionary as a str.translate table.

    OpenCC('t2s').convert segments phrases in pure Python (about 5 ms per 1,000 Chinese characters); keyword
    matching only needs characters, and a translate table does 2,000 characters in well under 0.1 ms.
    Where a character has several Simplified forms the first (OpenCC's default) is used, on both the list
    terms and the text, so they always meet in the same form.
    """
    import opencc

    path = Path(opencc.__file__).with_name("dictionary") / "TSCharacters.txt"
    if not path.is_file():
        return None
    table: dict[int, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        traditional, _, simplified = line.partition("\t")
        if len(traditional) == 1 and simplified:
            table[ord(traditional)] = simplified.split()[0]
    return table


@lru_cache(maxsize=1)
def _opencc_t2s():  # type: ignore[no-untyped-def]
    from opencc import OpenCC

    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    table = _t2s_table()
    return text.translate(table) if table is not None else _opencc_t2s().convert(text)


def has_cjk(text: str) -> bool:
    return _HAS_CJK.search(text) is not None


def cjk_view(text: str) -> str:
    """The CJK view of an already `basic`-normalised text (Simplified, no spacing or punctuation)."""
    if has_cjk(text):
        text = to_simplified(text)
    return _CJK_STRIP.sub("", text.casefold())


# A Latin "word" that may hide letters behind digits or symbols ("k1ll", "$3x", "n00dz", "b!tch").
_LEET_TOKEN = re.compile(r"[a-z0-9@$!|]+")
_HAS_LETTER = re.compile(r"[a-z]")
_CONFUSABLE_TABLE = str.maketrans(_CONFUSABLES)
_LEET_ONLY_TABLE = str.maketrans({**_LEET, "!": "i", "|": "l"})
_MODEL_SEPARATOR = re.compile(r"[^a-z0-9\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+")
_CJK_CHAR = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]"
_CJK_GAP = re.compile(rf"(?<={_CJK_CHAR}) +(?={_CJK_CHAR})")
_SCRIPT_EDGE = re.compile(rf"(?<={_CJK_CHAR})(?=[a-z0-9])|(?<=[a-z0-9])(?={_CJK_CHAR})")


def _unleet(match: re.Match[str]) -> str:
    token = match.group(0)
    if not _HAS_LETTER.search(token):
        return token  # a number ("12", "2024") stays a number
    if token.endswith("!") and not token.rstrip("!").endswith("|"):
        token = token.rstrip("!")  # "wow!" ends a sentence; "b!tch" hides an i
    return token.translate(_LEET_ONLY_TABLE)


# Cantonese colloquial forms -> their Standard Written Chinese (Mandarin) equivalents, and homophones
# children use to dodge lists, in the model view only: a Hong Kong prompt and a mainland one meet in one
# form ("點樣劏咗佢" and "怎样杀了他" share features). Applied after Traditional -> Simplified.
_COLLOQUIAL = (
    ("点样", "怎样"),
    ("点解", "为什么"),
    ("边度", "哪里"),
    ("边个", "谁"),
    ("几多", "多少"),
    ("屋企", "家"),
    ("老豆", "爸爸"),
    ("阿妈", "妈妈"),
    ("阿爸", "爸爸"),
    ("细佬", "弟弟"),
    ("家姐", "姐姐"),
    ("返学", "上学"),
    ("同埋", "和"),
    ("佢哋", "他们"),
    ("佢", "他"),
    ("嘅", "的"),
    ("咗", "了"),
    ("唔", "不"),
    ("冇", "没"),
    ("嘢", "东西"),
    ("睇", "看"),
    ("喺", "在"),
    ("哋", "们"),
    ("啲", "些"),
    ("揾", "找"),
    ("瞓", "睡"),
    ("畀", "给"),
    ("俾", "给"),
    ("咩", "什么"),
    ("乜", "什么"),
    ("嚟", "来"),
    ("攞", "拿"),
    ("啱", "对"),
    ("噉", "这样"),
    ("𠮶", "那"),
    ("自鲨", "自杀"),
    ("自刹", "自杀"),
    ("自沙", "自杀"),
)
_COLLOQUIAL_PATTERN = re.compile(
    "|".join(re.escape(source) for source, _ in _COLLOQUIAL) + "|紫砂(?![壶茶锅陶杯泥器])"
)
_COLLOQUIAL_MAP = {**dict(_COLLOQUIAL)}


def _standard_chinese(text: str) -> str:
    return _COLLOQUIAL_PATTERN.sub(lambda match: _COLLOQUIAL_MAP.get(match.group(0), "自杀"), text)


def model_view(text: str) -> str:
    """One canonical string of an already `basic`-normalised text for rules and the classifier.

    "I will K1ll   佢!!" -> "i wil kil 他"; "自 . 殺" -> "自杀"; "ѕ е х" -> "sex"; 紫砂 -> 自杀 (not 紫砂壶).
    """
    folded = text.casefold()
    if not folded.isascii():
        folded = unicodedata.normalize("NFC", _COMBINING.sub("", unicodedata.normalize("NFD", folded)))
        folded = folded.translate(_CONFUSABLE_TABLE)
        if has_cjk(folded):
            folded = _standard_chinese(to_simplified(folded))
    folded = _LEET_TOKEN.sub(_unleet, folded)
    spaced = _MODEL_SEPARATOR.sub(" ", folded)
    spaced = _SPACED_LETTERS.sub(lambda m: m.group(0).replace(" ", ""), spaced)
    spaced = _REPEATED_LETTER.sub(r"\1", spaced)
    spaced = _CJK_GAP.sub("", spaced)
    spaced = _SCRIPT_EDGE.sub(" ", spaced)
    return " ".join(spaced.split())
