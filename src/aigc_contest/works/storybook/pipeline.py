"""The storybook pipeline: theme + brief → outline → character sheet → page texts → illustrations → book.

Each step is a function that reads what exists and fills in only what is missing, so a run that stopped
(a refused prompt, a crashed worker, a closed laptop) resumes where it stopped, and a step can be run again
for one page alone. Steps take plain data and return new plain data; nothing is changed in place.

The pipeline state is a `StoryPlan` (the brief, and the outline and character sheet once written) next to
the `Storybook` itself (from the page-texts step on). All generation goes through `Generator`, which calls
`aigc_contest.generation.service`: every prompt is screened by the safety layer before generation and every
passage and picture after it.

Character consistency: every illustration prompt repeats the character sheet verbatim (see `prompts`), and
the first picture of a page uses the main character's fixed seed; a further candidate for the same page
uses seed + the number of candidates it already has, so a regenerated picture differs but is reproducible.
The current image backends take no reference image, so no reference-image adapter is used yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from aigc_contest.generation.types import ChatMessage, GeneratedImage, ImageRequest, Language, TextRequest
from aigc_contest.works.storybook import prompts
from aigc_contest.works.storybook.model import MAX_PAGES, AgeBand, ImageAsset, Storybook, StorybookError
from aigc_contest.works.storybook.schemas import (
    CharacterSheet,
    Outline,
    PageText,
    outline_schema,
    page_texts_schema,
)

T = TypeVar("T", bound=BaseModel)
Step = Literal["outline", "characters", "pages", "illustrations"]
STEPS: tuple[Step, ...] = ("outline", "characters", "pages", "illustrations")
MAX_WEB_PAGES = 16  # the studio offers 1..16 pages; the book format allows more

# Token budgets large enough that even a random-weight model finishes the bounded JSON (see schemas.py).
OUTLINE_TOKENS = 4096
SHEET_TOKENS = 2048
PAGES_TOKENS_PER_PAGE = 600
PAGE_TOKENS = 900


class BookBrief(BaseModel):
    """What the participant asked for."""

    model_config = ConfigDict(extra="forbid")

    theme: str = Field(min_length=1, max_length=200)
    brief: str = Field(default="", max_length=500)  # a few words of their own idea
    language: Language = "en"
    age_band: AgeBand = "9-11"
    pages: int = Field(default=6, ge=1, le=MAX_PAGES)
    style: str = Field(default="", max_length=300)
    author: str = Field(default="", max_length=200)
    competition: str = Field(default="", max_length=200)
    text_model: str | None = Field(default=None, max_length=200)
    image_model: str | None = Field(default=None, max_length=200)
    seed: int = Field(default=0, ge=0, le=2**31)  # varies the text model's sampling


class StoryPlan(BaseModel):
    """The pipeline's state before (and beside) the book: the brief and the LLM steps' outputs."""

    model_config = ConfigDict(extra="forbid")

    brief: BookBrief
    outline: Outline | None = None
    sheet: CharacterSheet | None = None


class Generator:
    """The generation service for one run: screened JSON from the text model, screened images.

    `registry` None means the shared registry of $AIGC_MODELS_FILE; `policy` None the default safety policy.
    Tests may subclass it to answer without a model."""

    def __init__(self, registry: Any = None, policy: Any = None, user: str | None = None) -> None:
        self.registry = registry
        self.policy = policy
        self.user = user

    def _registry(self) -> Any:
        if self.registry is None:
            from aigc_contest.generation.registry import shared_registry

            self.registry = shared_registry()
        return self.registry

    def model_name(self, name: str | None, kind: Literal["image", "text"]) -> str:
        return str(self._registry().resolve(name, kind).name)

    def image_size(self, name: str | None) -> tuple[int, int]:
        return self._registry().resolve(name, "image").defaults.size_tuple() or (512, 512)

    def json(self, model: str | None, messages: list[ChatMessage], schema: type[T], *, max_tokens: int,
             seed: int | None = None) -> T:  # fmt: skip
        from aigc_contest.generation.service import generate_json

        request = TextRequest(model=self.model_name(model, "text"), messages=messages, max_tokens=max_tokens,
                              seed=seed)  # fmt: skip
        return generate_json(request, schema, self._registry(), policy=self.policy)

    def images(self, request: ImageRequest, progress: Callable[[int, int], None] | None = None) -> list[GeneratedImage]:
        from aigc_contest.generation.service import generate_images

        return generate_images(request, self._registry(), policy=self.policy, progress=progress)


# --- the LLM steps ----------------------------------------------------------------------------------------


def next_step(plan: StoryPlan, book: Storybook | None) -> Step | None:
    """The first step with work left, or None when every page has a picture."""
    if book is None:
        if plan.outline is None:
            return "outline"
        if plan.sheet is None:
            return "characters"
        return "pages"
    return "illustrations" if pages_without_image(book) else None


def _theme_text(brief: BookBrief) -> str:
    return f"{brief.theme.strip()}. {brief.brief.strip()}" if brief.brief.strip() else brief.theme.strip()


def make_outline(plan: StoryPlan, generator: Generator) -> StoryPlan:
    """Step 1: title, synopsis, characters and one beat per page (kept if already written)."""
    if plan.outline is not None:
        return plan
    brief = plan.brief
    schema = outline_schema(brief.pages)
    messages = prompts.outline_messages(_theme_text(brief), brief.language, brief.age_band, brief.pages,
                                        brief.style, schema)  # fmt: skip
    outline = generator.json(brief.text_model, messages, schema, max_tokens=OUTLINE_TOKENS, seed=brief.seed)
    return plan.model_copy(update={"outline": Outline.model_validate(outline.model_dump())})


def make_character_sheet(plan: StoryPlan, generator: Generator) -> StoryPlan:
    """Step 2: a fixed visual description of every character (kept if already written)."""
    if plan.sheet is not None:
        return plan
    if plan.outline is None:
        plan = make_outline(plan, generator)
    assert plan.outline is not None
    brief = plan.brief
    messages = prompts.character_sheet_messages(plan.outline, brief.language, brief.age_band, brief.style)
    sheet = generator.json(brief.text_model, messages, CharacterSheet, max_tokens=SHEET_TOKENS, seed=brief.seed)
    return plan.model_copy(update={"sheet": sheet})


def make_page_texts(plan: StoryPlan, generator: Generator) -> tuple[StoryPlan, Storybook]:
    """Step 3: the text and scene of every page, assembled into a book without pictures."""
    plan = make_character_sheet(make_outline(plan, generator), generator)
    assert plan.outline is not None and plan.sheet is not None
    brief = plan.brief
    schema = page_texts_schema(len(plan.outline.beats))
    messages = prompts.page_texts_messages(plan.outline, plan.sheet, brief.language, brief.age_band, schema)
    texts = generator.json(brief.text_model, messages, schema,
                           max_tokens=min(8192, 400 + PAGES_TOKENS_PER_PAGE * len(plan.outline.beats)),
                           seed=brief.seed)  # fmt: skip
    book = prompts.book_from_steps(
        plan.outline, plan.sheet, texts, language=brief.language, age_band=brief.age_band, style=brief.style,
        author=brief.author, competition=brief.competition, theme=brief.theme,
    )
    return plan, book


def regenerate_page_text(book: Storybook, page_id: str, generator: Generator, *, model: str | None = None,
                         instruction: str = "", seed: int | None = None) -> Storybook:  # fmt: skip
    """One page's text and scene written again; every other page is left exactly as it was."""
    messages = prompts.rewrite_page_messages(book, page_id, instruction)
    written = generator.json(model, messages, PageText, max_tokens=PAGE_TOKENS, seed=seed)
    return apply_page_text(book, page_id, written)


