"""A scripted text backend: answers come from lists, every request is recorded."""

from __future__ import annotations

from typing import Any

from aigc_contest.generation.types import Capabilities, Provenance, TextBackend, TextRequest, TextResult


class ScriptedBackend(TextBackend):
    name = "scripted"
    capabilities = Capabilities(languages=("en", "zh-Hant", "zh-Hans"), json_schema=True)

    def __init__(self, skeletons: list[dict[str, Any]], passages: list[str] | None = None) -> None:
        self.skeletons = list(skeletons)
        self.passages = list(passages or [])
        self.requests: list[tuple[str, TextRequest]] = []

    def complete(self, request: TextRequest) -> TextResult:
        raise AssertionError("the novel generator asks for JSON only")

    def complete_json(self, request: TextRequest, schema: Any, max_attempts: int = 3) -> Any:
        from aigc_contest.works.novel.generate import Passage, Skeleton

        self.requests.append((schema.__name__, request))
        if issubclass(schema, Skeleton):
            answer = self.skeletons.pop(0) if len(self.skeletons) > 1 else self.skeletons[0]
            return schema.model_validate(answer)
        assert schema is Passage
        text = self.passages.pop(0) if self.passages else f"A calm scene number {len(self.requests)}."
        return Passage(text=text)

    def provenance(self) -> Provenance:  # pragma: no cover - not used by the generator
        return Provenance(backend="scripted", model="scripted", model_id="scripted", prompt="")


def node(node_id: str, *targets: str, ending: str | None = None) -> dict[str, Any]:
    return {
        "id": node_id,
        "title": node_id.title(),
        "summary": f"Something happens at {node_id}.",
        "choices": [{"label": f"Go to {t}", "target": t} for t in targets],
        "ending": ending,
    }


GOOD_SKELETON = {
    "title": "The Lantern Garden",
    "start": "gate",
    "nodes": [
        node("gate", "pond", "tree"),
        node("pond", "home", "tree"),
        node("tree", "home", "sky"),
        node("home", ending="happy"),
        node("sky", ending="surprise"),
    ],
}

# Unreachable node, a dead end, a missing target, a trap loop and only one ending.
BROKEN_SKELETON = {
    "title": "The Broken Map",
    "start": "gate",
    "nodes": [
        node("gate", "loop_a", "nowhere"),
        node("loop_a", "loop_b"),
        node("loop_b", "loop_a"),
        node("island", "home"),
        node("cave"),
        node("home", ending="happy"),
    ],
}
