"""The models file: which models exist, how to reach them, and their defaults.

A TOML file (path in `AIGC_MODELS_FILE`) with one `[[models]]` table per model:

    [[models]]
    name = "sd-turbo"                 # what --model and the web pages use
    kind = "image"                    # image | text | guard | embedding | speech
    backend = "diffusers"             # diffusers | transformers | openai | dashscope | clip (guards, embedders)
    id = "stabilityai/sd-turbo"       # hub id or remote model name ...
    path = "/models/sd-turbo"         # ... or a local folder / .safetensors file (relative: to this file)
    base_url = "https://…"            # remote backends
    api_key_env = "DASHSCOPE_API_KEY" # remote backends: the environment variable holding the key
    languages = ["en"]                # prompt languages the model understands: en, zh-Hans, zh-Hant
    defaults = { steps = 4, guidance = 0.0, size = "512x512", scheduler = "euler" }
    options = { dtype = "bf16", max_batch = 4 }   # passed to the backend as keyword arguments
    test_model = false                # random-weight test models: outputs are labelled as such

A `guard` model screens content for the safety layer (safety.guard): `transformers` or `openai` for a
Qwen3Guard-style model (prompts and generated text; `options = { images = true }` for an image-capable one
behind an OpenAI-compatible server), `clip` for a CLIP zero-shot picture classifier. The first guard that
reads text and the first that sees pictures are used for every check.

An `embedding` model gives judges a theme-relevance signal: `transformers` for a multilingual sentence
encoder (texts), `clip` for a CLIP-family model (pictures and texts in one space). Without one, no
relevance signal is shown.

A `speech` model turns a child's spoken words into text for voice input (`backend = "transformers"`: a
Whisper-family model such as `openai/whisper-small`, generation.backends.speech_whisper). The first one
is used; without one, voice input uses only the browser's own speech recognition.

The first text model and the first image model are the defaults where no model is named. Backends are
built on first use and cached, so a worker keeps its pipelines loaded.
"""

from __future__ import annotations

import os
import threading
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from aigc_contest.generation.types import GenerationError, ImageBackend, Language, TextBackend

MODELS_FILE_ENV = "AIGC_MODELS_FILE"
BACKEND_KINDS = {"diffusers": "image", "dashscope": "image", "transformers": "text", "openai": "text"}
LOCAL_BACKENDS = {"diffusers", "transformers", "clip"}
GUARD_BACKENDS = {"transformers", "openai", "clip"}
EMBEDDING_BACKENDS = {"transformers", "clip"}
SPEECH_BACKENDS = {"transformers"}


