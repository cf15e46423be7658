"""Safety layer: screens prompts before generation and texts and images after it.

Layers (each configurable per deployment through SafetyPolicy): normalised keyword lists in English and
Chinese (Traditional is converted to Simplified), personal-data patterns, co-occurrence rules (an act plus
a target, rules.py), an offline n-gram text classifier that needs only numpy (classifier.py, rebuilt by
train.py), an optional text classifier hook, and an offline image NSFW classifier. A refusal is a SafetyVerdict with a reason a child can read.
"""

from aigc_contest.safety.image import check_image, ensure_image_safe
from aigc_contest.safety.messages import LANGUAGES
from aigc_contest.safety.policy import DEFAULT_POLICY, SafetyPolicy, TextClassifier
from aigc_contest.safety.text import check_text, ensure_text_safe
from aigc_contest.safety.verdict import (
    CONTENT_CATEGORIES,
    SafetyRefusal,
    SafetyVerdict,
    refusal_from_remote,
)

__all__ = [
    "CONTENT_CATEGORIES",
    "DEFAULT_POLICY",
    "LANGUAGES",
    "SafetyPolicy",
    "SafetyRefusal",
    "SafetyVerdict",
    "TextClassifier",
    "check_image",
    "check_text",
    "ensure_image_safe",
    "ensure_text_safe",
    "refusal_from_remote",
]
