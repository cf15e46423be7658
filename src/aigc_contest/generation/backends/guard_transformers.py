"""A Qwen3Guard-Gen-style guard model run locally with transformers.

The model is loaded with the same code as the local text backend (AutoTokenizer / AutoModelForCausalLM
`from_pretrained`, a hub id or a folder, offline first), driven through its own chat template exactly as
the model card does (no generation prompt added: the guard's template builds its instruction), decoded
greedily, and its answer ("Safety: …", "Categories: …", "Refusal: …") parsed by safety.guard.
"""

from __future__ import annotations

import logging
from typing import Any

from aigc_contest.generation.backends.transformers_text import TransformersTextBackend
from aigc_contest.safety.guard import GuardVerdict, parse_guard_answer

logger = logging.getLogger(__name__)
_KNOWN_OPTIONS = {"device", "dtype", "max_new_tokens", "add_generation_prompt", "max_input_chars"}


class TransformersGuard:
    """A text guard: `moderate(messages)` classifies the last message (a prompt, or an answer to it)."""

    def __init__(self, name: str, source: str, *, is_test_model: bool = False, **options: Any) -> None:
        unknown = set(options) - _KNOWN_OPTIONS
        if unknown:
            logger.warning("guard %s: ignoring unknown option(s) %s", name, ", ".join(sorted(unknown)))
        self.name = name
        self.source = source
        self.is_test_model = is_test_model
        self.max_new_tokens = int(options.get("max_new_tokens", 32))
        self.add_generation_prompt = bool(options.get("add_generation_prompt", False))
        self.max_input_chars = int(options.get("max_input_chars", 8000))
        self._model = TransformersTextBackend(
            name,
            source,
            is_test_model=is_test_model,
            device=options.get("device"),
            dtype=options.get("dtype"),
        )

    def moderate(self, messages: list[dict[str, str]]) -> GuardVerdict:
        import torch

        tokenizer, model = self._model._load()
        # Long texts: the guard reads the start and the end (where a streamed answer's news is).
        trimmed = [
            {"role": m["role"], "content": _trim(m["content"], self.max_input_chars)} for m in messages
        ]
        with self._model._lock:
            text = tokenizer.apply_chat_template(
                trimmed, tokenize=False, add_generation_prompt=self.add_generation_prompt
            )
            inputs = tokenizer([text], return_tensors="pt").to(self._model.device)
            prompt_length = inputs["input_ids"].shape[1]
            with torch.inference_mode():
                output = model.generate(
                    **inputs,
                    max_new_tokens=self.max_new_tokens,
                    do_sample=False,
                    temperature=None,
                    top_p=None,
                    top_k=None,
                    pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
                )
        answer = tokenizer.decode(output[0, prompt_length:].tolist(), skip_special_tokens=True)
        return parse_guard_answer(answer, guard=self.name)


def _trim(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n…\n{text[-half:]}"
