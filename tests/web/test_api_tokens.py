"""Personal API tokens and the API's draft-file upload: a token is shown once, stored as a hash, acts as
its owner, stops at revocation or expiry; `PUT /entries/{id}/file` checks a file exactly like the page and a
refused file leaves the draft as it was; every status a route answers is in the schema."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT, encode_multipart
from django.utils import timezone

pytestmark = pytest.mark.django_db

PASSWORD = "pw-12345678"


def _bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _basic(username: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()}


def _make_token_on_the_page(client: Any, user: Any, name: str = "class upload script") -> str:
    client.force_login(user)
    response = client.post("/accounts/tokens/", {"name": name, "days": "30"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    match = re.search(r'<code class="token" id="new-token">(aigc_[\w-]+)</code>', response.content.decode())
    assert match, "the new token is shown once"
    client.logout()
    return match.group(1)


def test_a_teacher_makes_a_token_that_acts_as_them_until_revoked(world: Any, client: Any) -> None:
    from aigc_contest.web.accounts.models import ApiToken

    token = _make_token_on_the_page(client, world.teacher_a)
    stored = ApiToken.objects.get(user=world.teacher_a)
    assert stored.key_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {stored.prefix, stored.key_sha256} and token.startswith(stored.prefix)
    # The page never shows the token again.
    client.force_login(world.teacher_a)
    listing = client.get("/accounts/tokens/").content.decode()
    assert token not in listing and stored.prefix in listing
    client.logout()

    response = client.get("/api/v1/entries", **_bearer(token))
    assert response.status_code == 200
    assert world.entry.pk in [e["id"] for e in response.json()]  # the teacher's school's entry
    stored.refresh_from_db()
    assert stored.last_used_at is not None

    client.force_login(world.teacher_a)
    assert client.post(f"/accounts/tokens/{stored.pk}/revoke/").status_code == 302
    client.logout()
    refused = client.get("/api/v1/entries", **_bearer(token))
    assert refused.status_code == 401
    assert "Bearer" in refused["WWW-Authenticate"] and "Basic" in refused["WWW-Authenticate"]


def test_students_hold_no_tokens_and_other_peoples_tokens_cannot_be_revoked(world: Any, client: Any) -> None:
    from aigc_contest.web.accounts import tokens
    from aigc_contest.web.core.errors import PermissionDenied

    client.force_login(world.student_a)
    assert client.get("/accounts/tokens/").status_code == 403
    with pytest.raises(PermissionDenied):
        tokens.create_token(world.student_a, name="mine")
    record, _text = tokens.create_token(world.teacher_a, name="teacher's")
    client.force_login(world.teacher_b)
    client.post(f"/accounts/tokens/{record.pk}/revoke/")
    record.refresh_from_db()
    assert record.revoked_at is None


def test_expired_tokens_and_disabled_accounts_are_refused(world: Any, client: Any) -> None:
    from aigc_contest.web.accounts import tokens
    from aigc_contest.web.accounts.models import ApiToken

    record, text = tokens.create_token(world.organiser, name="nightly export", days=1)
    assert client.get("/api/v1/entries", **_bearer(text)).status_code == 200
    ApiToken.objects.filter(pk=record.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/entries", **_bearer(text)).status_code == 401
    _record, second = tokens.create_token(world.organiser, name="another")
    world.organiser.is_active = False
    world.organiser.save()
    assert client.get("/api/v1/entries", **_bearer(second)).status_code == 401
    assert client.get("/api/v1/entries", **_bearer("aigc_not-a-token")).status_code == 401


def _put_file(
    client: Any, entry_id: int, name: str, data: bytes, content_type: str, headers: dict[str, str]
) -> Any:
    body = encode_multipart("BoUnDaRy", {"file": SimpleUploadedFile(name, data, content_type=content_type)})
    return client.put(
        f"/api/v1/entries/{entry_id}/file",
        body,
        content_type=MULTIPART_CONTENT.replace("BoUnDaRyStRiNg", "BoUnDaRy"),
        **headers,
    )


def test_put_the_draft_file_then_submit_through_the_api(world: Any, client: Any, make_png: Any) -> None:
    png = make_png()
    response = _put_file(
        client, world.entry.pk, "garden.png", png, "image/png", _basic(world.student_a.username)
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["mime"] == "image/png" and body["entry"] == world.entry.pk
    world.entry.refresh_from_db()
    assert world.entry.draft_file_sha256 == body["sha256"]
    submitted = client.post(
        f"/api/v1/entries/{world.entry.pk}/submit",
        content_type="application/json",
        **_basic(world.student_a.username),
    )
    assert submitted.status_code == 201
    assert submitted.json()["file_sha256"] == body["sha256"]


def test_a_refused_file_leaves_the_draft_as_it_was(world: Any, client: Any) -> None:
    world.entry.refresh_from_db()
    before = (world.entry.draft_file.name, world.entry.draft_file_sha256)
    response = _put_file(
        client,
        world.entry.pk,
        "notes.txt",
        b"just some words",
        "text/plain",
        _basic(world.student_a.username),
    )
    assert response.status_code == 400
    assert "not accepted" in response.json()["detail"]
    world.entry.refresh_from_db()
    assert (world.entry.draft_file.name, world.entry.draft_file_sha256) == before
    # Someone who cannot see the entry gets 404, without a word about it.
    other = _put_file(client, world.entry.pk, "x.png", b"x", "image/png", _basic(world.student_b.username))
    assert other.status_code == 404
    assert _put_file(client, world.entry.pk, "x.png", b"x", "image/png", {}).status_code == 401


def test_every_error_status_is_in_the_schema(client: Any) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    security = {name for entry in schema.get("security", []) for name in entry} | set(
        schema["components"]["securitySchemes"]
    )
    assert {"TokenAuth", "BasicAuth"} <= security
    operations = {
        (method.upper(), path): op for path, item in schema["paths"].items() for method, op in item.items()
    }
    put = operations[("PUT", "/api/v1/entries/{entry_id}/file")]
    assert "file" in put["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    for key in [
        ("GET", "/api/v1/entries/{entry_id}"),
        ("POST", "/api/v1/entries/{entry_id}/submit"),
        ("PUT", "/api/v1/entries/{entry_id}/file"),
    ]:
        responses = set(operations[key]["responses"])
        assert {"401", "404", "422"} <= responses, (key, responses)
    assert {"403", "409"} <= set(operations[("POST", "/api/v1/entries/{entry_id}/submit")]["responses"])
