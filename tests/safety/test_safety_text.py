"""Text checks: normalisation, masking, policies, personal data, the classifier hook, odd input."""

from __future__ import annotations

import pickle

import pytest

from aigc_contest.safety import (
    SafetyPolicy,
    SafetyRefusal,
    SafetyVerdict,
    check_text,
    ensure_text_safe,
    refusal_from_remote,
)
from aigc_contest.safety.keywords import builtin_terms, parse_list
from aigc_contest.safety.messages import MESSAGES, canonical_language
from aigc_contest.safety.normalize import basic, cjk_view, latin_view


@pytest.mark.parametrize(
    ("raw", "view"),
    [
        ("Ｐｏｒｎ", " porn "),  # full-width
        ("s e x", " sex "),  # spaced letters
        ("p.o.r.n", " porn "),  # punctuation between letters
        ("p0rn", " porn "),  # leetspeak
        ("$3x", " sex "),
        ("b!tch", " bitch "),
        ("seeeexy", " sexy "),  # repeated letters
        ("p\u200bo\u200brn", " porn "),  # zero-width spaces
        ("pоrn", " porn "),  # Cyrillic о
        ("pörn", " porn "),  # accent
        ("Hello, World!", " helo world "),
    ],
)
def test_latin_view(raw: str, view: str) -> None:
    assert latin_view(basic(raw)) == view


def test_cjk_view_converts_traditional_and_drops_spacing() -> None:
    assert cjk_view(basic("我想看裸 體。照片")) == "我想看裸体照片"
    assert cjk_view(basic("ＡＢ自殺")) == "ab自杀"


def test_latin_terms_need_word_boundaries() -> None:
    for benign in (
        "a class trip",
        "Essex and Sussex",
        "the assassin bug",
        "grapes",
        "a new method",
        "cocktail",
    ):
        assert check_text(benign).allowed, benign
    for unsafe in ("sex", "rape", "meth"):
        assert not check_text(f"a story about {unsafe} here").allowed, unsafe


def test_wildcard_terms_match_inside_words() -> None:
    assert check_text("go to pornhub").category == "sexual"
    assert check_text("motherfucker").category == "profanity"
    assert check_text("a flame retardant coat").allowed  # "retard" is whole-word only


def test_benign_words_mask_terms_inside_them() -> None:
    assert check_text("角色情感").allowed and check_text("色情").category == "sexual"
    assert check_text("大麻煩").allowed and check_text("大麻").category == "drugs"
    assert check_text("a naked mole rat").allowed and check_text("naked").category == "sexual"


def test_longer_blocked_term_decides_the_category() -> None:
    assert check_text("自殺式襲擊").category == "violence"
    assert check_text("自殺").category == "self_harm"


def test_extra_blocked_term_respects_the_benign_list_both_ways() -> None:
    # 杀 alone is not blocked: conflict in a story is fine, and 杀菌 (disinfect) is an everyday word.
    assert check_text("把敵人殺掉").allowed
    strict = SafetyPolicy(extra_blocked_terms=("杀",))
    verdict = check_text("把敵人殺掉", strict)
    assert not verdict.allowed and verdict.category == "custom" and verdict.matched == ["杀"]
    assert check_text("用肥皂洗手殺菌", strict).allowed
    assert check_text("學校的保安叔叔", strict).allowed


def test_extra_terms_accept_one_per_line_and_latin_wildcards() -> None:
    policy = SafetyPolicy(extra_blocked_terms="zombie*\n\n  spider  \n")
    assert policy.extra_blocked_terms == ("zombie*", "spider")
    assert check_text("zombies attack", policy).category == "custom"
    assert check_text("a spider web", policy).category == "custom"
    assert check_text("spiderman", policy).allowed
    full_width = SafetyPolicy(extra_blocked_terms=("Ｚｏｍｂｉｅ", "殭屍"))  # normalised like the text
    assert check_text("a ZOMBIE party", full_width).category == "custom"
    assert check_text("一隻僵尸", full_width).category == "custom"


def test_allowed_terms_switch_a_term_off() -> None:
    assert check_text("Al Gore gave a speech").category == "violence"
    policy = SafetyPolicy(allowed_terms=("al gore",))
    assert check_text("Al Gore gave a speech", policy).allowed
    assert not check_text("so much gore", policy).allowed


def test_categories_can_be_disabled_per_deployment() -> None:
    assert check_text("what the fuck").category == "profanity"
    relaxed = SafetyPolicy(categories=frozenset({"sexual", "violence", "self_harm"}))
    assert check_text("what the fuck", relaxed).allowed
    assert check_text("my email is kid@example.com", relaxed).allowed
    assert not check_text("I want to kill myself", relaxed).allowed


def test_self_harm_reason_wins_over_other_categories() -> None:
    verdict = check_text("fuck it, I want to kill myself")
    assert verdict.category == "self_harm"
    assert set(verdict.matched) == {"*fuck*", "kill myself"}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("call 9123 4567", "phone_number"),
        ("call 9123-4567", "phone_number"),
        ("call 9 1 2 3 4 5 6 7", "phone_number"),
        ("call +852 6123 4567", "phone_number"),
        ("打 13812345678", "phone_number"),
        ("电话 +86 138 1234 5678", "phone_number"),
        ("write to me at kid.one@school.edu.hk", "email"),
        ("ＨＫＩＤ Ｚ６８３３６５（５）", "hkid"),
        ("身份证 11010519491231002X", "national_id"),
    ],
)
def test_personal_data_is_refused_without_storing_the_value(text: str, kind: str) -> None:
    verdict = check_text(text)
    assert not verdict.allowed and verdict.category == "personal_data" and verdict.layer == "personal_data"
    assert kind in verdict.matched
    assert all(not any(char.isdigit() for char in item) for item in verdict.matched)


