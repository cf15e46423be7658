"""What each kind of job does: how its parameters are checked, how it batches, and how it runs.

A kind is registered once per process (the built-in ones below; more from the modules named in
`AIGC_JOBS["kind_modules"]`, e.g. the test suite's slow job). Runners take plain data and return plain
data, so they never touch the database: the worker stores what they return.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)


class JobCancelled(Exception):
    """Raised inside a runner (from its progress callback) when every job of its batch was cancelled."""


class JobFailure(Exception):
    """A job that cannot succeed; `message` is shown to the child, `retryable` says whether to try again."""

    def __init__(self, message: str, *, retryable: bool = False, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.detail = detail


@dataclass
class RunContext:
    """One job of a batch, as a runner sees it."""

    job_id: int
    attempt: int
    params: dict[str, Any]
    owner: str


@dataclass
class JobOutput:
    files: list[tuple[str, bytes, str]] = field(default_factory=list)  # (filename, bytes, content type)
    result: dict[str, Any] = field(default_factory=dict)


Progress = Callable[[float, str], None]  # (fraction 0..1 of the whole batch, message)
Runner = Callable[[list[RunContext], Progress], list["JobOutput | Exception"]]


@dataclass
class JobKind:
    name: str
    run: Runner
    queue: str = "default"
    prepare: Callable[[dict[str, Any]], tuple[dict[str, Any], str]] = lambda params: (params, "")
    max_batch: Callable[[dict[str, Any]], int] = lambda params: 1
    timeout_seconds: int | None = None  # None: AIGC_JOBS["timeout_seconds"]
    label: str = ""
    # The platform's own housekeeping (e.g. receipt emails): not a request the owner made, so it is neither
    # listed on their jobs page nor counted against their quota.
    background: bool = False


_KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    _KINDS[kind.name] = kind
    return kind


def background_kinds() -> list[str]:
    return sorted(name for name, kind in _KINDS.items() if kind.background)


def get_kind(name: str) -> JobKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"unknown job kind {name!r} (known: {', '.join(sorted(_KINDS)) or 'none'})") from None


def known_kinds() -> list[str]:
    return sorted(_KINDS)


def queues() -> list[str]:
    return sorted({kind.queue for kind in _KINDS.values()} | {"default"})


def jobs_config() -> dict[str, Any]:
    """settings.AIGC_JOBS, whose values differ in type by key (numbers, module names, the quota table)."""
    return settings.AIGC_JOBS


def load_configured_kinds() -> None:
    for module in jobs_config().get("kind_modules", []):
        importlib.import_module(module)


def key_hash(value: Any) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:64]


# ---------------------------------------------------------------- image


def _prepare_image(params: dict[str, Any]) -> tuple[dict[str, Any], str]:
    from pydantic import ValidationError

    from aigc_contest.generation.registry import RegistryError, shared_registry
    from aigc_contest.generation.types import ImageRequest

    params = dict(params)
    # A school's own safety settings (moderation.selectors.policy_for) travel with the job as plain data.
    safety_policy = params.pop(SAFETY_POLICY_PARAM, None)
    if not params.get("model"):
        try:
            params["model"] = shared_registry().default("image").name
        except RegistryError as exc:
            raise JobFailure(str(exc)) from exc
    try:
        request = ImageRequest.model_validate(params)
        policy = safety_policy_of({SAFETY_POLICY_PARAM: safety_policy}) if safety_policy else None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise JobFailure(f"These picture settings cannot be used: {problems}") from exc
    clean = request.model_dump(mode="json")
    key: tuple[Any, ...] = ("image", request.batch_key())
    if policy is not None and (policy_data := policy.model_dump(mode="json", exclude_defaults=True)):
        clean[SAFETY_POLICY_PARAM] = policy_data
        key += (repr(sorted(policy_data.items())),)  # only jobs under the same safety settings share a batch
    return clean, key_hash(key)


SAFETY_POLICY_PARAM = "safety_policy"


def safety_policy_of(params: dict[str, Any]) -> Any:
    """The SafetyPolicy a job's parameters carry, or None for the platform default."""
    from aigc_contest.safety import SafetyPolicy

    data = params.get(SAFETY_POLICY_PARAM)
    return SafetyPolicy.model_validate(data) if data else None


def _image_max_batch(params: dict[str, Any]) -> int:
    from aigc_contest.generation.registry import shared_registry

    try:
        return int(shared_registry().image_backend(params.get("model")).capabilities.max_batch)
    except Exception:  # noqa: BLE001 - the run reports the real problem; batching just falls back to 1
        return 1


def child_message(exc: BaseException) -> str:
    """What a child reads when a job fails: the safety layer's own words, or a plain sentence."""
    from aigc_contest.generation.types import GenerationError
    from aigc_contest.safety import SafetyRefusal

    if isinstance(exc, JobFailure):
        return exc.message
    if isinstance(exc, SafetyRefusal):
        return str(exc)
    if isinstance(exc, GenerationError):  # the backend's own words stay in the job's error_detail, for staff
        return "The AI could not make this. Please try again, or ask your teacher."
    return "Something went wrong while making this. Please try again, or ask your teacher."


STORED_LORA = "storage:"  # a LoRA named by its storage name (a team's fine-tuned model); see local_loras


def lora_cache_root() -> Path:
    """Where a worker keeps the LoRA files it fetched from storage: `AIGC_LORA_CACHE`, else beside the data."""
    configured = getattr(settings, "AIGC_LORA_CACHE", None)
    if configured:
        return Path(configured)
    return Path(getattr(settings, "DATA_DIR", Path(settings.MEDIA_ROOT).parent)) / "lora-cache"


