"""Prompts in the model's language: Chinese prompts for English-only image models are translated (and
lightly expanded) by the default text model; the participant's own words stay in `original_prompt`.

Traditional Chinese for a model that reads Simplified only needs a script conversion (OpenCC), no LLM.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from aigc_contest.generation.types import ChatMessage, ImageRequest, Language, TextBackend, TextRequest

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
TRANSLATE_SYSTEM = (
    "You turn a child's idea for a picture into one short English prompt for an image generator. "
    "Keep the meaning and every named thing; you may add a few visual details (style, colours, light). "
    "Answer with the English prompt only, on one line."
)


@lru_cache(maxsize=1)
def _t2s():  # -> opencc converter, Traditional to Simplified
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def detect_language(text: str) -> Language:
    """English ("en") for text without Chinese characters; otherwise Traditional when converting to Simplified
    changes it, else Simplified (text written in characters common to both counts as Simplified)."""
    if not has_cjk(text):
        return "en"
    return "zh-Hant" if _t2s().convert(text) != text else "zh-Hans"


def _clean(answer: str) -> str:
    """First non-empty line, without quotes, labels or control characters."""
    text = "".join(ch for ch in answer if unicodedata.category(ch)[0] != "C" or ch == "\n")
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    line = re.sub(r"^(prompt|english prompt)\s*:\s*", "", line, flags=re.IGNORECASE)
    return line.strip("\"'“”「」 ")[:2000]


def translate_prompt(text: str, text_backend: TextBackend, model_name: str) -> str:
    """English prompt for `text` from the text model; the original when the model returns nothing usable."""
    request = TextRequest(
        model=model_name,
        messages=[
            ChatMessage(role="system", content=TRANSLATE_SYSTEM),
            ChatMessage(role="user", content=text),
        ],
        max_tokens=120,
        temperature=0.2,
        seed=0,
    )
    return _clean(text_backend.complete(request).text) or text


def adapt_text(
    text: str, languages: tuple[Language, ...], translate: Callable[[str], str] | None
) -> str | None:
    """`text` in a language the model reads, or None when it already is one (or cannot be adapted)."""
    if not text:
        return None
    language = detect_language(text)
    if language in languages:
        return None
    if language == "zh-Hant" and "zh-Hans" in languages:
        return _t2s().convert(text)
    if language == "zh-Hans" and "zh-Hant" in languages:
        return _s2t().convert(text)
    if language != "en" and "en" in languages and translate is not None:
        return translate(text)
    return None


def adapt_image_request(
    request: ImageRequest,
    languages: tuple[Language, ...],
    translate: Callable[[str], str] | None,
) -> ImageRequest:
    """The request with prompt and negative prompt in a language the model reads; `original_prompt` keeps
    the participant's words whenever the prompt changed."""
    prompt = adapt_text(request.prompt, languages, translate)
    negative = adapt_text(request.negative_prompt, languages, translate)
    if prompt is None and negative is None:
        return request
    update: dict[str, str] = {}
    if prompt is not None:
        update["prompt"] = prompt
        update["original_prompt"] = request.original_prompt or request.prompt
    if negative is not None:
        update["negative_prompt"] = negative
    return request.model_copy(update=update)
