"""The small template novel a student starts from: five nodes, two endings, one per page language."""

from __future__ import annotations

from typing import Any

_TEXTS = {
    "en": {
        "title": "My adventure",
        "start": ("The beginning", "Write how your story begins. Who is here, and what do they want?"),
        "left": ("The left path", "Something surprising happens on the left path."),
        "right": ("The right path", "On the right path, your hero meets a new friend."),
        "happy": ("A happy ending", "Everything turns out well. Write how."),
        "surprise": ("A surprise ending", "Nobody expected this! Write the twist."),
        "go_left": "Take the left path",
        "go_right": "Take the right path",
        "go_on": "Keep going",
        "go_back": "Try the other way",
    },
    "zh-Hant": {
        "title": "我的冒險",
        "start": ("故事開始", "寫下故事怎樣開始。誰在這裏？他們想要甚麼？"),
        "left": ("左邊的路", "在左邊的路上，發生了一件意想不到的事。"),
        "right": ("右邊的路", "在右邊的路上，主角遇到一位新朋友。"),
        "happy": ("快樂的結局", "一切都圓滿解決了。寫下經過。"),
        "surprise": ("驚喜的結局", "誰也想不到！寫下這個轉折。"),
        "go_left": "走左邊的路",
        "go_right": "走右邊的路",
        "go_on": "繼續前進",
        "go_back": "試試另一條路",
    },
    "zh-Hans": {
        "title": "我的冒险",
        "start": ("故事开始", "写下故事怎样开始。谁在这里？他们想要什么？"),
        "left": ("左边的路", "在左边的路上，发生了一件意想不到的事。"),
        "right": ("右边的路", "在右边的路上，主角遇到一位新朋友。"),
        "happy": ("快乐的结局", "一切都圆满解决了。写下经过。"),
        "surprise": ("惊喜的结局", "谁也想不到！写下这个转折。"),
        "go_left": "走左边的路",
        "go_right": "走右边的路",
        "go_on": "继续前进",
        "go_back": "试试另一条路",
    },
}


def starter_novel(language: str, title: str = "") -> dict[str, Any]:
    """The template as novel JSON (validates with no defects)."""
    t = _TEXTS.get(language, _TEXTS["en"])

    def node(node_id: str, choices: list[tuple[str, str]], ending: str | None = None) -> dict[str, Any]:
        heading, text = t[node_id]
        data: dict[str, Any] = {
            "id": node_id,
            "title": heading,
            "text": text,
            "choices": [{"label": t[label], "target": target} for label, target in choices],
        }
        if ending:
            data["ending"] = ending
        return data

    return {
        "format": "aigc-contest/novel",
        "version": 1,
        "title": title or t["title"],
        "language": language if language in _TEXTS else "en",
        "start": "start",
        "nodes": [
            node("start", [("go_left", "left"), ("go_right", "right")]),
            node("left", [("go_on", "surprise"), ("go_back", "right")]),
            node("right", [("go_on", "happy")]),
            node("happy", [], "happy"),
            node("surprise", [], "surprise"),
        ],
    }
