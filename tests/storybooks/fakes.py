"""A generator that answers without a model: schema-valid JSON made up from the schema, noise-free PNGs."""

from __future__ import annotations

from typing import Any

from aigc_contest.generation.types import GeneratedImage, GenerationError, ImageRequest, Provenance
from aigc_contest.works.storybook.pipeline import Generator
from aigc_contest.works.storybook.schemas import CharacterSheet, Outline, PageText, PageTexts

CAST = ["Mei", "Bolt"]


class FakeGenerator(Generator):
    """Records every request; `fail_pages` makes pictures whose prompt contains one of those words fail."""

    def __init__(self, fail_words: tuple[str, ...] = (), *, registry: Any = None, policy: Any = None,
                 user: str | None = None) -> None:  # fmt: skip
        super().__init__(registry=None, policy=policy, user=user)
        self.text_requests: list[tuple[str, list[Any]]] = []
        self.image_requests: list[ImageRequest] = []
        self.fail_words = fail_words
        self.counter = 0

    def model_name(self, name: str | None, kind: str) -> str:  # type: ignore[override]
        return name or f"fake-{kind}"

    def image_size(self, name: str | None) -> tuple[int, int]:
        return (64, 64)

    def json(self, model, messages, schema, *, max_tokens, seed=None):  # type: ignore[no-untyped-def, override]
        from aigc_contest.safety import ensure_text_safe

        for message in messages:  # the real service screens prompts; so does the fake
            if message.role == "user":
                ensure_text_safe(message.content)
        self.text_requests.append((schema.__name__, messages))
        self.counter += 1
        if issubclass(schema, Outline):
            beats = schema.model_fields["beats"].metadata
            count = next(m.min_length for m in beats if hasattr(m, "min_length"))
            return schema(title="The Rooftop Garden", synopsis="A girl and a robot grow a garden.",
                          characters=[{"name": n, "role": "friend"} for n in CAST],
                          beats=[f"beat {i}" for i in range(1, count + 1)])  # fmt: skip
        if schema is CharacterSheet:
            return CharacterSheet(characters=[
                {"name": "Mei", "appearance": "a nine-year-old girl", "hair": "short black bob",
                 "clothes": "yellow raincoat, red boots", "palette": ["yellow", "red"]},
                {"name": "Bolt", "appearance": "a small round robot", "hair": "none",
                 "clothes": "silver body, green antenna", "palette": ["silver", "green"]},
            ])  # fmt: skip
        if issubclass(schema, PageTexts):
            field = schema.model_fields["pages"].metadata
            count = next(m.min_length for m in field if hasattr(m, "min_length"))
            return schema(pages=[{"text": f"Page {i} text.", "scene": f"scene {i} on a rooftop",
                                  "characters": ["Mei"] if i % 2 else ["Mei", "Bolt"]}
                                 for i in range(1, count + 1)])  # fmt: skip
        if schema is PageText:
            return PageText(text=f"Rewritten text {self.counter}.", scene=f"new scene {self.counter}",
                            characters=["Bolt"])  # fmt: skip
        raise AssertionError(f"unexpected schema {schema}")

    def images(self, request, progress=None):  # type: ignore[no-untyped-def, override]
        from PIL import Image

        from aigc_contest.generation.provenance import png_with_provenance

        self.image_requests.append(request)
        if any(word in request.prompt for word in self.fail_words):
            raise GenerationError("the picture model is not available")
        provenance = Provenance(backend="fake", model=request.model, model_id="fake", prompt=request.prompt,
                                seed=request.seed, width=request.width, height=request.height, is_test_model=True)
        image = Image.new("RGB", (request.width, request.height), (request.seed % 256, 80, 120))
        return [GeneratedImage(png=png_with_provenance(image, provenance), seed=request.seed, provenance=provenance)]
