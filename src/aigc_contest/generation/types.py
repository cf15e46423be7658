"""The requests, results and backend interfaces every generation backend speaks.

One interface per modality (DESIGN.md §4): `ImageBackend.generate(ImageRequest) -> list[GeneratedImage]` and
`TextBackend.complete(TextRequest) -> TextResult` / `complete_json(TextRequest, schema) -> instance`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Language = Literal["en", "zh-Hant", "zh-Hans"]
ProgressCallback = Callable[[int, int], None]  # (done, total) steps
T = TypeVar("T", bound=BaseModel)


class GenerationError(Exception):
    """A generation that could not be done, with a reason a person can act on."""


class LoraSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(max_length=200)  # a path to a .safetensors file or folder, or a hub id
    scale: float = Field(default=1.0, ge=-4.0, le=4.0)
    sha256: str | None = Field(default=None, max_length=64)  # in provenance: the weights file's hash


class ImageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(max_length=200)  # a name from the models file
    prompt: str = Field(min_length=1, max_length=2000)
    negative_prompt: str = Field(default="", max_length=2000)
    width: int = Field(default=512, ge=64, le=2048, multiple_of=8)
    height: int = Field(default=512, ge=64, le=2048, multiple_of=8)
    steps: int | None = Field(default=None, ge=1, le=150)  # None: the model's default
    guidance: float | None = Field(default=None, ge=0.0, le=30.0)
    scheduler: str | None = Field(default=None, max_length=60)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    n: int = Field(default=1, ge=1, le=8)  # image i uses seed + i
    loras: tuple[LoraSpec, ...] = ()
    style: str | None = Field(default=None, max_length=200)
    # Set when an English-only model received a translated/expanded prompt: the participant's own words.
    original_prompt: str | None = Field(default=None, max_length=2000)

    def batch_key(self) -> tuple[Any, ...]:
        """Requests with equal keys can share one batched forward pass."""
        return (self.model, self.loras, self.width, self.height, self.steps, self.guidance, self.scheduler)


class Provenance(BaseModel):
    """Everything needed to say how an asset was made, and to make it again."""

    model_config = ConfigDict(extra="allow")

    backend: str
    model: str  # the name in the models file
    model_id: str  # hub id or remote model name; a local model by its configured name (never a path)
    model_hash: str | None = None  # sha256 of the weights where known (short form allowed)
    model_revision: str | None = None  # the hub commit the weights came from, where known
    loras: list[LoraSpec] = []
    prompt: str
    original_prompt: str | None = None
    negative_prompt: str = ""
    seed: int | None = None
    steps: int | None = None
    guidance: float | None = None
    scheduler: str | None = None
    width: int | None = None
    height: int | None = None
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    user: str | None = None
    is_test_model: bool = False  # random-weight test models: pages label their output as such
    extra: dict[str, Any] = {}


class GeneratedImage(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    png: bytes  # PNG bytes with provenance chunks written in
    seed: int
    provenance: Provenance


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["system", "user", "assistant"]
    content: str


class TextRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(max_length=200)
    messages: list[ChatMessage] = Field(min_length=1)
    max_tokens: int = Field(default=512, ge=1, le=8192)
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    seed: int | None = None


class TextResult(BaseModel):
    text: str
    provenance: Provenance
    finish_reason: str | None = None


class Capabilities(BaseModel):
    languages: tuple[Language, ...] = ("en",)
    sizes: tuple[tuple[int, int], ...] | None = None  # None: any multiple of 8 in range
    negative_prompt: bool = True
    seed: bool = True
    lora: bool = False
    max_batch: int = 1
    json_schema: bool = False  # text backends: constrained decoding or response_format


class ImageBackend(ABC):
    name: str
    capabilities: Capabilities

    @abstractmethod
    def generate(self, request: ImageRequest, progress: ProgressCallback | None = None) -> list[GeneratedImage]:
        """Make request.n images; image i uses seed + i."""

    def generate_batch(
        self, requests: list[ImageRequest], progress: ProgressCallback | None = None
    ) -> list[list[GeneratedImage]]:
        """Compatible requests (equal batch_key) in as few forward passes as the backend allows."""
        return [self.generate(r, progress) for r in requests]


class TextBackend(ABC):
    name: str
    capabilities: Capabilities

    @abstractmethod
    def complete(self, request: TextRequest) -> TextResult: ...

    @abstractmethod
    def complete_json(self, request: TextRequest, schema: type[T], max_attempts: int = 3) -> T:
        """A validated instance of `schema`; retries with the validation errors, then GenerationError."""
