"""Near-duplicate texts: Traditional/Simplified copies, light paraphrases, unrelated texts."""

from __future__ import annotations

from opencc import OpenCC

from aigc_contest.judging.signals import Works, near_duplicates
from aigc_contest.judging.signals.text_duplicates import TextIndex, text_cross_pairs, text_self_pairs
from aigc_contest.judging.signals.textnorm import matching_form

STORY_ZH = (
    "从前有一座高高的山，山上住着一只聪明的小狐狸。每天清晨，它都会跑到山下的小河边喝水，"
    "和河里的鱼儿聊天。有一天，河水突然变得浑浊，鱼儿们都生病了。小狐狸决定沿着河流向上游走，"
    "去找出河水变脏的原因。它走了三天三夜，终于发现有人在河边倒垃圾。"
)
STORY_EN = (
    "Every morning the old lighthouse keeper climbed the narrow stairs to polish the great lamp. "
    "He talked to the seagulls as if they were his friends, and they seemed to listen. One stormy "
    "night a small fishing boat lost its way among the rocks, and the keeper lit every lamp he had "
    "so the sailors could find the harbour before the waves grew too high."
)
PARAPHRASE_EN = (
    "Every morning the old lighthouse keeper climbed the steep stairs to polish the huge lamp. "
    "He talked to the seagulls as if they were his friends, and they seemed to listen! One "
    "stormy night a little fishing boat lost its way among the rocks, and the keeper lit every "
    "lamp he had so the sailors could reach the harbour before the waves grew too high."
)
OTHER = [
    "The school garden grows tomatoes, beans and sunflowers, and the children water them after lunch.",
    "我们班的同学最喜欢上科学课，因为老师总是带着我们做各种有趣的实验，比如让鸡蛋浮在水面上。",
    "Trains leave the central station every ten minutes, and the last one departs shortly before midnight.",
    "春天来了，公园里的桃花开得正艳，许多家长带着孩子来放风筝，草地上充满了欢声笑语。",
]


def test_traditional_copy_of_a_chinese_text_is_found():
    traditional = OpenCC("s2t").convert(STORY_ZH)
    assert traditional != STORY_ZH
    works = Works.build(
        texts={
            "simplified.txt": STORY_ZH,
            "traditional.txt": traditional,
            **{f"other{i}.txt": t for i, t in enumerate(OTHER)},
        }
    )
    pairs = near_duplicates(works)
    assert [(p.a, p.b, p.kind) for p in pairs] == [("simplified.txt", "traditional.txt", "text")]
    assert pairs[0].similarity >= 0.9
    assert "Traditional and the other in Simplified" in pairs[0].explanation
    assert "three-character sequences" in pairs[0].explanation


def test_light_english_paraphrase_is_found_and_unrelated_texts_are_not():
    index = TextIndex.build([STORY_EN, *OTHER, PARAPHRASE_EN])
    pairs = text_self_pairs(index)
    assert [(int(a), int(b)) for a, b in zip(pairs.a, pairs.b, strict=True)] == [(0, len(OTHER) + 1)]
    assert 0.5 <= pairs.similarity[0] < 1
    assert pairs.explanation(0).startswith(
        "The texts share "
    ) and "three-word sequences" in pairs.explanation(0)


def test_matching_form_tokens():
    assert matching_form("我們的「學校」，Hello_World!!\n ＡＢＣ") == "我 们 的 学 校 hello world abc"


def test_past_edition_texts_and_empty_texts():
    current = TextIndex.build(["", PARAPHRASE_EN, "  ...  "])
    past = TextIndex.build([STORY_EN, "", *OTHER])
    pairs = text_cross_pairs(current, past)
    assert [(int(a), int(b)) for a, b in zip(pairs.a, pairs.b, strict=True)] == [(1, 0)]
    assert len(text_self_pairs(TextIndex.build(["", "", "!!"]))) == 0
