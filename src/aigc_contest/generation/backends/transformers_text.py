"""Local text generation with transformers: a causal LM driven through its chat template.

`complete_json` constrains decoding with llguidance (a logits processor that masks every token the JSON
schema does not allow), then re-validates the answer with pydantic and retries with the validation errors
(constrained decoding cannot check everything, e.g. cross-field rules or a length cut-off).

`complete_batch` answers several compatible requests in one `generate` call: prompts are left-padded
with an attention mask, each row stops at its own `max_tokens` and its own end-of-answer token, and each
row samples from its own seeded generator, so a request's answer is the same alone or in a batch (exactly
for greedy decoding and, numerics permitting, for seeded sampling). Constrained rows each follow their
own llguidance matcher (`complete_json_batch`). A single request asked from inside a gather
(generation.batching) is batched with the other participants' requests.
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
    """A transformers LogitsProcessor (duck-typed) that keeps only tokens each row's llguidance matcher
    allows. Each matcher follows its own row, consuming the token chosen at the previous step; rows without
    a matcher are left alone, and rows that already ended (`done`) are no longer followed."""

    def __init__(
        self, matchers: list[Any | None], prompt_length: int, eos_token_id: int, done: list[bool]
    ) -> None:
        self.matchers = matchers
        self.prompt_length = prompt_length
        self.eos_token_id = eos_token_id
        self.done = done

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import numpy as np
        import torch

        width = scores.shape[-1]
        for row, matcher in enumerate(self.matchers):
            if matcher is None or self.done[row]:
                continue
            if input_ids.shape[1] > self.prompt_length:
                matcher.consume_token(int(input_ids[row, -1]))
            if matcher.is_error():
                raise GenerationError(f"constrained decoding failed: {matcher.get_error()}")
            if matcher.is_stopped():
                allowed = np.zeros(width, dtype=bool)
                allowed[self.eos_token_id] = True
            else:
                words = np.frombuffer(matcher.compute_bitmask(), dtype=np.uint8)
                allowed = np.unpackbits(words, bitorder="little").astype(bool)
                if allowed.size < width:  # model vocab padded beyond the tokenizer: never pick those
                    allowed = np.concatenate([allowed, np.zeros(width - allowed.size, dtype=bool)])
                allowed = allowed[:width]
            mask = torch.from_numpy(allowed).to(scores.device)
            scores[row] = scores[row].masked_fill(~mask, float("-inf"))
        return scores


class _TextStream:
    """Passes each new piece of one row's text to `on_text` (fed token by token with `add`, or as a
    transformers streamer with `put` / `end`); when `on_text` returns False, `stopped` is set and the
    row's stopping criterion ends it."""

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

    def add(self, token: int) -> None:
        """One new token of this row (batched generation feeds rows one token at a time)."""
        self.prompt_seen = True
        self.tokens.append(token)
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


class _Rows:
    """A stopping criterion (duck-typed) that records each row's new tokens and ends the row at its own
    `max_tokens`, at the end-of-answer token, or when its stream asks to stop; rows that ended are padded
    by `generate` and ignored here."""

    def __init__(self, limits: list[int], eos_token_id: int, streams: list[_TextStream | None]) -> None:
        self.limits = limits
        self.eos_token_id = eos_token_id
        self.streams = streams
        self.tokens: list[list[int]] = [[] for _ in limits]
        self.done = [False] * len(limits)
        self.finish = ["length"] * len(limits)

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        last = input_ids[:, -1].tolist()
        for row, token in enumerate(last):
            if self.done[row]:
                continue
            token = int(token)
            self.tokens[row].append(token)
            stream = self.streams[row]
            if token == self.eos_token_id:
                self.done[row], self.finish[row] = True, "stop"
                continue
            if stream is not None:
                stream.add(token)
                if stream.stopped:
                    self.done[row], self.finish[row] = True, "stopped"
                    continue
            if len(self.tokens[row]) >= self.limits[row]:
                self.done[row] = True
        return torch.tensor(self.done, dtype=torch.bool, device=input_ids.device)


