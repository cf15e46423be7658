"""Where the product keeps its files and how it reads its environment.

Pure Python (no Django) so the CLI, the web settings and the workers agree on one data folder.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def data_dir() -> Path:
    """The folder for the SQLite database, media, the embedded broker and generated test models."""
    path = Path(os.environ.get("AIGC_DATA_DIR", ".aigc-data")).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


DASHSCOPE_MODELS_TOML = """# Written by `aigc-contest demo` because DASHSCOPE_API_KEY is set: Qwen for text, Wanxiang for images.

[[models]]
name = "qwen-plus"
kind = "text"
backend = "openai"
id = "qwen-plus"
base_url = "https://dashscope.aliyuncs.com/compatible-mode/v1"
api_key_env = "DASHSCOPE_API_KEY"
languages = ["en", "zh-Hans", "zh-Hant"]

[[models]]
name = "wanx-turbo"
kind = "image"
backend = "dashscope"
id = "wanx2.1-t2i-turbo"
api_key_env = "DASHSCOPE_API_KEY"
languages = ["en", "zh-Hans", "zh-Hant"]
defaults = { size = "1024x1024" }
"""


def choose_demo_models() -> str:
    """Point AIGC_MODELS_FILE at the models the demo should use, and say which.

    A models file the user set wins; else a DashScope key selects Qwen + Wanxiang; else the random-weight
    test models are built once in the data folder (when the ML extra is installed), so every AI step can be
    clicked through offline.
    """
    if os.environ.get("AIGC_MODELS_FILE"):
        return f"models from {os.environ['AIGC_MODELS_FILE']}"
    if os.environ.get("DASHSCOPE_API_KEY"):
        models_file = data_dir() / "models-dashscope.toml"
        models_file.write_text(DASHSCOPE_MODELS_TOML, encoding="utf-8")
        os.environ["AIGC_MODELS_FILE"] = str(models_file)
        return "DashScope (Qwen for text, Wanxiang for images)"
    try:
        import torch  # noqa: F401
    except ImportError:
        return "no AI models (install the ml extra, set AIGC_MODELS_FILE, or set DASHSCOPE_API_KEY)"
    from aigc_contest.generation.tiny import MODELS_FILE, build_tiny_models

    folder = data_dir() / "test-models"
    models_file = folder / MODELS_FILE
    if not models_file.exists():
        build_tiny_models(folder)
    os.environ["AIGC_MODELS_FILE"] = str(models_file)
    return "test models with random weights (pictures are noise, text is gibberish)"


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def secret_key() -> str:
    """AIGC_SECRET_KEY, or a random key kept in the data folder so sessions survive restarts."""
    if key := os.environ.get("AIGC_SECRET_KEY"):
        return key
    key_file = data_dir() / "secret_key"
    if not key_file.exists():
        # Created owner-only from the first byte (a later chmod would leave a moment others could read it).
        try:
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it meanwhile: use theirs
            pass
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()
