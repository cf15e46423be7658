"""The guard-model layer: a safety model that reads intent, beside the offline keyword layer.

A guard (a `kind = "guard"` entry in the models file, built by the generation package) labels a prompt, a
generated text or a picture safe, controversial or unsafe, with categories. Qwen3Guard-Gen answers in
lines such as

    Safety: Unsafe
    Categories: Violent, Suicide & Self-Harm
    Refusal: No            (response moderation only)

`parse_guard_answer` reads that robustly; an answer it cannot read (a random test model's gibberish, a
truncated reply) is `tier=None` and counts as unchecked: the offline layers' verdict stands with a warning,
or, with `SafetyPolicy.require_guard`, the content is refused as "unchecked".

The verdicts combine: whatever the keyword layer refused stays refused; otherwise the guard's tier and
category decide through safety.tiers (refuse, hold for a teacher's review, allow) for the child's age band.
Any self-harm signal, from either layer, takes the kind path: the supportive message with the configured
help resources.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from aigc_contest.safety.tiers import GUARD_CATEGORIES, Tier, action_for
from aigc_contest.safety.verdict import SafetyVerdict

if TYPE_CHECKING:
    from PIL import Image

    from aigc_contest.safety.policy import SafetyPolicy

logger = logging.getLogger(__name__)

# Qwen3Guard-Gen's labels (and a few other guards' spellings) mapped onto our categories.
GUARD_LABELS: dict[str, str] = {
    "violent": "violence",
    "violence": "violence",
    "gore": "violence",
    "non-violent illegal acts": "dangerous",
    "illegal acts": "dangerous",
    "dangerous acts": "dangerous",
    "sexual content or sexual acts": "sexual",
    "sexual content": "sexual",
    "sexual": "sexual",
    "nudity": "sexual",
    "pii": "personal_data",
    "personal data": "personal_data",
    "suicide & self-harm": "self_harm",
    "suicide and self-harm": "self_harm",
    "self-harm": "self_harm",
    "self_harm": "self_harm",
    "unethical acts": "hate",
    "hate": "hate",
    "bullying": "hate",
    "harassment": "hate",
    "politically sensitive topics": "other",
    "copyright violation": "other",
    "jailbreak": "other",
}
_PRIORITY = {category: rank for rank, category in enumerate(("self_harm", *GUARD_CATEGORIES))}
_SAFETY_LINE = re.compile(r"safety\s*[:：]\s*\**\s*(safe|unsafe|controversial)\b", re.IGNORECASE)
_CATEGORIES_LINE = re.compile(r"categor(?:y|ies)\s*[:：]\s*([^\n\r]*)", re.IGNORECASE)
_REFUSAL_LINE = re.compile(r"refusal\s*[:：]\s*\**\s*(yes|no)\b", re.IGNORECASE)
RAW_CHARS = 300


class GuardVerdict(BaseModel):
    """What a guard model said. `tier` None: the answer could not be read (unchecked)."""

    tier: Tier | None
    categories: list[str] = Field(default_factory=list)  # ours, most urgent first
    labels: list[str] = Field(default_factory=list)  # the guard's own words
    refusal: bool | None = None  # response moderation: did the answer refuse?
    score: float | None = None  # classifiers with scores (CLIP zero-shot)
    raw: str = ""  # the start of the answer, for the audit log
    guard: str = ""


@runtime_checkable
class TextGuard(Protocol):
    """Classifies a conversation: the last message is the one judged (a user prompt, or an answer)."""

    name: str

    def moderate(self, messages: list[dict[str, str]]) -> GuardVerdict: ...


@runtime_checkable
class ImageGuard(Protocol):
    name: str

    def moderate_image(self, image: Image.Image) -> GuardVerdict: ...


def map_labels(labels: list[str]) -> list[str]:
    """Our categories for a guard's labels, most urgent first; an unknown label becomes "other"."""
    found = {
        GUARD_LABELS.get(label.strip().lower().strip("*. "), "other") for label in labels if label.strip()
    }
    return sorted(found, key=lambda category: _PRIORITY.get(category, len(_PRIORITY)))


def parse_guard_answer(text: str, guard: str = "") -> GuardVerdict:
    """Read a Qwen3Guard-style answer. Tolerates markdown, full-width colons, extra prose and label case;
    an answer with no `Safety:` line, or with two different ones, is unreadable (tier None)."""
    text = text or ""
    tiers = {match.lower() for match in _SAFETY_LINE.findall(text)}
    raw = text.strip()[:RAW_CHARS]
    if len(tiers) != 1:
        return GuardVerdict(tier=None, raw=raw, guard=guard)
    tier: Tier = tiers.pop()  # type: ignore[assignment]
    labels: list[str] = []
    if match := _CATEGORIES_LINE.search(text):
        labels = [
            part.strip()
            for part in re.split(r"[,;，、]", match.group(1))
            if part.strip() and part.strip().lower().strip("*. ") != "none"
        ]
    refusal = None
    if match := _REFUSAL_LINE.search(text):
        refusal = match.group(1).lower() == "yes"
    categories = map_labels(labels) if tier != "safe" else []
    if tier != "safe" and not categories:
        categories = ["other"]
    return GuardVerdict(
        tier=tier, categories=categories, labels=labels, refusal=refusal, raw=raw, guard=guard
    )


