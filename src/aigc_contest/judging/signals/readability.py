"""Readability against a category's age band, for Chinese and English texts (advisory only).

Measures: length (characters of Chinese, words of English), mean sentence length, and how the words or
characters spread over frequency bands. The frequencies come from the ``wordfreq`` package (Robyn
Speer et al., data CC BY-SA 4.0; it ships its lists, so nothing is fetched): English words by their Zipf
value (log10 of occurrences per billion words), Chinese characters by rank, a character's frequency being
the summed frequency of the wordfreq Chinese words that contain it (Traditional text is compared after
OpenCC's Traditional → Simplified mapping).

Each age band has a typical ceiling per measure; a text is flagged when a measure is at least ``FAR``
times its ceiling. The Chinese vocabulary ceilings follow the character counts of the 2022 compulsory
education Chinese curriculum standard (about 1,600 characters by the end of grade 2, 2,500 by grade 4,
3,000 by grade 6, 3,500 by grade 9); the sentence-length and English ceilings are this project's rules
of thumb. The result explains itself in one sentence; it never changes a score or a rank.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from aigc_contest.judging.signals.textnorm import CJK_CLASS, cjk_count, to_simplified

AgeBand = Literal["6-8", "9-11", "12-14", "15-18"]
AGE_BANDS: tuple[AgeBand, ...] = ("6-8", "9-11", "12-14", "15-18")
FAR = 1.5  # a measure this many times its band's ceiling is "far above" the band
MIN_EN_WORDS = 20
MIN_ZH_CHARS = 40


@dataclass(frozen=True)
class Ceiling:
    sentence: float  # mean sentence length (words / characters)
    rare_share: float  # share of words / characters beyond the band's vocabulary
    length: int  # words / characters
    vocabulary: float  # English: Zipf floor of the band's vocabulary; Chinese: characters known


EN_CEILINGS: dict[AgeBand, Ceiling] = {
    "6-8": Ceiling(sentence=10, rare_share=0.08, length=1500, vocabulary=4.0),
    "9-11": Ceiling(sentence=14, rare_share=0.08, length=4000, vocabulary=3.5),
    "12-14": Ceiling(sentence=18, rare_share=0.08, length=10000, vocabulary=3.0),
    "15-18": Ceiling(sentence=24, rare_share=0.10, length=40000, vocabulary=2.5),
}
ZH_CEILINGS: dict[AgeBand, Ceiling] = {
    "6-8": Ceiling(sentence=16, rare_share=0.05, length=3000, vocabulary=1600),
    "9-11": Ceiling(sentence=24, rare_share=0.05, length=8000, vocabulary=2500),
    "12-14": Ceiling(sentence=32, rare_share=0.05, length=20000, vocabulary=3500),
    "15-18": Ceiling(sentence=45, rare_share=0.05, length=80000, vocabulary=5000),
}
EN_BANDS = (("very common", 5.0), ("common", 4.0), ("less common", 3.0), ("rare", -math.inf))
ZH_BANDS = (("top 1,000", 1000), ("top 2,500", 2500), ("top 3,500", 3500), ("rarer", math.inf))

_EN_WORD = re.compile(r"[a-z]+(?:['’][a-z]+)*")
_EN_SENTENCE = re.compile(r"[.!?…]+[\"'”’)\]]*(?:\s+|$)|\n\s*\n|\n")
_ZH_SENTENCE = re.compile(r"[。！？!?；;…]+[”’」』）)]*|\n+")
_CJK_CHAR = re.compile(f"[{CJK_CLASS}]")


@lru_cache(maxsize=1)
def _en_zipf() -> dict[str, float]:
    import wordfreq

    return {w: math.log10(f) + 9 for w, f in wordfreq.get_frequency_dict("en", wordlist="small").items()}


@lru_cache(maxsize=1)
def _zh_char_rank() -> dict[str, int]:
    import wordfreq

    totals: dict[str, float] = {}
    for word, frequency in wordfreq.get_frequency_dict("zh", wordlist="large").items():
        for char in word:
            if _CJK_CHAR.match(char):
                totals[char] = totals.get(char, 0.0) + frequency
    ranked = sorted(totals, key=lambda c: -totals[c])
    return {char: rank for rank, char in enumerate(ranked, start=1)}


def band_for_school_levels(levels: Iterable[str]) -> AgeBand | None:
    """The age band a category's texts are judged against: the oldest readers it admits. None where no
    age expectation applies (open categories, special educational needs)."""
    levels = set(levels)
    if not levels or levels & {"open", "sen"}:
        return None
    return "15-18" if "secondary" in levels else "9-11"


@dataclass(frozen=True)
class Readability:
    """Measures of one text against an age band. ``flagged``: far above the band (advisory)."""

    language: Literal["zh", "en"]
    band: AgeBand
    length: int
    sentences: int
    mean_sentence_length: float
    frequency_bands: dict[str, float]  # band name → share of words / characters
    rare_share: float  # share beyond the age band's vocabulary
    flagged: bool
    explanation: str
    advisory: bool = True


def _share(count: int, total: int) -> float:
    return count / total if total else 0.0


def _pct(x: float) -> str:
    return f"{round(100 * x)} %"


def readability(text: str, band: AgeBand) -> Readability:
    """Measure ``text`` (Chinese or English, decided by which script dominates) against ``band``."""
    if band not in AGE_BANDS:
        raise ValueError(f"unknown age band {band!r}; expected one of {', '.join(AGE_BANDS)}")
    simplified = to_simplified(text)
    words = _EN_WORD.findall(simplified.lower())
    chinese = cjk_count(simplified) >= len(words)
    if chinese:
        ceiling = ZH_CEILINGS[band]
        ranks = _zh_char_rank()
        chars = _CJK_CHAR.findall(simplified)
        units = [ranks.get(c, 10**9) for c in chars]
        sentences = [s for s in _ZH_SENTENCE.split(simplified) if _CJK_CHAR.search(s)]
        length, unit, minimum = len(chars), "characters", MIN_ZH_CHARS
        counts = dict.fromkeys((name for name, _ in ZH_BANDS), 0)
        for r in units:
            counts[next(name for name, top in ZH_BANDS if r <= top)] += 1
        bands = {name: _share(count, len(units)) for name, count in counts.items()}
        rare = _share(sum(1 for r in units if r > ceiling.vocabulary), len(units))
        vocabulary = f"outside the {int(ceiling.vocabulary):,} most common characters"
        sentence_lengths = [len(_CJK_CHAR.findall(s)) for s in sentences]
    else:
        ceiling = EN_CEILINGS[band]
        zipf = _en_zipf()
        values = [zipf.get(w.replace("’", "'"), 0.0) for w in words]
        sentences = [s for s in _EN_SENTENCE.split(simplified) if _EN_WORD.search(s.lower())]
        length, unit, minimum = len(words), "words", MIN_EN_WORDS
        bands = {}
        for i, (name, floor) in enumerate(EN_BANDS):
            upper = EN_BANDS[i - 1][1] if i else math.inf
            bands[name] = _share(sum(1 for v in values if floor <= v < upper), len(values))
        rare = _share(sum(1 for v in values if v < ceiling.vocabulary), len(values))
        vocabulary = "rarer than the band's everyday vocabulary"
        sentence_lengths = [len(_EN_WORD.findall(s.lower())) for s in sentences]
    mean_sentence = sum(sentence_lengths) / len(sentence_lengths) if sentence_lengths else float(length)
    sentence_unit = "characters" if chinese else "words"
    readers = f"readers aged {band.replace('-', '–')}"

    above = []
    if mean_sentence >= FAR * ceiling.sentence:
        above.append(
            f"sentences average {mean_sentence:.1f} {sentence_unit} (usually up to {ceiling.sentence:g})"
        )
    if rare >= FAR * ceiling.rare_share:
        above.append(
            f"{_pct(rare)} of the {unit} are {vocabulary} (usually up to {_pct(ceiling.rare_share)})"
        )
    if length >= FAR * ceiling.length:
        above.append(f"it is {length:,} {unit} long (usually up to {ceiling.length:,})")
    if length < minimum:
        flagged = False
        explanation = (
            f"The text is too short to judge its reading level ({length} {unit}; "
            f"at least {minimum} are needed)."
        )
    elif above:
        flagged = True
        explanation = f"The text is far above what {readers} usually read: " + "; ".join(above) + "."
    else:
        flagged = False
        explanation = (
            f"The text suits {readers}: sentences average {mean_sentence:.1f} {sentence_unit} "
            f"and {_pct(rare)} of the {unit} are {vocabulary}."
        )
    return Readability(
        "zh" if chinese else "en",
        band,
        length,
        len(sentences),
        round(mean_sentence, 2),
        {k: round(v, 4) for k, v in bands.items()},
        round(rare, 4),
        flagged,
        explanation,
    )
