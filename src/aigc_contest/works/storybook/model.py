"""The storybook document: characters, ordered pages, images, and the edits a participant makes.

A book lives in a folder: `book.json` plus an `assets/` folder of images referenced by relative path, so
the folder can be zipped, moved or uploaded as a whole. While a book is being generated, images may be
held inline (bytes); `save_book` writes them out to `assets/` and turns them into relative paths.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Final, Literal
from uuid import UUID, uuid4

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from aigc_contest.generation.types import Language

FORMAT_NAME: Final = "aigc-contest/storybook"
FORMAT_VERSION: Final = 1
BOOK_FILE_NAME = "book.json"
ASSETS_DIR = "assets"

AgeBand = Literal["6-8", "9-11", "12-14", "15-18"]


def readers_for_grade(grade: str | None, school_level: str | None = None) -> AgeBand:
    """The readers' age band a child's own book starts with: P1–P3 6–8, P4–P6 9–11, S1–S3 12–14, S4–S6
    15–18; without a grade, from the school's level (special-needs schools: 6–8)."""
    from aigc_contest.safety.tiers import school_year

    year = school_year(grade)
    if year is not None:
        stage, number = year
        if stage == "primary":
            return "6-8" if number <= 3 else "9-11"
        return "12-14" if number <= 3 else "15-18"
    return {"secondary": "12-14", "open": "15-18", "sen": "6-8"}.get(school_level or "", "9-11")  # type: ignore[return-value]
Layout = Literal["image-top", "image-left", "full-bleed", "text-only"]
ImageMediaType = Literal["image/png", "image/jpeg", "image/webp"]

MAX_PAGES = 64
PAGE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$"
_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}


def _decode_inline(value: Any) -> Any:
    if isinstance(value, str):  # JSON carries inline images as base64 text
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error as exc:
            raise ValueError("inline image data is not valid base64") from exc
    return value


# Bytes in Python, base64 text in JSON.
InlineBytes = Annotated[
    bytes,
    BeforeValidator(_decode_inline),
    PlainSerializer(lambda b: base64.b64encode(b).decode("ascii"), return_type=str, when_used="json"),
]


