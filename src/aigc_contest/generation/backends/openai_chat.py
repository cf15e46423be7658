"""Chat models behind an OpenAI-compatible API: Qwen through DashScope compatible mode, vLLM, Ollama, OpenAI.

Structured answers use `response_format` (a strict `json_schema` where the model supports it, else
`json_object`) and are always re-validated with pydantic, retrying with the validation errors.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aigc_contest.generation.structured import complete_json_with_retries, with_schema_instructions
from aigc_contest.generation.types import (
    Capabilities,
    ChatMessage,
    GenerationError,
    Language,
    Provenance,
    T,
    TextBackend,
    TextRequest,
    TextResult,
)

if TYPE_CHECKING:
    import openai

logger = logging.getLogger(__name__)

DASHSCOPE_COMPATIBLE_URL = "https://dashscope.aliyuncs.com/compatible-mode/v1"
BACKEND_KIND = "openai_chat"
# Error codes / finish reasons meaning the provider's own content inspection refused the request.
_CONTENT_REFUSAL_CODES = {
    "data_inspection_failed",
    "datainspectionfailed",
    "content_filter",
    "content_policy_violation",
}
_CONTENT_REFUSAL_PHRASES = ("inappropriate content", "content management policy", "content_filter")
_KNOWN_OPTIONS = {"languages", "max_batch", "strict_schema", "timeout", "test_model", "max_retries"}
_ALL_LANGUAGES: tuple[Language, ...] = ("en", "zh-Hans", "zh-Hant")


def remote_refusal(code: str, detail: str) -> Exception:
    """The provider's content inspection refused: a safety refusal, never a crash or the content itself."""
    from aigc_contest.safety import refusal_from_remote

    return refusal_from_remote(code, detail)