class RegistryError(GenerationError):
    """The models file is missing, unreadable or names something that does not exist."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or []


class ModelDefaults(BaseModel):
    model_config = ConfigDict(extra="forbid")
    steps: int | None = Field(default=None, ge=1, le=150)
    guidance: float | None = Field(default=None, ge=0.0, le=30.0)
    size: str | None = Field(default=None, pattern=r"^\d{2,4}x\d{2,4}$")
    scheduler: str | None = None
    negative_prompt: str | None = None
    max_tokens: int | None = Field(default=None, ge=1, le=8192)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)

    def size_tuple(self) -> tuple[int, int] | None:
        if self.size is None:
            return None
        width, height = self.size.split("x")
        return int(width), int(height)


class ModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200, pattern=r"^[\w.\-:]+$")
    kind: Literal["image", "text", "guard", "embedding", "speech"]
    backend: Literal["diffusers", "transformers", "openai", "dashscope", "clip"]
    id: str | None = None
    path: str | None = None
    base_url: str | None = None
    api_key_env: str | None = None
    languages: tuple[Language, ...] = ("en",)
    defaults: ModelDefaults = ModelDefaults()
    options: dict[str, Any] = {}
    test_model: bool = False

    @field_validator("languages", mode="before")
    @classmethod
    def _languages_list(cls, value: Any) -> Any:
        return tuple(value) if isinstance(value, list) else value

    @model_validator(mode="after")
    def _consistent(self) -> ModelEntry:
        expected = BACKEND_KINDS.get(self.backend, "guard")
        if self.kind == "guard":
            if self.backend not in GUARD_BACKENDS:
                raise ValueError(f"a guard model uses one of {sorted(GUARD_BACKENDS)}, not {self.backend!r}")
        elif self.kind == "embedding":
            if self.backend not in EMBEDDING_BACKENDS:
                raise ValueError(
                    f"an embedding model uses one of {sorted(EMBEDDING_BACKENDS)}, not {self.backend!r}"
                )
        elif self.kind == "speech":
            if self.backend not in SPEECH_BACKENDS:
                raise ValueError(f"a speech model uses one of {sorted(SPEECH_BACKENDS)}, not {self.backend!r}")
        elif self.kind != expected:
            raise ValueError(f"backend {self.backend!r} makes {expected} models, not {self.kind}")
        if self.backend in LOCAL_BACKENDS and not (self.id or self.path):
            raise ValueError("a local model needs `id` (a hub id) or `path` (a folder or weights file)")
        if self.backend not in LOCAL_BACKENDS and not self.id:
            raise ValueError("a remote model needs `id` (the provider's model name)")
        return self

    @property
    def source(self) -> str:
        """Where the weights are: the local path if given, else the id."""
        return self.path or self.id or ""

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "backend": self.backend,
            "source": self.source,
            "languages": list(self.languages),
            "defaults": self.defaults.model_dump(exclude_none=True),
            "test_model": self.test_model,
        }


class ModelRegistry:
    def __init__(self, entries: list[ModelEntry], source: Path | None = None) -> None:
        self.entries = entries
        self.source = source
        self._backends: dict[str, Any] = {}
        self._lock = threading.Lock()

    def names(self, kind: str | None = None) -> list[str]:
        return [e.name for e in self.entries if kind is None or e.kind == kind]

    def get(self, name: str) -> ModelEntry:
        for entry in self.entries:
            if entry.name == name:
                return entry
        known = ", ".join(self.names()) or "none"
        raise RegistryError(f"no model named {name!r} in {self._where()} (known: {known})")

    def default(self, kind: Literal["image", "text"]) -> ModelEntry:
        for entry in self.entries:
            if entry.kind == kind:
                return entry
        raise RegistryError(
            f"no {kind} model configured in {self._where()}: set {MODELS_FILE_ENV} to a models file, or run "
            "`aigc-contest models tiny DIR` and point it at DIR/models.toml"
        )

    def resolve(self, name: str | None, kind: Literal["image", "text"]) -> ModelEntry:
        entry = self.get(name) if name else self.default(kind)
        if entry.kind != kind:
            raise RegistryError(f"model {entry.name!r} makes {entry.kind}, not {kind}")
        return entry

    def image_backend(self, name: str | None = None) -> ImageBackend:
        return self._backend(self.resolve(name, "image"))

    def text_backend(self, name: str | None = None) -> TextBackend:
        return self._backend(self.resolve(name, "text"))

    def guard(self, images: bool = False) -> Any:
        """The first guard that reads text (images=False) or sees pictures (images=True), or None."""
        for entry in self.entries:
            if entry.kind != "guard":
                continue
            sees_images = entry.backend == "clip" or bool(entry.options.get("images"))
            if sees_images if images else entry.backend != "clip":
                return self._backend(entry)
        return None

    def embedder(self, images: bool = False) -> Any:
        """The first embedding model that reads texts (images=False) or sees pictures (images=True), or
        None. A CLIP-family embedder serves both; a sentence encoder is preferred for texts."""
        embedders = [e for e in self.entries if e.kind == "embedding"]
        if not images:
            embedders.sort(key=lambda e: e.backend == "clip")
        for entry in embedders:
            if not images or entry.backend == "clip":
                return self._backend(entry)
        return None

    def speech(self) -> Any:
        """The first speech-to-text model (built, not loaded), or None when there is none."""
        for entry in self.entries:
            if entry.kind == "speech":
                return self._backend(entry)
        return None

    def has_speech(self) -> bool:
        return any(entry.kind == "speech" for entry in self.entries)

    def _backend(self, entry: ModelEntry) -> Any:
        with self._lock:
            if entry.name not in self._backends:
                self._backends[entry.name] = build_backend(entry)
            return self._backends[entry.name]

    def _where(self) -> str:
        return str(self.source) if self.source else f"the models file (${MODELS_FILE_ENV} is not set)"


def build_backend(entry: ModelEntry) -> Any:
    """Construct (not load) the backend for an entry; heavy libraries load on first generation."""
    options = dict(entry.options)
    if entry.kind == "guard":
        return _build_guard(entry)
    if entry.kind == "embedding":
        return _build_embedder(entry)
    if entry.kind == "speech":
        from aigc_contest.generation.backends.speech_whisper import WhisperSpeechBackend

        return WhisperSpeechBackend(entry.name, entry.source, is_test_model=entry.test_model, **options)
    if entry.backend == "diffusers":
        from aigc_contest.generation.backends.diffusers_image import DiffusersImageBackend

        return DiffusersImageBackend(
            entry.name,
            entry.source,
            languages=entry.languages,
            defaults=entry.defaults.model_dump(exclude_none=True),
            is_test_model=entry.test_model,
            **options,
        )
    if entry.backend == "transformers":
        from aigc_contest.generation.backends.transformers_text import TransformersTextBackend

        return TransformersTextBackend(
            entry.name,
            entry.source,
            languages=entry.languages,
            defaults=entry.defaults.model_dump(exclude_none=True),
            is_test_model=entry.test_model,
            **options,
        )
    api_key = os.environ.get(entry.api_key_env) if entry.api_key_env else None
    if entry.api_key_env and not api_key:
        raise RegistryError(
            f"model {entry.name!r} needs an API key: set the environment variable {entry.api_key_env}"
        )
    assert entry.id is not None  # ModelEntry requires an id for remote backends
    if entry.backend == "openai":
        from aigc_contest.generation.backends.openai_chat import OpenAIChatBackend

        return OpenAIChatBackend(
            entry.name, entry.id, base_url=entry.base_url, api_key=api_key,
            languages=entry.languages, test_model=entry.test_model, **options,
        )
    from aigc_contest.generation.backends.dashscope_wanx import DashScopeImageBackend

    return DashScopeImageBackend(
        entry.name, entry.id, base_url=entry.base_url, api_key=api_key,
        languages=entry.languages, test_model=entry.test_model, **options,
    )


def parse_registry(text: str, source: Path | None = None) -> ModelRegistry:
    """Parse models-file text; relative paths are taken relative to the file's folder."""
    where = str(source) if source else "models file"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{where} is not valid TOML: {exc}") from exc
    unknown = set(data) - {"models"}
    if unknown:
        raise RegistryError(
            f"{where}: unknown top-level keys {sorted(unknown)}; models go in [[models]] tables"
        )
    tables = data.get("models", [])
    if not isinstance(tables, list):
        raise RegistryError(f"{where}: `models` must be an array of tables ([[models]])")
    entries: list[ModelEntry] = []
    problems: list[str] = []
    for number, table in enumerate(tables, start=1):
        label = f"model #{number}" + (
            f" ({table.get('name')})" if isinstance(table, dict) and "name" in table else ""
        )
        try:
            entry = ModelEntry.model_validate(table)
        except ValidationError as exc:
            for error in exc.errors():
                place = ".".join(str(p) for p in error["loc"]) or "entry"
                problems.append(f"{label}: {place}: {error['msg']}")
            continue
        if entry.path and source is not None and not Path(entry.path).expanduser().is_absolute():
            entry = entry.model_copy(update={"path": str((source.parent / entry.path).resolve())})
        if entry.name in {e.name for e in entries}:
            problems.append(f"{label}: the name {entry.name!r} is used twice")
        entries.append(entry)
    if problems:
        raise RegistryError(f"{where} has {len(problems)} problem(s)", problems)
    return ModelRegistry(entries, source)


