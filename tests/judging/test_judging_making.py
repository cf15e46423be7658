"""How a work was made: counts, models, prompt revisions, rewrites against the AI's draft."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aigc_contest.judging.signals.making import (
    Generation,
    PartText,
    change_share,
    edit_distance,
    making_timeline,
)

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def test_edit_distance_and_change_share() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3
    assert change_share("小貓去旅行", "小貓去旅行") == 0.0
    assert change_share("abc", "xyz") == 1.0
    assert 0 < change_share("小貓去海邊旅行", "小狗去海邊旅行") < 0.2


def test_timeline_counts_models_candidates_prompts_and_rewrites() -> None:
    generations = [
        Generation("text", "the story", "a cat who flies", "qwen-1.5b", at=T0),
        Generation("picture", "page 1", "a cat on a roof", "sd-turbo", at=T0 + timedelta(minutes=1)),
        Generation(
            "picture", "page 1", "a cat on a red roof at night", "sd-turbo", at=T0 + timedelta(minutes=2)
        ),
        Generation(
            "picture",
            "page 1",
            "a cat on a red roof at night",
            "sd-turbo",
            ("my-cat-lora",),
            at=T0 + timedelta(minutes=3),
            kept=True,
        ),
        Generation("picture", "page 2", "the cat lands", "sd-turbo", at=T0 + timedelta(minutes=4), kept=True),
    ]
    texts = [
        PartText("page 1", "The cat flew over the town.", "The cat flew over the town."),
        PartText("page 2", "The cat landed softly.", "Mimi crashed into the baker's flour sacks!"),
        PartText("page 3", "", "We wrote this page ourselves."),
    ]
    timeline = making_timeline(generations, texts)
    assert timeline.texts_generated == 1 and timeline.pictures_generated == 4
    assert timeline.models == {"sd-turbo": 4, "qwen-1.5b": 1}
    assert timeline.loras == {"my-cat-lora": 1}
    assert timeline.pictures_kept == {"page 1": (1, 3), "page 2": (1, 1)}
    page_one = [s for s in timeline.prompt_steps if s.target == "page 1"]
    assert [s.prompt for s in page_one] == ["a cat on a roof", "a cat on a red roof at night"]
    assert page_one[0].change == 0 and page_one[1].change > 0.3
    assert [r.target for r in timeline.rewritten_parts] == ["page 2", "page 3"]
    assert timeline.first_at == T0 and timeline.last_at == T0 + timedelta(minutes=4)
    sentences = timeline.sentences()
    assert sentences[0] == "Generated 1 text and 4 pictures with sd-turbo, qwen-1.5b."
    assert "Kept 2 of 4 candidate pictures across 2 parts." in sentences
    assert any(s.startswith("Rewrote 2 of 3 texts") for s in sentences)
    assert "Revised prompts 1 times over 1 part." in sentences


def test_no_history_says_so() -> None:
    assert making_timeline([]).sentences() == [
        "The studio holds no generation history for this work (it may have been uploaded)."
    ]
