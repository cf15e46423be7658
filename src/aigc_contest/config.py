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
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()
