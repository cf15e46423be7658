"""Picture cards for the image studio: a child builds a prompt by tapping pictures (who, doing what,
where, feeling), each a picture with a word in the page's language.

The pictures are emoji characters, drawn on the page with the Noto Color Emoji font (Debian's
fonts-noto-color-emoji, SIL Open Font License) installed on the child's computer or tablet: nothing is
fetched from the internet. Studio content, so the words live here in the three languages of the site
rather than in the translation catalogue (like examples.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from aigc_contest.safety.messages import canonical_language

LANGUAGES = ("en", "zh-Hant", "zh-Hans")


@dataclass(frozen=True)
class Card:
    key: str
    emoji: str
    words: dict[str, str]  # language -> the word added to the prompt

    def word(self, language: str) -> str:
        return self.words[language]


@dataclass(frozen=True)
class Group:
    key: str
    title: Promise  # translated heading of the group
    cards: tuple[Card, ...]


def _card(key: str, emoji: str, en: str, hant: str, hans: str) -> Card:
    return Card(key, emoji, {"en": en, "zh-Hant": hant, "zh-Hans": hans})


GROUPS: tuple[Group, ...] = (
    Group(
        "who",
        _("Who"),
        (
            _card("cat", "🐱", "a cat", "一隻貓", "一只猫"),
            _card("dog", "🐶", "a dog", "一隻狗", "一只狗"),
            _card("girl", "👧", "a girl", "一個女孩", "一个女孩"),
            _card("boy", "👦", "a boy", "一個男孩", "一个男孩"),
            _card("grandma", "👵", "grandma", "婆婆", "奶奶"),
            _card("robot", "🤖", "a robot", "一個機械人", "一个机器人"),
            _card("bird", "🐦", "a bird", "一隻小鳥", "一只小鸟"),
            _card("fish", "🐟", "a fish", "一條魚", "一条鱼"),
        ),
    ),
    Group(
        "doing",
        _("Doing what"),
        (
            _card("reading", "📖", "reading a book", "看書", "看书"),
            _card("eating", "🍦", "eating ice cream", "吃雪糕", "吃冰淇淋"),
            _card("playing-ball", "⚽", "playing football", "踢足球", "踢足球"),
            _card("singing", "🎤", "singing", "唱歌", "唱歌"),
            _card("painting", "🎨", "painting", "畫畫", "画画"),
            _card("sleeping", "😴", "sleeping", "睡覺", "睡觉"),
            _card("swimming", "🏊", "swimming", "游水", "游泳"),
            _card("dancing", "💃", "dancing", "跳舞", "跳舞"),
        ),
    ),
    Group(
        "where",
        _("Where"),
        (
            _card("park", "🌳", "in the park", "在公園", "在公园"),
            _card("beach", "🏖️", "at the beach", "在海灘", "在海滩"),
            _card("home", "🏠", "at home", "在家裏", "在家里"),
            _card("school", "🏫", "at school", "在學校", "在学校"),
            _card("space", "🚀", "in space", "在太空", "在太空"),
            _card("mountain", "⛰️", "on a mountain", "在山上", "在山上"),
            _card("city", "🏙️", "in the city", "在城市", "在城市"),
            _card("sea", "🌊", "under the sea", "在海底", "在海底"),
        ),
    ),
    Group(
        "feeling",
        _("Feeling"),
        (
            _card("happy", "😄", "happy", "開心", "开心"),
            _card("calm", "😌", "calm", "平靜", "平静"),
            _card("excited", "🤩", "excited", "興奮", "兴奋"),
            _card("sad", "😢", "sad", "傷心", "伤心"),
            _card("surprised", "😮", "surprised", "驚喜", "惊喜"),
            _card("sleepy", "🥱", "sleepy", "想睡", "想睡"),
            _card("brave", "💪", "brave", "勇敢", "勇敢"),
            _card("loving", "🥰", "loving", "充滿愛", "充满爱"),
        ),
    ),
)


@dataclass(frozen=True)
class ShownCard:
    key: str
    emoji: str
    word: str


@dataclass(frozen=True)
class ShownGroup:
    key: str
    title: str
    cards: tuple[ShownCard, ...]


def cards_for(language: str | None) -> tuple[str, tuple[ShownGroup, ...]]:
    """(BCP 47 tag of the words, the groups with each card's word) in the page's language."""
    tag = canonical_language(language)
    groups = tuple(
        ShownGroup(
            group.key, str(group.title), tuple(ShownCard(c.key, c.emoji, c.word(tag)) for c in group.cards)
        )
        for group in GROUPS
    )
    return tag, groups
