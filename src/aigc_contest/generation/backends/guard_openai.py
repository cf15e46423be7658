"""A guard model behind an OpenAI-compatible chat completions server (vLLM or SGLang serving
Qwen3Guard-Gen, or a hosted guard). The conversation goes as it is (the served model's chat template
builds the guard's instruction) and the answer is parsed by safety.guard.

With `options = { images = true }` (an image-capable guard, e.g. a vision-language model), pictures are
sent as a data URL with an instruction to answer in the same "Safety: / Categories:" form, naming gore
and injuries as violence and nudity as sexual content.
"""

from __future__ import annotations

import base64
import io
import logging
from typing import TYPE_CHECKING, Any

from aigc_contest.generation.backends.openai_chat import OpenAIChatBackend
from aigc_contest.generation.types import GenerationError
from aigc_contest.safety.guard import GuardVerdict, parse_guard_answer

if TYPE_CHECKING:
    from PIL import Image

logger = logging.getLogger(__name__)
_KNOWN_OPTIONS = {"images", "timeout", "max_retries", "max_tokens", "image_instruction", "max_input_chars"}

IMAGE_INSTRUCTION = (
    "You check pictures for a creative platform used by children aged 6 to 18. Classify the picture and "
    "answer in exactly two lines:\n"
    "Safety: Safe | Controversial | Unsafe\n"
    "Categories: one or more of Violent, Sexual Content or Sexual Acts, Suicide & Self-Harm, "
    "Non-violent Illegal Acts, Unethical Acts, PII, or None\n"
    "Blood, gore, injuries, weapons used on people and cruelty count as Violent. Nudity and underwear "
    "poses count as Sexual Content or Sexual Acts."
)


class OpenAIGuard:
    def __init__(
        self,
        name: str,
        model_id: str,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        is_test_model: bool = False,
        **options: Any,
    ) -> None:
        unknown = set(options) - _KNOWN_OPTIONS
        if unknown:
            logger.warning("guard %s: ignoring unknown option(s) %s", name, ", ".join(sorted(unknown)))
        self.name = name
        self.model_id = model_id
        self.is_test_model = is_test_model
        self.sees_images = bool(options.get("images", False))
        self.max_tokens = int(options.get("max_tokens", 64))
        self.max_input_chars = int(options.get("max_input_chars", 16000))
        self.image_instruction = str(options.get("image_instruction") or IMAGE_INSTRUCTION)
        # The chat backend owns the client, the key lookup and the error wording.
        self._chat = OpenAIChatBackend(
            name,
            model_id,
            base_url=base_url,
            api_key=api_key,
            **{k: options[k] for k in ("timeout", "max_retries") if k in options},
        )

    def moderate(self, messages: list[dict[str, str]]) -> GuardVerdict:
        sent = [{"role": m["role"], "content": m["content"][: self.max_input_chars]} for m in messages]
        return self._ask(sent)

    def moderate_image(self, image: Image.Image) -> GuardVerdict:
        if not self.sees_images:
            raise GenerationError(f"guard {self.name!r} does not read pictures (set options.images = true)")
        buffer = io.BytesIO()
        picture = image.convert("RGB")
        picture.thumbnail((1024, 1024))
        picture.save(buffer, format="PNG")
        data_url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
        content = [
            {"type": "text", "text": self.image_instruction},
            {"type": "image_url", "image_url": {"url": data_url}},
        ]
        return self._ask([{"role": "user", "content": content}])

    def _ask(self, messages: list[dict[str, Any]]) -> GuardVerdict:
        import openai

        client = self._chat._get_client()
        try:
            completion = client.chat.completions.create(
                model=self.model_id,
                messages=messages,  # type: ignore[arg-type]
                max_tokens=self.max_tokens,
                temperature=0.0,
            )
        except openai.APIError as exc:
            raise self._chat._translate_error(exc) from None
        if not completion.choices or completion.choices[0].message.content is None:
            return GuardVerdict(tier=None, guard=self.name)
        return parse_guard_answer(completion.choices[0].message.content, guard=self.name)
