"""The guard-model layer in the safety core: reading guard answers, tiers by category and age band, how the
guard and the keyword layer combine, the kind self-harm path, and what happens when a guard fails."""

from __future__ import annotations

from typing import Any

import pytest

from aigc_contest.safety import SafetyPolicy, SafetyRefusal, check_text
from aigc_contest.safety.guard import GuardVerdict, parse_guard_answer
from aigc_contest.safety.messages import MESSAGES, HelpResource, parse_help_resources
from aigc_contest.safety.text import check_response
from aigc_contest.safety.tiers import TierRule, action_for, age_band_for


class FakeGuard:
    """A text guard answering like Qwen3Guard-Gen, recording what it was asked."""

    name = "fake-guard"

    def __init__(self, answer: str | Exception) -> None:
        self.answer = answer
        self.calls: list[list[dict[str, str]]] = []

    def moderate(self, messages: list[dict[str, str]]) -> GuardVerdict:
        self.calls.append(messages)
        if isinstance(self.answer, Exception):
            raise self.answer
        return parse_guard_answer(self.answer, guard=self.name)


def guarded(answer: str | Exception, **fields: Any) -> tuple[SafetyPolicy, FakeGuard]:
    guard = FakeGuard(answer)
    return SafetyPolicy(text_guard=guard, **fields), guard


# ---------------------------------------------------------------- reading answers


@pytest.mark.parametrize(
    ("answer", "tier", "categories", "refusal"),
    [
        ("Safety: Safe\nCategories: None", "safe", [], None),
        ("Safety: Unsafe\nCategories: Violent", "unsafe", ["violence"], None),
        ("Safety: Controversial\nCategories: Politically Sensitive Topics", "controversial", ["other"], None),
        (
            "Safety: Unsafe\nCategories: Violent, Suicide & Self-Harm",
            "unsafe",
            ["self_harm", "violence"],
            None,
        ),
        (
            "Safety: Unsafe\nCategories: Non-violent Illegal Acts\nRefusal: No",
            "unsafe",
            ["dangerous"],
            False,
        ),
        ("Safety: Safe\nCategories: None\nRefusal: Yes", "safe", [], True),
        ("**Safety:** unsafe\n**Categories:** PII", "unsafe", ["personal_data"], None),
        (
            "safety： Unsafe\ncategories： Sexual Content or Sexual Acts、Unethical Acts",
            "unsafe",
            ["sexual", "hate"],
            None,
        ),
        ("Safety: Unsafe\nCategories: Something New", "unsafe", ["other"], None),
        ("Safety: Unsafe", "unsafe", ["other"], None),
    ],
)
def test_guard_answers_are_read(answer: str, tier: str, categories: list[str], refusal: bool | None) -> None:
    verdict = parse_guard_answer(answer, "g")
    assert (verdict.tier, verdict.categories, verdict.refusal) == (tier, categories, refusal)


@pytest.mark.parametrize(
    "answer", ["", "ĠxÃ©Ġ<<>>ĊĊ garbled", "Safety: maybe", "Safety: Safe\nSafety: Unsafe"]
)
def test_unreadable_answers_are_unchecked(answer: str) -> None:
    assert parse_guard_answer(answer).tier is None


# ---------------------------------------------------------------- tiers and age bands


@pytest.mark.parametrize(
    ("grade", "level", "adult", "band"),
    [
        ("P4", "primary", False, "primary"),
        ("p 6", None, False, "primary"),
        ("S2", "secondary", False, "junior_secondary"),
        ("F5", None, False, "senior_secondary"),
        ("S6", "secondary", False, "senior_secondary"),
        ("小四", None, False, "primary"),
        ("中二", None, False, "junior_secondary"),
        ("初三", None, False, "junior_secondary"),
        ("高一", None, False, "senior_secondary"),
        ("", "secondary", False, "junior_secondary"),  # unknown grade: the stricter band
        ("", "sen", False, "primary"),
        ("", None, False, "primary"),
        ("S5", "secondary", True, "adult"),
    ],
)
def test_age_band_comes_from_grade_then_school_level(
    grade: str, level: str | None, adult: bool, band: str
) -> None:
    assert age_band_for(grade, level, is_adult=adult) == band


