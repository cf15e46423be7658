"""Keyword lists and their Aho-Corasick automata.

Lists live in `lists/*.txt` (one term per line under a `[category]` header; `[allow]` holds benign phrases).
Latin terms are matched in the Latin view with word boundaries (a space on each side unless the term has
a `*` there), Chinese terms in the CJK view anywhere. An allowed phrase masks every blocked term inside it,
and a longer blocked term masks a shorter one inside it (自杀式袭击 is violence, not self-harm).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import ahocorasick

from aigc_contest.safety.normalize import basic, cjk_view, has_cjk, latin_view

ALLOW = "allow"


@dataclass(frozen=True)
class Term:
    category: str  # a content category, or ALLOW
    text: str  # as written in the list, for the audit log


@dataclass(frozen=True)
class Hit:
    category: str
    term: str
    start: int
    end: int  # inclusive, in the view the term was found in

    def inside(self, other: Hit) -> bool:
        return other.start <= self.start and self.end <= other.end


def parse_list(text: str, source: str = "<list>") -> list[Term]:
    terms: list[Term] = []
    category: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            category = line[1:-1].strip()
            continue
        if category is None:
            raise ValueError(f"{source}:{number}: term {line!r} before any [category] header")
        terms.append(Term(category, line))
    return terms


@lru_cache(maxsize=1)
def builtin_terms() -> tuple[Term, ...]:
    folder = resources.files("aigc_contest.safety") / "lists"
    terms: list[Term] = []
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".txt"):
            terms.extend(parse_list(entry.read_text(encoding="utf-8"), entry.name))
    return tuple(terms)


def _latin_key(term: str) -> str | None:
    open_start, open_end = term.startswith("*"), term.endswith("*")
    core = latin_view(basic(term.strip("*"))).strip()
    if not core:
        return None
    return ("" if open_start else " ") + core + ("" if open_end else " ")


class KeywordMatcher:
    """Two automata (Latin view, CJK view) over blocked and allowed terms."""

    def __init__(self, terms: Iterable[Term]) -> None:
        self._latin = ahocorasick.Automaton()
        self._cjk = ahocorasick.Automaton()
        self.size = 0
        for term in terms:
            key: str | None
            if has_cjk(term.text):
                automaton, key = self._cjk, cjk_view(basic(term.text.strip("*")))
            else:
                automaton, key = self._latin, _latin_key(term.text)
            if not key:
                continue
            entries = automaton.get(key, [])
            entries.append((len(key), term))
            automaton.add_word(key, entries)
            self.size += 1
        for automaton in (self._latin, self._cjk):
            if len(automaton):
                automaton.make_automaton()

    def find(self, basic_text: str) -> list[Hit]:
        """Blocked terms found in an already `basic`-normalised text, after masking."""
        hits: list[Hit] = []
        if len(self._latin):
            hits += _unmasked(self._latin, latin_view(basic_text))
        if len(self._cjk) and has_cjk(basic_text):
            hits += _unmasked(self._cjk, cjk_view(basic_text))
        return hits


def _unmasked(automaton: ahocorasick.Automaton, view: str) -> list[Hit]:
    allowed: list[Hit] = []
    blocked: list[Hit] = []
    for end, entries in automaton.iter(view):
        for length, term in entries:
            hit = Hit(term.category, term.text, end - length + 1, end)
            (allowed if term.category == ALLOW else blocked).append(hit)
    kept = []
    for hit in blocked:
        if any(hit.inside(other) for other in allowed):
            continue
        if any(hit.inside(other) and other.end - other.start > hit.end - hit.start for other in blocked):
            continue
        kept.append(hit)
    return kept


@lru_cache(maxsize=1)
def builtin_matcher() -> KeywordMatcher:
    return KeywordMatcher(builtin_terms())


@lru_cache(maxsize=64)
def matcher_for(extra_blocked: tuple[str, ...], allowed: tuple[str, ...]) -> KeywordMatcher:
    """The built-in lists plus one deployment's own terms (cached per distinct pair of tuples)."""
    if not extra_blocked and not allowed:
        return builtin_matcher()
    extra = [Term("custom", term) for term in extra_blocked] + [Term(ALLOW, term) for term in allowed]
    return KeywordMatcher((*builtin_terms(), *extra))
