"""AIGC_HTTPS turns on the HTTPS-only settings; without it the local HTTP setup keeps working."""

from __future__ import annotations

import os
import subprocess
import sys

CODE = ("import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_PROXY_SSL_HEADER)")  # fmt: skip


def _settings_with(tmp_path, **env: str) -> str:  # type: ignore[no-untyped-def]
    environment = {k: v for k, v in os.environ.items() if k != "AIGC_HTTPS"}
    environment.update(DJANGO_SETTINGS_MODULE="aigc_contest.web.settings", AIGC_DATA_DIR=str(tmp_path), **env)
    done = subprocess.run([sys.executable, "-c", CODE], env=environment, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_https_flag_sets_secure_cookies_hsts_redirect_and_proxy_header(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert _settings_with(tmp_path, AIGC_HTTPS="1") == (
        "True True 31536000 True ('HTTP_X_FORWARDED_PROTO', 'https')")
    assert _settings_with(tmp_path) == "False False 0 False None"


def test_the_generated_secret_key_file_is_owner_only_from_the_start(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest import config

    monkeypatch.delenv("AIGC_SECRET_KEY", raising=False)
    monkeypatch.setenv("AIGC_DATA_DIR", str(tmp_path))
    modes: list[int] = []
    real_open = os.open

    def recording_open(path, flags, mode=0o777, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(path).endswith("secret_key"):
            modes.append(mode)
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", recording_open)
    key = config.secret_key()
    assert modes == [0o600]  # the file was created with owner-only permissions, not changed afterwards
    assert len(key) > 40 and (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert config.secret_key() == key
