"""Local text generation with transformers: a causal LM driven through its chat template.

`complete_json` constrains decoding with llguidance (a logits processor that masks every token the JSON
schema does not allow), then re-validates the answer with pydantic and retries with the validation errors
(constrained decoding cannot check everything, e.g. cross-field rules or a length cut-off).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from aigc_contest.generation.provenance import public_source
from aigc_contest.generation.types import (
    Capabilities,
    ChatMessage,
    GenerationError,
    Language,
    Provenance,
    TextBackend,
    TextRequest,
    TextResult,
)

T = TypeVar("T", bound=BaseModel)


class _JsonSchemaMask:
    """A transformers LogitsProcessor (duck-typed) that keeps only tokens an llguidance matcher allows.

    Batch size 1: the matcher follows one sequence, consuming the token sampled at the previous step."""

    def __init__(self, matcher: Any, prompt_length: int, eos_token_id: int) -> None:
        self.matcher = matcher
        self.prompt_length = prompt_length
        self.eos_token_id = eos_token_id

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import numpy as np
        import torch

        if input_ids.shape[0] != 1:
            raise GenerationError("constrained decoding runs one sequence at a time")
        if input_ids.shape[1] > self.prompt_length:
            self.matcher.consume_token(int(input_ids[0, -1]))
        if self.matcher.is_error():
            raise GenerationError(f"constrained decoding failed: {self.matcher.get_error()}")
        width = scores.shape[-1]
        if self.matcher.is_stopped():
            allowed = np.zeros(width, dtype=bool)
            allowed[self.eos_token_id] = True
        else:
            words = np.frombuffer(self.matcher.compute_bitmask(), dtype=np.uint8)
            allowed = np.unpackbits(words, bitorder="little").astype(bool)
            if allowed.size < width:  # model vocab padded beyond the tokenizer: never pick those
                allowed = np.concatenate([allowed, np.zeros(width - allowed.size, dtype=bool)])
            allowed = allowed[:width]
        mask = torch.from_numpy(allowed).to(scores.device)
        return scores.masked_fill(~mask, float("-inf"))


class _TextStream:
    """A transformers streamer (duck-typed `put` / `end`) passing each new piece of text to `on_text`;
    when `on_text` returns False, `stopped` is set and the stopping criterion ends generation."""

    def __init__(self, tokenizer: Any, on_text: Callable[[str], bool]) -> None:
        self.tokenizer = tokenizer
        self.on_text = on_text
        self.tokens: list[int] = []
        self.sent = ""
        self.prompt_seen = False
        self.stopped = False

    def put(self, value: Any) -> None:
        if not self.prompt_seen:  # the first call carries the prompt
            self.prompt_seen = True
            return
        self.tokens += [int(t) for t in value.reshape(-1).tolist()]
        self._emit(final=False)

    def end(self) -> None:
        self._emit(final=True)

    def _emit(self, final: bool) -> None:
        if self.stopped:
            return
        text = self.tokenizer.decode(self.tokens, skip_special_tokens=True)
        if not final and text.endswith("\ufffd"):  # half a character: wait for the rest of its bytes
            return
        if len(text) > len(self.sent) and text.startswith(self.sent):
            piece, self.sent = text[len(self.sent) :], text
            if self.on_text(piece) is False:
                self.stopped = True


def _stop_when(stream: _TextStream) -> Any:
    from transformers import StoppingCriteria

    class StopWhenAsked(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            import torch

            return torch.full(
                (input_ids.shape[0],), stream.stopped, dtype=torch.bool, device=input_ids.device
            )

    return StopWhenAsked()


class TransformersTextBackend(TextBackend):
    """A chat model loaded with AutoModelForCausalLM on first use and kept loaded.

    `complete(request, on_text=...)` streams: each new piece of text goes to `on_text` as it is decoded,
    and generation stops as soon as `on_text` returns False (the safety layer's streaming screen)."""

    streams = True

    def __init__(
        self,
        name: str,
        source: str,
        *,
        languages: tuple[Language, ...] = ("en", "zh-Hans", "zh-Hant"),
        defaults: dict[str, Any] | None = None,
        is_test_model: bool = False,
        device: str | None = None,
        dtype: str | None = None,
    ) -> None:
        self.name = name
        self.source = source
        self.defaults = dict(defaults or {})
        self.is_test_model = is_test_model
        self._device = device
        self._dtype_name = dtype
        self.capabilities = Capabilities(
            languages=languages, negative_prompt=False, seed=True, lora=False, max_batch=1, json_schema=True
        )
        self._model: Any = None
        self._tokenizer: Any = None
        self._ll_tokenizer: Any = None
        self._model_hash: str | None = None
        self._model_revision: str | None = None
        self._lock = threading.RLock()

    # ----------------------------------------------------------------------------------------- loading

    @property
    def device(self) -> str:
        if self._device is None:
            import torch

            self._device = "cuda" if torch.cuda.is_available() else "cpu"
        return self._device

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._model is None:
                import torch
                from transformers import AutoModelForCausalLM, AutoTokenizer

                from aigc_contest.generation.backends.diffusers_image import (
                    not_cached_message,
                    offline_mode,
                    weights_hash,
                )

                dtype = torch.float32
                if self.device != "cpu":
                    dtype = {"fp16": torch.float16, "fp32": torch.float32}.get(
                        self._dtype_name or "", torch.bfloat16
                    )
                source = Path(self.source).expanduser()
                local = source.is_dir()

                def load(local_files_only: bool) -> tuple[Any, Any]:
                    where = str(source) if local else self.source
                    tokenizer = AutoTokenizer.from_pretrained(where, local_files_only=local_files_only)
                    model = AutoModelForCausalLM.from_pretrained(
                        where, dtype=dtype, local_files_only=local_files_only
                    )
                    return tokenizer, model

                try:
                    tokenizer, model = load(local_files_only=True)
                except (OSError, ValueError) as cached_error:
                    if local or offline_mode():
                        if local:
                            raise GenerationError(
                                f"model {self.name!r}: cannot load {source}: {cached_error}"
                            ) from None
                        raise GenerationError(not_cached_message(self.source, self.name)) from cached_error
                    try:
                        tokenizer, model = load(local_files_only=False)
                    except OSError as exc:
                        raise GenerationError(
                            f"{not_cached_message(self.source, self.name)} ({exc})"
                        ) from exc
                if tokenizer.chat_template is None:
                    raise GenerationError(
                        f"model {self.name!r} has no chat template; use an instruct/chat model"
                    )
                model.to(self.device).eval()
                self._tokenizer, self._model = tokenizer, model
                if local:
                    self._model_hash = weights_hash(source)
                else:
                    self._model_hash, self._model_revision = _hub_identity(self.source)
            return self._tokenizer, self._model

    def _llguidance_tokenizer(self) -> Any:
        if self._ll_tokenizer is None:
            import llguidance.hf

            tokenizer, _ = self._load()
            self._ll_tokenizer = llguidance.hf.from_tokenizer(tokenizer)
        return self._ll_tokenizer

    # ---------------------------------------------------------------------------------------- generation

    def _generate(
        self,
        messages: list[ChatMessage],
        request: TextRequest,
        json_schema: dict[str, Any] | None = None,
        on_text: Callable[[str], bool] | None = None,
    ) -> tuple[str, str]:
        """(answer text, finish reason) for one conversation."""
        import torch

        tokenizer, model = self._load()
        with self._lock:
            inputs = tokenizer.apply_chat_template(
                [m.model_dump() for m in messages],
                add_generation_prompt=True,
                return_tensors="pt",
                return_dict=True,
            ).to(self.device)
            prompt_length = inputs["input_ids"].shape[1]
            processors = []
            if json_schema is not None:
                import llguidance

                grammar = llguidance.LLMatcher.grammar_from_json_schema(
                    json.dumps(json_schema), defaults={"whitespace_flexible": False}
                )
                matcher = llguidance.LLMatcher(self._llguidance_tokenizer(), grammar, log_level=0)
                if matcher.is_error():
                    raise GenerationError(
                        f"the JSON schema cannot be used for decoding: {matcher.get_error()}"
                    )
                processors.append(_JsonSchemaMask(matcher, prompt_length, tokenizer.eos_token_id))
            if request.seed is not None:
                torch.manual_seed(request.seed)
            sample = request.temperature > 0
            from transformers import LogitsProcessorList, StoppingCriteriaList

            stream = _TextStream(tokenizer, on_text) if on_text is not None else None
            with torch.inference_mode():
                output = model.generate(
                    **inputs,
                    max_new_tokens=request.max_tokens,
                    do_sample=sample,
                    temperature=request.temperature if sample else None,
                    top_p=None,
                    top_k=None,
                    logits_processor=LogitsProcessorList(processors) if processors else None,
                    eos_token_id=tokenizer.eos_token_id,
                    pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
                    streamer=stream,
                    stopping_criteria=StoppingCriteriaList([_stop_when(stream)]) if stream else None,
                )
        new_tokens = output[0, prompt_length:].tolist()
        text = tokenizer.decode(new_tokens, skip_special_tokens=True)
        if stream is not None and stream.stopped:
            return text, "stopped"
        finished = bool(new_tokens) and new_tokens[-1] == tokenizer.eos_token_id
        return text, "stop" if finished else "length"

    def _provenance(self, request: TextRequest) -> Provenance:
        last_user = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        return Provenance(
            backend="transformers",
            model=self.name,
            model_id=public_source(self.name, self.source),  # a local model by its name, never its path
            model_hash=self._model_hash,
            model_revision=self._model_revision,
            prompt=last_user,
            seed=request.seed,
            is_test_model=self.is_test_model,
            extra={"max_tokens": request.max_tokens, "temperature": request.temperature},
        )

    def complete(self, request: TextRequest, on_text: Callable[[str], bool] | None = None) -> TextResult:
        text, finish_reason = self._generate(request.messages, request, on_text=on_text)
        return TextResult(text=text, provenance=self._provenance(request), finish_reason=finish_reason)

    def complete_json(self, request: TextRequest, schema: type[T], max_attempts: int = 3) -> T:
        from aigc_contest.generation.structured import complete_json_with_retries, with_schema_instructions

        json_schema = schema.model_json_schema()
        request = request.model_copy(update={"messages": with_schema_instructions(request.messages, schema)})
        return complete_json_with_retries(
            lambda messages: self._generate(messages, request, json_schema)[0], request, schema, max_attempts
        )


def _hub_identity(repo_id: str) -> tuple[str | None, str | None]:
    """(weights hash, commit) of a hub model in the local cache, or Nones where it cannot be told."""
    try:
        from huggingface_hub import snapshot_download

        from aigc_contest.generation.backends.diffusers_image import weights_hash

        snapshot = snapshot_download(repo_id, local_files_only=True)
        return weights_hash(snapshot), Path(snapshot).name
    except Exception:  # the identity is a nicety; loading already succeeded
        return None, None