class StorybookError(ValueError):
    """A book that cannot be read, edited or exported, with a message a person can act on."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class ImageAsset(BaseModel):
    """An image: a path relative to the book folder, or inline bytes (base64 in JSON), plus provenance.

    A host may keep its own reference in `path` (the web studio's `job-asset:N`) and put the bytes inline
    before it exports the book."""

    model_config = ConfigDict(extra="forbid")

    path: str | None = Field(default=None, max_length=300)
    data: InlineBytes | None = None
    media_type: ImageMediaType = "image/png"
    provenance: dict[str, Any] = Field(default_factory=dict)

    @field_validator("path")
    @classmethod
    def _relative_inside_book(cls, value: str | None) -> str | None:
        # A book file must never make an export read files outside its own folder.
        if value is None:
            return value
        pure = PurePosixPath(value.replace("\\", "/"))
        if pure.is_absolute() or ".." in pure.parts or re.match(r"^[A-Za-z]:", value) or not pure.parts:
            raise ValueError("an image path must be relative to the book folder, e.g. assets/p1.png")
        return pure.as_posix()

    @model_validator(mode="after")
    def _exactly_one_source(self) -> ImageAsset:
        if (self.path is None) == (self.data is None):
            raise ValueError("an image needs exactly one of 'path' or 'data'")
        return self

    def read_bytes(self, base_dir: Path | None) -> bytes:
        """The image bytes; paths are resolved against the book folder and may not leave it."""
        if self.data is not None:
            return self.data
        assert self.path is not None
        if base_dir is None:
            raise StorybookError(f"image {self.path} is a relative path but the book folder is unknown")
        root = base_dir.resolve()
        target = (root / self.path).resolve()
        if not target.is_relative_to(root):
            raise StorybookError(f"image {self.path} points outside the book folder")
        if not target.is_file():
            raise StorybookError(f"image {self.path} not found in {root}")
        return target.read_bytes()


class Character(BaseModel):
    """A character with a fixed look, repeated word for word in every illustration prompt."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60)
    appearance: str = Field(default="", max_length=300)  # who/what: "a nine-year-old girl with round glasses"
    hair: str = Field(default="", max_length=200)
    clothes: str = Field(default="", max_length=300)  # garments with their colours
    palette: list[str] = Field(default_factory=list, max_length=8)
    seed: int = Field(default=-1, ge=-1, le=2**32 - 1)  # -1: derived from the name
    reference_image: ImageAsset | None = None

    @field_validator("palette")
    @classmethod
    def _short_colours(cls, value: list[str]) -> list[str]:
        if any(not 0 < len(colour) <= 40 for colour in value):
            raise ValueError("each palette colour needs 1 to 40 characters")
        return value

    @model_validator(mode="after")
    def _fixed_seed(self) -> Character:
        if self.seed < 0:
            self.seed = name_seed(self.name)
        return self

    def sheet(self) -> str:
        """The character sheet: the fixed visual description used verbatim in every page prompt."""
        parts = [self.name]
        if self.appearance:
            parts.append(self.appearance)
        if self.hair:
            parts.append(f"hair: {self.hair}")
        if self.clothes:
            parts.append(f"clothes: {self.clothes}")
        if self.palette:
            parts.append(f"palette: {', '.join(self.palette)}")
        return "; ".join(parts)


class Page(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=PAGE_ID_PATTERN)
    text: str = Field(default="", max_length=4000)
    illustration_prompt: str = Field(default="", max_length=2000)  # the scene, without style or characters
    characters: list[str] = Field(default_factory=list, max_length=12)  # names of characters in the scene
    image: ImageAsset | None = None  # the chosen image
    candidates: list[ImageAsset] = Field(default_factory=list, max_length=16)
    layout: Layout = "image-top"


class Storybook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["aigc-contest/storybook"] = FORMAT_NAME
    version: Literal[1] = FORMAT_VERSION
    id: UUID = Field(default_factory=uuid4)
    language: Language = "en"
    title: str = Field(min_length=1, max_length=200)
    author: str = Field(default="", max_length=200)  # participant or team display name
    competition: str = Field(default="", max_length=200)
    theme: str = Field(default="", max_length=200)
    age_band: AgeBand = "9-11"
    style: str = Field(default="", max_length=300)  # art style prefix for every illustration
    cover_image: ImageAsset | None = None  # None: the first page's image
    characters: list[Character] = Field(default_factory=list, max_length=12)
    pages: list[Page] = Field(default_factory=list, max_length=MAX_PAGES)

    @model_validator(mode="after")
    def _unique_ids_and_names(self) -> Storybook:
        page_ids = [page.id for page in self.pages]
        duplicates = sorted({pid for pid in page_ids if page_ids.count(pid) > 1})
        if duplicates:
            raise ValueError(f"page ids must be unique; repeated: {', '.join(duplicates)}")
        names = [c.name for c in self.characters]
        if len(set(names)) != len(names):
            raise ValueError("character names must be unique")
        for page in self.pages:
            unknown = [name for name in page.characters if name not in names]
            if unknown:
                raise ValueError(f"page {page.id} names unknown characters: {', '.join(unknown)}")
        return self

    # --- look-ups -----------------------------------------------------------------------------------
    def page_index(self, page_id: str) -> int:
        for index, page in enumerate(self.pages):
            if page.id == page_id:
                return index
        raise StorybookError(f"no page with id {page_id!r}")

    def page(self, page_id: str) -> Page:
        return self.pages[self.page_index(page_id)]

    def character(self, name: str) -> Character:
        for character in self.characters:
            if character.name == name:
                return character
        raise StorybookError(f"no character named {name!r}")

    def cover(self) -> ImageAsset | None:
        if self.cover_image is not None:
            return self.cover_image
        return next((page.image for page in self.pages if page.image is not None), None)

    def new_page_id(self) -> str:
        taken = {page.id for page in self.pages}
        number = len(self.pages) + 1
        while f"p{number}" in taken:
            number += 1
        return f"p{number}"

    # --- edits: each returns a new book and leaves this one unchanged --------------------------------
    def _edited(self, pages: list[Page]) -> Storybook:
        try:
            return Storybook.model_validate({**self.model_dump(), "pages": [p.model_dump() for p in pages]})
        except ValidationError as exc:
            raise StorybookError("this change would make the book invalid", _describe(exc)) from exc

    def edit_text(self, page_id: str, text: str) -> Storybook:
        index = self.page_index(page_id)
        pages = list(self.pages)
        pages[index] = pages[index].model_copy(update={"text": text})
        return self._edited(pages)

    def edit_page(self, page_id: str, **changes: Any) -> Storybook:
        """Change any page fields (text, illustration_prompt, characters, layout); validated."""
        index = self.page_index(page_id)
        pages = list(self.pages)
        try:
            pages[index] = Page.model_validate({**pages[index].model_dump(), **changes})
        except ValidationError as exc:
            raise StorybookError(f"page {page_id} cannot be changed that way", _describe(exc)) from exc
        return self._edited(pages)

    def add_page(self, page: Page | None = None, position: int | None = None) -> Storybook:
        """Insert a page (a blank one by default) at `position` (default: the end)."""
        page = page or Page(id=self.new_page_id())
        pages = list(self.pages)
        pages.insert(len(pages) if position is None else max(0, min(position, len(pages))), page)
        return self._edited(pages)

    def delete_page(self, page_id: str) -> Storybook:
        index = self.page_index(page_id)
        return self._edited(self.pages[:index] + self.pages[index + 1 :])

    def move_page(self, page_id: str, position: int) -> Storybook:
        index = self.page_index(page_id)
        pages = list(self.pages)
        page = pages.pop(index)
        pages.insert(max(0, min(position, len(pages))), page)
        return self._edited(pages)

    def reorder_pages(self, page_ids: list[str]) -> Storybook:
        """Put the pages in the given order; the list must name every page exactly once."""
        if sorted(page_ids) != sorted(page.id for page in self.pages):
            raise StorybookError("the new order must name every page exactly once")
        return self._edited([self.page(pid) for pid in page_ids])

    def choose_candidate(self, page_id: str, index: int) -> Storybook:
        page = self.page(page_id)
        if not 0 <= index < len(page.candidates):
            raise StorybookError(f"page {page_id} has no candidate image number {index}")
        pages = list(self.pages)
        pages[self.page_index(page_id)] = page.model_copy(update={"image": page.candidates[index]})
        return self._edited(pages)

    def add_candidates(self, page_id: str, images: list[ImageAsset], choose_first: bool = False) -> Storybook:
        """Add regenerated images to a page; optionally make the first new one the chosen image."""
        page = self.page(page_id)
        update: dict[str, Any] = {"candidates": [*page.candidates, *images]}
        if choose_first and images:
            update["image"] = images[0]
        pages = list(self.pages)
        pages[self.page_index(page_id)] = page.model_copy(update=update)
        return self._edited(pages)


def name_seed(name: str) -> int:
    """A stable 32-bit seed for a character name, the same on every machine and Python run."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:4], "big")


# --- files ---------------------------------------------------------------------------------------------
def book_to_json(book: Storybook) -> str:
    return json.dumps(book.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"


def book_from_json(text: str | bytes) -> Storybook:
    """Parse and validate book JSON; errors become one StorybookError listing every problem."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StorybookError(f"not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise StorybookError(f'not a storybook file (expected "format": "{FORMAT_NAME}")')
    if data.get("version") != FORMAT_VERSION:
        raise StorybookError(f"unsupported storybook version {data.get('version')!r} (this build reads 1)")
    try:
        return Storybook.model_validate(data)
    except ValidationError as exc:
        raise StorybookError("the storybook file has problems", _describe(exc)) from exc


def _describe(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in err['loc']) or 'book'}: {err['msg']}" for err in exc.errors()]


