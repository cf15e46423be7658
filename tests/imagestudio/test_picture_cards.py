"""Picture cards: complete in the three languages, and drawn on the studio page as real buttons."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pytest
from django.test import Client

from aigc_contest.web.imagestudio.picture_cards import GROUPS, LANGUAGES, cards_for

CJK = re.compile(r"[\u3400-\u9fff]")


def test_four_groups_of_about_eight_cards_each_complete_in_three_languages() -> None:
    assert [group.key for group in GROUPS] == ["who", "doing", "where", "feeling"]
    keys = [card.key for group in GROUPS for card in group.cards]
    assert len(keys) == len(set(keys))
    for group in GROUPS:
        assert 6 <= len(group.cards) <= 10
        for card in group.cards:
            assert set(card.words) == set(LANGUAGES)
            assert all(word.strip() == word and word for word in card.words.values())
            assert not CJK.search(card.words["en"])
            assert CJK.search(card.words["zh-Hant"]) and CJK.search(card.words["zh-Hans"])
            # the picture is an emoji (a symbol the Noto Color Emoji font draws), not a letter or a file
            assert card.emoji and all(
                unicodedata.category(ch) in {"So", "Mn", "Cf", "Sk"} for ch in card.emoji
            )


def test_words_follow_the_page_language() -> None:
    for language, tag, cat in (
        ("zh-hk", "zh-Hant", "一隻貓"),
        ("zh-hans", "zh-Hans", "一只猫"),
        ("en-GB", "en", "a cat"),
    ):
        got_tag, groups = cards_for(language)
        assert got_tag == tag and groups[0].cards[0].word == cat
    simplified = {card.word for group in cards_for("zh-hans")[1] for card in group.cards}
    assert "一隻貓" not in simplified


@pytest.mark.django_db
def test_studio_page_shows_picture_cards_as_buttons_in_traditional_chinese(
    image_setup: Any, monkeypatch: Any
) -> None:
    from aigc_contest.web.imagestudio import views

    monkeypatch.setattr(views, "image_models", lambda: [("image-tiny", "image-tiny")])
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-HK")
    client.force_login(image_setup.student)
    html = client.get(f"/studio/image/entries/{image_setup.entry.pk}/").content.decode()
    buttons = re.findall(
        r'<button type="button" class="picture-card"[^>]*data-word="([^"]+)"[^>]*>'
        r'<span class="emoji" aria-hidden="true">[^<]+</span><span class="word">([^<]+)</span></button>',
        html,
    )
    assert len(buttons) == sum(len(group.cards) for group in GROUPS)
    assert ("一隻貓", "一隻貓") in buttons and ("在公園", "在公園") in buttons
    assert 'role="group" aria-labelledby="cards-who"' in html
    assert 'data-speak-from="id_prompt"' in html and 'id="speak-focus"' in html and 'id="voice-note"' in html
    assert "fonts.googleapis" not in html and "@font-face" not in html