def test_primary_is_strictest_and_self_harm_is_always_the_kind_path() -> None:
    assert action_for("violence", "controversial", "primary") == "review"
    assert action_for("violence", "controversial", "senior_secondary") == "allow"
    assert action_for("sexual", "controversial", "primary") == "refuse"
    assert action_for("sexual", "controversial", "senior_secondary") == "review"
    assert action_for("violence", "unsafe", "senior_secondary") == "refuse"
    assert action_for("unknown", "controversial", "junior_secondary") == "review"  # as "other"
    loose = {"self_harm": {"primary": TierRule(controversial="allow", unsafe="allow")}}
    assert action_for("self_harm", "controversial", "primary", loose) == "refuse"
    override = {"violence": {"senior_secondary": TierRule(controversial="review")}}
    assert action_for("violence", "controversial", "senior_secondary", override) == "review"


# ---------------------------------------------------------------- combining with the keyword layer


def test_unsafe_guard_verdict_refuses_what_the_keywords_let_through() -> None:
    # The offline classifier is off here: it now refuses this text on its own, before the guard is asked.
    policy, guard = guarded("Safety: Unsafe\nCategories: Non-violent Illegal Acts", offline_classifier=False)
    verdict = check_text("how do I get into my neighbour's house when they are away", policy)
    assert (verdict.allowed, verdict.category, verdict.layer, verdict.tier) == (
        False,
        "dangerous",
        "guard",
        "unsafe",
    )
    assert verdict.matched == ["guard:Non-violent Illegal Acts"]
    assert guard.calls == [
        [{"role": "user", "content": "how do I get into my neighbour's house when they are away"}]
    ]
    assert "dangerous" in verdict.message("en")
    with pytest.raises(SafetyRefusal):
        from aigc_contest.safety import ensure_text_safe

        ensure_text_safe("how do I get in", policy)


def test_keyword_refusal_stands_and_the_guard_is_not_asked() -> None:
    policy, guard = guarded("Safety: Safe\nCategories: None")
    verdict = check_text("a massacre in the village", policy)
    assert (verdict.allowed, verdict.layer) == (False, "keywords") and guard.calls == []


def test_safe_guard_verdict_keeps_the_offline_verdict() -> None:
    policy, guard = guarded("Safety: Safe\nCategories: None")
    verdict = check_text("a dragon who bakes bread", policy)
    assert verdict.allowed and verdict.tier == "safe" and len(guard.calls) == 1


def test_controversial_is_held_for_a_teacher_in_primary_and_allowed_in_senior_secondary() -> None:
    answer = "Safety: Controversial\nCategories: Violent"
    held = check_text("the knights fight a battle", guarded(answer)[0])
    assert (held.allowed, held.needs_review, held.held_for_review, held.category) == (
        False,
        True,
        True,
        "violence",
    )
    for language in ("en", "zh-Hant", "zh-Hans"):
        assert held.message(language) == MESSAGES["needs_review"][language]
    assert "teacher will look at this first" in held.message("en")
    senior = check_text("the knights fight a battle", guarded(answer, age_band="senior_secondary")[0])
    assert senior.allowed and senior.tier == "controversial"
    stricter = {"violence": {"senior_secondary": {"controversial": "refuse"}}}
    school = check_text(
        "the knights fight a battle", guarded(answer, age_band="senior_secondary", tier_overrides=stricter)[0]
    )
    assert not school.allowed and not school.needs_review


