"""The service every caller goes through: safety before and after, translation, per-request batch results."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from aigc_contest.generation import service
from aigc_contest.generation.registry import parse_registry
from aigc_contest.generation.types import (
    Capabilities,
    GeneratedImage,
    ImageBackend,
    ImageRequest,
    Provenance,
    TextBackend,
    TextRequest,
    TextResult,
)
from aigc_contest.safety import SafetyRefusal

MODELS = """
[[models]]
name = "writer"
kind = "text"
backend = "transformers"
path = "/nowhere/text"

[[models]]
name = "painter"
kind = "image"
backend = "diffusers"
path = "/nowhere/image"
languages = ["en"]
"""
UNSAFE = "a naked body with blood and gore"


class FakeImages(ImageBackend):
    def __init__(self, colour: tuple[int, int, int] = (90, 140, 200)) -> None:
        self.name = "painter"
        self.capabilities = Capabilities()
        self.colour = colour
        self.seen: list[ImageRequest] = []

    def generate(self, request, progress=None):  # type: ignore[no-untyped-def]
        self.seen.append(request)
        out = []
        for i in range(request.n):
            buffer = io.BytesIO()
            Image.new("RGB", (64, 64), self.colour).save(buffer, format="PNG")
            provenance = Provenance(
                backend="fake", model="painter", model_id="x", prompt=request.prompt, seed=request.seed + i
            )
            out.append(GeneratedImage(png=buffer.getvalue(), seed=request.seed + i, provenance=provenance))
        return out


class FakeText(TextBackend):
    def __init__(self, answer: str) -> None:
        self.name = "writer"
        self.capabilities = Capabilities()
        self.answer = answer
        self.calls = 0

    def complete(self, request: TextRequest) -> TextResult:
        self.calls += 1
        return TextResult(
            text=self.answer, provenance=Provenance(backend="fake", model="writer", model_id="x", prompt="")
        )

    def complete_json(self, request, schema, max_attempts=3):  # type: ignore[no-untyped-def]
        return schema.model_validate_json(self.answer)


def registry(images: FakeImages, text: FakeText):  # type: ignore[no-untyped-def]
    reg = parse_registry(MODELS)
    reg._backends.update({"painter": images, "writer": text})
    return reg


def test_chinese_prompt_is_translated_and_original_kept() -> None:
    images, text = FakeImages(), FakeText("A kitten sitting on the moon, storybook style")
    result = service.generate_images(
        ImageRequest(model="painter", prompt="一隻小貓在月亮上", n=2, seed=5), registry(images, text)
    )
    assert [im.seed for im in result] == [5, 6]
    assert images.seen[0].prompt == "A kitten sitting on the moon, storybook style"
    assert images.seen[0].original_prompt == "一隻小貓在月亮上"


def test_unsafe_prompt_is_refused_before_generation() -> None:
    images, text = FakeImages(), FakeText("x")
    with pytest.raises(SafetyRefusal):
        service.generate_images(ImageRequest(model="painter", prompt=UNSAFE), registry(images, text))
    assert images.seen == [] and text.calls == 0


def test_unsafe_translation_is_refused() -> None:
    images, text = FakeImages(), FakeText(UNSAFE)
    with pytest.raises(SafetyRefusal):
        service.generate_images(ImageRequest(model="painter", prompt="一隻小貓"), registry(images, text))
    assert images.seen == []


def test_outputs_are_screened(monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[bytes] = []
    import aigc_contest.safety as safety

    def check(image, policy=None):  # type: ignore[no-untyped-def]
        checked.append(image)
        return safety.SafetyVerdict.ok() if len(checked) < 3 else safety.SafetyVerdict.refused("nsfw_image", "image_nsfw")

    monkeypatch.setattr(safety, "check_image", check)
    images, text = FakeImages(), FakeText("x")
    with pytest.raises(safety.SafetyRefusal):
        service.generate_images(ImageRequest(model="painter", prompt="a cat", n=3), registry(images, text))
    assert len(checked) == 3 and all(c.startswith(b"\x89PNG") for c in checked)


def test_batch_keeps_refusals_per_request() -> None:
    images, text = FakeImages(), FakeText("x")
    results = service.generate_image_batch(
        [ImageRequest(model="painter", prompt="a cat"), ImageRequest(model="painter", prompt=UNSAFE)],
        registry(images, text),
    )
    assert isinstance(results[0], list) and len(results[0]) == 1
    assert isinstance(results[1], SafetyRefusal)


def test_text_is_screened_both_ways() -> None:
    images = FakeImages()
    request = TextRequest(model="writer", messages=[{"role": "user", "content": "tell me a story"}])
    assert (
        service.generate_text(request, registry(images, FakeText("Once upon a time"))).text
        == "Once upon a time"
    )
    with pytest.raises(SafetyRefusal):
        service.generate_text(request, registry(images, FakeText(UNSAFE)))
    bad_request = TextRequest(model="writer", messages=[{"role": "user", "content": UNSAFE}])
    refused_text = FakeText("fine")
    with pytest.raises(SafetyRefusal):
        service.generate_text(bad_request, registry(images, refused_text))
    assert refused_text.calls == 0
