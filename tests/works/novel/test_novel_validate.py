"""Validator defects on crafted graphs, and random playthroughs."""

from __future__ import annotations

from novel_helpers import make_novel

from aigc_contest.works.novel import Limits, playthroughs, validate


def codes(novel, limits=None):
    return sorted((d.code, d.node) for d in validate(novel, limits))


def test_clean_novel_has_no_defects(gate_novel):
    assert validate(gate_novel) == []


def test_missing_target_and_missing_start():
    novel = make_novel([{"id": "a", "choices": [{"label": "go", "target": "nowhere"}, {"label": "x", "target": "b"}]},
                        {"id": "b", "ending": "happy"}, {"id": "c", "ending": "sad"}], start="a")  # fmt: skip
    defects = validate(novel)
    assert [(d.code, d.node) for d in defects if d.code == "missing-target"] == [("missing-target", "a")]
    assert "'nowhere'" in defects[0].message
    broken = make_novel([{"id": "a", "ending": "happy"}, {"id": "b", "ending": "sad"}], start="zz")
    assert codes(broken) == [("missing-start", None)]


def test_unreachable_dead_end_trap_and_too_few_endings():
    novel = make_novel([
        {"id": "a", "choices": [{"label": "1", "target": "loop1"}, {"label": "2", "target": "end"}, {"label": "3", "target": "stop"}]},
        {"id": "loop1", "choices": [{"label": "on", "target": "loop2"}]},
        {"id": "loop2", "choices": [{"label": "back", "target": "loop1"}]},
        {"id": "stop", "text": "nothing here"},
        {"id": "island", "ending": "sad"},
        {"id": "end", "ending": "happy"},
    ])  # fmt: skip
    assert codes(novel) == [
        ("dead-end", "stop"),
        ("trap", "loop1"),
        ("trap", "loop2"),
        ("unreachable", "island"),
    ]
    single = make_novel(
        [{"id": "a", "choices": [{"label": "x", "target": "b"}]}, {"id": "b", "ending": "happy"}]
    )
    assert codes(single) == [("too-few-endings", None)]


def test_read_before_set_follows_every_path():
    variables = {"key": {"type": "bool"}, "gold": {"type": "int"}, "ok": {"type": "bool", "initial": False}}
    novel = make_novel([
        {"id": "a", "choices": [{"label": "shop", "target": "shop", "sets": {"key": True}},
                                {"label": "road", "target": "road"}]},
        {"id": "shop", "choices": [{"label": "on", "target": "door", "sets": {"gold": 1}}]},
        {"id": "road", "choices": [{"label": "on", "target": "door", "sets": {"key": False, "gold": 2}}]},
        # key and gold are set on both ways in; ok has an initial value
        {"id": "door", "choices": [{"label": "open", "target": "win", "condition": "key and gold > 0 and not ok",
                                    "sets": {"gold": "+1"}},
                                   {"label": "wait", "target": "lobby"}]},
        {"id": "lobby", "choices": [{"label": "x", "target": "win", "condition": "gold > 1"},
                                    {"label": "y", "target": "lose"}]},
        {"id": "win", "ending": "happy"},
        {"id": "lose", "choices": [{"label": "retry", "target": "a", "condition": "not ok"}, {"label": "q", "target": "end"}]},
        {"id": "end", "ending": "sad"},
    ], variables=variables)  # fmt: skip
    assert validate(novel) == []
    # Now a back door into the lobby that skips the shop and the road: gold may be unset there.
    novel.nodes[0].choices.append(novel.nodes[3].choices[1].model_copy())
    defects = validate(novel)
    assert [(d.code, d.node) for d in defects] == [("read-before-set", "lobby")]
    assert "'gold'" in defects[0].message


def test_increment_of_unset_variable_is_a_read():
    novel = make_novel([{"id": "a", "choices": [{"label": "x", "target": "b", "sets": {"n": "+1"}},
                                                {"label": "y", "target": "c"}]},
                        {"id": "b", "ending": "happy"}, {"id": "c", "ending": "sad"}],
                       variables={"n": {"type": "int"}})  # fmt: skip
    assert codes(novel) == [("read-before-set", "a")]


def test_broken_conditions_and_sets():
    novel = make_novel([
        {"id": "a", "choices": [
            {"label": "1", "target": "b", "condition": "ghost > 1"},
            {"label": "2", "target": "b", "condition": "n >= "},
            {"label": "3", "target": "c", "condition": 'n == "x"'},
            {"label": "4", "target": "c", "sets": {"ghost": 1, "n": True}},
        ]},
        {"id": "b", "ending": "happy"}, {"id": "c", "ending": "sad"},
    ], variables={"n": {"type": "int", "initial": 0}})  # fmt: skip
    found = [(d.code, d.node) for d in validate(novel)]
    assert found == [("undeclared-variable", "a"), ("condition-syntax", "a"), ("condition-type", "a"),
                     ("undeclared-variable", "a"), ("bad-set", "a")]  # fmt: skip
    messages = [d.message for d in validate(novel)]
    assert "choice 2" in messages[1] and "column" in messages[1]


def test_length_limits_are_configurable(gate_novel):
    gate_novel.nodes[1].text = "x" * 50
    gate_novel.nodes[0].choices[0].label = "y" * 30
    gate_novel.nodes[2].title = "z" * 30
    assert validate(gate_novel) == []
    limits = Limits(max_text_chars=40, max_label_chars=20, max_title_chars=20)
    assert codes(gate_novel, limits) == [
        ("label-too-long", "a"),
        ("text-too-long", "garden"),
        ("title-too-long", "home"),
    ]


