"""The API docs page (Swagger UI) loads from this site alone: no CDN, nothing the Content-Security-Policy
blocks, so it works offline too."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_the_api_docs_page_uses_only_this_sites_files(client: Any) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', html)
    assert any(src.endswith("swagger-ui-bundle.js") for src in sources), sources
    assert all(src.startswith("/") and not src.startswith("//") for src in sources), sources
    # No inline script for the policy to block: only the JSON settings block, which is not run.
    for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S):
        assert "src=" in attrs or 'type="application/json"' in attrs, (attrs, body[:200])
    for src in sources:
        assert client.get(src).status_code == 200, src
    assert client.get("/api/v1/openapi.json").status_code == 200


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_api_docs_page_renders_without_csp_violations(live_server: Any, chromium_page: Any) -> None:
    page, base = chromium_page, live_server.url
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script("""document.addEventListener('securitypolicyviolation',
      e => (window.__cspViolations = window.__cspViolations || []).push(e.violatedDirective + ' ' + e.blockedURI));""")
    elsewhere: list[str] = []
    page.on("request", lambda r: elsewhere.append(r.url) if not r.url.startswith((base, "data:")) else None)
    response = page.goto(f"{base}/api/v1/docs")
    assert response is not None and response.status == 200
    page.wait_for_selector(".swagger-ui .opblock", timeout=15000)  # the operations are listed
    messages.extend(page.evaluate("window.__cspViolations || []"))
    assert messages == [] and elsewhere == []
