"""The storybook studio's services and pages: steps as jobs, edits, one page alone, failures, submission,
and who may see what."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import run_jobs
from .fakes import FakeGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing steps answer instantly (the tiny model's own run is tested in test_storybook_tiny.py)."""
    from aigc_contest.works.storybook import pipeline

    class FakeWriter(FakeGenerator):  # writes instantly; picture models come from the real models file
        model_name = pipeline.Generator.model_name
        image_size = pipeline.Generator.image_size

    monkeypatch.setattr(pipeline, "Generator", FakeWriter)


@pytest.fixture
def image_only_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, storybook_models_file: Path) -> Path:
    """The tiny image model; picture jobs run for real."""
    models = tmp_path / "models.toml"
    models.write_text(storybook_models_file.read_text())
    monkeypatch.setenv("AIGC_MODELS_FILE", str(models))
    return models


def _start(setup: Any, pages: int = 3) -> Any:
    from aigc_contest.web.works import services
    from aigc_contest.web.works.models import WorkKind

    return services.start(setup.student, setup.entry, WorkKind.STORYBOOK, exists_ok=False, theme="A greener city", brief="a robot gardener",
                               pages=pages, style="crayon", seed=3)  # fmt: skip


@pytest.mark.ml
def test_steps_run_as_jobs_until_the_book_is_illustrated(book_setup, jobs_inline, fake_writer,
                                                         image_only_models) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    from aigc_contest.web.works import services
    from aigc_contest.web.works.kinds import storybook
    from aigc_contest.web.works.models import WorkJob

    work = _start(book_setup, pages=3)
    assert [s.step for s in work.jobs.all()] == ["outline"]
    assert run_jobs() == 1 + 1 + 1 + 3  # outline, characters, pages, one picture per page
    work.refresh_from_db()
    book = storybook.book_of(work)
    assert book is not None and len(book.pages) == 3
    assert all(page.image is not None for page in book.pages)
    provenance = book.pages[0].image.provenance
    assert provenance["model"] == "image-tiny" and provenance["job"] and len(provenance["sha256"]) == 64
    assert "crayon" in provenance["prompt"] and book.character("Mei").sheet() in provenance["prompt"]
    assert not WorkJob.objects.filter(state="waiting").exists()
    # Applying again changes nothing (each job's result goes in once).
    revision = work.revision
    assert services.sync(work).revision == revision


@pytest.mark.ml
def test_one_page_again_leaves_the_others_untouched(book_setup, jobs_inline, fake_writer,
                                                    image_only_models) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    from aigc_contest.web.storybooks.views import edit_book, new_picture
    from aigc_contest.web.works import services
    from aigc_contest.web.works.kinds import storybook

    work = _start(book_setup)
    run_jobs()
    work.refresh_from_db()
    before = storybook.book_of(work)
    services.request_text(book_setup.teammate, work, "page_text", "p2")
    new_picture(book_setup.student, work, "p3")
    run_jobs()
    work.refresh_from_db()
    after = storybook.book_of(work)
    assert after.page("p1") == before.page("p1")
    assert after.page("p2").text.startswith("Rewritten text") and after.page("p2").image == before.page("p2").image
    assert after.page("p3").text == before.page("p3").text
    assert len(after.page("p3").candidates) == 2 and after.page("p3").image == before.page("p3").image
    # Pick the new candidate, reorder, add, delete: each a small edit of the current book.
    edit_book(book_setup.student, work, "choose", page="p3", index="1")
    edit_book(book_setup.student, work, "move", page="p3", offset="-2")
    edit_book(book_setup.student, work, "add", after="p1")
    edit_book(book_setup.student, work, "delete", page="p2")
    edit_book(book_setup.student, work, "text", page="p1", text="My own words.", scene="a park")
    book = storybook.book_of(work)
    assert [p.id for p in book.pages] == ["p3", "p1", "p4"]
    assert book.page("p3").image == after.page("p3").candidates[1]
    assert book.page("p1").text == "My own words."
    from aigc_contest.web.core.errors import ServiceError

    with pytest.raises(ServiceError):  # hand-written words go through the safety layer too
        edit_book(book_setup.student, work, "text", page="p1", text="kill them with a gun", scene="")