def test_playthroughs_respect_conditions_and_sets(gate_novel):
    report = playthroughs(gate_novel, runs=400, seed=3)
    assert report.runs == 400
    assert set(report.endings) == {"garden", "home"}
    assert sum(report.endings.values()) == 400
    assert report.endings["garden"] > 0 and report.endings["home"] > 0
    assert report.nodes_visited == 3 and report.choices_taken == 3
    # The gate needs two acts of courage: every run that reached the garden took "Be brave" at least twice.
    assert report.choice_taken[("a", 0)] >= 2 * report.endings["garden"]
    assert report.capped == 0 and report.stuck == {}
    # Seeded: the same seed gives the same report; another seed gives another.
    assert playthroughs(gate_novel, runs=400, seed=3) == report
    assert playthroughs(gate_novel, runs=400, seed=4).choice_taken != report.choice_taken


def test_playthroughs_report_stuck_capped_and_uncovered():
    novel = make_novel([
        {"id": "a", "choices": [{"label": "locked", "target": "b", "condition": "false"},
                                {"label": "spin", "target": "spin"}]},
        {"id": "spin", "choices": [{"label": "again", "target": "spin"}, {"label": "jam", "target": "jam"}]},
        {"id": "jam", "choices": [{"label": "never", "target": "b", "condition": "n > 0"}]},
        {"id": "b", "ending": "happy"}, {"id": "c", "ending": "sad"},
    ], variables={"n": {"type": "int", "initial": 0}})  # fmt: skip
    report = playthroughs(novel, runs=200, seed=1, max_steps=3)
    assert report.endings == {"b": 0, "c": 0}
    assert report.stuck.get("jam", 0) + report.capped == 200
    assert report.capped > 0 and report.stuck["jam"] > 0
    assert set(report.unvisited_nodes) == {"b", "c"}
    assert ("a", 0) in report.untaken_choices
    data = report.to_dict()
    assert data["node_coverage"] == {"visited": 3, "total": 5}


# ------------------------------------------------------------------- conditions that can never be true


def _gate(condition, *, train=None, initial=0):  # type: ignore[no-untyped-def]
    choices = [
        {"label": "Knock", "target": "hall", "condition": condition},
        {"label": "Leave", "target": "home"},
    ]
    if train is not None:
        choices.append({"label": "Train", "target": "a", "sets": {"courage": train}})
    return make_novel(
        [{"id": "a", "choices": choices}, {"id": "hall", "ending": "happy"}, {"id": "home", "ending": "sad"}],
        variables={"courage": {"type": "int", "initial": initial}},
    )


def test_a_condition_nothing_can_make_true_is_reported():
    defects = validate(_gate("courage >= 1"))
    assert [(d.code, d.node) for d in defects] == [("condition-never-true", "a")]
    assert "'Knock'" in defects[0].message and "'courage' is always 0" in defects[0].message


def test_a_condition_a_loop_can_make_true_is_not_reported():
    assert validate(_gate("courage >= 100", train="+1")) == []  # widened: the loop may raise it that far
    assert codes(_gate("courage < 0", train="+1")) == [("condition-never-true", "a")]  # but never lower
    assert codes(_gate("courage == 3", train=3)) == []
    assert codes(_gate("courage == 5", train=3)) == [("condition-never-true", "a")]


def test_impossible_true_false_and_string_conditions():
    variables = {"key": {"type": "bool", "initial": False}, "friend": {"type": "str", "initial": "nobody"}}
    novel = make_novel([
        {"id": "a", "choices": [{"label": "meet", "target": "b", "sets": {"friend": "Owl"}},
                                {"label": "door", "target": "end1", "condition": "key"},
                                {"label": "both", "target": "end1", "condition": "friend == \"Owl\" and key"}]},
        {"id": "b", "choices": [{"label": "owl", "target": "end1", "condition": "friend == \"Owl\""},
                                {"label": "cat", "target": "end2", "condition": "friend == \"Cat\" or key"},
                                {"label": "contradiction", "target": "end2", "condition": "friend != \"Owl\""}]},
        {"id": "end1", "ending": "happy"}, {"id": "end2", "ending": "sad"},
    ], variables=variables)  # fmt: skip
    found = [(d.node, d.message.split()[1]) for d in validate(novel) if d.code == "condition-never-true"]
    assert found == [("a", "2"), ("a", "3"), ("b", "2"), ("b", "3")]


def test_choices_behind_an_impossible_choice_are_not_reported_again():
    novel = make_novel([
        {"id": "a", "choices": [{"label": "x", "target": "b", "condition": "n > 0"}, {"label": "y", "target": "e1"}]},
        {"id": "b", "choices": [{"label": "z", "target": "e2", "condition": "n > 5"}]},
        {"id": "e1", "ending": "happy"}, {"id": "e2", "ending": "sad"},
    ], variables={"n": {"type": "int", "initial": 0}})  # fmt: skip
    assert codes(novel) == [("condition-never-true", "a")]


def test_variables_changed_by_passages_kept_as_written_are_not_judged():
    from aigc_contest.works.novel.model import TweeExtras

    novel = _gate("courage >= 1")
    novel.twee_extras = TweeExtras(
        special_passages=[{"name": "PassageDone", "tags": [], "text": "<<set $courage += 1>>"}]
    )
    assert validate(novel) == []
    novel.twee_extras = TweeExtras(special_passages=[{"name": "Story JavaScript", "tags": ["script"],
                                                      "text": "State.variables.courage = 5;"}])  # fmt: skip
    assert validate(novel) == []
