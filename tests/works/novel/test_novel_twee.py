"""Twee 3: the passage layer, Harlowe/SugarCube import and export, round trips and a fuzzed parser."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from novel_helpers import DATA, make_novel

from aigc_contest.works.novel import validate
from aigc_contest.works.novel.convert import read_twee, write_twee
from aigc_contest.works.novel.storyformat import find_links
from aigc_contest.works.novel.twee import Passage, TweeSyntaxError, format_twee, parse_twee

UUID4 = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}\Z")


def test_headers_with_escapes_tags_and_metadata():
    source = ':: A \\[weird\\] \\{name\\} \\\\ [tag1  tag2] {"position":"10,20","size":"100,200"}\nHello\n\\:: not a header\n\n\n'
    (passage,) = parse_twee(source)
    assert passage.name == "A [weird] {name} \\"
    assert passage.tags == ["tag1", "tag2"]
    assert passage.metadata == {"position": "10,20", "size": "100,200"}
    assert passage.text == "Hello\n:: not a header"
    again = parse_twee(format_twee([passage]))[0]
    assert (again.name, again.tags, again.metadata, again.text) == (
        passage.name,
        passage.tags,
        passage.metadata,
        passage.text,
    )


def test_all_four_link_forms():
    text = "[[Target]] [[Text|T2]] [[Go->T3]] [[T4<-Back]] [[a->b->c]] [[x<-y<-z]]"
    assert find_links(text) == [("Target", "Target"), ("Text", "T2"), ("Go", "T3"), ("Back", "T4"),
                                ("a->b", "c"), ("y<-z", "x")]  # fmt: skip


@pytest.mark.parametrize(
    ("source", "line", "fragment"),
    [
        ("hello\n:: A\n", 1, "before the first passage"),
        ("", 1, "no passages"),
        (":: A\nx\n:: A\ny", 3, "used twice (first on line 1)"),
        (":: A [t\n", 1, "not closed"),
        (':: A {"position": }\n', 1, "not a valid JSON object"),
        (":: A [t] [u]\n", 1, "unexpected"),
        (":: Bad]name\n", 1, "unescaped"),
        (":: \n", 1, "needs a name"),
        (":: StoryData\n{oops\n:: A\nx", 1, "StoryData is not valid JSON"),
        (":: A\\", 1, "lone backslash"),
    ],
)
def test_syntax_errors_have_line_numbers(source, line, fragment):
    with pytest.raises(TweeSyntaxError) as info:
        read_twee(source)
    assert info.value.line == line
    assert fragment in str(info.value)
    assert str(info.value).startswith(f"line {line}:")


def _passage_summary(source):
    return {p.name: (p.tags, sorted(find_links(p.text)), p.text) for p in parse_twee(source)}


@pytest.mark.parametrize("name", ["harlowe_lantern.twee", "sugarcube_ship.twee"])
def test_hand_written_stories_import_validate_and_export_intact(name):
    source = (DATA / name).read_text(encoding="utf-8")
    novel, notes = read_twee(source)
    # The lantern story has a real mistake: waving at the owl raises courage but leads away from the oak,
    # so "Climb the oak" (courage >= 1) can never be chosen.
    expected = [("condition-never-true", "Old Oak")] if name == "harlowe_lantern.twee" else []
    assert [(d.code, d.node) for d in validate(novel)] == expected
    assert notes  # macros the model cannot express are reported
    exported = write_twee(novel)
    before, after = _passage_summary(source), _passage_summary(exported)
    # every passage, its tags, links and text survive (metadata may gain defaults; StoryData is rewritten)
    for passage_name, (tags, links, text) in before.items():
        assert passage_name in after
        assert after[passage_name][0] == tags
        assert after[passage_name][1] == links
        if passage_name != "StoryData":
            assert after[passage_name][2] == text
    original_data = json.loads(parse_twee(source)[1].text)
    new_data = json.loads(next(p.text for p in parse_twee(exported) if p.name == "StoryData"))
    assert new_data == original_data
    # and once more through the model changes nothing
    assert write_twee(read_twee(exported)[0]) == exported


def test_harlowe_import_reads_choices_conditions_and_sets():
    novel, notes = read_twee((DATA / "harlowe_lantern.twee").read_text(encoding="utf-8"))
    assert novel.title == "The Lantern in the Woods" and novel.start == "Edge of the Woods"
    assert novel.variables["courage"].initial == 0 and novel.variables["friend"].type == "str"
    oak = novel.node("Old Oak")
    assert [(c.label, c.target, c.condition, c.sets) for c in oak.choices] == [
        ("Wave at the owl", "Clearing[1]", None, {"courage": "+1", "friend": "Owl"}),
        ("Climb the oak", "Treetop", "courage >= 1", {}),
        ("Edge of the Woods", "Edge of the Woods", None, {}),
    ]
    assert oak.raw is None
    edge = novel.node("Edge of the Woods")
    assert [(c.label, c.target) for c in edge.choices] == [
        ("Walk in", "Old Oak"),
        ("Look around", "Clearing[1]"),
        ("Go home", "Home"),
    ]
    assert edge.tags == ["intro"]
    assert novel.node("Treetop").ending == "happy" and novel.node("Home").ending == "neutral"
    clearing = novel.node("Clearing[1]")
    assert clearing.raw is not None and "(set:" not in clearing.text
    assert any("Clearing[1]" in note for note in notes)
    kept = {p["name"]: p for p in novel.twee_extras.special_passages}
    assert set(kept) == {"Story Stylesheet", "Story JavaScript", "Setup"}
    assert novel.twee_extras.story_data == {"tag-colors": {"scary": "red"}, "zoom": 1}


def test_sugarcube_import_reads_setter_links_and_if():
    novel, _ = read_twee((DATA / "sugarcube_ship.twee").read_text(encoding="utf-8"))
    harbour = novel.node("Harbour")
    assert harbour.choices[1].sets == {"coins": "-1", "map": True}
    deck = novel.node("Deck")
    assert [c.condition for c in deck.choices] == ["map == true", "not map"]
    market = novel.node("Market")
    assert market.choices[0].condition == "coins >= 1"
    assert {p["name"] for p in novel.twee_extras.special_passages} == {
        "StoryInit",
        "StoryCaption",
        "Story JavaScript",
        "Widgets",
    }
    assert [(c.label, c.target) for c in novel.node("Shore").choices] == [("Harbour", "Harbour")]


def test_export_story_data_and_format_macros(gate_novel):
    harlowe = write_twee(gate_novel)
    passages = {p.name: p for p in parse_twee(harlowe)}
    data = json.loads(passages["StoryData"].text)
    assert UUID4.match(data["ifid"])
    assert (data["format"], data["format-version"], data["start"]) == ("Harlowe", "3.3.9", "a")
    assert passages["a"].metadata["size"] == "100,100" and "," in passages["a"].metadata["position"]
    assert '(if: $courage >= 2)[(link: "Open the gate")[(set: $name to "Mei")(go-to: "garden")]]' in harlowe
    assert "(set: $courage to it + 1)" in harlowe
    assert "startup" in passages["Startup"].tags and "(set: $courage to 0)" in passages["Startup"].text
    sugar = write_twee(gate_novel, "sugarcube")
    assert '<<if $courage >= 2>>[[Open the gate|garden][$name to "Mei"]]<</if>>' in sugar
    assert "[[Be brave|a][$courage += 1]]" in sugar and "<<set $courage to 0>>" in sugar
    assert json.loads(parse_twee(sugar)[1].text)["format"] == "SugarCube"


def _strip_layout(novel):
    data = novel.model_dump(exclude={"twee_extras"})
    for node in data["nodes"]:
        node.pop("metadata")
    return data


labels = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=12
)
prose = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]) | st.sampled_from("\n[]<>$`\"'"),
    max_size=40,
)


@settings(max_examples=60, deadline=2000)
@given(
    ids=st.lists(
        labels.map(str.strip).filter(lambda s: s and "\n" not in s), min_size=2, max_size=5, unique=True
    ),
    texts=st.lists(prose, min_size=5, max_size=5),
    choice_labels=st.lists(labels, min_size=6, max_size=6),
    fmt=st.sampled_from(["harlowe", "sugarcube"]),
    data=st.data(),
)
def test_model_to_twee_to_model_round_trip(ids, texts, choice_labels, fmt, data):
    nodes = []
    for i, node_id in enumerate(ids):
        text = texts[i].strip()
        if i >= len(ids) - 2:
            nodes.append({"id": node_id, "text": text, "ending": "sad" if i % 2 else "happy"})
            continue
        choices = []
        for k in range(data.draw(st.integers(1, 3))):
            choice = {"label": choice_labels[k], "target": data.draw(st.sampled_from(ids))}
            if data.draw(st.booleans()):
                choice["condition"] = data.draw(
                    st.sampled_from(["n >= 2", 'not flag or who == "a\\"b"', "n - 1 != 0"])
                )
            if data.draw(st.booleans()):
                choice["sets"] = data.draw(
                    st.sampled_from([{"n": "+1"}, {"flag": True, "who": "x)y"}, {"n": -3}])
                )
            choices.append(choice)
        nodes.append(
            {
                "id": node_id,
                "text": text,
                "choices": choices,
                "tags": ["t1"] if i % 2 else [],
                "title": choice_labels[i] if i % 3 else "",
            }
        )
    variables = {"n": {"type": "int", "initial": 0}, "flag": {"type": "bool", "initial": False},
                 "who": {"type": "str", "initial": ""}}  # fmt: skip
    novel = make_novel(nodes, start=ids[0], variables=variables, title="Round trip")
    source = write_twee(novel, fmt)
    again, _ = read_twee(source)
    assert _strip_layout(again) == _strip_layout(novel)
    assert write_twee(again, fmt) == source


fuzz_text = st.lists(
    st.sampled_from(
        [*':[]{}\\|<>-\n "$(tA1', "::", ":: ", "[[", "]]", "->", "<-", "StoryData", "StoryTitle", "\n::"]
    ),
    max_size=80,
).map("".join)


@settings(max_examples=300, deadline=1000)
@given(fuzz_text)
def test_fuzzed_twee_gives_a_novel_or_a_clear_error(source):
    try:
        novel, notes = read_twee(source)
    except TweeSyntaxError as exc:
        assert exc.line >= 1 and str(exc).startswith("line ")
        return
    assert novel.nodes and isinstance(notes, list)
    write_twee(novel)  # whatever was read can be written back
    validate(novel)


@settings(max_examples=150, deadline=1000)
@given(st.text(max_size=300))
def test_fuzzed_unicode_twee(source):
    try:
        read_twee(":: Start\n" + source)
    except TweeSyntaxError as exc:
        assert exc.line >= 1


def test_passage_names_that_need_escaping_round_trip():
    passages = [
        Passage("StoryTitle", text="x"),
        Passage("A [b] {c} \\ d", ["t"], {}, "[[A \\[b\\]->A [b] {c} \\ d]]"),
    ]
    assert [(p.name, p.text) for p in parse_twee(format_twee(passages))] == [
        (p.name, p.text) for p in passages
    ]


@pytest.mark.parametrize("archive", [False, True], ids=["twee", "twine-archive"])
def test_node_titles_survive_export_and_import(archive):
    from aigc_contest.works.novel.twine import story_format
    from aigc_contest.works.novel.twine_html import read_twine_html, write_twine_html

    novel = make_novel([
        {"id": "gate", "title": "The \"Old\" Gate <at dusk>", "text": "A gate.", "choices": [{"label": "in", "target": "hall"}]},
        {"id": "hall", "title": "大廳", "text": "Warm.", "ending": "happy",
         "metadata": {"position": "300,100", "size": "100,100"}},
        {"id": "yard", "text": "No title here.", "ending": "sad"},
    ], start="gate")  # fmt: skip
    if archive:
        again, _ = read_twine_html(write_twine_html(novel, story_format("harlowe")))
    else:
        again, _ = read_twee(write_twee(novel))
    assert [(n.id, n.title) for n in again.nodes] == [
        ("gate", 'The "Old" Gate <at dusk>'),
        ("hall", "大廳"),
        ("yard", ""),
    ]
    assert again.nodes[1].metadata == {
        "position": "300,100",
        "size": "100,100",
    }  # the title is not left in it
