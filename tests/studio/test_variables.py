"""Variables, conditions and changes edited in the studio: the live checks react to each edit, in the
page's language, and a save keeps them."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from aigc_contest.web.works import services
from aigc_contest.web.works.models import WorkKind

pytestmark = pytest.mark.django_db


def check(client: Client, work: Any, document: dict[str, Any], language: str = "en") -> Any:
    return client.post(reverse("studio-check", args=[work.pk]), data=json.dumps({"document": document}),
                       content_type="application/json", HTTP_ACCEPT_LANGUAGE=language)  # fmt: skip


def codes(response: Any) -> set[tuple[str, str | None]]:
    assert response.status_code == 200, response.content
    return {(d["code"], d["node"]) for d in response.json()["defects"]}


def test_the_checks_follow_variable_condition_and_change_edits(novel_setup) -> None:  # type: ignore[no-untyped-def]
    work = services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL)
    client = Client()
    client.force_login(novel_setup.student)
    document = copy.deepcopy(work.document)
    left_choice = document["nodes"][1]["choices"][0]  # left → surprise

    # A condition on a variable nobody declared.
    left_choice["condition"] = "courage >= 1"
    assert codes(check(client, work, document)) == {("undeclared-variable", "left")}
    # Declared, but with no starting value and never set before "left": read before set.
    document["variables"] = {"courage": {"type": "int"}}
    assert codes(check(client, work, document)) == {("read-before-set", "left")}
    # Set on the only way to "left": fine.
    document["nodes"][0]["choices"][0]["sets"] = {"courage": 2}
    assert codes(check(client, work, document)) == set()
    # A condition that does not parse, and a change of the wrong type.
    left_choice["condition"] = "courage >="
    document["nodes"][0]["choices"][1]["sets"] = {"courage": "lots"}
    response = check(client, work, document)
    assert codes(response) == {("condition-syntax", "left"), ("bad-set", "start")}
    messages = {d["code"]: d for d in response.json()["defects"]}
    assert messages["condition-syntax"]["message"].startswith("A choice's condition cannot be read")
    assert "courage >=" in messages["condition-syntax"]["detail"]
    chinese = {d["code"]: d["message"] for d in check(client, work, document, "zh-HK").json()["defects"]}
    assert chinese["bad-set"] != messages["bad-set"]["message"] and "variable" not in chinese["bad-set"]
    # A name that cannot be a variable: the check says why instead of failing silently.
    bad = copy.deepcopy(document)
    bad["variables"] = {"my courage": {"type": "int", "initial": 0}}
    refused = check(client, work, bad)
    assert refused.status_code == 400 and "my courage" in refused.json()["error"]

    # Fixed, saved, and kept exactly.
    left_choice["condition"] = "courage >= 1 and not has_key"
    document["variables"]["has_key"] = {"type": "bool", "initial": False}
    document["nodes"][0]["choices"][1]["sets"] = {"has_key": True}
    document["nodes"][1]["choices"][1]["sets"] = {"courage": "+1"}  # set on the only way here, so it can add
    assert codes(check(client, work, document)) == set()
    saved = client.post(reverse("studio-document", args=[work.pk]), content_type="application/json",
                        data=json.dumps({"document": document, "revision": 1}))  # fmt: skip
    assert saved.status_code == 200 and saved.json()["defects"] == []
    work.refresh_from_db()
    assert work.document["variables"] == {"courage": {"type": "int"}, "has_key": {"type": "bool", "initial": False}}
    assert work.document["nodes"][1]["choices"][0]["condition"] == "courage >= 1 and not has_key"
    assert work.document["nodes"][1]["choices"][1]["sets"] == {"courage": "+1"}