def test_a_failed_picture_job_leaves_the_book_usable_and_retryable(book_setup, jobs_inline, fake_writer,
                                                                   tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    from aigc_contest.web.jobs.models import JobStatus
    from aigc_contest.web.jobs.services import retry_job
    from aigc_contest.web.storybooks.views import edit_book
    from aigc_contest.web.works import services
    from aigc_contest.web.works.kinds import storybook

    broken = tmp_path / "models.toml"  # an image model whose weights are missing: every picture job fails
    broken.write_text('[[models]]\nname = "image-broken"\nkind = "image"\nbackend = "diffusers"\n'
                      f'path = "{(tmp_path / "missing").as_posix()}"\n')  # fmt: skip
    monkeypatch.setenv("AIGC_MODELS_FILE", str(broken))
    work = _start(book_setup, pages=2)
    run_jobs()
    work.refresh_from_db()
    book = storybook.book_of(work)
    assert book is not None and [p.image for p in book.pages] == [None, None]
    failed = [s for s in services.pending(work) if s.step == "picture"]
    assert len(failed) == 2 and all(s.job.status == JobStatus.FAILED and s.job.error for s in failed)
    # The book is still usable: edits, exports.
    edit_book(book_setup.student, work, "text", page="p1", text="Still editable.", scene="a roof")
    assert storybook.export(work, "html").startswith(b"<!DOCTYPE html") or b"<html" in storybook.export(work, "html")
    # Retry once the model works again (here: a model that draws): the picture arrives.
    monkeypatch.setattr("aigc_contest.generation.service.generate_image_batch", _fake_batch)
    retry_job(book_setup.student, failed[0].job)
    run_jobs()
    work.refresh_from_db()
    book = storybook.book_of(work)
    assert book.page(failed[0].target).image is not None
    assert book.page("p1").text == "Still editable."


def _fake_batch(requests, **kwargs):  # type: ignore[no-untyped-def]
    return [FakeGenerator().images(request) for request in requests]


@pytest.mark.ml
def test_submit_stores_the_pdf_and_the_book_with_provenance(book_setup, jobs_inline, fake_writer,
                                                            image_only_models) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    import io
    import json
    import zipfile

    from django.core.files.storage import default_storage

    from aigc_contest.web.works import services

    work = _start(book_setup, pages=2)
    run_jobs()
    work.refresh_from_db()
    version = services.submit(book_setup.student, work)
    assert version.mime == "application/pdf" and version.file.read().startswith(b"%PDF")
    book_json = version.meta["storybook"]
    assert len(book_json["pages"]) == 2
    for page in book_json["pages"]:
        assert page["image"]["path"].startswith("assets/") and page["image"]["provenance"]["model"] == "image-tiny"
    archive = version.meta["book_archive"]
    with default_storage.open(archive["path"], "rb") as handle:
        zipped = zipfile.ZipFile(io.BytesIO(handle.read()))
    assert json.loads(zipped.read("book.json"))["pages"] == book_json["pages"]
    assert all(name in zipped.namelist() for name in (p["image"]["path"] for p in book_json["pages"]))


def test_pages_permissions_and_languages(client, book_setup, jobs_inline, fake_writer, tmp_path,
                                         monkeypatch) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    models = tmp_path / "models.toml"
    models.write_text('[[models]]\nname = "t"\nkind = "text"\nbackend = "transformers"\npath = "/none"\n'
                      '[[models]]\nname = "i"\nkind = "image"\nbackend = "diffusers"\npath = "/none"\n')  # fmt: skip
    monkeypatch.setenv("AIGC_MODELS_FILE", str(models))
    entry = book_setup.entry
    client.force_login(book_setup.student)
    assert f'href="/storybooks/entries/{entry.pk}/"' in client.get(f"/entries/{entry.pk}/").content.decode()
    page = client.get(f"/storybooks/entries/{entry.pk}/")
    assert page.status_code == 200 and b"Make my storybook" in page.content
    response = client.post(f"/storybooks/entries/{entry.pk}/start/", {"theme": "Trees", "pages": "2",
                                                                       "age_band": "6-8", "style": "pixel"})
    work = entry.work
    assert response.status_code == 302 and response.url == f"/storybooks/books/{work.pk}/"
    status = client.get(f"/storybooks/books/{work.pk}/status/").json()
    assert status["busy"] is True and "Planning the story" in status["html"]
    run_jobs()
    editor = client.get(f"/storybooks/books/{work.pk}/").content.decode()
    assert "Save page 2" in editor and "Rewrite page 1 with AI" in editor

    # Teammates and the team's teachers edit; the school's teacher views; outsiders get nothing.
    for user, code in ((book_setup.other_student, 403), (book_setup.other_teacher, 403)):
        client.force_login(user)
        assert client.get(f"/storybooks/books/{work.pk}/view/").status_code == code
        assert client.post(f"/storybooks/books/{work.pk}/edit/", {"op": "delete", "page": "p1"}).status_code == code
    client.force_login(book_setup.teacher)
    assert client.get(f"/storybooks/books/{work.pk}/view/").status_code == 200
    school = client.get("/school/").content.decode()
    assert f"/storybooks/books/{work.pk}/view/" in school

    # All three UI languages render the studio.
    client.force_login(book_setup.student)
    for language, words in (("zh-HK", "用 AI 重寫第 1 頁"), ("zh-CN", "故事书"), ("en-GB", "Rewrite page 1 with AI")):
        html = client.get(f"/storybooks/books/{work.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert words in html, language



@pytest.mark.ml
def test_the_start_page_picks_the_readers_band_from_the_childs_grade(client, book_setup, tiny_models) -> None:  # type: ignore[no-untyped-def]
    book_setup.student.grade = "P2"
    book_setup.student.save()
    client.force_login(book_setup.student)
    html = client.get(f"/storybooks/entries/{book_setup.entry.pk}/").content.decode()
    assert '<option value="6-8" selected>' in html and '<option value="9-11" selected>' not in html