def load_registry(path: str | Path | None = None) -> ModelRegistry:
    """Read the models file at `path`, else at $AIGC_MODELS_FILE; with neither, an empty registry."""
    if path is None:
        path = os.environ.get(MODELS_FILE_ENV) or None
    if path is None:
        return ModelRegistry([], None)
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise RegistryError(f"models file {path} does not exist (check {MODELS_FILE_ENV})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(f"cannot read models file {path}: {exc}") from exc
    return parse_registry(text, path.resolve())


_SHARED: dict[tuple[str, float], ModelRegistry] = {}
_SHARED_LOCK = threading.Lock()


def shared_registry() -> ModelRegistry:
    """The registry for $AIGC_MODELS_FILE, kept for the life of the process (workers and web share loaded
    backends); re-read when the file changes."""
    raw = os.environ.get(MODELS_FILE_ENV) or ""
    mtime = Path(raw).stat().st_mtime if raw and Path(raw).exists() else 0.0
    with _SHARED_LOCK:
        key = (raw, mtime)
        if key not in _SHARED:
            _SHARED.clear()
            _SHARED[key] = load_registry(raw or None)
        return _SHARED[key]


def _build_guard(entry: ModelEntry) -> Any:
    options = dict(entry.options)
    if entry.backend == "transformers":
        from aigc_contest.generation.backends.guard_transformers import TransformersGuard

        return TransformersGuard(entry.name, entry.source, is_test_model=entry.test_model, **options)
    if entry.backend == "clip":
        from aigc_contest.generation.backends.guard_clip import ClipImageGuard

        return ClipImageGuard(entry.name, entry.source, is_test_model=entry.test_model, **options)
    api_key = os.environ.get(entry.api_key_env) if entry.api_key_env else None
    if entry.api_key_env and not api_key:
        raise RegistryError(
            f"guard {entry.name!r} needs an API key: set the environment variable {entry.api_key_env}"
        )
    from aigc_contest.generation.backends.guard_openai import OpenAIGuard

    assert entry.id is not None  # ModelEntry requires an id for remote backends
    return OpenAIGuard(
        entry.name,
        entry.id,
        base_url=entry.base_url,
        api_key=api_key,
        is_test_model=entry.test_model,
        **options,
    )


def _build_embedder(entry: ModelEntry) -> Any:
    options = dict(entry.options)
    if entry.backend == "clip":
        from aigc_contest.generation.backends.embed_clip import ClipEmbedder

        return ClipEmbedder(entry.name, entry.source, is_test_model=entry.test_model, **options)
    from aigc_contest.generation.backends.embed_transformers import TransformersTextEmbedder

    return TransformersTextEmbedder(entry.name, entry.source, is_test_model=entry.test_model, **options)