class _Sampler:
    """A logits processor (duck-typed) that picks each row's next token itself and leaves only that token
    allowed, so `generate` runs greedily and every row draws from its own generator: a seeded request
    samples the same tokens alone or in a batch. Temperature 0 takes the most likely token."""

    def __init__(self, temperatures: list[float], seeds: list[int | None], device: str) -> None:
        import random

        import torch

        self.temperatures = temperatures
        self.generators: list[Any] = []
        for temperature, seed in zip(temperatures, seeds, strict=True):
            if temperature <= 0:
                self.generators.append(None)
                continue
            generator = torch.Generator(device=device)
            generator.manual_seed(seed if seed is not None else random.SystemRandom().randrange(2**63))
            self.generators.append(generator)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        chosen = torch.full_like(scores, float("-inf"))
        for row, (temperature, generator) in enumerate(zip(self.temperatures, self.generators, strict=True)):
            logits = scores[row].float()
            if generator is None:
                token = int(torch.argmax(logits))
            else:
                probs = torch.softmax(logits / temperature, dim=-1)
                token = int(torch.multinomial(probs, 1, generator=generator))
            chosen[row, token] = 0.0
        return chosen


def batch_compatible(request: TextRequest) -> tuple[Any, ...]:
    """Requests with equal keys may share one `complete_batch` call (the same model; greedy with greedy,
    sampling with sampling at the same temperature; each row keeps its own seed and length)."""
    return (request.model, round(request.temperature, 6))


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
        max_batch: int = 8,
    ) -> None:
        self.name = name
        self.source = source
        self.defaults = dict(defaults or {})
        self.is_test_model = is_test_model
        self._device = device
        self._dtype_name = dtype
        self.capabilities = Capabilities(
            languages=languages, negative_prompt=False, seed=True, lora=False, max_batch=max(1, int(max_batch)),
            json_schema=True,
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
        text, finish, _ = self._generate_rows([(messages, request, on_text)], [json_schema])[0]
        return text, finish

    def _generate_rows(
        self,
        rows: list[tuple[list[ChatMessage], TextRequest, Callable[[str], bool] | None]],
        json_schemas: list[dict[str, Any] | None] | None = None,
    ) -> list[tuple[str, str, tuple[int, int]]]:
        """`_generate_now`, except that a single conversation asked from inside a gather
        (generation.batching) waits for the other participants' requests and runs batched with them."""
        from aigc_contest.generation.batching import current_gather

        gather = current_gather()
        if gather is None or len(rows) != 1:
            return self._generate_now(rows, json_schemas)
        schema = json_schemas[0] if json_schemas else None
        return [gather.submit(self, self._generate_gathered, (rows[0], schema))]

    def _generate_gathered(self, payloads: list[Any]) -> list[Any]:
        """Gathered (row, schema) pairs, compatible ones `max_batch` at a time; an exception in place of
        the answers of a batch that failed."""
        results: list[Any] = [None] * len(payloads)
        groups: dict[tuple[Any, ...], list[int]] = {}
        for index, (row, _) in enumerate(payloads):
            groups.setdefault(batch_compatible(row[1]), []).append(index)
        size = self.capabilities.max_batch
        for indices in groups.values():
            for start in range(0, len(indices), size):
                chunk = indices[start : start + size]
                try:
                    answers: list[Any] = self._generate_now(
                        [payloads[i][0] for i in chunk], [payloads[i][1] for i in chunk]
                    )
                except Exception as exc:  # noqa: BLE001 - the requests of this batch report it
                    answers = [exc] * len(chunk)
                for i, answer in zip(chunk, answers, strict=True):
                    results[i] = answer
        return results

    def _generate_now(
        self,
        rows: list[tuple[list[ChatMessage], TextRequest, Callable[[str], bool] | None]],
        json_schemas: list[dict[str, Any] | None] | None = None,
    ) -> list[tuple[str, str, tuple[int, int]]]:
        """(answer, finish reason, (prompt tokens, answer tokens)) for each conversation, in one
        `generate` call: left-padded prompts with an attention mask, per-row lengths, seeds, streams and
        JSON schemas (a row with a schema is constrained by its own llguidance matcher)."""
        import torch
        from transformers import LogitsProcessorList, StoppingCriteriaList

        schemas = list(json_schemas) if json_schemas is not None else [None] * len(rows)
        tokenizer, model = self._load()
        with self._lock:
            prompts: list[list[int]] = []
            for messages, _, _ in rows:
                encoded = tokenizer.apply_chat_template(
                    [m.model_dump() for m in messages], add_generation_prompt=True, return_dict=True
                )
                prompts.append(list(encoded["input_ids"]))
            width = max(len(ids) for ids in prompts)
            pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
            input_ids = torch.tensor([[pad] * (width - len(ids)) + ids for ids in prompts], device=self.device)
            attention = torch.tensor(
                [[0] * (width - len(ids)) + [1] * len(ids) for ids in prompts], device=self.device
            )
            requests = [request for _, request, _ in rows]
            streams = [_TextStream(tokenizer, on_text) if on_text else None for _, _, on_text in rows]
            tracker = _Rows([r.max_tokens for r in requests], tokenizer.eos_token_id, streams)
            processors: list[Any] = []
            if any(schema is not None for schema in schemas):
                matchers = [self._matcher(schema) if schema is not None else None for schema in schemas]
                processors.append(_JsonSchemaMask(matchers, width, tokenizer.eos_token_id, tracker.done))
            processors.append(
                _Sampler([r.temperature for r in requests], [r.seed for r in requests], self.device)
            )
            with torch.inference_mode():
                model.generate(
                    input_ids=input_ids,
                    attention_mask=attention,
                    max_new_tokens=max(r.max_tokens for r in requests),
                    do_sample=False,  # the sampler above already chose each row's token
                    temperature=None,
                    top_p=None,
                    top_k=None,
                    logits_processor=LogitsProcessorList(processors),
                    eos_token_id=tokenizer.eos_token_id,
                    pad_token_id=pad,
                    stopping_criteria=StoppingCriteriaList([tracker]),
                )
        answers: list[tuple[str, str, tuple[int, int]]] = []
        for row, stream in enumerate(streams):
            if stream is not None and not stream.stopped:
                stream.end()
            tokens = tracker.tokens[row]
            text = tokenizer.decode(tokens, skip_special_tokens=True)
            answers.append((text, tracker.finish[row], (len(prompts[row]), len(tokens))))
        return answers

    def _matcher(self, json_schema: dict[str, Any]) -> Any:
        import llguidance

        grammar = llguidance.LLMatcher.grammar_from_json_schema(
            json.dumps(json_schema), defaults={"whitespace_flexible": False}
        )
        matcher = llguidance.LLMatcher(self._llguidance_tokenizer(), grammar, log_level=0)
        if matcher.is_error():
            raise GenerationError(f"the JSON schema cannot be used for decoding: {matcher.get_error()}")
        return matcher

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

    def _result(self, request: TextRequest, answer: tuple[str, str, tuple[int, int]]) -> TextResult:
        text, finish_reason, (prompt_tokens, completion_tokens) = answer
        provenance = self._provenance(request)
        provenance.extra["usage"] = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}
        return TextResult(text=text, provenance=provenance, finish_reason=finish_reason)

    def complete(self, request: TextRequest, on_text: Callable[[str], bool] | None = None) -> TextResult:
        answer = self._generate_rows([(request.messages, request, on_text)])[0]
        return self._result(request, answer)

    def complete_batch(
        self,
        requests: list[TextRequest],
        on_text: list[Callable[[str], bool] | None] | None = None,
    ) -> list[TextResult]:
        """Answers to several requests, `max_batch` at a time per group of compatible requests
        (`batch_compatible`), in the order asked; `on_text[i]` streams request i as `complete` does."""
        callbacks = list(on_text) if on_text is not None else [None] * len(requests)
        groups: dict[tuple[Any, ...], list[int]] = {}
        for index, request in enumerate(requests):
            groups.setdefault(batch_compatible(request), []).append(index)
        results: list[TextResult | None] = [None] * len(requests)
        size = self.capabilities.max_batch
        for indices in groups.values():
            for start in range(0, len(indices), size):
                chunk = indices[start : start + size]
                rows = [(requests[i].messages, requests[i], callbacks[i]) for i in chunk]
                for i, answer in zip(chunk, self._generate_now(rows), strict=True):
                    results[i] = self._result(requests[i], answer)
        return [result for result in results if result is not None]

    def complete_json(self, request: TextRequest, schema: type[T], max_attempts: int = 3) -> T:
        from aigc_contest.generation.structured import complete_json_with_retries, with_schema_instructions

        json_schema = schema.model_json_schema()
        request = request.model_copy(update={"messages": with_schema_instructions(request.messages, schema)})
        return complete_json_with_retries(
            lambda messages: self._generate(messages, request, json_schema)[0], request, schema, max_attempts
        )


    def complete_json_batch(
        self, requests: list[TextRequest], schema: type[T], max_attempts: int = 3
    ) -> list[T | Exception]:
        """`complete_json` for several requests at once: each attempt is one batched, constrained pass
        over the requests still without a valid answer (each row its own matcher), and a request whose
        last attempt failed gets its GenerationError in its place."""
        from aigc_contest.generation.structured import (
            StructuredAnswerError,
            parse_structured,
            retry_message,
            with_schema_instructions,
        )

        json_schema = schema.model_json_schema()
        conversations = [with_schema_instructions(r.messages, schema) for r in requests]
        outcomes: list[T | Exception | None] = [None] * len(requests)
        pending = list(range(len(requests)))
        size = self.capabilities.max_batch
        for attempt in range(max_attempts):
            groups: dict[tuple[Any, ...], list[int]] = {}
            for index in pending:
                groups.setdefault(batch_compatible(requests[index]), []).append(index)
            still: list[int] = []
            for indices in groups.values():
                for start in range(0, len(indices), size):
                    chunk = indices[start : start + size]
                    rows: list[tuple[list[ChatMessage], TextRequest, Callable[[str], bool] | None]] = [
                        (conversations[i], requests[i], None) for i in chunk
                    ]
                    answers = self._generate_now(rows, [json_schema] * len(chunk))
                    for i, (answer, _, _) in zip(chunk, answers, strict=True):
                        try:
                            outcomes[i] = parse_structured(answer, schema)
                        except StructuredAnswerError as exc:
                            still.append(i)
                            if attempt + 1 == max_attempts:
                                outcomes[i] = GenerationError(
                                    f"the model gave no valid {schema.__name__} JSON in {max_attempts} "
                                    f"attempt(s); last problems: {'; '.join(exc.problems)}"
                                )
                            conversations[i] = [
                                *conversations[i],
                                ChatMessage(role="assistant", content=answer),
                                ChatMessage(role="user", content=retry_message(exc.problems)),
                            ]
            pending = sorted(still)
            if not pending:
                break
        return [outcome for outcome in outcomes if outcome is not None]


def _hub_identity(repo_id: str) -> tuple[str | None, str | None]:
    """(weights hash, commit) of a hub model in the local cache, or Nones where it cannot be told."""
    try:
        from huggingface_hub import snapshot_download

        from aigc_contest.generation.backends.diffusers_image import weights_hash

        snapshot = snapshot_download(repo_id, local_files_only=True)
        return weights_hash(snapshot), Path(snapshot).name
    except Exception:  # the identity is a nicety; loading already succeeded
        return None, None
