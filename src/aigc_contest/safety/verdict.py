"""The outcome of a safety check, and the exception that carries a refusal."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from aigc_contest.safety.messages import HelpResource, message_for, self_harm_message

# Categories of harmful content the keyword lists and classifiers report.
CONTENT_CATEGORIES = (
    "self_harm",
    "sexual",
    "violence",
    "weapons",
    "hate",
    "drugs",
    "dangerous",  # dangerous challenges and illegal acts (shoplifting, meeting a stranger alone ...); guard models' "illegal acts"
    "profanity",
    "personal_data",
    "custom",  # terms a deployment added itself (SafetyPolicy.extra_blocked_terms)
)
# Categories that are not about the content itself but still stop it.
OTHER_CATEGORIES = ("nsfw_image", "unreadable_image", "too_long", "unchecked", "other")

# Remote moderation codes (DashScope, OpenAI-compatible servers ...) mapped onto our categories.
_REMOTE_ALIASES = {
    "porn": "sexual",
    "sexual": "sexual",
    "sexual/minors": "sexual",
    "violence": "violence",
    "violence/graphic": "violence",
    "terrorism": "violence",
    "self-harm": "self_harm",
    "self_harm": "self_harm",
    "hate": "hate",
    "harassment": "hate",
    "abuse": "profanity",
    "drugs": "drugs",
    "illicit": "drugs",
    "dangerous": "dangerous",
    "illicit/violent": "weapons",
}


class SafetyVerdict(BaseModel):
    """Whether a text or an image may be used, and if not, why.

    `matched` names what fired (terms, pattern kinds, remote codes) for the audit log and teachers; it is
    never shown to a child. `message()` is what a child sees.
    """

    allowed: bool
    category: str | None = None
    layer: str | None = None  # "keywords", "personal_data", "rules", "offline_classifier", "classifier", ...
    score: float | None = None
    matched: list[str] = Field(default_factory=list)
    needs_review: bool = False  # allowed, but close enough to a threshold that a teacher may want to look
    warnings: list[str] = Field(default_factory=list)  # e.g. a classifier that is not installed
    # The guard model's tier ("safe", "controversial", "unsafe") where a guard was consulted. A verdict that
    # is not allowed but needs_review is held for a teacher rather than refused.
    tier: str | None = None
    help_resources: list[HelpResource] = Field(default_factory=list)  # shown with the self-harm message

    @property
    def held_for_review(self) -> bool:
        return not self.allowed and self.needs_review and self.category != "self_harm"

    def message(self, language: str = "en") -> str:
        """A kind reason a child can read, in "en", "zh-Hant" or "zh-Hans" (other tags are mapped).

        Self-harm always gets the supportive message with help resources; a held verdict says a teacher
        will look first."""
        if self.allowed:
            return message_for(None, language)
        if self.category == "self_harm":
            return self_harm_message(language, self.help_resources)
        if self.needs_review:
            return message_for("needs_review", language)
        return message_for(self.category or "other", language)

    @classmethod
    def ok(cls, **extra: Any) -> SafetyVerdict:
        return cls(allowed=True, **extra)

    @classmethod
    def refused(cls, category: str, layer: str | None, **extra: Any) -> SafetyVerdict:
        return cls(allowed=False, category=category, layer=layer, **extra)


class SafetyRefusal(Exception):
    """Raised by ensure_* when content is refused; str(exc) is the child-readable English reason."""

    def __init__(self, verdict: SafetyVerdict) -> None:
        super().__init__(verdict.message("en"))
        self.verdict = verdict

    def message(self, language: str = "en") -> str:
        return self.verdict.message(language)

    def __reduce__(self) -> tuple[Any, ...]:
        # Task queues pickle exceptions; rebuild from the verdict rather than from the message.
        return (_refusal_from_dict, (self.verdict.model_dump(),))


def _refusal_from_dict(data: dict[str, Any]) -> SafetyRefusal:
    return SafetyRefusal(SafetyVerdict.model_validate(data))


def refusal_from_remote(category: str, detail: str = "") -> SafetyRefusal:
    """A refusal for content a remote service rejected (e.g. DashScope `DataInspectionFailed`,
    an OpenAI-compatible `content_filter`). Known codes map to our categories; the rest become "other"."""
    code = (category or "").strip()
    mapped = code if code in CONTENT_CATEGORIES or code in OTHER_CATEGORIES else None
    mapped = mapped or _REMOTE_ALIASES.get(code.lower(), "other")
    matched = [f"remote:{code}" if code else "remote"]
    if detail:
        matched.append(detail[:500])
    return SafetyRefusal(SafetyVerdict.refused(mapped, "remote", matched=matched))
