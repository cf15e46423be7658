"""The one way into generation for the CLI, the web pages and the workers.

Every prompt is screened by the safety layer BEFORE generation (the participant's words and any
translation of them) and every output AFTER it; a refusal raises `aigc_contest.safety.SafetyRefusal`.
Chinese prompts for models that do not read Chinese are translated by the default text model first.
Guard models in the models file (`kind = "guard"`) are attached to the policy (generation.guards) and
consulted beside the keyword layer: prompts, generated text (screened as it streams, where the backend
streams, and stopped at the first unsafe passage) and pictures.
"""

from __future__ import annotations

import os
from typing import Any, TypeVar

from pydantic import BaseModel

from aigc_contest.generation.guards import attach_guards
from aigc_contest.generation.prompting import adapt_image_request, translate_prompt
from aigc_contest.generation.registry import ModelRegistry, RegistryError, shared_registry
from aigc_contest.generation.types import (
    GeneratedImage,
    ImageRequest,
    ProgressCallback,
    TextRequest,
    TextResult,
)
from aigc_contest.safety.text import check_response, ensure_response_safe

T = TypeVar("T", bound=BaseModel)


def _translator(registry: ModelRegistry):  # -> Callable[[str], str] | None
    """Translation through the default text model, or None when no text model is configured."""
    try:
        entry = registry.default("text")
    except RegistryError:
        return None
    return lambda text: translate_prompt(text, registry.text_backend(entry.name), entry.name)


def prepare_image_request(
    request: ImageRequest,
    registry: ModelRegistry | None = None,
    *,
    policy: Any = None,
    translate: bool = True,
) -> ImageRequest:
    """Screen the prompt, then put it into a language the model reads (screening the result too)."""
    from aigc_contest.safety import ensure_text_safe

    registry = registry or shared_registry()
    policy = attach_guards(policy, registry)
    entry = registry.resolve(request.model, "image")
    # The negative prompt lists what NOT to draw (often "nsfw, violence"), so it is not screened as a request.
    ensure_text_safe(request.prompt, policy)
    adapted = adapt_image_request(request, entry.languages, _translator(registry) if translate else None)
    if adapted.prompt != request.prompt:
        ensure_text_safe(adapted.prompt, policy)
    return adapted


def _screen_images(images: list[GeneratedImage], policy: Any) -> None:
    refusal = _screen_groups([images], policy)[0]
    if refusal is not None:
        raise refusal


def _screen_groups(groups: list[list[GeneratedImage]], policy: Any) -> list[Exception | None]:
    """Screen every image of every group at once; per group, the refusal of its first unsafe image.

    The classifier releases the GIL, so a batch is scored on several threads: on a GPU worker the screening
    of a batch of 16 would otherwise take about as long as generating it."""
    from concurrent.futures import ThreadPoolExecutor

    from aigc_contest.safety import SafetyRefusal, check_image

    flat = [(g, image) for g, images in enumerate(groups) for image in images]
    workers = max(1, min(len(flat), os.cpu_count() or 1, 8))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        verdicts = list(pool.map(lambda item: check_image(item[1].png, policy), flat))
    refusals: list[Exception | None] = [None] * len(groups)
    for (g, _image), verdict in zip(flat, verdicts, strict=True):
        if not verdict.allowed and refusals[g] is None:
            refusals[g] = SafetyRefusal(verdict)
    return refusals


def generate_images(
    request: ImageRequest,
    registry: ModelRegistry | None = None,
    *,
    progress: ProgressCallback | None = None,
    policy: Any = None,
    translate: bool = True,
) -> list[GeneratedImage]:
    """request.n screened images (image i uses seed + i), provenance written into each PNG."""
    registry = registry or shared_registry()
    policy = attach_guards(policy, registry)
    prepared = prepare_image_request(request, registry, policy=policy, translate=translate)
    images = registry.image_backend(prepared.model).generate(prepared, progress)
    _screen_images(images, policy)
    return images


def generate_image_batch(
    requests: list[ImageRequest],
    registry: ModelRegistry | None = None,
    *,
    progress: ProgressCallback | None = None,
    policy: Any = None,
    translate: bool = True,
) -> list[list[GeneratedImage] | Exception]:
    """Many requests at once (a worker draining its queue): compatible requests share forward passes.

    Each slot holds that request's images or the exception that stopped it (a SafetyRefusal, a
    GenerationError), so one refused prompt does not fail its neighbours."""
    from aigc_contest.safety import SafetyRefusal

    registry = registry or shared_registry()
    policy = attach_guards(policy, registry)
    results: list[list[GeneratedImage] | Exception] = [[] for _ in requests]
    by_model: dict[str, list[tuple[int, ImageRequest]]] = {}
    for index, request in enumerate(requests):
        try:
            prepared = prepare_image_request(request, registry, policy=policy, translate=translate)
        except (SafetyRefusal, RegistryError) as exc:
            results[index] = exc
            continue
        by_model.setdefault(prepared.model, []).append((index, prepared))
    for model, items in by_model.items():
        try:
            batches = registry.image_backend(model).generate_batch([r for _, r in items], progress)
        except Exception as exc:  # noqa: BLE001 - reported per request; the worker carries on
            for index, _ in items:
                results[index] = exc
            continue
        refusals = _screen_groups(list(batches), policy)
        for (index, _), images, refusal in zip(items, batches, refusals, strict=True):
            results[index] = refusal if refusal is not None else images
    return results