def local_loras(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters with each stored LoRA (`storage:NAME`) fetched into the worker's cache and named by
    that file, which must have the hash the job names (a file changed in storage is refused)."""
    from django.core.files.storage import default_storage

    loras = params.get("loras") or []
    if not any(isinstance(item, dict) and str(item.get("name", "")).startswith(STORED_LORA) for item in loras):
        return params
    resolved = []
    for item in loras:
        name = str(item.get("name", ""))
        if not name.startswith(STORED_LORA):
            resolved.append(item)
            continue
        stored, digest = name[len(STORED_LORA):], str(item.get("sha256") or "")
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise JobFailure("This fine-tuned model cannot be used.", detail=f"no sha256 for {stored}")
        target = lora_cache_root() / digest[:16] / (Path(stored).name or "lora.safetensors")
        if not target.is_file():
            try:
                with default_storage.open(stored, "rb") as handle:
                    data = handle.read()
            except OSError as exc:
                raise JobFailure("This fine-tuned model could not be found.", detail=str(exc)) from exc
            if hashlib.sha256(data).hexdigest() != digest:
                raise JobFailure("This fine-tuned model has changed; choose it again.", detail=f"hash of {stored}")
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(f".{os.getpid()}.part")
            partial.write_bytes(data)
            partial.replace(target)
        resolved.append({**item, "name": str(target)})
    return {**params, "loras": resolved}


def run_image_jobs(contexts: list[RunContext], progress: Progress) -> list[JobOutput | Exception]:
    """Compatible image requests in one call of the generation service (shared forward passes)."""
    from aigc_contest.generation.service import generate_image_batch
    from aigc_contest.generation.types import ImageRequest

    requests = [ImageRequest.model_validate({k: v for k, v in local_loras(c.params).items()
                                             if k != SAFETY_POLICY_PARAM}) for c in contexts]  # fmt: skip
    policy = safety_policy_of(contexts[0].params)  # equal in a batch: the batch key includes it

    def on_step(done: int, total: int) -> None:
        progress(done / max(total, 1), "painting")

    outcomes: list[JobOutput | Exception] = []
    batch = generate_image_batch(requests, progress=on_step, policy=policy)
    for context, images in zip(contexts, batch, strict=True):
        if isinstance(images, Exception):
            outcomes.append(images)
            continue
        files = [(f"job{context.job_id}-{i}-seed{image.seed}.png", image.png, "image/png") for i, image in enumerate(images)]
        outcomes.append(JobOutput(files=files, result={"seeds": [image.seed for image in images]}))
    return outcomes


def run_image_job(params: dict[str, Any]) -> list[bytes]:
    """One image request, outside any queue: the PNG bytes."""
    outcome = run_image_jobs([RunContext(0, 1, params, "")], lambda fraction, message: None)[0]
    if isinstance(outcome, Exception):
        raise outcome
    return [data for _, data, _ in outcome.files]


# ---------------------------------------------------------------- text


def _prepare_text(params: dict[str, Any]) -> tuple[dict[str, Any], str]:
    from pydantic import ValidationError

    from aigc_contest.generation.types import TextRequest

    params = dict(params)
    if isinstance(params.get("prompt"), str) and "messages" not in params:
        params["messages"] = [{"role": "user", "content": params.pop("prompt")}]
    params.setdefault("model", "")
    try:
        request = TextRequest.model_validate(params)
    except ValidationError as exc:
        raise JobFailure("This writing request cannot be used.", detail=str(exc)) from exc
    # Writing for the same model at the same temperature may share one batch (each keeps its own seed and
    # length); the backend's max_batch caps it, as for pictures.
    return request.model_dump(mode="json"), key_hash(("text", request.model, round(request.temperature, 6)))


def _text_max_batch(params: dict[str, Any]) -> int:
    from aigc_contest.generation.registry import shared_registry

    try:
        return int(shared_registry().text_backend(params.get("model") or None).capabilities.max_batch)
    except Exception:  # noqa: BLE001 - the run reports the real problem; batching just falls back to 1
        return 1


def run_text_jobs(contexts: list[RunContext], progress: Progress) -> list[JobOutput | Exception]:
    """Compatible writing requests in one call of the generation service (shared forward passes)."""
    from aigc_contest.generation.registry import shared_registry
    from aigc_contest.generation.service import generate_text_batch
    from aigc_contest.generation.types import TextRequest

    outcomes: list[JobOutput | Exception | None] = [None] * len(contexts)
    requests: list[TextRequest] = []
    places: list[int] = []
    for index, context in enumerate(contexts):
        try:
            request = TextRequest.model_validate(context.params)
            if not request.model:  # the models file's first text model
                request = request.model_copy(update={"model": shared_registry().default("text").name})
            requests.append(request)
            places.append(index)
        except Exception as exc:  # noqa: BLE001 - reported for this job only
            outcomes[index] = exc
    progress(0.05, "writing")
    for index, text in zip(places, generate_text_batch(requests), strict=True):
        outcomes[index] = text if isinstance(text, Exception) else JobOutput(result={"text": text.text})
    return [outcome for outcome in outcomes if outcome is not None]


register(JobKind("image", run_image_jobs, queue="gpu", prepare=_prepare_image, max_batch=_image_max_batch, label="picture"))
register(JobKind("text", run_text_jobs, queue="gpu", prepare=_prepare_text, max_batch=_text_max_batch, label="writing"))
