"""Catch rate and false-positive rate of the text safety layer on a corpus of children's prompts."""

from __future__ import annotations

from collections import Counter

from safety_corpus import BENIGN, UNSAFE

from aigc_contest.safety import check_text


def test_corpus_is_large_and_covers_three_languages() -> None:
    assert len(UNSAFE) >= 40 and len(BENIGN) >= 60
    unsafe_languages = Counter(language for _, language, _ in UNSAFE)
    benign_languages = Counter(language for _, language in BENIGN)
    for language in ("en", "zh-Hant", "zh-Hans"):
        assert unsafe_languages[language] >= 10, language
        assert benign_languages[language] >= 15, language


def test_catch_rate_and_false_positive_rate() -> None:
    verdicts = [(expected, check_text(text)) for text, _, expected in UNSAFE]
    caught = [(expected, verdict) for expected, verdict in verdicts if not verdict.allowed]
    catch_rate = len(caught) / len(UNSAFE)
    right_category = sum(verdict.category == expected for expected, verdict in caught) / len(caught)

    false_positives = [(text, check_text(text)) for text, _ in BENIGN]
    false_positives = [(text, verdict) for text, verdict in false_positives if not verdict.allowed]
    false_positive_rate = len(false_positives) / len(BENIGN)

    missed = [text for (text, _, _), (_, verdict) in zip(UNSAFE, verdicts, strict=True) if verdict.allowed]
    print(
        f"\ncatch rate {catch_rate:.3f} ({len(caught)}/{len(UNSAFE)}), "
        f"right category {right_category:.3f}, "
        f"false-positive rate {false_positive_rate:.3f} ({len(false_positives)}/{len(BENIGN)})"
    )
    print("missed:", missed)
    print("false positives:", [(text, verdict.matched) for text, verdict in false_positives])
    assert catch_rate >= 0.9
    assert right_category >= 0.9
    assert false_positive_rate <= 0.05


def test_every_refusal_in_the_corpus_has_a_child_readable_reason_without_the_blocked_words() -> None:
    for text, _, _ in UNSAFE:
        verdict = check_text(text)
        if (
            verdict.allowed or verdict.category == "personal_data"
        ):  # matched holds kinds ("email"), not values
            continue
        for language in ("en", "zh-Hant", "zh-Hans"):
            message = verdict.message(language)
            assert message
            for term in verdict.matched:
                assert term.strip("*").lower() not in message.lower()
