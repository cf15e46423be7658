"""Age bands and what each guard tier does per category (refuse, hold for a teacher's review, or allow).

A guard model labels content safe, controversial or unsafe, with categories. What happens next depends
on the category and on the child's age band (primary is strictest); a school may override any cell.
Self-harm is never decided here: any self-harm signal takes the kind path (a supportive message, and the
school's safety contact is told privately), whatever the tier or the overrides say.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

AgeBand = Literal["primary", "junior_secondary", "senior_secondary", "adult"]
AGE_BANDS: tuple[AgeBand, ...] = ("primary", "junior_secondary", "senior_secondary", "adult")
Action = Literal["refuse", "review", "allow"]
Tier = Literal["safe", "controversial", "unsafe"]

# The categories the guard layer reports (ours; guard models' own labels are mapped onto these).
GUARD_CATEGORIES = ("sexual", "self_harm", "violence", "hate", "personal_data", "dangerous", "other")


class TierRule(BaseModel):
    """What a controversial and an unsafe verdict of one category do for one age band."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    controversial: Action = "review"
    unsafe: Action = "refuse"


def _rules(
    primary: tuple[Action, Action],
    junior: tuple[Action, Action],
    senior: tuple[Action, Action],
    adult: tuple[Action, Action],
) -> dict[str, TierRule]:
    bands = zip(AGE_BANDS, (primary, junior, senior, adult), strict=True)
    return {band: TierRule(controversial=c, unsafe=u) for band, (c, u) in bands}


# (controversial, unsafe) per band: primary, junior secondary, senior secondary, adult.
DEFAULT_TIER_RULES: dict[str, dict[str, TierRule]] = {
    "sexual": _rules(("refuse", "refuse"), ("refuse", "refuse"), ("review", "refuse"), ("review", "refuse")),
    "self_harm": _rules(
        ("refuse", "refuse"), ("refuse", "refuse"), ("refuse", "refuse"), ("refuse", "refuse")
    ),
    "violence": _rules(("review", "refuse"), ("review", "refuse"), ("allow", "refuse"), ("allow", "refuse")),
    "hate": _rules(("review", "refuse"), ("review", "refuse"), ("review", "refuse"), ("review", "refuse")),
    "personal_data": _rules(
        ("review", "refuse"), ("review", "refuse"), ("review", "refuse"), ("review", "refuse")
    ),
    "dangerous": _rules(
        ("review", "refuse"), ("review", "refuse"), ("review", "refuse"), ("allow", "refuse")
    ),
    "other": _rules(("review", "refuse"), ("review", "refuse"), ("review", "refuse"), ("allow", "review")),
}


def action_for(
    category: str, tier: Tier, band: AgeBand, overrides: dict[str, dict[AgeBand, TierRule]] | None = None
) -> Action:
    """The action for a guard verdict; an unknown category is treated like "other"."""
    if tier == "safe":
        return "allow"
    if category == "self_harm":
        return "refuse"  # the kind path, always
    key = category if category in DEFAULT_TIER_RULES else "other"
    rule = (overrides or {}).get(key, {}).get(band) or DEFAULT_TIER_RULES[key][band]
    return rule.controversial if tier == "controversial" else rule.unsafe


_PRIMARY_GRADE = re.compile(r"^(?:p|primary|g(?:rade)?|y(?:ear)?)\s*([1-6])$")
_SECONDARY_GRADE = re.compile(r"^(?:s|f|form|secondary)\s*([1-6])$")
_CHINESE_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6}


def school_year(grade: str | None) -> tuple[str, int] | None:
    """("primary" | "secondary", year 1–6) from a grade as schools write it: "P4", "S2", "F5", "Grade 3",
    "小四", "中二", "初二" (secondary 1–3), "高一" (secondary 4–6); None when it says neither."""
    text = (grade or "").strip().lower().replace("-", "").replace(".", "")
    if match := _PRIMARY_GRADE.match(text):
        return "primary", int(match.group(1))
    if match := _SECONDARY_GRADE.match(text):
        return "secondary", int(match.group(1))
    if len(text) == 2 and text[1] in _CHINESE_NUMBERS:
        number = _CHINESE_NUMBERS[text[1]]
        if text[0] == "小":
            return "primary", number
        if text[0] == "初" and number <= 3:
            return "secondary", number
        if text[0] == "高" and number <= 3:
            return "secondary", number + 3
        if text[0] == "中":
            return "secondary", number
    return None


def age_band_for(grade: str | None, school_level: str | None = None, *, is_adult: bool = False) -> AgeBand:
    """A child's band from what the platform knows: the grade ("P4", "S2", "F5", "小四", "中二", "初二",
    "高一"), else the school's level. Unknown means the stricter band: primary, or junior secondary at a
    secondary school; special-needs schools use the primary band."""
    if is_adult:
        return "adult"
    year = school_year(grade)
    if year is not None:
        stage, number = year
        if stage == "primary":
            return "primary"
        return "junior_secondary" if number <= 3 else "senior_secondary"
    if school_level == "secondary":
        return "junior_secondary"
    if school_level == "open":
        return "senior_secondary"
    return "primary"