def apply_page_text(book: Storybook, page_id: str, written: PageText) -> Storybook:
    known = {c.name for c in book.characters}
    characters = [name for name in dict.fromkeys(written.characters) if name in known]
    return book.edit_page(page_id, text=written.text, illustration_prompt=written.scene,
                          characters=characters or book.page(page_id).characters)  # fmt: skip


# --- illustrations ----------------------------------------------------------------------------------------


def pages_without_image(book: Storybook) -> list[str]:
    return [page.id for page in book.pages if page.image is None]


def illustration_request(book: Storybook, page_id: str, model: str, *, size: tuple[int, int] = (512, 512),
                         steps: int | None = None) -> ImageRequest:  # fmt: skip
    """The picture request for a page: style + character sheets verbatim + scene, with the fixed seed.

    The seed is the main character's (so the same character looks alike across pages), moved on by the
    number of candidates the page already has, so asking again gives a new picture."""
    page = book.page(page_id)
    prompt = prompts.illustration_prompt(book, page)[:2000]
    if not prompt.strip():
        raise StorybookError(f"page {page_id} has no text or scene to draw")
    seed = (prompts.illustration_seed(book, page) + len(page.candidates)) % 2**32
    return ImageRequest(model=model, prompt=prompt, negative_prompt=prompts.NEGATIVE_PROMPT, width=size[0],
                        height=size[1], steps=steps, seed=seed, style=book.style[:200] or None)  # fmt: skip


