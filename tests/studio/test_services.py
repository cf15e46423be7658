"""Studio services: starting, saving with a revision check, checks, and submitting the playable HTML."""

from __future__ import annotations

import copy

import pytest

from aigc_contest.web.core.errors import PermissionDenied, ServiceError
from aigc_contest.web.works import services
from aigc_contest.web.works.kinds import novel
from aigc_contest.web.works.kinds.novel_starter import starter_novel
from aigc_contest.web.works.models import WorkKind
from aigc_contest.works.novel import Novel, validate

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "zh-Hant", "zh-Hans"])
def test_the_starter_template_has_no_defects(language: str) -> None:
    novel = Novel.from_data(starter_novel(language, "T"))
    assert validate(novel) == []
    assert novel.language == language and novel.title == "T"


def test_start_work_creates_the_template_once(novel_setup) -> None:  # type: ignore[no-untyped-def]
    work = services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL)
    assert work.revision == 1 and work.document["title"] == "Owl Night"
    again = services.start(novel_setup.teammate, novel_setup.entry, WorkKind.NOVEL)
    assert again.pk == work.pk


def test_a_non_novel_entry_has_no_studio_work(novel_setup) -> None:  # type: ignore[no-untyped-def]
    entry = novel_setup.entry
    entry.work_type = "storybook"
    entry.save()
    with pytest.raises(ServiceError, match="interactive novels"):
        services.start(novel_setup.student, entry, WorkKind.NOVEL)


def test_save_with_a_stale_revision_is_refused_and_nothing_is_lost(novel_setup) -> None:  # type: ignore[no-untyped-def]
    work = services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL)
    first = copy.deepcopy(work.document)
    first["nodes"][0]["text"] = "Amy's version."
    work = services.save(novel_setup.student, work, document=first, revision=1)
    assert work.revision == 2

    stale = copy.deepcopy(first)
    stale["nodes"][0]["text"] = "Ben's version, based on revision 1."
    with pytest.raises(services.StaleRevision) as refused:
        services.save(novel_setup.teammate, work, document=stale, revision=1)
    assert refused.value.current == 2 and refused.value.code == "stale"
    work.refresh_from_db()
    assert work.revision == 2 and work.document["nodes"][0]["text"] == "Amy's version."
    assert work.updated_by == novel_setup.student


def test_save_refuses_a_broken_or_unsafe_document_and_keeps_the_old_one(novel_setup) -> None:  # type: ignore[no-untyped-def]
    work = services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL)
    bad = copy.deepcopy(work.document)
    bad["nodes"].append(copy.deepcopy(bad["nodes"][0]))  # a repeated id
    with pytest.raises(ServiceError, match="used twice"):
        services.save(novel_setup.student, work, document=bad, revision=1)
    rude = copy.deepcopy(work.document)
    rude["nodes"][1]["text"] = "what the fuck"
    with pytest.raises(ServiceError) as refused:
        services.save(novel_setup.student, work, document=rude, revision=1)
    assert refused.value.code == "refused" and "fuck" not in refused.value.message
    with pytest.raises(ServiceError):
        services.save(novel_setup.student, work, document=["not", "a", "story"], revision=1)
    work.refresh_from_db()
    assert work.revision == 1 and work.document == services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL).document


def test_checks_name_each_defect_and_its_part(novel_setup) -> None:  # type: ignore[no-untyped-def]
    document = starter_novel("en")
    document["nodes"][2]["choices"] = []  # "right" becomes a dead end
    document["nodes"][0]["choices"][0]["target"] = "nowhere"  # "left" becomes unreachable
    defects = novel.validate_document(document)
    found = {(d["code"], d["node"]) for d in defects}
    # start → right only; right is a dead end, so no ending can be reached from the start
    assert found == {("dead-end", "right"), ("missing-target", "start"), ("trap", "start"), ("unreachable", "left"),
                     ("unreachable", "happy"), ("unreachable", "surprise")}  # fmt: skip
    assert all(d["message"] and d["detail"] for d in defects)