# ------------------------------------------------------------------------------------------ combining


def with_help(verdict: SafetyVerdict, policy: SafetyPolicy) -> SafetyVerdict:
    """A self-harm verdict carries the help resources its message names."""
    if verdict.category == "self_harm" and policy.help_resources and not verdict.help_resources:
        return verdict.model_copy(update={"help_resources": list(policy.help_resources)})
    return verdict


def _unchecked(base: SafetyVerdict, policy: SafetyPolicy, warning: str, layer: str) -> SafetyVerdict:
    logger.warning("%s", warning)
    if policy.require_guard:
        return SafetyVerdict.refused("unchecked", layer, warnings=[*base.warnings, warning])
    return base.model_copy(update={"warnings": [*base.warnings, warning]})


def combine(
    base: SafetyVerdict, found: GuardVerdict, policy: SafetyPolicy, layer: str = "guard"
) -> SafetyVerdict:
    """The offline layers' verdict `base` (allowed) and a guard's verdict, as one SafetyVerdict."""
    if found.tier is None:
        return _unchecked(
            base,
            policy,
            f"guard {found.guard or 'model'} gave an unreadable answer; the offline checks decided",
            layer,
        )
    matched = [f"guard:{label}" for label in found.labels] or [f"guard:{found.tier}"]
    if found.tier == "safe":
        return base.model_copy(update={"tier": "safe"})
    category = found.categories[0] if found.categories else "other"
    action = action_for(category, found.tier, policy.age_band, policy.tier_overrides)
    fields: dict[str, Any] = {
        "score": found.score,
        "matched": matched,
        "tier": found.tier,
        "warnings": list(base.warnings),
    }
    if category == "self_harm":
        return with_help(SafetyVerdict.refused("self_harm", layer, **fields), policy)
    if action == "refuse":
        return SafetyVerdict.refused(category, layer, **fields)
    if action == "review":
        return SafetyVerdict(allowed=False, needs_review=True, category=category, layer=layer, **fields)
    return base.model_copy(update={"tier": found.tier, "matched": [*base.matched, *matched]})


def guard_text(
    text: str, base: SafetyVerdict, policy: SafetyPolicy, *, prompt: str | None = None
) -> SafetyVerdict:
    """Consult the policy's text guard after the offline layers (`base`); `prompt` set: `text` is a model's
    answer to it (response moderation). Never raises."""
    base = with_help(base, policy)
    guard = policy.text_guard if policy.use_guard else None
    if not base.allowed or not (text or "").strip():
        return base
    if guard is None:
        if policy.require_guard:
            return SafetyVerdict.refused("unchecked", "guard", warnings=["no guard model configured"])
        return base
    messages = [{"role": "user", "content": text}]
    if prompt is not None:
        messages = [{"role": "user", "content": prompt}, {"role": "assistant", "content": text}]
    try:
        found = guard.moderate(messages)
    except Exception as exc:  # noqa: BLE001 - a broken guard is reported, never a crash
        return _unchecked(
            base,
            policy,
            f"guard {getattr(guard, 'name', 'model')} failed: {type(exc).__name__}: {str(exc)[:200]}",
            "guard",
        )
    verdict = combine(base, found, policy)
    if verdict.held_for_review and policy.approved_sha256 and text_sha256(text) in policy.approved_sha256:
        # A teacher already looked at exactly this text and approved it.
        return base.model_copy(
            update={"tier": found.tier, "matched": [*verdict.matched, "approved by a teacher"]}
        )
    return verdict


def text_sha256(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()


def guard_image(image: Image.Image, base: SafetyVerdict, policy: SafetyPolicy) -> SafetyVerdict:
    """Consult the policy's image guard (violence and gore as well as nudity) after the NSFW classifier."""
    guard = policy.image_guard if policy.use_guard else None
    if not base.allowed:
        return base
    if guard is None:
        return base
    try:
        found = guard.moderate_image(image)
    except Exception as exc:  # noqa: BLE001
        return _unchecked(
            base,
            policy,
            f"image guard {getattr(guard, 'name', 'model')} failed: {type(exc).__name__}: {str(exc)[:200]}",
            "image_guard",
        )
    verdict = combine(base, found, policy, layer="image_guard")
    if verdict.allowed and found.tier == "controversial":  # shown, but a teacher may want to look
        verdict = verdict.model_copy(update={"needs_review": True})
    return verdict
