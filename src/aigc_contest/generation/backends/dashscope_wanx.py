"""DashScope Wanxiang text-to-image through its asynchronous task protocol.

Submit a task (`X-DashScope-Async: enable`), poll it with backoff until it ends, then download every result
at once: result URLs expire after 24 hours. Each account may have only a few tasks in flight, so every
submission holds a slot of an `InFlightLimiter` (process-local by default; the jobs layer can plug in a
shared one) from submission until the task ends.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from aigc_contest.generation.types import (
    Capabilities,
    GeneratedImage,
    GenerationError,
    ImageBackend,
    ImageRequest,
    Language,
    ProgressCallback,
    Provenance,
)

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://dashscope.aliyuncs.com"
SUBMIT_PATH = "/api/v1/services/aigc/text2image/image-synthesis"
TASK_PATH = "/api/v1/tasks/{task_id}"
BACKEND_KIND = "dashscope_wanx"
CONTENT_REFUSAL_CODE = "DataInspectionFailed"
TERMINAL_STATUSES = {"SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"}
MAX_IMAGES_PER_TASK = 4  # DashScope accepts n = 1..4
MAX_SEED = 2**31 - 1  # DashScope's seed range is [0, 2147483647]
MAX_PROMPT_CHARS = 800
MAX_NEGATIVE_PROMPT_CHARS = 500
_KNOWN_OPTIONS = {
    "languages", "test_model", "timeout", "prompt_extend", "watermark", "max_in_flight", "limiter",
    "poll_interval", "max_poll_interval", "task_timeout", "slot_timeout", "submit_retries",
    "min_side", "max_side", "sleep", "clock",
}  # fmt: skip


# -- in-flight limit ---------------------------------------------------------------------------------------


class InFlightLimiter(Protocol):
    """Caps the tasks in flight per API key. `key_id` is a hash of the key, never the key itself."""

    def slot(self, key_id: str, limit: int, timeout: float) -> AbstractContextManager[None]:
        """Held while one task is in flight; entering raises TimeoutError when no slot frees within `timeout`."""
        ...


class ProcessLocalLimiter:
    """A semaphore per key id, shared by every backend of this process that uses the same key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._semaphores: dict[str, threading.BoundedSemaphore] = {}

    def _semaphore(self, key_id: str, limit: int) -> threading.BoundedSemaphore:
        with self._lock:
            if key_id not in self._semaphores:
                self._semaphores[key_id] = threading.BoundedSemaphore(limit)
            return self._semaphores[key_id]

    @contextmanager
    def slot(self, key_id: str, limit: int, timeout: float) -> Iterator[None]:
        semaphore = self._semaphore(key_id, limit)
        if not semaphore.acquire(timeout=timeout):
            raise TimeoutError(f"no free slot for key {key_id} within {timeout:g} s")
        try:
            yield
        finally:
            semaphore.release()


_PROCESS_LIMITER = ProcessLocalLimiter()


def key_id_for(api_key: str) -> str:
    """A short, stable, non-reversible name for an API key (for limits and logs)."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


def remote_refusal(detail: str) -> Exception:
    """DashScope's content inspection refused: a safety refusal, never a crash or the content itself."""
    from aigc_contest.safety import refusal_from_remote

    return refusal_from_remote(CONTENT_REFUSAL_CODE, detail)


# -- backend -----------------------------------------------------------------------------------------------


