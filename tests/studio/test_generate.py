"""Two-phase novel generation with a scripted model: repair of a broken graph, and unsafe passages."""

from __future__ import annotations

import pytest

from aigc_contest.safety import SafetyRefusal
from aigc_contest.works.novel import validate
from aigc_contest.works.novel.generate import (
    GenerationSettings,
    generate_novel,
    regenerate_node,
    repair_graph,
    skeleton_schema,
    skeleton_to_novel,
)

from .fakes import BROKEN_SKELETON, GOOD_SKELETON, ScriptedBackend, node


def settings(**extra: object) -> GenerationSettings:
    return GenerationSettings(model="scripted", theme="a garden of lanterns", nodes=5, seed=7, **extra)  # type: ignore[arg-type]


def test_a_valid_plan_is_used_as_it_is_and_every_node_gets_its_passage() -> None:
    backend = ScriptedBackend([GOOD_SKELETON])
    report = generate_novel(backend, settings())
    novel = report.novel
    assert validate(novel) == []
    assert [n.id for n in novel.nodes] == ["gate", "pond", "tree", "home", "sky"]
    assert all(n.text.startswith("A calm scene") for n in novel.nodes)
    assert report.skeleton_attempts == 1 and not report.mechanically_repaired
    # one skeleton request, then one passage request per node, in the asked-for language and with seeds
    assert [name for name, _ in backend.requests][0].startswith("Skeleton")
    assert len(backend.requests) == 1 + len(novel.nodes)
    assert all(r.seed is not None for _, r in backend.requests)


def test_defects_are_fed_back_and_a_corrected_plan_is_taken() -> None:
    backend = ScriptedBackend([BROKEN_SKELETON, GOOD_SKELETON])
    report = generate_novel(backend, settings())
    assert report.skeleton_attempts == 2
    assert not report.mechanically_repaired
    fed_back = report.defects_fed_back[0]
    assert any(line.startswith("unreachable: [island]") for line in fed_back)
    assert any(line.startswith("too-few-endings") for line in fed_back)
    second_request = backend.requests[1][1]
    assert "missing node 'nowhere'" in second_request.messages[-1].content
    assert report.novel.title == "The Lantern Garden"


def test_a_plan_that_stays_broken_is_repaired_by_rule() -> None:
    backend = ScriptedBackend([BROKEN_SKELETON])  # the same broken answer every time
    report = generate_novel(backend, settings(repair_attempts=2))
    assert report.skeleton_attempts == 3 and report.mechanically_repaired
    assert validate(report.novel) == [], report.repairs
    ids = [n.id for n in report.novel.nodes]
    assert {"island", "cave", "home", "loop_a", "loop_b"} <= set(ids)  # nothing of the plan was dropped
    assert sum(n.is_ending for n in report.novel.nodes) >= 2
    assert all(n.text for n in report.novel.nodes)


@pytest.mark.parametrize(
    "nodes",
    [
        [node("only", ending="happy")],  # start is an ending and the only node
        [node("a", "b"), node("b", "a")],  # a pure trap loop, no endings
        [node("a", "a"), node("b", "c"), node("c", "b")],  # self loop and an unreachable cycle
    ],
)
def test_rule_repair_always_ends_with_a_valid_graph(nodes: list[dict]) -> None:
    skeleton = skeleton_schema(8).model_validate({"title": "T", "start": "a", "nodes": nodes + [node("zz")]})
    novel, summaries = skeleton_to_novel(skeleton, "en")
    repaired, notes = repair_graph(novel, summaries)
    assert notes
    assert [d for d in validate(repaired) if d.code != "text-too-long"] == []


def test_repeated_ids_are_renamed_not_refused() -> None:
    skeleton = skeleton_schema(8).model_validate(
        {"title": "T", "start": "a", "nodes": [node("a", "b"), node("b", ending="happy"), node("b", ending="sad")]}
    )
    novel, _ = skeleton_to_novel(skeleton, "en")
    assert [n.id for n in novel.nodes] == ["a", "b", "b_2"]


def test_an_unsafe_passage_is_written_again() -> None:
    backend = ScriptedBackend([GOOD_SKELETON], passages=["Then they said fuck and left.", "They walked home together."])
    report = generate_novel(backend, settings())
    assert report.novel.node("gate").text == "They walked home together."
    assert report.passages_regenerated == {"gate": 1}
    retry = backend.requests[2][1]
    assert "not suitable for children" in retry.messages[-1].content
    assert "fuck" not in retry.messages[-1].content  # the refused words are not sent back


def test_a_passage_refused_every_time_ends_in_a_refusal() -> None:
    backend = ScriptedBackend([GOOD_SKELETON], passages=["porn"] * 3)
    with pytest.raises(SafetyRefusal):
        generate_novel(backend, settings(safety_attempts=3))


def test_an_unsafe_theme_is_refused_before_any_model_call() -> None:
    backend = ScriptedBackend([GOOD_SKELETON])
    with pytest.raises(SafetyRefusal):
        generate_novel(backend, GenerationSettings(model="m", theme="kill yourself", nodes=5))
    assert backend.requests == []


def test_one_node_is_written_again_alone() -> None:
    backend = ScriptedBackend([GOOD_SKELETON])
    novel = generate_novel(backend, settings()).novel
    backend.passages = ["A new morning at the pond."]
    again = regenerate_node(backend, settings(), novel, "pond")
    assert again.node("pond").text == "A new morning at the pond."
    assert [n.text for n in again.nodes if n.id != "pond"] == [n.text for n in novel.nodes if n.id != "pond"]
    assert novel.node("pond").text != again.node("pond").text  # the original is untouched


def test_every_schema_string_and_array_is_bounded() -> None:
    """Constrained decoding of a random model terminates only if nothing is unbounded."""
    from aigc_contest.works.novel.generate import Passage

    def walk(schema: dict, defs: dict) -> None:
        if "$ref" in schema:
            walk(defs[schema["$ref"].split("/")[-1]], defs)
            return
        for option in schema.get("anyOf", []):
            walk(option, defs)
        kind = schema.get("type")
        if kind == "string" and "enum" not in schema:
            assert "maxLength" in schema, schema
        if kind == "array":
            assert "maxItems" in schema, schema
            walk(schema["items"], defs)
        if kind == "object":
            assert schema.get("additionalProperties") is False
            for sub in schema["properties"].values():
                walk(sub, defs)

    for model in (skeleton_schema(5), Passage):
        full = model.model_json_schema()
        walk(full, full.get("$defs", {}))