def _screen_request_text(request: TextRequest, policy: Any) -> None:
    from aigc_contest.safety import ensure_text_safe

    for message in request.messages:
        if message.role == "user":
            ensure_text_safe(message.content, policy)


class _StreamScreen:
    """Screens a streamed answer as it grows: every `every` characters, or at a sentence end once a quarter
    of that has arrived. The first refusal stops the stream."""

    SENTENCE_ENDS = (".", "!", "?", "\n", "。", "！", "？", "…")

    def __init__(self, prompt: str, policy: Any) -> None:
        self.prompt = prompt
        self.policy = policy
        self.every = int(getattr(policy, "guard_stream_chars", 200))
        self.text = ""
        self.checked = 0
        self.checks = 0
        self.refusal: Any = None

    def __call__(self, piece: str) -> bool:
        from aigc_contest.safety import SafetyRefusal

        self.text += piece
        grown = len(self.text) - self.checked
        at_sentence_end = self.text.rstrip(" ").endswith(self.SENTENCE_ENDS) and grown >= self.every // 4
        if grown < self.every and not at_sentence_end:
            return True
        self.checked = len(self.text)
        self.checks += 1
        verdict = check_response(self.prompt, self.text, self.policy)
        if not verdict.allowed:
            self.refusal = SafetyRefusal(verdict)
            return False
        return True


def _last_user_text(request: TextRequest) -> str:
    return next((m.content for m in reversed(request.messages) if m.role == "user"), "")


def generate_text(
    request: TextRequest, registry: ModelRegistry | None = None, *, policy: Any = None
) -> TextResult:
    """A screened completion from the named (or default) text model. With a guard model configured and a
    backend that streams, the answer is screened while it is written and stopped at the first refusal."""

    registry = registry or shared_registry()
    policy = attach_guards(policy, registry)
    _screen_request_text(request, policy)
    backend = registry.text_backend(request.model)
    prompt = _last_user_text(request)
    if policy is not None and policy.text_guard is not None and getattr(backend, "streams", False):
        screen = _StreamScreen(prompt, policy)
        result = backend.complete(request, on_text=screen)  # type: ignore[call-arg]
        if screen.refusal is not None:
            raise screen.refusal
        result.provenance.extra["stream_checks"] = screen.checks
    else:
        result = backend.complete(request)
    ensure_response_safe(prompt, result.text, policy)
    return result


def generate_text_batch(
    requests: list[TextRequest], registry: ModelRegistry | None = None, *, policy: Any = None
) -> list[TextResult | Exception]:
    """`generate_text` for several requests, each screened as alone: requests for a backend with
    `complete_batch` share its padded forward passes (streamed and stopped row by row under a guard);
    others run one at a time. A refused or failed request is returned as its exception, in its place."""
    registry = registry or shared_registry()
    policy = attach_guards(policy, registry)
    outcomes: list[TextResult | Exception | None] = [None] * len(requests)
    by_backend: dict[int, tuple[Any, list[int]]] = {}
    for index, request in enumerate(requests):
        try:
            _screen_request_text(request, policy)
            backend = registry.text_backend(request.model)
        except Exception as exc:  # noqa: BLE001 - this request only
            outcomes[index] = exc
            continue
        by_backend.setdefault(id(backend), (backend, []))[1].append(index)
    for backend, indices in by_backend.values():
        if not hasattr(backend, "complete_batch") or len(indices) == 1:
            for index in indices:
                try:
                    outcomes[index] = generate_text(requests[index], registry, policy=policy)
                except Exception as exc:  # noqa: BLE001 - this request only
                    outcomes[index] = exc
            continue
        streaming = policy is not None and policy.text_guard is not None and getattr(backend, "streams", False)
        screens = [_StreamScreen(_last_user_text(requests[i]), policy) if streaming else None for i in indices]
        try:
            results = backend.complete_batch([requests[i] for i in indices], on_text=screens)
        except Exception as exc:  # noqa: BLE001 - the whole batch failed: each request reports it
            for index in indices:
                outcomes[index] = exc
            continue
        for index, screen, result in zip(indices, screens, results, strict=True):
            if isinstance(result, Exception):  # a backend may report one request's failure in its place
                outcomes[index] = result
                continue
            try:
                if screen is not None:
                    if screen.refusal is not None:
                        raise screen.refusal
                    result.provenance.extra["stream_checks"] = screen.checks
                ensure_response_safe(_last_user_text(requests[index]), result.text, policy)
                outcomes[index] = result
            except Exception as exc:  # noqa: BLE001 - this request only
                outcomes[index] = exc
    return [outcome for outcome in outcomes if outcome is not None]


def generate_json(
    request: TextRequest,
    schema: type[T],
    registry: ModelRegistry | None = None,
    *,
    policy: Any = None,
    max_attempts: int = 3,
) -> T:
    """A validated, screened instance of `schema` (constrained decoding locally, response_format remotely)."""


    registry = registry or shared_registry()
    policy = attach_guards(policy, registry)
    _screen_request_text(request, policy)
    value = registry.text_backend(request.model).complete_json(request, schema, max_attempts=max_attempts)
    ensure_response_safe(_last_user_text(request), value.model_dump_json(), policy)
    return value