class DashScopeImageBackend(ImageBackend):
    """Wanxiang text-to-image (e.g. `wanx2.1-t2i-turbo`) on DashScope, or a server speaking its protocol."""

    def __init__(
        self,
        name: str,
        model_id: str,
        base_url: str | None = None,
        api_key: str | None = None,
        **options: Any,
    ):
        unknown = set(options) - _KNOWN_OPTIONS
        if unknown:
            logger.warning("image model %s: ignoring unknown option(s) %s", name, ", ".join(sorted(unknown)))
        self.name = name
        self.model_id = model_id
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self._api_key = api_key
        self.test_model = bool(options.get("test_model", False))
        self.timeout = float(options.get("timeout", 30.0))
        self.prompt_extend = bool(options.get("prompt_extend", False))  # keep the participant's own words
        self.watermark = bool(options.get("watermark", False))
        self.max_in_flight = int(options.get("max_in_flight", 2))
        self.limiter: InFlightLimiter = options.get("limiter") or _PROCESS_LIMITER
        self.poll_interval = float(options.get("poll_interval", 1.0))
        self.max_poll_interval = float(options.get("max_poll_interval", 5.0))
        self.task_timeout = float(options.get("task_timeout", 300.0))
        self.slot_timeout = float(options.get("slot_timeout", 600.0))
        self.submit_retries = int(options.get("submit_retries", 3))
        self.min_side = int(options.get("min_side", 512))
        self.max_side = int(options.get("max_side", 1440))
        self._sleep: Callable[[float], None] = options.get("sleep") or time.sleep
        self._clock: Callable[[], float] = options.get("clock") or time.monotonic
        languages: tuple[Language, ...] = tuple(options.get("languages", ("en", "zh-Hans", "zh-Hant")))
        self.capabilities = Capabilities(
            languages=languages, negative_prompt=True, seed=True, lora=False, max_batch=MAX_IMAGES_PER_TASK
        )
        self._http: Any = None  # httpx.Client, made on first use

    # -- public interface -------------------------------------------------------------------------------

    def generate(
        self, request: ImageRequest, progress: ProgressCallback | None = None
    ) -> list[GeneratedImage]:
        self._check_request(request)
        api_key = self._resolve_api_key()
        images: list[GeneratedImage] = []
        failures: list[str] = []
        # More than 4 images: several tasks, continuing the seed + i sequence.
        for first in range(0, request.n, MAX_IMAGES_PER_TASK):
            count = min(MAX_IMAGES_PER_TASK, request.n - first)
            task_images, task_failures = self._run_task(request, api_key, first, count)
            images.extend(task_images)
            failures.extend(task_failures)
            if progress is not None:
                progress(first + count, request.n)
        if not images:
            raise GenerationError(
                f"no image was made: {'; '.join(failures) or 'the task returned no results'}"
            )
        if failures:
            logger.warning(
                "image model %s: %d of %d images failed: %s",
                self.name,
                len(failures),
                request.n,
                "; ".join(failures),
            )
        return images

    # -- request checks ---------------------------------------------------------------------------------

    def _check_request(self, request: ImageRequest) -> None:
        if request.loras:
            raise GenerationError(f"image model {self.name!r} is a remote service and cannot use LoRA files")
        for side_name, side in (("width", request.width), ("height", request.height)):
            if not self.min_side <= side <= self.max_side:
                raise GenerationError(
                    f"image model {self.name!r} makes pictures {self.min_side}–{self.max_side} pixels wide and "
                    f"high; the requested {side_name} is {side}"
                )
        if len(request.prompt) > MAX_PROMPT_CHARS:
            raise GenerationError(
                f"the prompt is too long for {self.name!r}: at most {MAX_PROMPT_CHARS} characters"
            )
        if len(request.negative_prompt) > MAX_NEGATIVE_PROMPT_CHARS:
            raise GenerationError(
                f"the negative prompt is too long for {self.name!r}: at most {MAX_NEGATIVE_PROMPT_CHARS} characters"
            )
        if request.seed + request.n - 1 > MAX_SEED:
            raise GenerationError(f"seeds for {self.name!r} must stay at or below {MAX_SEED}")

    def _resolve_api_key(self) -> str:
        key = self._api_key or os.environ.get("DASHSCOPE_API_KEY")
        if not key:
            raise GenerationError(
                f"image model {self.name!r} has no API key: set DASHSCOPE_API_KEY or api_key in the models file"
            )
        return key

    # -- one task ---------------------------------------------------------------------------------------

    def _client(self) -> Any:
        if self._http is None:
            try:
                import httpx
            except ImportError:
                raise GenerationError(
                    "the 'httpx' package is needed for remote image models: pip install 'aigc-contest[remote]'"
                ) from None
            self._http = httpx.Client(timeout=httpx.Timeout(self.timeout), follow_redirects=True)
        return self._http

    def _run_task(
        self, request: ImageRequest, api_key: str, first: int, count: int
    ) -> tuple[list[GeneratedImage], list[str]]:
        seed = request.seed + first
        headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        try:
            with self.limiter.slot(key_id_for(api_key), self.max_in_flight, self.slot_timeout):
                task_id, request_id = self._submit(request, headers, seed, count)
                output = self._wait(task_id, headers)
        except TimeoutError:
            raise GenerationError(
                "too many pictures are being made with this account right now; please try again shortly"
            ) from None

        images: list[GeneratedImage] = []
        failures: list[str] = []
        refused = 0
        for index, result in enumerate(output.get("results") or []):
            if not isinstance(result, dict) or "url" not in result:
                code = str(result.get("code", "")) if isinstance(result, dict) else ""
                refused += code == CONTENT_REFUSAL_CODE
                failures.append(f"image {first + index + 1}: {code or 'failed'}")
                continue
            png = self._download(result["url"])
            provenance = self._provenance(request, seed + index, png, task_id, request_id, result)
            images.append(
                GeneratedImage(png=_embed(png, provenance), seed=seed + index, provenance=provenance)
            )
        if not images and refused:
            raise remote_refusal("DashScope's content inspection refused every picture of this request")
        return images, failures

    def _submit(
        self, request: ImageRequest, headers: dict[str, str], seed: int, count: int
    ) -> tuple[str, str]:
        body: dict[str, Any] = {
            "model": self.model_id,
            "input": {"prompt": request.prompt},
            "parameters": {
                "size": f"{request.width}*{request.height}",
                "n": count,
                "seed": seed,
                "prompt_extend": self.prompt_extend,
                "watermark": self.watermark,
            },
        }
        if request.negative_prompt:
            body["input"]["negative_prompt"] = request.negative_prompt
        url = self.base_url + SUBMIT_PATH
        delay = self.poll_interval
        for attempt in range(self.submit_retries + 1):
            response = self._http_call(
                "post", url, headers={**headers, "X-DashScope-Async": "enable"}, json=body
            )
            data = _json_or_empty(response)
            if response.status_code == 429 and attempt < self.submit_retries:
                self._sleep(delay)  # Throttling: the account is busy, wait and submit again
                delay = min(delay * 2, self.max_poll_interval)
                continue
            if response.status_code != 200:
                raise self._api_error(response.status_code, data, "submitting the picture request")
            task_id = (data.get("output") or {}).get("task_id")
            if not task_id:
                raise GenerationError("DashScope accepted the request but returned no task id")
            return str(task_id), str(data.get("request_id", ""))
        raise AssertionError("unreachable")  # the loop returns or raises

    def _wait(self, task_id: str, headers: dict[str, str]) -> dict[str, Any]:
        """Poll the task with growing intervals until it ends; the task's `output` when it SUCCEEDED."""
        url = self.base_url + TASK_PATH.format(task_id=task_id)
        deadline = self._clock() + self.task_timeout
        delay = self.poll_interval
        transient_failures = 0
        while True:
            self._sleep(delay)
            delay = min(delay * 1.5, self.max_poll_interval)
            try:
                response = self._http_call("get", url, headers=headers)
            except GenerationError:
                # A lost poll must not lose the task: try again a few times before giving up.
                transient_failures += 1
                if transient_failures >= 5:
                    raise
                continue
            data = _json_or_empty(response)
            if response.status_code >= 500 or response.status_code == 429:
                transient_failures += 1
                if transient_failures >= 5:
                    raise self._api_error(response.status_code, data, f"checking task {task_id}")
                continue
            if response.status_code != 200:
                raise self._api_error(response.status_code, data, f"checking task {task_id}")
            transient_failures = 0
            output = data.get("output") or {}
            status = output.get("task_status", "UNKNOWN")
            if status == "SUCCEEDED":
                return output
            if status in TERMINAL_STATUSES:
                raise self._task_error(task_id, status, output)
            if self._clock() >= deadline:
                raise GenerationError(
                    f"DashScope task {task_id} was still {status} after {self.task_timeout:g} s; try again later"
                )

    def _download(self, url: str) -> bytes:
        """Copy one result now (DashScope's links expire after 24 h); no API key goes to the storage host."""
        try:
            response = self._client().get(url)
        except Exception as exc:  # httpx errors; the module is imported lazily
            raise GenerationError(f"could not download the finished picture: {type(exc).__name__}") from None
        if response.status_code in (403, 404):
            raise GenerationError(
                "the finished picture's link has expired or is gone (DashScope keeps results for 24 hours)"
            )
        if response.status_code != 200:
            raise GenerationError(f"downloading the finished picture failed with HTTP {response.status_code}")
        return response.content

    # -- errors -----------------------------------------------------------------------------------------

    def _http_call(self, method: str, url: str, **kwargs: Any) -> Any:
        import httpx

        try:
            return getattr(self._client(), method)(url, **kwargs)
        except httpx.TimeoutException:
            raise GenerationError(
                f"DashScope did not answer within {self.timeout:g} s; try again later"
            ) from None
        except httpx.HTTPError as exc:
            raise GenerationError(
                f"could not reach {self.base_url} ({type(exc).__name__}): is the address right?"
            ) from None

    def _api_error(self, status: int, data: dict[str, Any], doing: str) -> Exception:
        code = str(data.get("code", ""))
        message = str(data.get("message", ""))[:300]
        if code == CONTENT_REFUSAL_CODE:
            return remote_refusal("DashScope's content inspection refused the prompt")
        if status in (401, 403) or code in ("InvalidApiKey", "AccessDenied"):
            return GenerationError(
                f"DashScope refused the API key for image model {self.name!r} (HTTP {status})"
            )
        if status == 429:
            return GenerationError(
                "DashScope is busy with this account's requests (rate limited); try again shortly"
            )
        detail = f"{code}: {message}" if code else message or "no details"
        return GenerationError(f"DashScope answered HTTP {status} while {doing} ({detail})")

    def _task_error(self, task_id: str, status: str, output: dict[str, Any]) -> Exception:
        code = str(output.get("code", ""))
        if code == CONTENT_REFUSAL_CODE:
            return remote_refusal("DashScope's content inspection refused the picture")
        if status == "UNKNOWN":
            return GenerationError(f"DashScope no longer knows task {task_id} (tasks are kept for 24 hours)")
        if status == "CANCELED":
            return GenerationError(f"DashScope task {task_id} was cancelled")
        message = str(output.get("message", ""))[:300]
        return GenerationError(
            f"DashScope task {task_id} failed ({code or 'no code'}: {message or 'no details'})"
        )

    # -- provenance -------------------------------------------------------------------------------------

    def _provenance(
        self,
        request: ImageRequest,
        seed: int,
        png: bytes,
        task_id: str,
        request_id: str,
        result: dict[str, Any],
    ) -> Provenance:
        width, height = _image_size(png)
        extra: dict[str, Any] = {
            "task_id": task_id,
            "request_id": request_id,
            "prompt_extend": self.prompt_extend,
            "watermark": self.watermark,
        }
        if "actual_prompt" in result:
            extra["actual_prompt"] = result["actual_prompt"]
        if request.style:
            extra["style"] = request.style
        return Provenance(
            backend=BACKEND_KIND,
            model=self.name,
            model_id=self.model_id,
            prompt=request.prompt,
            original_prompt=request.original_prompt,
            negative_prompt=request.negative_prompt,
            seed=seed,
            width=width,
            height=height,
            is_test_model=self.test_model,
            extra=extra,
        )


def _json_or_empty(response: Any) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _image_size(png: bytes) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(png)) as image:
            return image.size
    except (UnidentifiedImageError, OSError):
        raise GenerationError("DashScope's result link did not contain a picture") from None


def _embed(image_bytes: bytes, provenance: Provenance) -> bytes:
    """Re-encode the downloaded picture as PNG with the provenance chunks written in."""
    from PIL import Image

    from aigc_contest.generation.provenance import png_with_provenance

    with Image.open(io.BytesIO(image_bytes)) as downloaded:
        downloaded.load()
        # PNG cannot hold e.g. CMYK JPEG data; everything else is kept as it came.
        keep = downloaded.mode in ("RGB", "RGBA", "L", "LA", "P")
        image = downloaded if keep else downloaded.convert("RGB")
        return png_with_provenance(image, provenance)
