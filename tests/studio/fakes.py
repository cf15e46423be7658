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


class FakeModel:
    """A models-file entry as the studio reads it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.test_model = True
        self.defaults = type("Defaults", (), {"size_tuple": staticmethod(lambda: (64, 64))})()


class FakeRegistry:
    """One text model (a scripted backend) and one picture model (drawn by `fake_image_batch`)."""

    def __init__(self, backend: TextBackend) -> None:
        self.backend = backend

    def names(self, kind: str | None = None) -> list[str]:
        return [f"fake-{kind}"] if kind else ["fake-text", "fake-image"]

    def has_speech(self) -> bool:
        return False  # voice input offers the browser's own recognition only

    def resolve(self, name: str | None, kind: str) -> FakeModel:
        return FakeModel(name or f"fake-{kind}")

    def get(self, name: str) -> FakeModel:
        return FakeModel(name)

    def default(self, kind: str) -> FakeModel:
        return FakeModel(f"fake-{kind}")

    def text_backend(self, name: str) -> TextBackend:
        return self.backend

    def image_backend(self, name: str | None) -> Any:
        raise LookupError("pictures come from fake_image_batch")


def fake_image_batch(requests: list[Any], **kwargs: Any) -> list[Any]:
    """Each request's pictures, plain colours with real provenance chunks (what a worker stores)."""
    from PIL import Image

    from aigc_contest.generation.provenance import png_with_provenance
    from aigc_contest.generation.types import GeneratedImage

    out = []
    for request in requests:
        images = []
        for index in range(request.n):
            seed = request.seed + index
            provenance = Provenance(backend="fake", model=request.model, model_id="fake", prompt=request.prompt,
                                    seed=seed, width=request.width, height=request.height, is_test_model=True)  # fmt: skip
            image = Image.new("RGB", (request.width, request.height), (seed % 256, 90, 140))
            images.append(GeneratedImage(png=png_with_provenance(image, provenance), seed=seed, provenance=provenance))
        out.append(images)
    return out
