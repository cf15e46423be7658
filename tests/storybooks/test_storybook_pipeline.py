"""The pipeline steps with a model-free generator: resumable steps, one page alone, consistent characters,
failures that leave the book usable, and the safety layer in front of every prompt."""

from __future__ import annotations

import pytest

from aigc_contest.safety import SafetyRefusal
from aigc_contest.works.storybook import pipeline
from aigc_contest.works.storybook.model import Storybook
from aigc_contest.works.storybook.pipeline import BookBrief, StoryPlan

from .fakes import FakeGenerator


def _plan(pages: int = 4, **extra) -> StoryPlan:  # type: ignore[no-untyped-def]
    return StoryPlan(brief=BookBrief(theme="A greener city", brief="a robot plants trees", pages=pages, **extra))


def test_whole_pipeline_makes_a_book_of_n_pages_with_pictures() -> None:
    generator = FakeGenerator()
    result = pipeline.run_pipeline(_plan(5, style="watercolor", age_band="6-8"), generator)
    book = result.book
    assert book is not None and len(book.pages) == 5 and not result.failures
    assert all(page.image is not None and page.image.data.startswith(b"\x89PNG") for page in book.pages)
    assert [name for name, _ in generator.text_requests] == ["Outline5", "CharacterSheet", "PageTexts5"]
    # Age band and language shape the writing instructions.
    system = generator.text_requests[0][1][0].content
    assert "6 to 8 years old" in system and "English" in system
    # Every picture's provenance says how it was made.
    provenance = book.pages[0].image.provenance
    assert provenance["prompt"].startswith("children's picture book illustration, soft watercolour")
    assert provenance["is_test_model"] is True and len(provenance["sha256"]) == 64
    assert pipeline.next_step(result.plan, book) is None
    Storybook.model_validate_json(book.model_dump_json())  # round-trips as JSON


def test_each_step_fills_only_what_is_missing() -> None:
    generator = FakeGenerator()
    plan = pipeline.make_outline(_plan(), generator)
    assert pipeline.next_step(plan, None) == "characters"
    again = pipeline.make_outline(plan, generator)
    assert again is plan and len(generator.text_requests) == 1  # resumed: the outline is not asked for again
    plan = pipeline.make_character_sheet(plan, generator)
    assert pipeline.next_step(plan, None) == "pages"
    plan, book = pipeline.make_page_texts(plan, generator)
    assert [n for n, _ in generator.text_requests] == ["Outline4", "CharacterSheet", "PageTexts4"]
    assert pipeline.next_step(plan, book) == "illustrations"

    # Pictures: a resumed run draws only the pages still without one.
    first = pipeline.illustrate(book, generator, only=["p2"]).book
    assert pipeline.pages_without_image(first) == ["p1", "p3", "p4"]
    before = len(generator.image_requests)
    finished = pipeline.illustrate(first, generator).book
    assert len(generator.image_requests) - before == 3
    assert finished.page("p2").image == first.page("p2").image


def test_illustration_prompt_repeats_the_character_sheet_and_seed() -> None:
    generator = FakeGenerator()
    _, book = pipeline.make_page_texts(_plan(4), generator)
    mei = book.character("Mei")
    requests = [pipeline.illustration_request(book, page.id, "m") for page in book.pages]
    for request, page in zip(requests, book.pages, strict=True):
        assert mei.sheet() in request.prompt  # verbatim, on every page Mei is in
        assert request.prompt.endswith(f"Scene: {page.illustration_prompt}")
        assert request.seed == mei.seed  # Mei leads every scene: her fixed seed
        assert request.negative_prompt
    assert book.character("Bolt").sheet() in requests[1].prompt
    # A further picture of the same page is a new one (seed moves on), still reproducible.
    drawn = pipeline.illustrate(book, generator, only=["p1"]).book
    assert pipeline.illustration_request(drawn, "p1", "m").seed == mei.seed + 1


def test_regenerating_one_page_leaves_the_others_untouched() -> None:
    generator = FakeGenerator()
    book = pipeline.run_pipeline(_plan(4), generator).book
    assert book is not None
    rewritten = pipeline.regenerate_page_text(book, "p3", generator)
    assert rewritten.page("p3").text.startswith("Rewritten text")
    assert rewritten.page("p3").characters == ["Bolt"]
    assert rewritten.page("p3").image == book.page("p3").image  # the picture stays until redrawn
    for page_id in ("p1", "p2", "p4"):
        assert rewritten.page(page_id) == book.page(page_id)
    assert rewritten.title == book.title and rewritten.characters == book.characters

    redrawn = pipeline.illustrate(rewritten, generator, only=["p3"]).book
    assert len(redrawn.page("p3").candidates) == 2
    assert redrawn.page("p3").image == book.page("p3").image  # a new candidate does not replace the choice
    for page_id in ("p1", "p2", "p4"):
        assert redrawn.page(page_id) == book.page(page_id)


def test_a_failed_picture_leaves_the_book_usable_and_retryable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.works.storybook.export import export_book

    failing = FakeGenerator(fail_words=("scene 2 ",))
    result = pipeline.run_pipeline(_plan(3), failing)
    assert set(result.failures) == {"p2"} and "not available" in result.failures["p2"]
    book = result.book
    assert book is not None and book.page("p2").image is None and book.page("p1").image is not None
    export_book(book, None, "html", tmp_path / "book.html")  # still exports
    retried = pipeline.illustrate(book, FakeGenerator())
    assert not retried.failures and pipeline.pages_without_image(retried.book) == []
    assert retried.book.page("p1") == book.page("p1")


def test_the_real_generator_screens_prompts_and_passages() -> None:
    """Through `Generator` (the generation service), an unsafe theme never reaches the model, and an unsafe
    passage from the model is refused too."""
    from aigc_contest.generation.registry import ModelEntry, ModelRegistry
    from aigc_contest.generation.types import Capabilities, TextBackend

    class Backend(TextBackend):
        name = "fake-text"
        capabilities = Capabilities(json_schema=True)

        def __init__(self) -> None:
            self.calls = 0

        def complete(self, request):  # type: ignore[no-untyped-def]
            raise AssertionError

        def complete_json(self, request, schema, max_attempts=3):  # type: ignore[no-untyped-def]
            self.calls += 1
            return schema(title="Guns", synopsis="They kill people with a gun.", characters=[{"name": "A", "role": "b"}],
                          beats=["x"] * 3)  # fmt: skip

    backend = Backend()
    registry = ModelRegistry([ModelEntry(name="fake-text", kind="text", backend="transformers", path="/none")])
    registry._backends["fake-text"] = backend
    generator = pipeline.Generator(registry)
    with pytest.raises(SafetyRefusal):
        pipeline.make_outline(StoryPlan(brief=BookBrief(theme="how to kill people with a gun", pages=3)), generator)
    assert backend.calls == 0
    with pytest.raises(SafetyRefusal):
        pipeline.make_outline(_plan(3), generator)
    assert backend.calls == 1


def test_brief_is_bounded() -> None:
    with pytest.raises(ValueError):
        BookBrief(theme="", pages=3)
    with pytest.raises(ValueError):
        BookBrief(theme="x", pages=0)