def load_book(path: str | Path) -> tuple[Storybook, Path]:
    """Read BOOK.json (or a folder holding book.json); returns the book and its folder for assets."""
    path = Path(path)
    if path.is_dir():
        path = path / BOOK_FILE_NAME
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StorybookError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return book_from_json(raw), path.parent


def save_book(book: Storybook, folder: str | Path) -> Path:
    """Write `folder/book.json`, moving inline images into `folder/assets/`; returns the JSON path.

    The returned file references every image by relative path, so the folder is portable.
    """
    folder = Path(folder)
    (folder / ASSETS_DIR).mkdir(parents=True, exist_ok=True)
    portable = externalize_assets(book, folder)
    target = folder / BOOK_FILE_NAME
    target.write_text(book_to_json(portable), encoding="utf-8")
    return target


def externalize_assets(book: Storybook, folder: Path) -> Storybook:
    """A copy of the book whose inline images are written to files under folder/assets/."""

    def write(asset: ImageAsset | None, stem: str) -> ImageAsset | None:
        if asset is None or asset.data is None:
            return asset
        digest = hashlib.sha256(asset.data).hexdigest()[:12]  # same image, same file
        relative = f"{ASSETS_DIR}/{stem}-{digest}{_EXTENSIONS[asset.media_type]}"
        (folder / relative).write_bytes(asset.data)
        return ImageAsset(path=relative, media_type=asset.media_type, provenance=asset.provenance)

    data = book.model_copy(deep=True)
    data.cover_image = write(data.cover_image, "cover")
    for character in data.characters:
        character.reference_image = write(character.reference_image, f"character-{name_seed(character.name)}")
    for page in data.pages:
        page.image = write(page.image, page.id)
        page.candidates = [write(c, f"{page.id}-candidate") for c in page.candidates]  # type: ignore[misc]
    return data
