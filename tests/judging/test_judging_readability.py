"""Readability against an age band: flags a text far above a primary band, not an age-appropriate one."""

from __future__ import annotations

import pytest

from aigc_contest.judging.signals import band_for_school_levels, readability

PRIMARY_EN = (
    "Tom has a red ball. He likes to play with it in the park. One day the ball rolls into the "
    "pond. A duck swims to the ball. The duck pushes it back to Tom. Tom is happy. He says thank "
    "you to the duck."
)
ACADEMIC_EN = (
    "Notwithstanding the epistemological ramifications inherent in contemporary phenomenological "
    "discourse, the juxtaposition of ostensibly incommensurable paradigms necessitates a meticulous "
    "reappraisal of the hermeneutic presuppositions that underpin methodological orthodoxy, "
    "particularly insofar as such presuppositions have historically circumscribed inquiry."
)
TEEN_EN = (
    "Our school started a recycling project last year. Every class collects paper and plastic, and "
    "a group of students weighs it each Friday. At first only a few people cared, but the numbers "
    "slowly improved once we shared them at assembly. Now the council wants to copy our idea in "
    "other schools, which makes us proud of what a small team can achieve."
)
PRIMARY_ZH = "小明有一只小狗。小狗很可爱。每天早上，小明和小狗一起去公园玩。他们在草地上跑来跑去。小狗喜欢追蝴蝶。小明笑了，小狗也很高兴。"
ACADEMIC_ZH = (
    "在量子色动力学的框架下，夸克禁闭与渐近自由这两种看似矛盾的现象，通过非阿贝尔规范场论中胶子自相互作用"
    "所导致的跑动耦合常数得到了统一而深刻的诠释，并由此衍生出一系列关于强子谱与手征对称性自发破缺的精妙推论。"
)


@pytest.mark.parametrize(("text", "language"), [(ACADEMIC_EN, "en"), (ACADEMIC_ZH, "zh")])
def test_text_far_above_a_primary_band_is_flagged(text, language):
    band = band_for_school_levels(["primary"])
    result = readability(text, band)
    assert result.language == language and result.flagged and result.advisory
    assert result.explanation.startswith("The text is far above what readers aged 9–11 usually read: ")
    assert result.explanation.count(".") <= 2 and result.explanation.endswith(".")


@pytest.mark.parametrize(
    ("text", "band"), [(PRIMARY_EN, "6-8"), (PRIMARY_ZH, "6-8"), (TEEN_EN, "15-18"), (TEEN_EN, "12-14")]
)
def test_age_appropriate_text_is_not_flagged(text, band):
    result = readability(text, band)
    assert not result.flagged
    assert result.explanation.startswith(f"The text suits readers aged {band.replace('-', '–')}")


def test_traditional_chinese_is_measured_like_simplified():
    from opencc import OpenCC

    simplified = readability(PRIMARY_ZH, "6-8")
    traditional = readability(OpenCC("s2t").convert(PRIMARY_ZH), "6-8")
    assert traditional.rare_share == simplified.rare_share and not traditional.flagged


def test_measures_and_short_text():
    result = readability(PRIMARY_EN, "6-8")
    assert result.length == 45 and result.sentences == 7
    assert result.mean_sentence_length == pytest.approx(45 / 7, abs=0.01)
    assert sum(result.frequency_bands.values()) == pytest.approx(1.0, abs=1e-3)
    short = readability("Notwithstanding epistemological ramifications.", "6-8")
    assert not short.flagged and "too short" in short.explanation
    with pytest.raises(ValueError, match="unknown age band"):
        readability(PRIMARY_EN, "3-5")  # type: ignore[arg-type]
    assert band_for_school_levels(["open"]) is None and band_for_school_levels(["secondary"]) == "15-18"