@pytest.mark.parametrize(
    "text",
    ["on 2024-11-22 we won", "2024年11月22日", "on 22/11/2024", "20000000 stars", "in 2025 we had 3 cats"],
)
def test_dates_and_amounts_are_not_phone_numbers(text: str) -> None:
    assert check_text(text).allowed


def test_classifier_hook_refuses_above_its_threshold() -> None:
    seen: list[str] = []

    def classifier(text: str) -> tuple[str | None, float]:
        seen.append(text)
        return ("hate", 0.9) if "meanie" in text else (None, 0.05)

    # The offline classifier is off: this is about the hook (it may refuse a mild insult on its own).
    policy = SafetyPolicy(text_classifier=classifier, text_classifier_threshold=0.8, offline_classifier=False)
    refused = check_text("you are a meanie", policy)
    assert (refused.allowed, refused.category, refused.layer, refused.score) == (
        False,
        "hate",
        "classifier",
        0.9,
    )
    allowed = check_text("you are kind", policy)
    assert allowed.allowed and allowed.layer == "classifier" and allowed.score == 0.05
    assert seen == ["you are a meanie", "you are kind"]
    assert check_text(
        "you are a meanie",
        SafetyPolicy(text_classifier=classifier, text_classifier_threshold=0.95, offline_classifier=False),
    ).allowed
    # keywords refuse first; the classifier is not consulted
    assert check_text("kill myself", policy).layer == "keywords" and len(seen) == 3


def test_a_broken_classifier_warns_or_refuses_as_configured() -> None:
    def broken(text: str) -> tuple[str | None, float]:
        raise TimeoutError("moderation server down")

    lenient = check_text("a happy cat", SafetyPolicy(text_classifier=broken))
    assert lenient.allowed and lenient.warnings == ["text classifier failed: TimeoutError"]
    strict = check_text("a happy cat", SafetyPolicy(text_classifier=broken, require_text_classifier=True))
    assert not strict.allowed and strict.category == "unchecked"
    assert not check_text("a happy cat", SafetyPolicy(require_text_classifier=True)).allowed


def test_policy_is_serialisable_without_the_hook() -> None:
    policy = SafetyPolicy(nsfw_threshold=0.7, text_classifier=lambda text: (None, 0.0))
    data = policy.model_dump(mode="json")
    assert "text_classifier" not in data and data["nsfw_threshold"] == 0.7
    assert SafetyPolicy.model_validate(data).nsfw_threshold == 0.7
    with pytest.raises(ValueError):
        SafetyPolicy(nsfw_threshold=1.5)


@pytest.mark.parametrize(
    "odd",
    ["", "   ", None, b"\xff\xfe binary \x00", "\x00\x01\x02" * 500, "🙂" * 3000, "a" * 100_000, 12345],
)
def test_odd_input_never_raises(odd: object) -> None:
    verdict = check_text(odd)  # type: ignore[arg-type]
    assert isinstance(verdict, SafetyVerdict)


def test_odd_input_with_harmful_content_is_still_caught() -> None:
    assert check_text(b"kill myself").category == "self_harm"  # type: ignore[arg-type]
    assert check_text("a" * 50_000 + " porn " + "b" * 50_000).category == "sexual"


def test_text_over_the_limit_is_refused_as_too_long() -> None:
    verdict = check_text("hello " * 100, SafetyPolicy(max_text_chars=100))
    assert not verdict.allowed and verdict.category == "too_long"


def test_refusal_exception_carries_the_verdict_and_survives_pickling() -> None:
    with pytest.raises(SafetyRefusal) as caught:
        ensure_text_safe("draw a sexy girl")
    refusal = caught.value
    assert refusal.verdict.category == "sexual"
    assert str(refusal) == refusal.verdict.message("en")
    clone = pickle.loads(pickle.dumps(refusal))
    assert clone.verdict == refusal.verdict and str(clone) == str(refusal)
    ensure_text_safe("draw a happy girl")  # no exception


def test_refusal_from_remote_maps_codes() -> None:
    dashscope = refusal_from_remote("DataInspectionFailed", "Input data may contain inappropriate content.")
    assert dashscope.verdict.category == "other" and dashscope.verdict.layer == "remote"
    assert dashscope.verdict.matched == [
        "remote:DataInspectionFailed",
        "Input data may contain inappropriate content.",
    ]
    assert "inappropriate" not in str(dashscope)
    assert refusal_from_remote("porn").verdict.category == "sexual"
    assert refusal_from_remote("self_harm").verdict.category == "self_harm"


def test_messages_exist_for_every_category_and_language() -> None:
    for category, texts in MESSAGES.items():
        assert set(texts) == {"en", "zh-Hant", "zh-Hans"}, category
        assert texts["zh-Hant"] != texts["zh-Hans"], category  # really written in two scripts
    verdict = SafetyVerdict(allowed=False, category="self_harm", layer="keywords")
    assert "teacher" in verdict.message("en")
    assert "老師" in verdict.message("zh-HK") and "老师" in verdict.message("zh-CN")
    assert SafetyVerdict(allowed=False, category="something_new").message() == MESSAGES["other"]["en"]
    assert canonical_language("zh_TW") == "zh-Hant" and canonical_language("fr") == "en"


def test_builtin_lists_parse_and_have_every_category() -> None:
    categories = {term.category for term in builtin_terms()}
    assert {"sexual", "violence", "weapons", "self_harm", "drugs", "profanity", "hate", "allow"} <= categories
    assert len(builtin_terms()) > 300
    with pytest.raises(ValueError, match="before any"):
        parse_list("orphan term\n[sexual]\nx")
