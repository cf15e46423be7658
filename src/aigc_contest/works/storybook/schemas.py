"""Structured outputs of the storybook LLM steps: outline → character sheet → page texts.

Every string length, list size and number is bounded and extra keys are forbidden, so constrained decoding
terminates even with a random-weight model, and a remote model's JSON is re-validated the same way.
Use the `*_schema(pages)` factories to ask for an exact number of pages.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, create_model

from aigc_contest.works.storybook.model import MAX_PAGES

MAX_CHARACTERS = 4
NAME_MAX = 40

Beat = Annotated[str, Field(min_length=1, max_length=240)]
Colour = Annotated[str, Field(min_length=1, max_length=30)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OutlineCharacter(_Strict):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    role: str = Field(min_length=1, max_length=160)  # who they are in the story


class Outline(_Strict):
    title: str = Field(min_length=1, max_length=80)
    synopsis: str = Field(min_length=1, max_length=600)
    characters: list[OutlineCharacter] = Field(min_length=1, max_length=MAX_CHARACTERS)
    beats: list[Beat] = Field(min_length=1, max_length=MAX_PAGES)  # one story beat per page


class CharacterLook(_Strict):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    appearance: str = Field(min_length=1, max_length=200)
    hair: str = Field(min_length=1, max_length=120)
    clothes: str = Field(min_length=1, max_length=200)
    palette: list[Colour] = Field(min_length=1, max_length=6)


class CharacterSheet(_Strict):
    characters: list[CharacterLook] = Field(min_length=1, max_length=MAX_CHARACTERS)


class PageText(_Strict):
    text: str = Field(min_length=1, max_length=600)
    scene: str = Field(min_length=1, max_length=400)  # what the illustration shows, no style words
    characters: list[Annotated[str, Field(max_length=NAME_MAX)]] = Field(
        default_factory=list, max_length=MAX_CHARACTERS
    )


class PageTexts(_Strict):
    pages: list[PageText] = Field(min_length=1, max_length=MAX_PAGES)


def _check_pages(pages: int) -> None:
    if not 1 <= pages <= MAX_PAGES:
        raise ValueError(f"a storybook has 1 to {MAX_PAGES} pages")


def outline_schema(pages: int) -> type[Outline]:
    """An Outline with exactly `pages` beats."""
    _check_pages(pages)
    return create_model(  # type: ignore[call-overload, no-any-return]
        f"Outline{pages}",
        __base__=Outline,
        beats=(list[Beat], Field(min_length=pages, max_length=pages)),
    )


def page_texts_schema(pages: int) -> type[PageTexts]:
    """PageTexts with exactly `pages` pages."""
    _check_pages(pages)
    return create_model(  # type: ignore[call-overload, no-any-return]
        f"PageTexts{pages}",
        __base__=PageTexts,
        pages=(list[PageText], Field(min_length=pages, max_length=pages)),
    )
