"""Screening text: prompts before generation, generated text after it."""

from __future__ import annotations

import logging
import math

from aigc_contest.safety.guard import guard_text
from aigc_contest.safety.keywords import matcher_for
from aigc_contest.safety.normalize import basic
from aigc_contest.safety.personal_data import find_personal_data
from aigc_contest.safety.policy import DEFAULT_POLICY, SafetyPolicy
from aigc_contest.safety.rules import QUESTION_SPARED_KEYWORDS, asks_about_a_rule, find_rule_hits
from aigc_contest.safety.verdict import CONTENT_CATEGORIES, SafetyRefusal, SafetyVerdict

logger = logging.getLogger(__name__)

# When several categories fire, the reason shown is the first of these: a child who may be at risk gets
# the supportive self-harm message rather than a "rude words" one.
_PRIORITY = {category: rank for rank, category in enumerate(CONTENT_CATEGORIES)}


def check_text(text: str, policy: SafetyPolicy | None = None) -> SafetyVerdict:
    """Check a text: keyword lists, personal-data patterns, co-occurrence rules, the offline classifier,
    then the optional classifier hook. The first layer that refuses decides.

    Never raises: odd input (None, bytes, huge or binary-ish strings) gets a verdict too, and an internal
    error refuses with category "unchecked" rather than letting unchecked content through.
    """
    policy = policy or DEFAULT_POLICY
    try:
        text = _as_text(text)
        return guard_text(text, _check(text, policy), policy)  # the guard model, where one is attached
    except Exception:  # noqa: BLE001 - a safety check must not crash the job that called it
        logger.exception("text safety check failed")
        return SafetyVerdict.refused("unchecked", "error", warnings=["the text check failed unexpectedly"])


def ensure_text_safe(text: str, policy: SafetyPolicy | None = None) -> None:
    """Raise SafetyRefusal when check_text refuses the text."""
    verdict = check_text(text, policy)
    if not verdict.allowed:
        raise SafetyRefusal(verdict)


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return value if isinstance(value, str) else str(value)


def _check(text: str, policy: SafetyPolicy) -> SafetyVerdict:
    if len(text) > policy.max_text_chars:
        return SafetyVerdict.refused("too_long", "input", matched=[f"{len(text)} characters"])
    if not text.strip():
        return SafetyVerdict.ok()

    normalised = basic(text)
    enabled = policy.categories
    findings: list[tuple[str, str, str]] = []  # (category, layer, what matched)
    matcher = matcher_for(policy.extra_blocked_terms, policy.allowed_terms)
    keyword_hits = matcher.find(normalised)
    if any(hit.category in QUESTION_SPARED_KEYWORDS for hit in keyword_hits) and asks_about_a_rule(
        normalised, danger_only=True
    ):
        # "Why is the blackout challenge so dangerous?" asks about a rule; it is not a request.
        keyword_hits = [hit for hit in keyword_hits if hit.category not in QUESTION_SPARED_KEYWORDS]
    for hit in keyword_hits:
        if hit.category in enabled:
            findings.append((hit.category, "keywords", hit.term))
    if "personal_data" in enabled:
        findings += [("personal_data", "personal_data", kind) for kind in find_personal_data(normalised)]
    if not findings and policy.co_occurrence_rules:
        for rule_hit in find_rule_hits(normalised):
            if rule_hit.category in enabled:
                findings.append((rule_hit.category, "rules", f"rule:{rule_hit.rule}"))
    if findings:
        findings.sort(key=lambda finding: _PRIORITY.get(finding[0], len(_PRIORITY)))
        category, layer, _ = findings[0]
        matched = list(dict.fromkeys(what for _, _, what in findings))
        return SafetyVerdict.refused(category, layer, score=1.0, matched=matched)
    offline = _run_offline_classifier(text, policy) if policy.offline_classifier else None
    if offline is not None and not offline.allowed:
        return offline
    if offline is not None and policy.text_classifier is None and not policy.require_text_classifier:
        return offline
    hooked = _run_classifier(text, policy)
    if offline is not None and offline.needs_review and hooked.allowed:
        return hooked.model_copy(
            update={"needs_review": True, "matched": [*offline.matched, *hooked.matched]}
        )
    return hooked


def _run_offline_classifier(text: str, policy: SafetyPolicy) -> SafetyVerdict:
    from aigc_contest.safety.classifier import classify

    result = classify(text, policy.classifier_thresholds)
    score = round(result.score, 4)
    if result.category not in policy.categories:
        return SafetyVerdict.ok(layer="offline_classifier", score=score)
    if result.refuse:
        return SafetyVerdict.refused(
            result.category,
            "offline_classifier",
            score=score,
            matched=[f"offline_classifier:{result.category}"],
        )
    if result.review:
        return SafetyVerdict.ok(
            layer="offline_classifier",
            score=score,
            needs_review=True,
            matched=[f"offline_classifier:{result.category}"],
        )
    return SafetyVerdict.ok(layer="offline_classifier", score=score)


def _run_classifier(text: str, policy: SafetyPolicy) -> SafetyVerdict:
    classifier = policy.text_classifier
    if classifier is None:
        if policy.require_text_classifier:
            return SafetyVerdict.refused(
                "unchecked", "classifier", warnings=["no text classifier configured"]
            )
        return SafetyVerdict.ok()
    try:
        category, score = classifier(text)
        score = float(score)
        if math.isnan(score):
            raise ValueError("the classifier returned NaN")
    except Exception as exc:  # noqa: BLE001 - a broken hook is reported, not propagated
        logger.warning("text classifier failed: %s", exc)
        warning = f"text classifier failed: {type(exc).__name__}"
        if policy.require_text_classifier:
            return SafetyVerdict.refused("unchecked", "classifier", warnings=[warning])
        return SafetyVerdict.ok(warnings=[warning])
    score = min(max(score, 0.0), 1.0)
    if category and score >= policy.text_classifier_threshold:
        category = str(category)
        if category in policy.categories or category not in CONTENT_CATEGORIES:
            return SafetyVerdict.refused(
                category, "classifier", score=score, matched=[f"classifier:{category}"]
            )
    return SafetyVerdict.ok(layer="classifier", score=score)


def check_response(prompt: str, text: str, policy: SafetyPolicy | None = None) -> SafetyVerdict:
    """Screen a model's answer: the offline layers, then the guard with the prompt as context."""
    policy = policy or DEFAULT_POLICY
    offline = policy.model_copy(update={"text_guard": None, "require_guard": False})
    verdict = check_text(text, offline)
    try:
        return guard_text(text, verdict, policy, prompt=prompt)
    except Exception:  # noqa: BLE001
        logger.exception("response guard check failed")
        return SafetyVerdict.refused("unchecked", "error", warnings=["the text check failed unexpectedly"])


def ensure_response_safe(prompt: str, text: str, policy: SafetyPolicy | None = None) -> None:
    verdict = check_response(prompt, text, policy)
    if not verdict.allowed:
        raise SafetyRefusal(verdict)
