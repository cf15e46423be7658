"""Every page carries a Content-Security-Policy (nonces for inline scripts and styles); HSTS with AIGC_HTTPS."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "aigc_contest" / "web" / "templates"
# Rendered to PDF by WeasyPrint (certificates/pdf.html, accounts/login_slips_pdf.html), never served to a browser.
PDF_TEMPLATE = re.compile(r"(^|/|_)pdf\.html$")


@pytest.mark.django_db
def test_pages_carry_a_strict_policy(client) -> None:  # type: ignore[no-untyped-def]
    for url in ("/", "/accounts/login/", "/healthz"):
        policy = client.get(url)["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
        assert directives["base-uri"] == "'self'" and directives["form-action"] == "'self'"
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_a_nonce_used_by_a_page_is_in_its_policy(rf) -> None:  # type: ignore[no-untyped-def]
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse
    from django.template import engines

    template = engines["django"].from_string('<script nonce="{{ request.csp_nonce }}">go()</script>')
    request = rf.get("/")
    middleware = CSPMiddleware(lambda r: HttpResponse(template.render({}, r)))
    response = middleware(request)
    nonce = re.search(r'nonce="([^"]+)"', response.content.decode())[1]  # type: ignore[index]
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]


def test_templates_have_no_inline_code_without_a_nonce() -> None:
    """Inline <script>/<style> need the request's nonce; style attributes and on…= handlers are never allowed."""
    problems = []
    for path in TEMPLATES.rglob("*.html"):
        name = path.relative_to(TEMPLATES).as_posix()
        if PDF_TEMPLATE.search(name):
            continue
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", text):
            if "src=" not in tag and "application/json" not in tag and "csp_nonce" not in tag:
                problems.append(f"{name}: {tag}")
        problems += [f"{name}: {m}" for m in re.findall(r"""\s(?:style|on[a-z]+)=["'][^"']*["']""", text)]
    assert not problems, "\n".join(problems)


CODE = """
import django; django.setup()
from django.core.management import call_command
from django.test import Client
call_command("migrate", interactive=False, verbosity=0)
client = Client()
secure = client.get("/accounts/login/", secure=True)
print(secure.status_code, secure.get("Strict-Transport-Security"))
plain = client.get("/accounts/login/")
print(plain.status_code, plain.get("Location"))
print(client.get("/healthz").status_code)
print("upgrade-insecure-requests" in secure["Content-Security-Policy"])
"""


def _run(tmp_path: Path, **env: str) -> list[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AIGC_")}
    environment.update(DJANGO_SETTINGS_MODULE="aigc_contest.web.settings", AIGC_DATA_DIR=str(tmp_path),
                       AIGC_SECRET_KEY="test", **env)  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", CODE], env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.split("\n")


def test_https_sends_hsts_redirects_plain_http_but_answers_health_checks(tmp_path: Path) -> None:
    lines = _run(tmp_path, AIGC_HTTPS="1")
    assert lines[0] == "200 max-age=31536000"
    assert lines[1] == "301 https://testserver/accounts/login/"
    assert lines[2] == "200"  # a load balancer's plain-HTTP health check is answered, not redirected
    assert lines[3] == "True"


def test_without_https_no_hsts_and_no_redirect(tmp_path: Path) -> None:
    lines = _run(tmp_path)
    assert lines[0] == "200 None" and lines[1] == "200 None" and lines[3] == "False"
