"""Playable HTML, Twine 2 archive HTML and ink exports: escaping, structure, round trips."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest
from novel_helpers import make_novel

from aigc_contest.works.novel import Illustration, validate
from aigc_contest.works.novel.html_player import PLAYER_JS, folder_assets, write_html
from aigc_contest.works.novel.ink import write_ink
from aigc_contest.works.novel.twine import story_format
from aigc_contest.works.novel.twine_html import read_twine_html, write_twine_html

ATTACKS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</tw-passagedata><script>x()</script>",
]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture
def evil_novel():
    return make_novel(
        [{"id": "a", "title": ATTACKS[1], "text": ATTACKS[0] + "\n\n" + ATTACKS[2],
          "choices": [{"label": ATTACKS[1], "target": "b"}, {"label": "ok", "target": "c"}]},
         {"id": "b", "text": ATTACKS[2], "ending": "happy", "illustration": {"asset": "pic.png", "alt": ATTACKS[1]}},
         {"id": "c", "text": "</script>", "ending": "sad"}],
        title=ATTACKS[0], author=ATTACKS[1],
    )  # fmt: skip


def test_playable_html_escapes_every_story_string(evil_novel, tmp_path):
    (tmp_path / "pic.png").write_bytes(PNG)
    page = write_html(evil_novel, folder_assets(tmp_path))
    for attack in ATTACKS:
        assert attack not in page
    assert "<img" not in page  # the byline and title are HTML-escaped; the story is JSON with \\u003c
    assert page.count("<script") == 2  # the JSON data and the player, nothing else
    data_text = re.search(
        r'<script type="application/json" id="story-data">(.*?)</script>', page, re.S
    ).group(1)
    assert "<" not in data_text and ">" not in data_text
    data = json.loads(data_text)
    assert data["nodes"][0]["text"].startswith(ATTACKS[0])
    assert data["nodes"][1]["image"]["src"] == "data:image/png;base64," + base64.b64encode(PNG).decode()
    digest = base64.b64encode(hashlib.sha256(PLAYER_JS.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page and "default-src 'none'" in page
    assert "textContent" in PLAYER_JS and "innerHTML" not in PLAYER_JS


def test_playable_html_carries_state_and_conditions(gate_novel):
    gate_novel.language = "zh-Hant"
    page = write_html(gate_novel)
    data = json.loads(re.search(r'id="story-data">(.*?)</script>', page, re.S).group(1))
    assert '<html lang="zh-Hant">' in page and data["labels"]["back"] == "返回"
    assert data["variables"] == [{"name": "courage", "initial": 0}, {"name": "name", "initial": ""}]
    gate = data["nodes"][0]["choices"]
    assert gate[0]["sets"] == [["courage", "add", 1]]
    assert gate[1]["condition"] == ["cmp", ">=", ["var", "courage"], ["lit", 2]]
    assert 'id="back"' in page


def test_assets_outside_the_folder_are_not_read(tmp_path):
    (tmp_path / "inner").mkdir()
    (tmp_path / "secret.png").write_bytes(PNG)
    novel = make_novel([{"id": "a", "ending": "happy", "illustration": Illustration(asset="../secret.png").model_dump()},
                        {"id": "b", "ending": "sad"}])  # fmt: skip
    notes = []
    page = write_html(novel, folder_assets(tmp_path / "inner"), notes)
    assert "base64" not in page.split("story-data")[1].split("</script>")[0]
    assert notes and "could not be inlined" in notes[0]


@pytest.mark.parametrize("fmt", ["harlowe", "sugarcube"])
def test_twine_archive_escapes_markup_and_round_trips(evil_novel, gate_novel, fmt):
    archive = write_twine_html(evil_novel, story_format(fmt))
    for attack in ATTACKS:
        assert attack not in archive
    assert archive.count("<tw-passagedata") == 3 and archive.count("</tw-passagedata>") == 3
    story = re.search(r"<tw-storydata ([^>]*)>", archive).group(1)
    for attribute in (
        "name=",
        "startnode=",
        "creator=",
        "creator-version=",
        "ifid=",
        "format=",
        "format-version=",
        "options=",
        "hidden",
    ):
        assert attribute in story
    again, _ = read_twine_html(archive)
    assert [(n.id, n.text, n.ending) for n in again.nodes] == [
        (n.id, n.text, n.ending) for n in evil_novel.nodes
    ]
    assert again.title == evil_novel.title
    gate_again, _ = read_twine_html(write_twine_html(gate_novel, story_format(fmt)))
    assert [c.model_dump() for n in gate_again.nodes for c in n.choices] == [
        c.model_dump() for n in gate_novel.nodes for c in n.choices
    ]
    assert validate(gate_again) == []


def test_twine_archive_keeps_script_and_stylesheet():
    from novel_helpers import DATA

    from aigc_contest.works.novel.convert import read_twee

    novel, _ = read_twee((DATA / "harlowe_lantern.twee").read_text(encoding="utf-8"))
    archive = write_twine_html(novel, story_format("harlowe"))
    assert 'type="text/twine-javascript">window.lanternStory = true;</script>' in archive
    assert "tw-story { font-family: Georgia, serif; }</style>" in archive
    again, _ = read_twine_html(archive)
    assert [n.id for n in again.nodes] == [n.id for n in novel.nodes]


def test_ink_source(gate_novel):
    gate_novel.nodes[0].text = "Use {braces} and // slashes\n* not a choice"
    ink = write_ink(gate_novel)
    assert "VAR courage = 0" in ink and 'VAR name = ""' in ink
    assert "-> a\n" in ink and "=== a ===" in ink and "=== garden ===" in ink
    assert "+ {courage >= 2} [Open the gate]" in ink  # node a loops on itself: sticky choices
    assert "~ courage = courage + 1" in ink and '~ name = "Mei"' in ink
    assert "\\{braces\\}" in ink and "\\// slashes" in ink and "\n\\* not a choice" in ink
    assert ink.count("-> END") == 2


def test_ink_knot_names_are_identifiers():
    novel = make_novel([{"id": "1 start!", "choices": [{"label": "go", "target": "END"}, {"label": "x", "target": "b"}]},
                        {"id": "END", "ending": "happy"}, {"id": "b", "ending": "sad"}], start="1 start!")  # fmt: skip
    ink = write_ink(novel)
    knots = re.findall(r"^=== (\S+) ===$", ink, re.M)
    assert len(knots) == 3 and all(re.fullmatch(r"[A-Za-z_]\w*", k) for k in knots)
    assert "END" not in knots
