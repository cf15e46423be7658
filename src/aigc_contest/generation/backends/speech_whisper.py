"""A Whisper-family speech-to-text model run locally with transformers.

`WhisperProcessor` / `WhisperForConditionalGeneration.from_pretrained` on a hub id (e.g.
`openai/whisper-small`, or a Cantonese fine-tune) or a local folder, offline first like the other local
backends. The page's speech tag picks the language (Cantonese for zh-HK where the model knows `yue`,
Mandarin for zh-CN, English); a model without language tokens transcribes in whatever it hears.
Decoding is greedy and bounded by `max_new_tokens`. The transcript is plain text; screening it is the
caller's work (the web's voice input screens it like typed text before anyone sees it).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np

from aigc_contest.generation.speech import SAMPLE_RATE, Transcript, whisper_language
from aigc_contest.generation.types import GenerationError

logger = logging.getLogger(__name__)
_KNOWN_OPTIONS = {"device", "dtype", "max_new_tokens", "num_beams"}


class WhisperSpeechBackend:
    def __init__(self, name: str, source: str, *, is_test_model: bool = False, **options: Any) -> None:
        unknown = set(options) - _KNOWN_OPTIONS
        if unknown:
            logger.warning("speech model %s: ignoring unknown option(s) %s", name, ", ".join(sorted(unknown)))
        self.name = name
        self.source = source
        self.is_test_model = is_test_model
        self.max_new_tokens = int(options.get("max_new_tokens", 128))
        self.num_beams = int(options.get("num_beams", 1))
        self._device: str | None = options.get("device")
        self._dtype_name: str | None = options.get("dtype")
        self._model: Any = None
        self._processor: Any = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._model is None:
                import torch
                from transformers import WhisperForConditionalGeneration, WhisperProcessor

                from aigc_contest.generation.backends.diffusers_image import not_cached_message, offline_mode

                device = self._device or ("cuda" if torch.cuda.is_available() else "cpu")
                dtype = torch.float32
                if device != "cpu":
                    dtype = {"fp16": torch.float16, "fp32": torch.float32}.get(
                        self._dtype_name or "", torch.float16
                    )
                source = Path(self.source).expanduser()
                local = source.is_dir()
                where = str(source) if local else self.source

                def load(local_files_only: bool) -> tuple[Any, Any]:
                    processor = WhisperProcessor.from_pretrained(where, local_files_only=local_files_only)
                    model = WhisperForConditionalGeneration.from_pretrained(
                        where, dtype=dtype, local_files_only=local_files_only
                    )
                    return processor, model

                try:
                    try:
                        processor, model = load(local_files_only=True)
                    except (OSError, ValueError):
                        if local or offline_mode():
                            raise
                        processor, model = load(local_files_only=False)
                except (OSError, ValueError) as exc:
                    if local:
                        raise GenerationError(
                            f"speech model {self.name!r}: cannot load {source}: {exc}"
                        ) from None
                    raise GenerationError(not_cached_message(self.source, self.name)) from exc
                self._device = device
                self._processor, self._model = processor, model.to(device).eval()
            return self._processor, self._model

    def languages(self) -> set[str]:
        """The languages the model has tokens for ("en", "zh", "yue", ...); empty for a model without."""
        _, model = self._load()
        lang_to_id = getattr(model.generation_config, "lang_to_id", None) or {}
        return {token.strip("<|>") for token in lang_to_id}

    def transcribe(self, samples: np.ndarray, language: str | None = None) -> Transcript:
        """Text for 16 kHz mono float32 samples; `language` is the page's speech tag (zh-HK, zh-CN, en)."""
        import torch

        processor, model = self._load()
        known = self.languages()
        whisper = whisper_language(language, known) if known else None
        features = processor(samples, sampling_rate=SAMPLE_RATE, return_tensors="pt").input_features
        features = features.to(self._device, dtype=model.dtype)
        extra: dict[str, Any] = {"language": whisper, "task": "transcribe"} if whisper else {}
        with self._lock, torch.inference_mode():
            output = model.generate(
                features,
                max_new_tokens=self.max_new_tokens,
                num_beams=self.num_beams,
                do_sample=False,
                **extra,
            )
        sequence = output[0] if not hasattr(output, "sequences") else output.sequences[0]
        text = processor.batch_decode(sequence.unsqueeze(0), skip_special_tokens=True)[0]
        return Transcript(
            text=" ".join(str(text).split()),
            language=whisper,
            seconds=round(samples.size / SAMPLE_RATE, 2),
            tokens=int(sequence.shape[-1]),
            model=self.name,
            is_test_model=self.is_test_model,
        )