def test_submit_freezes_the_playable_html_as_a_version(novel_setup) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.entries.models import Entry

    work = services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL)
    document = copy.deepcopy(work.document)
    document["nodes"][0]["text"] = 'The owl said <script>alert("hi")</script> & flew <b>away</b>.'
    work = services.save(novel_setup.student, work, document=document, revision=1)
    version = services.submit(novel_setup.student, work)
    assert version.number == 1 and version.mime == "text/html" and version.file_name == "novel.html"
    assert version.meta["studio_revision"] == 2 and version.meta["endings"] == 2
    html = version.file.open("rb").read().decode("utf-8")
    assert "<script>alert" not in html and "<b>away" not in html
    assert "\\u003cscript\\u003ealert(\\\"hi\\\")\\u003c/script\\u003e \\u0026 flew" in html
    assert "Content-Security-Policy" in html
    entry = Entry.objects.get(pk=novel_setup.entry.pk)
    assert entry.status == "submitted" and entry.draft_mime == "text/html"
    import hashlib

    assert version.file_sha256 == hashlib.sha256(html.encode()).hexdigest() == entry.draft_file_sha256


def test_a_story_with_defects_is_not_submitted(novel_setup) -> None:  # type: ignore[no-untyped-def]
    work = services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL)
    document = copy.deepcopy(work.document)
    for node in document["nodes"]:
        node.pop("ending", None)
    work = services.save(novel_setup.student, work, document=document, revision=1)
    with pytest.raises(ServiceError) as refused:
        services.submit(novel_setup.student, work)
    assert refused.value.code == "defects"
    novel_setup.entry.refresh_from_db()
    assert novel_setup.entry.versions.count() == 0 and not novel_setup.entry.draft_file


def test_set_draft_from_work_needs_edit_permission(novel_setup) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.entries.services import set_draft_from_work

    with pytest.raises(PermissionDenied):
        set_draft_from_work(novel_setup.other_student, novel_setup.entry, filename="x.html", data=b"<p>", mime="text/html")
    with pytest.raises(PermissionDenied):  # teachers are read-only unless the competition lets them help
        set_draft_from_work(novel_setup.teacher, novel_setup.entry, filename="x.html", data=b"<p>", mime="text/html")
    novel_setup.entry.category.competition.teachers_may_help = True
    novel_setup.entry.category.competition.save()
    entry = set_draft_from_work(novel_setup.teacher, novel_setup.entry, filename="a/b/story.html", data=b"<p>hi</p>",
                                mime="text/html", meta={"k": 1})  # fmt: skip
    assert entry.draft_file_name == "story.html" and entry.draft_meta == {"size": 9, "k": 1}
    assert entry.draft_file.name.endswith(".html")
    with pytest.raises(ServiceError, match="empty"):
        set_draft_from_work(novel_setup.teacher, novel_setup.entry, filename="x.html", data=b"", mime="text/html")


def test_generate_document_uses_the_configured_text_model(novel_setup, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.generation import registry as registry_module

    from .fakes import BROKEN_SKELETON, ScriptedBackend

    backend = ScriptedBackend([BROKEN_SKELETON])

    class OneModel:
        def resolve(self, name, kind):  # type: ignore[no-untyped-def]
            return type("Entry", (), {"name": "scripted"})()

        def text_backend(self, name):  # type: ignore[no-untyped-def]
            return backend

    monkeypatch.setattr(registry_module, "shared_registry", lambda: OneModel())
    work = services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL, exists_ok=False,
                          generate={"theme": "owls at night"})
    assert novel.validate_document(work.document) == []
    assert work.document["title"] == "The Broken Map"
    with pytest.raises(ServiceError, match="already has"):
        services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL, exists_ok=False, generate={"theme": "owls"})