def candidate_from_png(png: bytes, **extra: Any) -> ImageAsset:
    """A page candidate from a generated PNG: inline bytes plus the provenance its chunks carry."""
    from aigc_contest.generation.provenance import read_provenance

    return ImageAsset(data=png, media_type="image/png", provenance=provenance_of(png, read_provenance, **extra))


def provenance_of(png: bytes, reader: Callable[[bytes], Any] | None = None, **extra: Any) -> dict[str, Any]:
    """The provenance record of a PNG (our JSON chunk, else what the A1111 text says), plus `extra`."""
    import hashlib

    from aigc_contest.generation.provenance import public_provenance

    if reader is None:
        from aigc_contest.generation.provenance import read_provenance as reader  # type: ignore[no-redef]
    assert reader is not None
    info = reader(png)
    record: dict[str, Any] = (
        public_provenance(info.provenance).model_dump(mode="json") if info.provenance is not None
        else {"source": info.source, "prompt": info.prompt, "seed": info.seed, "model": info.model}
    )  # fmt: skip
    record["sha256"] = hashlib.sha256(png).hexdigest()
    if info.aigc_label:
        record["aigc_label"] = info.aigc_label
    record.update(extra)
    return record


def attach_candidates(book: Storybook, page_id: str, images: list[ImageAsset]) -> Storybook:
    """Add new pictures to a page; the first becomes the chosen one when the page has none yet."""
    return book.add_candidates(page_id, images, choose_first=book.page(page_id).image is None)


@dataclass
class IllustrationReport:
    book: Storybook
    failures: dict[str, str] = field(default_factory=dict)  # page id -> reason (a child can read it)


def illustrate(book: Storybook, generator: Generator, *, model: str | None = None, only: list[str] | None = None,
               steps: int | None = None, progress: Callable[[int, int], None] | None = None) -> IllustrationReport:  # fmt: skip
    """Draw a picture for the listed pages (default: every page without one).

    A page whose picture fails (refused, model error) is reported and left without it: the book stays
    valid, and running this again draws only what is still missing."""
    from aigc_contest.generation.types import GenerationError
    from aigc_contest.safety import SafetyRefusal

    name = generator.model_name(model, "image")
    size = generator.image_size(name)
    targets = pages_without_image(book) if only is None else list(only)
    failures: dict[str, str] = {}
    for done, page_id in enumerate(targets):
        try:
            request = illustration_request(book, page_id, name, size=size, steps=steps)
            images = generator.images(request)
        except (SafetyRefusal, GenerationError, StorybookError) as exc:
            failures[page_id] = str(exc)[:300]
        else:
            book = attach_candidates(book, page_id, [candidate_from_png(i.png, page=page_id) for i in images])
        if progress is not None:
            progress(done + 1, len(targets))
    return IllustrationReport(book, failures)


# --- everything at once (the command line) ----------------------------------------------------------------


@dataclass
class PipelineResult:
    plan: StoryPlan
    book: Storybook | None
    failures: dict[str, str] = field(default_factory=dict)


def run_pipeline(plan: StoryPlan, generator: Generator, book: Storybook | None = None, *, images: bool = True,
                 progress: Callable[[str, int, int], None] | None = None) -> PipelineResult:  # fmt: skip
    """Run every step that still has work, from wherever `plan` and `book` stand."""

    def report(step: str, done: int, total: int) -> None:
        if progress is not None:
            progress(step, done, total)

    if book is None:
        report("outline", 0, 1)
        plan = make_outline(plan, generator)
        report("characters", 0, 1)
        plan = make_character_sheet(plan, generator)
        report("pages", 0, 1)
        plan, book = make_page_texts(plan, generator)
    if not images:
        return PipelineResult(plan, book)
    result = illustrate(book, generator, model=plan.brief.image_model,
                        progress=lambda done, total: report("illustrations", done, total))  # fmt: skip
    return PipelineResult(plan, result.book, result.failures)