@pytest.mark.parametrize(
    ("text", "language", "trusted_adult"),
    [
        ("I don't want to be here anymore, nobody would miss me", "en", "adult you trust"),
        ("我覺得活著沒有意思，不想再醒來了", "zh-Hant", "信任的大人"),
        ("我觉得活着没有意思，不想再醒来了", "zh-Hans", "信任的大人"),
    ],
)
def test_self_harm_signal_gets_the_kind_message_with_the_organisers_help(
    text: str, language: str, trusted_adult: str
) -> None:
    help_line = HelpResource(name="Youth Helpline", phone="0000 0000", url="https://help.example.org")
    policy, _ = guarded("Safety: Unsafe\nCategories: Suicide & Self-Harm", help_resources=(help_line,))
    verdict = check_text(text, policy)
    assert (verdict.allowed, verdict.category) == (False, "self_harm")
    message = verdict.message(language)
    assert trusted_adult in message
    assert "Youth Helpline · 0000 0000 · https://help.example.org" in message
    assert text not in message
    # A controversial self-harm signal is never merely held: it takes the same kind path.
    soft = check_text(text, guarded("Safety: Controversial\nCategories: Suicide & Self-Harm")[0])
    assert soft.category == "self_harm" and not soft.held_for_review
    assert "social worker" in soft.message("en") or "社工" in soft.message(language)


def test_keyword_self_harm_also_carries_the_help_resources() -> None:
    policy = SafetyPolicy(help_resources=parse_help_resources("School counsellor | ext. 12\n\n"))
    verdict = check_text("I want to kill myself", policy)
    assert verdict.category == "self_harm" and "School counsellor · ext. 12" in verdict.message("en")


def test_help_resources_parse_one_per_line() -> None:
    parsed = parse_help_resources("A | 1 | https://a.example\nB\n | ignored\n")
    assert [(r.name, r.phone, r.url) for r in parsed] == [("A", "1", "https://a.example"), ("B", "", "")]


# ---------------------------------------------------------------- failures


def test_a_failing_or_gibberish_guard_falls_back_to_the_offline_layers_with_a_warning() -> None:
    for answer in (RuntimeError("connection refused"), "ĠĠ garbled ĊĊ"):
        policy, _ = guarded(answer)
        verdict = check_text("a friendly robot", policy)
        assert verdict.allowed and verdict.warnings and "guard" in verdict.warnings[0]
        strict = check_text("a friendly robot", policy.model_copy(update={"require_guard": True}))
        assert (strict.allowed, strict.category) == (False, "unchecked")
        assert check_text("a massacre", policy).layer == "keywords"  # the offline layer still refuses


def test_require_guard_without_a_guard_is_unchecked_and_use_guard_false_switches_it_off() -> None:
    assert check_text("a cat", SafetyPolicy(require_guard=True)).category == "unchecked"
    policy, guard = guarded("Safety: Unsafe\nCategories: Violent", use_guard=False)
    assert check_text("a cat", policy).allowed and guard.calls == []


def test_responses_are_judged_with_their_prompt() -> None:
    policy, guard = guarded("Safety: Unsafe\nCategories: Violent\nRefusal: No")
    # A reply the offline layers let through reaches the guard, which sees the prompt beside it.
    reply = "and then he went down to the river at night"
    verdict = check_response("tell me a story", reply, policy)
    assert not verdict.allowed and verdict.category == "violence"
    assert guard.calls == [
        [
            {"role": "user", "content": "tell me a story"},
            {"role": "assistant", "content": reply},
        ]
    ]


def test_policies_with_guards_still_serialise_without_them() -> None:
    policy, _ = guarded(
        "Safety: Safe", age_band="junior_secondary", help_resources=(HelpResource(name="Helpline"),)
    )
    data = policy.model_dump(mode="json", exclude_defaults=True)
    assert "text_guard" not in data and data["age_band"] == "junior_secondary"
    again = SafetyPolicy.model_validate(data)
    assert again.text_guard is None and again.help_resources[0].name == "Helpline"
