"""Per-deployment (or per-school) safety settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from aigc_contest.safety.messages import HelpResource
from aigc_contest.safety.tiers import AgeBand, TierRule
from aigc_contest.safety.verdict import CONTENT_CATEGORIES

# A text classifier hook: text -> (category or None when the text is fine, score in [0, 1]).
TextClassifier = Callable[[str], tuple[str | None, float]]


class SafetyPolicy(BaseModel):
    """Thresholds and lists for one deployment. The defaults suit a platform for children aged 6-18.

    * `categories`: which keyword/classifier categories refuse content; a category left out is let through.
    * `extra_blocked_terms` / `allowed_terms`: one term per entry, any of the three languages (Traditional
      is normalised like the built-in lists). A term may start or end with `*` to match inside a word.
      An allowed term masks any blocked term it contains ("naked mole rat" masks "naked"), so adding a
      blocked term itself to `allowed_terms` switches it off.
    * `co_occurrence_rules`: an act plus a target ("hurt" + "my teacher"), an intent plus a method, ... (rules.py).
    * `offline_classifier`: the built-in n-gram classifier (classifier.py); it refuses a text whose harm
      probability reaches its category's threshold (chosen in training, or `classifier_thresholds`) and
      flags it `needs_review` above the lower review threshold.
    * `text_classifier`: an optional hook run after the keyword lists; it refuses when it names a category
      with a score >= `text_classifier_threshold`.
    * Images are scored by the offline NSFW model; >= `nsfw_threshold` is refused, >= `nsfw_review_threshold`
      is allowed but flagged `needs_review`.
    * `require_image_classifier` / `require_text_classifier`: when the classifier is missing or fails,
      refuse ("unchecked") instead of allowing with a warning.
    * Guard models (`text_guard`, `image_guard`: objects from the models file's `guard` entries, attached by
      the generation service; see safety.guard) label content safe / controversial / unsafe. What a tier
      does per category follows `age_band` and `tier_overrides` (safety.tiers). A guard that fails or
      answers something unreadable leaves the offline layers' verdict standing, with a warning, unless
      `require_guard` is set ("unchecked"). `use_guard = False` keeps the models file's guards off.
    * `help_resources`: shown with the self-harm message (the organiser's or school's help lines).
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    nsfw_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    nsfw_review_threshold: float = Field(default=0.3, ge=0.0, le=1.0)
    require_image_classifier: bool = False
    nsfw_model_path: str | None = None  # an alternative Open-NSFW-compatible .onnx file

    categories: frozenset[str] = frozenset(CONTENT_CATEGORIES)
    extra_blocked_terms: tuple[str, ...] = ()
    allowed_terms: tuple[str, ...] = ()

    co_occurrence_rules: bool = True
    offline_classifier: bool = True
    classifier_thresholds: dict[str, float] = Field(default_factory=dict)  # category -> refuse at or above

    text_classifier: TextClassifier | None = Field(default=None, exclude=True)
    text_classifier_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    require_text_classifier: bool = False

    max_text_chars: int = Field(default=200_000, ge=1)

    age_band: AgeBand = "primary"
    tier_overrides: dict[str, dict[AgeBand, TierRule]] = Field(default_factory=dict)
    help_resources: tuple[HelpResource, ...] = ()
    use_guard: bool = True
    # SHA-256 of exact texts a teacher approved after the guard held them: held no more for this person.
    approved_sha256: tuple[str, ...] = ()
    require_guard: bool = False
    guard_stream_chars: int = Field(default=200, ge=20, le=20_000)  # streamed text is screened this often
    text_guard: Any = Field(default=None, exclude=True)
    image_guard: Any = Field(default=None, exclude=True)

    @field_validator("classifier_thresholds")
    @classmethod
    def _thresholds_in_range(cls, value: dict[str, float]) -> dict[str, float]:
        for category, threshold in value.items():
            if not 0.0 <= threshold <= 1.0:
                raise ValueError(f"classifier threshold for {category!r} must be between 0 and 1")
        return value

    @field_validator("extra_blocked_terms", "allowed_terms", mode="before")
    @classmethod
    def _split_text_block(cls, value: object) -> object:
        # A school admin may paste one term per line into a single text box.
        if isinstance(value, str):
            return tuple(line.strip() for line in value.splitlines() if line.strip())
        return value

    @field_validator("extra_blocked_terms", "allowed_terms")
    @classmethod
    def _drop_blank(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(term.strip() for term in value if term.strip())


DEFAULT_POLICY = SafetyPolicy()