class OpenAIChatBackend(TextBackend):
    """A chat model at `base_url` (None: api.openai.com) speaking the chat completions protocol.

    `complete(request, on_text=...)` asks for a streamed answer (`stream=True`, server-sent events): each
    piece goes to `on_text`, and the stream is closed as soon as `on_text` returns False."""

    streams = True

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
            logger.warning("text model %s: ignoring unknown option(s) %s", name, ", ".join(sorted(unknown)))
        self.name = name
        self.model_id = model_id
        self.base_url = base_url
        self._api_key = api_key
        self.strict_schema = bool(options.get("strict_schema", False))
        self.timeout = float(options.get("timeout", 60.0))
        self.max_retries = int(options.get("max_retries", 2))  # the SDK's own retries of 429/5xx
        self.test_model = bool(options.get("test_model", False))
        self.capabilities = Capabilities(
            languages=tuple(options.get("languages", _ALL_LANGUAGES)),
            negative_prompt=False,
            seed=True,
            max_batch=int(options.get("max_batch", 1)),
            json_schema=True,
        )
        self._client: openai.OpenAI | None = None

    # -- public interface -------------------------------------------------------------------------------

    def complete(self, request: TextRequest, on_text: Callable[[str], bool] | None = None) -> TextResult:
        if on_text is not None:
            text, finish_reason, extra = self._chat_stream(request.messages, request, on_text)
        else:
            text, finish_reason, extra = self._chat(request.messages, request, response_format=None)
        return TextResult(text=text, finish_reason=finish_reason, provenance=self._provenance(request, extra))

    def complete_batch(
        self,
        requests: list[TextRequest],
        on_text: list[Callable[[str], bool] | None] | None = None,
    ) -> list[TextResult | Exception]:
        """Several requests in flight at once (`max_batch` at a time), in the order asked: a vLLM or SGLang
        server batches concurrent requests on its GPU (continuous batching). A failed request is returned
        as its exception, in its place."""
        from concurrent.futures import ThreadPoolExecutor

        callbacks = list(on_text) if on_text is not None else [None] * len(requests)
        self._get_client()  # one client, made before the threads share it

        def one(index: int) -> TextResult | Exception:
            try:
                return self.complete(requests[index], on_text=callbacks[index])
            except Exception as exc:  # noqa: BLE001 - this request only
                return exc

        workers = max(1, min(self.capabilities.max_batch, len(requests)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(one, range(len(requests))))

    def complete_json(self, request: TextRequest, schema: type[T], max_attempts: int = 3) -> T:
        response_format = self._response_format(schema)
        prepared = request.model_copy(update={"messages": with_schema_instructions(request.messages, schema)})

        def generate(messages: list[ChatMessage]) -> str:
            text, _finish_reason, _extra = self._chat(messages, request, response_format=response_format)
            return text

        return complete_json_with_retries(generate, prepared, schema, max_attempts=max_attempts)

    # -- internals --------------------------------------------------------------------------------------

    def _response_format(self, schema: type[T]) -> dict[str, Any]:
        if not self.strict_schema:
            return {"type": "json_object"}
        # The name must match ^[a-zA-Z0-9_-]{1,64}$.
        schema_name = (
            "".join(c if c.isalnum() or c in "_-" else "_" for c in schema.__name__)[:64] or "answer"
        )
        return {
            "type": "json_schema",
            "json_schema": {"name": schema_name, "schema": schema.model_json_schema(), "strict": True},
        }

    def _resolve_api_key(self) -> str:
        if self._api_key:
            return self._api_key
        host = (urlsplit(self.base_url).hostname or "") if self.base_url else "api.openai.com"
        env_name = "DASHSCOPE_API_KEY" if "dashscope" in host else "OPENAI_API_KEY"
        if key := os.environ.get(env_name):
            return key
        if not any(cloud in host for cloud in ("dashscope", "openai.com")):
            return "not-needed"  # self-hosted servers (vLLM, Ollama) accept any key
        raise GenerationError(
            f"text model {self.name!r} has no API key: set {env_name} or api_key in the models file"
        )

    def _get_client(self) -> openai.OpenAI:
        if self._client is None:
            try:
                import openai
            except ImportError:
                raise GenerationError(
                    "the 'openai' package is needed for remote text models: pip install 'aigc-contest[remote]'"
                ) from None
            self._client = openai.OpenAI(
                api_key=self._resolve_api_key(),
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=self.max_retries,
            )
        return self._client

    def _where(self) -> str:
        return urlsplit(self.base_url).netloc if self.base_url else "api.openai.com"

    def _kwargs(self, messages: list[ChatMessage], request: TextRequest) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": self.model_id,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if request.seed is not None:
            kwargs["seed"] = request.seed
        return kwargs

    def _chat_stream(
        self, messages: list[ChatMessage], request: TextRequest, on_text: Callable[[str], bool]
    ) -> tuple[str, str | None, dict[str, Any]]:
        import openai

        client = self._get_client()
        pieces: list[str] = []
        finish_reason: str | None = None
        response_id = ""
        try:
            stream = client.chat.completions.create(**self._kwargs(messages, request), stream=True)
            try:
                for chunk in stream:
                    response_id = response_id or chunk.id
                    if not chunk.choices:
                        continue
                    choice = chunk.choices[0]
                    if choice.finish_reason:
                        finish_reason = choice.finish_reason
                    piece = choice.delta.content if choice.delta is not None else None
                    if piece:
                        pieces.append(piece)
                        if on_text(piece) is False:
                            finish_reason = "stopped"
                            break
            finally:
                stream.close()  # stops the server generating the rest
        except openai.APIError as exc:
            raise self._translate_error(exc) from None
        if finish_reason == "content_filter":
            raise remote_refusal("content_filter", f"{self._where()}'s content filter stopped the answer")
        return (
            "".join(pieces),
            finish_reason,
            {"response_id": response_id, "server": self._where(), "streamed": True},
        )

    def _chat(
        self, messages: list[ChatMessage], request: TextRequest, response_format: dict[str, Any] | None
    ) -> tuple[str, str | None, dict[str, Any]]:
        import openai

        client = self._get_client()
        kwargs = self._kwargs(messages, request)
        if response_format is not None:
            kwargs["response_format"] = response_format
        try:
            completion = client.chat.completions.create(**kwargs)
        except openai.APIError as exc:
            raise self._translate_error(exc) from None

        if not completion.choices:
            raise GenerationError(f"text model {self.name!r} returned no answer")
        choice = completion.choices[0]
        if choice.finish_reason == "content_filter":
            raise remote_refusal("content_filter", f"{self._where()}'s content filter stopped the answer")
        text = choice.message.content
        if text is None:
            raise GenerationError(f"text model {self.name!r} returned an empty answer")
        extra: dict[str, Any] = {"response_id": completion.id, "server": self._where()}
        if completion.usage is not None:
            extra["usage"] = {
                "prompt_tokens": completion.usage.prompt_tokens,
                "completion_tokens": completion.usage.completion_tokens,
            }
        return text, choice.finish_reason, extra

    def _translate_error(self, exc: openai.APIError) -> Exception:
        """An SDK error as a GenerationError (or a safety refusal) with a reason a person can act on."""
        import openai

        where = self._where()
        code = (exc.code or "").lower()
        message = exc.message or ""
        if code in _CONTENT_REFUSAL_CODES or any(p in message.lower() for p in _CONTENT_REFUSAL_PHRASES):
            detail = f"{where} refused the request in its content inspection"
            return remote_refusal(exc.code or "content_filter", detail)
        if isinstance(exc, openai.APITimeoutError):
            return GenerationError(f"{where} did not answer within {self.timeout:g} s; try again later")
        if isinstance(exc, openai.APIConnectionError):
            return GenerationError(f"could not connect to {where}: is the server running and the URL right?")
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            # The server's own message may echo part of the key: not repeated here.
            return GenerationError(
                f"{where} refused the API key for text model {self.name!r} (HTTP {exc.status_code})"
            )
        if isinstance(exc, openai.RateLimitError):
            return GenerationError(
                f"{where} is rate limiting requests (HTTP 429): wait a moment and try again"
            )
        if isinstance(exc, openai.NotFoundError):
            return GenerationError(f"{where} does not know the model {self.model_id!r} (HTTP 404)")
        if isinstance(exc, openai.APIStatusError):
            return GenerationError(f"{where} answered HTTP {exc.status_code}: {message[:300]}")
        return GenerationError(f"{where} gave an unusable answer: {message[:300]}")

    def _provenance(self, request: TextRequest, extra: dict[str, Any]) -> Provenance:
        last_user = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        return Provenance(
            backend=BACKEND_KIND,
            model=self.name,
            model_id=self.model_id,
            prompt=last_user,
            seed=request.seed,
            is_test_model=self.test_model,
            extra=extra,
        )
