"""The novel model, its JSON form, and the condition language."""

from __future__ import annotations

import json

import pytest
from novel_helpers import make_novel

from aigc_contest.works.novel import ConditionError, Illustration, Novel, NovelFormatError, parse_condition
from aigc_contest.works.novel.conditions import (
    check_types,
    compile_condition,
    parse_set,
    to_source,
    variables_read,
)


def test_json_round_trip_keeps_everything(gate_novel):
    gate_novel.nodes[0].illustration = Illustration(
        asset="gate.png",
        data_uri="data:image/png;base64,iVBORw0KGgo=",
        provenance={"model": "sd-turbo", "seed": 3},
    )
    gate_novel.language = "zh-Hant"
    text = gate_novel.to_json()
    data = json.loads(text)
    assert data["format"] == "aigc-contest/novel" and data["version"] == 1
    again = Novel.from_json(text)
    assert again == gate_novel
    assert again.to_json() == text


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ("not json", "not JSON"),
        ('{"format": "other", "version": 1}', '"format" must be'),
        ('{"format": "aigc-contest/novel", "version": 9}', "unsupported novel version 9"),
        ('["a"]', "JSON object"),
    ],
)
def test_bad_files_are_named_clearly(payload, fragment):
    with pytest.raises(NovelFormatError, match=fragment.replace("(", r"\(")):
        Novel.from_json(payload)


@pytest.mark.parametrize(
    ("variables", "nodes", "fragment"),
    [
        ({}, [{"id": "a"}, {"id": "a"}], "node id 'a' is used twice"),
        ({"x": {"type": "int", "initial": "no"}}, [{"id": "a"}], "initial value 'no' is not a int"),
        ({"not": {"type": "bool"}}, [{"id": "a"}], "not a keyword"),
        ({}, [{"id": "a", "ending": "weird"}], "nodes.0.ending"),
        ({}, [{"id": " a"}], "without surrounding spaces"),
    ],
)
def test_invalid_models_list_each_problem(variables, nodes, fragment):
    data = {
        "format": "aigc-contest/novel",
        "version": 1,
        "start": "a",
        "variables": variables,
        "nodes": nodes,
    }
    with pytest.raises(NovelFormatError) as info:
        Novel.from_data(data)
    assert fragment in "\n".join(info.value.details)


def test_illustration_only_takes_raster_data_uris():
    with pytest.raises(NovelFormatError):
        Novel.from_data({"format": "aigc-contest/novel", "version": 1, "start": "a",
                         "nodes": [{"id": "a", "illustration": {"data_uri": "data:text/html;base64,PHNjcmlwdD4="}}]})  # fmt: skip


@pytest.mark.parametrize(
    ("source", "state", "expected"),
    [
        ("courage >= 2 and not has_key", {"courage": 2, "has_key": False, "name": ""}, True),
        ("courage >= 2 and not has_key", {"courage": 2, "has_key": True, "name": ""}, False),
        ('name == "Mei"', {"courage": 0, "has_key": False, "name": "Mei"}, True),
        ('name != "Mei" or courage - 1 > 0', {"courage": 2, "has_key": False, "name": "Mei"}, True),
        ("(courage + 1) * 2", None, None),  # '*' is not in the language
        ("not (has_key or courage < -1)", {"courage": 0, "has_key": False, "name": ""}, True),
        ('name == "say \\"hi\\""', {"courage": 0, "has_key": False, "name": 'say "hi"'}, True),
    ],
)
def test_conditions_evaluate(source, state, expected):
    types = {"courage": "int", "has_key": "bool", "name": "str"}
    if state is None:
        with pytest.raises(ConditionError):
            parse_condition(source)
        return
    tree = parse_condition(source)
    assert check_types(tree, types) == "bool"
    order = list(types)
    assert compile_condition(tree, {n: i for i, n in enumerate(order)})([state[n] for n in order]) is expected
    assert parse_condition(to_source(tree)) == tree


@pytest.mark.parametrize(
    ("source", "column", "fragment"),
    [
        ("courage >=", 11, "ends too early"),
        ("courage && x", 9, 'write "and"'),
        ("a == 'b'", 6, "double quotes"),
        ("a = 1", 3, 'compare with "=="'),
        ('name == "open', 9, "unterminated string"),
        ("(a or b", 8, "missing ')'"),
        ("1 < a < 3", 7, "cannot be chained"),
        ("", 0, "empty"),
    ],
)
def test_condition_syntax_errors_point_at_the_column(source, column, fragment):
    with pytest.raises(ConditionError) as info:
        parse_condition(source)
    assert info.value.column == column
    assert fragment in str(info.value)


def test_condition_type_errors():
    types = {"n": "int", "s": "str", "b": "bool"}
    for source, fragment in [("n == s", "compares a number with a string"), ("b < b", "cannot order"),
                             ("s + 1 > 0", "needs two numbers"), ("ghost", "not declared")]:  # fmt: skip
        with pytest.raises(ConditionError, match=fragment):
            check_types(parse_condition(source), types)
    assert variables_read(parse_condition('n > 1 and (b or s == "x")')) == {"n", "b", "s"}


def test_deep_nesting_is_refused_not_a_crash():
    with pytest.raises(ConditionError, match="nested too deeply"):
        parse_condition("not " * 50 + "x")
    with pytest.raises(ConditionError, match="longer than"):
        parse_condition("x or " * 200 + "x")


def test_sets_are_typed_and_increments_only_for_numbers():
    assert parse_set("courage", "+1", "int").mode == "add"
    assert parse_set("courage", "-3", "int").value == -3
    assert parse_set("name", "+1", "str").mode == "set"
    with pytest.raises(ConditionError, match="is a bool"):
        parse_set("flag", 1, "bool")
    with pytest.raises(ConditionError, match="number or"):
        parse_set("courage", "lots", "int")
    with pytest.raises(ConditionError, match="not declared"):
        parse_set("ghost", 1, None)


def test_make_novel_helper_builds_valid_models():
    novel = make_novel([{"id": "a", "ending": "happy"}])
    assert novel.node("a").is_ending
    with pytest.raises(KeyError):
        novel.node("zzz")
