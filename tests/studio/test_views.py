"""Studio pages and JSON endpoints: who may use them, and what they answer."""

from __future__ import annotations

import copy
import json

import pytest
from django.test import Client
from django.urls import reverse

from aigc_contest.web.works import services
from aigc_contest.web.works.models import WorkKind

pytestmark = pytest.mark.django_db

ROLES_ALLOWED = ["student", "teammate", "teacher"]
ROLES_REFUSED = ["other_student", "other_teacher", "organiser", "judge"]


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=False)
    client.force_login(user)
    return client


def post_json(client: Client, url: str, body: object):  # type: ignore[no-untyped-def]
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("role", ROLES_ALLOWED)
def test_team_members_and_their_teacher_edit(novel_setup, role: str) -> None:  # type: ignore[no-untyped-def]
    client = client_for(getattr(novel_setup, role))
    entry = novel_setup.entry
    if role == "teacher":  # teachers are read-only unless the competition lets them help
        assert client.get(reverse("studio-home", args=[entry.pk])).status_code == 403
        entry.category.competition.teachers_may_help = True
        entry.category.competition.save()
    assert client.get(reverse("studio-home", args=[entry.pk])).status_code == 200  # the start page
    response = client.post(reverse("studio-start", args=[entry.pk]), {"source": "template"})
    assert response.status_code == 302
    page = client.get(reverse("studio-home", args=[entry.pk]))
    assert page.status_code == 200
    assert b'id="graph"' in page.content and b"studio/vendor/cytoscape.min.js" in page.content
    work = entry.work
    document = copy.deepcopy(work.document)
    document["title"] = f"Saved by {role}"
    saved = post_json(client, reverse("studio-document", args=[work.pk]), {"document": document, "revision": 1})
    assert saved.status_code == 200 and saved.json() == {"revision": 2, "defects": []}


@pytest.mark.parametrize("role", ROLES_REFUSED)
def test_everyone_else_gets_403(novel_setup, role: str) -> None:  # type: ignore[no-untyped-def]
    work = services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL)
    client = client_for(getattr(novel_setup, role))
    entry_pk = novel_setup.entry.pk
    assert client.get(reverse("studio-home", args=[entry_pk])).status_code == 403
    assert client.post(reverse("studio-start", args=[entry_pk]), {"source": "template"}).status_code == 403
    assert client.get(reverse("studio-document", args=[work.pk])).status_code == 403
    body = {"document": work.document, "revision": 1}
    assert post_json(client, reverse("studio-document", args=[work.pk]), body).status_code == 403
    assert post_json(client, reverse("studio-check", args=[work.pk]), body).status_code == 403
    assert client.get(reverse("studio-player", args=[work.pk])).status_code == 403
    assert client.post(reverse("studio-submit", args=[work.pk])).status_code == 403
    work.refresh_from_db()
    assert work.revision == 1 and novel_setup.entry.versions.count() == 0


def test_anonymous_visitors_are_sent_to_sign_in(novel_setup) -> None:  # type: ignore[no-untyped-def]
    response = Client().get(reverse("studio-home", args=[novel_setup.entry.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_stale_save_answers_409_with_the_current_revision(novel_setup) -> None:  # type: ignore[no-untyped-def]
    work = services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL)
    client = client_for(novel_setup.student)
    url = reverse("studio-document", args=[work.pk])
    assert post_json(client, url, {"document": work.document, "revision": 1}).status_code == 200
    stale = post_json(client, url, {"document": work.document, "revision": 1})
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale" and stale.json()["revision"] == 2
    bad = post_json(client, url, {"document": {"format": "nope"}, "revision": 2})
    assert bad.status_code == 400 and "format" in bad.json()["error"]
    assert client.post(url, data="{not json", content_type="application/json").status_code == 400


def test_check_endpoint_reports_defects_of_an_unsaved_document(novel_setup) -> None:  # type: ignore[no-untyped-def]
    work = services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL)
    document = copy.deepcopy(work.document)
    document["nodes"][3].pop("ending")  # "happy" is no longer an ending: a dead end, one ending left, "right" leads nowhere
    response = post_json(client_for(novel_setup.student), reverse("studio-check", args=[work.pk]), {"document": document})
    codes = sorted((d["code"], d["node"]) for d in response.json()["defects"])
    assert codes == [("dead-end", "happy"), ("too-few-endings", None), ("trap", "right")]
    work.refresh_from_db()
    assert work.revision == 1  # checking does not save


def test_player_is_sandboxed_and_downloads(novel_setup) -> None:  # type: ignore[no-untyped-def]
    work = services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL)
    client = client_for(novel_setup.student)
    download = client.get(reverse("studio-player", args=[work.pk]))
    assert download["Content-Disposition"] == 'attachment; filename="novel.html"'
    assert download["Content-Security-Policy"].startswith("sandbox allow-scripts")
    document = copy.deepcopy(work.document)
    document["nodes"][0]["title"] = "</script><img src=x onerror=alert(1)>"
    preview = post_json(client, reverse("studio-player", args=[work.pk]), {"document": document})
    assert preview.status_code == 200 and "Content-Disposition" not in preview
    assert b"<img src=x" not in preview.content and b"\\u003c/script\\u003e\\u003cimg" in preview.content


def test_editor_page_escapes_story_text(novel_setup) -> None:  # type: ignore[no-untyped-def]
    work = services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL)
    document = copy.deepcopy(work.document)
    document["nodes"][0]["title"] = "<b>bold</b> & </script>"
    services.save(novel_setup.student, work, document=document, revision=1)
    page = client_for(novel_setup.student).get(reverse("studio-home", args=[novel_setup.entry.pk])).content.decode()
    assert "<b>bold</b>" not in page and "</script>\"" not in page
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;/script&gt;" in page  # the keyboard list of parts
    assert "\\u003Cb\\u003Ebold\\u003C/b\\u003E \\u0026 \\u003C/script\\u003E" in page  # the JSON for the script


def test_submit_from_the_studio_redirects_to_the_entry(novel_setup) -> None:  # type: ignore[no-untyped-def]
    work = services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL)
    client = client_for(novel_setup.teammate)
    response = client.post(reverse("studio-submit", args=[work.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("entry-detail", args=[novel_setup.entry.pk])
    detail = client.get(response["Location"]).content.decode()
    assert "Submitted! Version 1" in detail
    assert "Open in studio" in detail and 'download>novel.html</a>' in detail


def test_entry_page_links_to_the_studio_only_for_novels_and_editors(novel_setup) -> None:  # type: ignore[no-untyped-def]
    url = reverse("entry-detail", args=[novel_setup.entry.pk])
    assert "Open in studio" in client_for(novel_setup.student).get(url).content.decode()
    assert "Open in studio" not in client_for(novel_setup.organiser).get(url).content.decode()
