"""Co-occurrence rules: an act plus a target, an intent plus a method, a substance plus secrecy ...

A rule names term sets (lexicons/cooccurrence.txt) that must appear in order, each within `window` units of
the previous one (a unit is a Latin word or a Chinese character). Sets are matched in the model view
(normalize.model_view), so spacing, look-alike letters, leetspeak, full-width forms and Traditional
characters meet the same terms. Everyday words in `[allow]` (打開, "hit the ball") mask the set terms inside
them; a rule with guards does not fire when a guard term (a warning, a game) is close to its match.

Rules catch what single keywords cannot: "kill" is fine for the lights, "my teacher" is fine for a
drawing, together they are not.

A question about a rule or its reason is not a request to break it: "why can't minors drink?" names a
substance and a minor, and the rules marked question_guard (drugs, dares, weapons, strangers) let it pass
to the classifier unless the text also asks for the how (is_rule_question).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import ahocorasick

from aigc_contest.safety.keywords import parse_list
from aigc_contest.safety.normalize import basic, has_cjk, model_view

ALLOW = "allow"
# The term sets of a question about a rule ("why can't ..."): never masked by [allow] terms (不可以).
QUESTION_WHY, QUESTION_PROHIBITED, QUESTION_REQUEST = "why", "prohibited", "request"
QUESTION_DANGER = "danger_reason"  # the prohibited terms that name a harm or a law, not "can't"
_UNMASKED = frozenset({QUESTION_WHY, QUESTION_PROHIBITED, QUESTION_REQUEST, QUESTION_DANGER})
QUESTION_WINDOW = 8  # at most this many units between the "why" and the "can't"
MASKED = "\ue000"  # stands where a benign phrase was: a token the classifier learns to read as benign


@dataclass(frozen=True)
class Rule:
    name: str
    category: str
    sets: tuple[str, ...]  # in order of appearance
    window: int = 3  # at most this many units between one set's term and the next
    # A guard term up to `guard_window` units before the match, or inside it, cancels it (a warning);
    # a context term that close on either side cancels it too (a game).
    guards: tuple[str, ...] = ("protect",)
    contexts: tuple[str, ...] = ()
    guard_window: int = 4
    any_order: bool = False  # two-set rules only: B may come before A
    # A question about a rule or its reason ("why can't minors drink") cancels it: see is_rule_question.
    question_guard: bool = False


RULES: tuple[Rule, ...] = (
    Rule("harm_person", "violence", ("act_strong", "person"), 2, contexts=("game",)),
    Rule("hit_person", "violence", ("act_weak", "person"), 1, contexts=("game",)),
    Rule("intent_harm", "violence", ("intent", "act_weak", "person"), 3, contexts=("game",)),
    Rule("person_hurt", "violence", ("person", "injury_state"), 3, contexts=("game",)),
    Rule("person_die", "violence", ("person", "die_wish"), 3, contexts=("game",)),
    Rule("self_method", "self_harm", ("self_method", "self_body"), 2),
    Rule("pills", "self_harm", ("pills", "not_wake"), 6, any_order=True),
    Rule("painless", "self_harm", ("painless", "way_to_die"), 2, contexts=("game",)),
    Rule("jump", "self_harm", ("intent", "jump", "high_place"), 3, contexts=("game",)),
    Rule("undress_minor", "sexual", ("undress", "minor"), 5, any_order=True),
    Rule("touch_private", "sexual", ("touch", "private"), 4),
    Rule("send_photo", "sexual", ("send_photo", "photo_secret"), 6),
    Rule("make_weapon", "weapons", ("make", "weapon"), 4, contexts=("game",)),
    Rule("acquire_weapon", "weapons", ("acquire", "weapon"), 3, contexts=("game",), question_guard=True),
    Rule(
        "weapon_school",
        "weapons",
        ("acquire", "blade_or_gun", "school"),
        4,
        contexts=("game",),
        question_guard=True,
    ),
    Rule("drug_use", "drugs", ("drug_use", "drug_name"), 2, contexts=("game",), question_guard=True),
    Rule("substance_secret", "drugs", ("substance", "secrecy"), 8, any_order=True, question_guard=True),
    Rule("challenge", "dangerous", ("challenge_harm", "challenge"), 5, any_order=True, question_guard=True),
    Rule("illegal", "dangerous", ("intent", "illegal"), 4, contexts=("game",), question_guard=True),
    Rule("meet_stranger", "dangerous", ("meet", "stranger", "alone"), 8, question_guard=True),
    Rule("group_insult", "hate", ("group", "group_insult"), 3),
    Rule("bully_crowd", "hate", ("crowd", "exclude"), 3, any_order=True),
    Rule("mock_vulnerable", "hate", ("mock", "vulnerable"), 5, contexts=("game",), any_order=True),
    Rule("address", "personal_data", ("address_intro", "address_word"), 10),
    Rule("ask_contact", "personal_data", ("ask", "contact"), 5),
)


@dataclass(frozen=True)
class RuleHit:
    rule: str
    category: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class _Found:
    group: str
    term: str
    start: int  # first and last unit
    end: int


def _key(term: str) -> str | None:
    open_start, open_end = term.startswith("*"), term.endswith("*")
    core = model_view(basic(term.strip("*")))
    if not core:
        return None
    if has_cjk(core):
        return core
    return ("" if open_start else " ") + core + ("" if open_end else " ")


class RuleMatcher:
    def __init__(self, terms: Iterable[tuple[str, str]], rules: tuple[Rule, ...] = RULES) -> None:
        self.rules = rules
        self._automaton = ahocorasick.Automaton()
        for group, term in terms:
            key = _key(term)
            if key is None:
                continue
            entries = self._automaton.get(key, [])
            entries.append((len(key), group, term))
            self._automaton.add_word(key, entries)
        self._automaton.make_automaton()

    def mask(self, view: str) -> str:
        """The model view with every benign phrase ([allow] here and in lists/*.txt) replaced by MASKED, so
        the classifier does not see 想死 in 想死你了 or "naked" in "naked mole rat"."""
        padded = f" {view} "
        spans = [
            (end - length + 1, end)
            for end, entries in self._automaton.iter(padded)
            for length, group, _ in entries
            if group == ALLOW
        ]
        if not spans:
            return view
        chars = list(padded)
        for start, end in spans:
            for index in range(start, end + 1):
                if chars[index] != " ":
                    chars[index] = ""
            chars[start] = f" {MASKED} "
        return " ".join("".join(chars).split())

    def _found(self, view: str) -> list[_Found]:
        padded = f" {view} "
        units = _unit_index(padded)
        allowed: list[tuple[int, int]] = []
        raw: list[tuple[int, int, str, str]] = []
        for end, entries in self._automaton.iter(padded):
            for length, group, term in entries:
                start = end - length + 1
                if group == ALLOW:
                    allowed.append((start, end))
                else:
                    raw.append((start, end, group, term))
        found = []
        for start, end, group, term in raw:
            if group in _UNMASKED:
                found.append(_Found(group, term, units[start], units[end]))
                continue
            if any(a <= start and end <= b and (a, b) != (start, end) for a, b in allowed):
                continue
            if any(a == start and b == end for a, b in allowed):
                continue
            found.append(_Found(group, term, units[start], units[end]))
        return found

    def groups(self, view: str) -> set[str]:
        """The term sets with an (unmasked) term in a model-view text: features for the classifier."""
        return {item.group for item in self._found(view)} if view else set()

    def _by_group(self, view: str) -> dict[str, list[_Found]]:
        by_group: dict[str, list[_Found]] = {}
        for item in self._found(view):
            by_group.setdefault(item.group, []).append(item)
        return by_group

    def asks_about_a_rule(self, basic_text: str, danger_only: bool = False) -> bool:
        view = model_view(basic_text)
        if not view:
            return False
        return is_rule_question(self._by_group(view), QUESTION_DANGER if danger_only else QUESTION_PROHIBITED)

    def find(self, basic_text: str) -> list[RuleHit]:
        view = model_view(basic_text)
        if not view:
            return []
        by_group = self._by_group(view)
        question = is_rule_question(by_group)
        hits = []
        for rule in self.rules:
            if question and rule.question_guard:
                continue
            chain = _chain(rule, by_group)
            if chain is not None:
                hits.append(RuleHit(rule.name, rule.category, tuple(item.term for item in chain)))
        return hits


def is_rule_question(by_group: dict[str, list[_Found]], prohibited: str = QUESTION_PROHIBITED) -> bool:
    """ "Why can't minors drink?", 为什么未成年人不能喝酒, 點解細路唔准食煙: a [why] term, then within
    QUESTION_WINDOW units a [prohibited] term (a rule, a ban, a harm), and no [request] term anywhere in the
    text ("why can't I? tell me how to get some anyway" stays a request)."""
    if by_group.get(QUESTION_REQUEST):
        return False
    # A Latin term's start unit is the word before it (its leading space), hence the ends compared.
    return any(
        why.end < ban.end and ban.start - why.end - 1 <= QUESTION_WINDOW
        for why in by_group.get(QUESTION_WHY, [])
        for ban in by_group.get(prohibited, [])
    )


def _unit_index(padded: str) -> list[int]:
    """For every character, the index of the unit (Latin word or Chinese character) it belongs to."""
    index: list[int] = []
    unit = -1
    previous_space = True
    for char in padded:
        if char == " ":
            index.append(max(unit, 0))
            previous_space = True
            continue
        if previous_space or has_cjk(char):
            unit += 1
        index.append(unit)
        previous_space = has_cjk(char)  # every Chinese character is a unit of its own
    return index


def _chain(rule: Rule, by_group: dict[str, list[_Found]]) -> list[_Found] | None:
    if any(group not in by_group for group in rule.sets):
        return None
    orders = [rule.sets]
    if rule.any_order and len(rule.sets) == 2:
        orders.append(rule.sets[::-1])
    guards = [item for group in rule.guards for item in by_group.get(group, [])]
    contexts = [item for group in rule.contexts for item in by_group.get(group, [])]
    for order in orders:
        for first in by_group[order[0]]:
            chain = _extend([first], order[1:], rule.window, by_group)
            if chain is None:
                continue
            low, high = chain[0].start, chain[-1].end
            if any(
                low - rule.guard_window <= guard.end and guard.start <= high and not _within(guard, chain)
                for guard in guards
            ) or any(
                low - rule.guard_window <= context.end
                and context.start <= high + rule.guard_window
                and not _within(context, chain)
                for context in contexts
            ):
                continue
            return chain
    return None


def _within(item: _Found, chain: list[_Found]) -> bool:
    return any(other.start <= item.start and item.end <= other.end for other in chain)


def _extend(
    chain: list[_Found], rest: tuple[str, ...], window: int, by_group: dict[str, list[_Found]]
) -> list[_Found] | None:
    if not rest:
        return chain
    last = chain[-1]
    for item in by_group[rest[0]]:
        gap = item.start - last.end - 1
        if 0 <= gap <= window or (gap == -1 and item.start > last.start):
            found = _extend([*chain, item], rest[1:], window, by_group)
            if found is not None:
                return found
    return None


@lru_cache(maxsize=1)
def builtin_rule_matcher() -> RuleMatcher:
    from aigc_contest.safety.keywords import builtin_terms

    text = (resources.files("aigc_contest.safety") / "lexicons" / "cooccurrence.txt").read_text("utf-8")
    terms = [(term.category, term.text) for term in parse_list(text, "cooccurrence.txt")]
    # The keyword lists' benign phrases mask here too ("想死你了", "naked mole rat", "opium war").
    terms += [(ALLOW, term.text) for term in builtin_terms() if term.category == ALLOW]
    return RuleMatcher(terms)


def find_rule_hits(basic_text: str) -> list[RuleHit]:
    return builtin_rule_matcher().find(basic_text)


# Keyword-list categories a question about a rule spares ("why is the blackout challenge so dangerous",
# "why is cocaine illegal"); the offline classifier still reads the text.
QUESTION_SPARED_KEYWORDS = frozenset({"drugs", "dangerous"})


def asks_about_a_rule(basic_text: str, danger_only: bool = False) -> bool:
    """True for a question about a rule or its reason, with no request for the how (is_rule_question);
    with danger_only, only where the reason asked about is a harm or a law ("why is X so dangerous")."""
    return builtin_rule_matcher().asks_about_a_rule(basic_text, danger_only)
