"""A tiny random-weight Whisper model (built from a config, saved like a real one) and spoken audio made
by espeak-ng, for the speech-to-text backend and the voice input endpoint."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

ESPEAK = shutil.which("espeak-ng")
SPECIALS = [
    "<|endoftext|>", "<|startoftranscript|>", "<|en|>", "<|zh|>", "<|yue|>", "<|translate|>",
    "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nocaptions|>", "<|notimestamps|>",
]  # fmt: skip


def _byte_alphabet() -> list[str]:
    """GPT-2's printable stand-ins for the 256 byte values (what a byte-level BPE vocabulary holds)."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    extra = [b for b in range(256) if b not in printable]
    mapping = {b: chr(b) for b in printable} | {b: chr(256 + i) for i, b in enumerate(extra)}
    return [mapping[b] for b in range(256)]


def build_tiny_whisper(folder: Path) -> Path:
    """Save a multilingual Whisper-shaped model (en, zh, yue) with random weights into `folder`."""
    import torch
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperProcessor,
        WhisperTokenizer,
    )

    tokenizer = WhisperTokenizer(vocab={c: i for i, c in enumerate(_byte_alphabet())}, merges=[])
    tokenizer.add_special_tokens({"additional_special_tokens": SPECIALS[1:]})
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in SPECIALS}
    eos = ids["<|endoftext|>"]
    config = WhisperConfig(
        vocab_size=len(tokenizer), num_mel_bins=80, d_model=32, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_source_positions=1500, max_target_positions=64, decoder_start_token_id=ids["<|startoftranscript|>"],
        eos_token_id=eos, pad_token_id=eos, bos_token_id=eos,
    )  # fmt: skip
    torch.manual_seed(0)
    model = WhisperForConditionalGeneration(config)
    model.generation_config = GenerationConfig(
        decoder_start_token_id=ids["<|startoftranscript|>"], eos_token_id=eos, pad_token_id=eos, max_length=64,
        lang_to_id={f"<|{lang}|>": ids[f"<|{lang}|>"] for lang in ("en", "zh", "yue")},
        task_to_id={"transcribe": ids["<|transcribe|>"], "translate": ids["<|translate|>"]},
        no_timestamps_token_id=ids["<|notimestamps|>"], is_multilingual=True,
        suppress_tokens=[ids[token] for token in SPECIALS[1:]], begin_suppress_tokens=[eos],
    )  # fmt: skip
    model.save_pretrained(folder)
    WhisperProcessor(WhisperFeatureExtractor(feature_size=80), tokenizer).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_whisper(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    return build_tiny_whisper(tmp_path_factory.mktemp("speech") / "whisper-tiny")


@pytest.fixture
def speech_models_file(tiny_whisper: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    models = tmp_path / "models.toml"
    models.write_text(
        f'[[models]]\nname = "speech-tiny"\nkind = "speech"\nbackend = "transformers"\n'
        f'path = "{tiny_whisper.as_posix()}"\ntest_model = true\noptions = {{ device = "cpu", max_new_tokens = 12 }}\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("AIGC_MODELS_FILE", str(models))
    return models


@pytest.fixture
def espeak(tmp_path: Path) -> Callable[[str, str], bytes]:
    """espeak-ng says `text` with `voice` (en, yue, cmn) into a WAV file; its bytes are returned."""
    if ESPEAK is None:
        message = "espeak-ng is not installed (apt-get install espeak-ng)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)

    def say(text: str, voice: str = "en") -> bytes:
        out = tmp_path / f"speech-{voice}.wav"
        subprocess.run(
            [ESPEAK, "-v", voice, "-w", str(out), text], check=True, capture_output=True, timeout=30
        )
        return out.read_bytes()

    return say
