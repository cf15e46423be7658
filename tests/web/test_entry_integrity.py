"""What a receipt proves and what a download is called: the receipt's hash is the SHA-256 of exactly the
file the version's link serves, and a served file's name ends in the extension of its real type."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from aigc_contest.web.entries import services
from aigc_contest.web.entries.models import Entry, EntryVersion

pytestmark = pytest.mark.django_db


def _pdf_with_metadata() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Author": "Mei Chan", "/Title": "My story"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _served(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content) if response.streaming else response.content


def _storybook_entry(world):  # type: ignore[no-untyped-def]
    team = services.create_team(world.teacher_a, world.category, name="Team PDF", members=[world.student_a2])
    return services.start_entry(
        world.student_a2, team, title="Story", work_type="storybook", theme=world.theme
    )


def test_the_receipt_hash_is_the_sha256_of_the_downloaded_file(
    world, client, mailoutbox, settings, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    from aigc_contest.web.jobs.runner import run_available

    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False, "batch_window_seconds": 0.0}
    world.teacher_a.email = "t@example.org"
    world.teacher_a.save()
    entry = _storybook_entry(world)
    uploaded = _pdf_with_metadata()
    services.upload_draft_file(world.student_a2, entry, filename="story.pdf", data=uploaded)
    with django_capture_on_commit_callbacks(execute=True):
        version = services.submit_entry(world.student_a2, entry)
    assert run_available("default") == 1

    client.force_login(world.student_a2)
    downloaded = _served(client.get(reverse("version-file", args=[version.pk])))
    digest = hashlib.sha256(downloaded).hexdigest()
    assert version.file_sha256 == digest
    assert downloaded != uploaded  # what is stored, served and hashed is the rebuilt PDF

    body = mailoutbox[0].body
    hashes = re.findall(r"\b[0-9a-f]{64}\b", body)
    assert hashes[0] == digest  # the receipt's first, main hash is the file's
    line = next(line for line in body.splitlines() if digest in line)
    assert line.startswith("SHA-256 of the submitted file")
    assert "exactly the file" in body
    assert all(
        h == digest or "Record hash" in next(li for li in body.splitlines() if h in li) for h in hashes
    )

    page = client.get(reverse("entry-detail", args=[entry.pk])).content.decode()
    table = page.split('aria-labelledby="versions-heading"', 1)[1]
    assert f"<code>{digest}</code>" in table
    assert version.content_hash not in table
    assert "exactly the file its link downloads" in table


def test_the_flash_after_submitting_shows_the_files_hash(world, client):  # type: ignore[no-untyped-def]
    client.force_login(world.student_a)
    response = client.post(reverse("entry-submit", args=[world.entry.pk]), follow=True)
    version = EntryVersion.objects.get(entry=world.entry)
    text = response.content.decode()
    assert version.file_sha256[:16] in text and version.content_hash[:16] not in text


def test_a_damaged_shared_blob_is_not_reused(world, make_png):  # type: ignore[no-untyped-def]
    data = make_png(color=(1, 2, 3))
    digest = hashlib.sha256(data).hexdigest()
    from aigc_contest.web.entries.models import blob_path

    name = blob_path(digest, ".png")
    default_storage.save(name, io.BytesIO(b"\0" * len(data)))  # same size, other bytes
    services.upload_draft_file(world.student_a, world.entry, filename="pic.png", data=data)
    world.entry.refresh_from_db()
    with world.entry.draft_file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == digest == world.entry.draft_file_sha256


def _filename(response) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r'filename="([^"]+)"', response["Content-Disposition"])
    assert match, response["Content-Disposition"]
    return match.group(1)


def test_a_download_keeps_the_extension_of_its_real_type(world, client, make_png):  # type: ignore[no-untyped-def]
    services.upload_draft_file(
        world.student_a, world.entry, filename="C:\\Users\\me\\virus.exe", data=make_png()
    )
    world.entry.refresh_from_db()
    assert world.entry.draft_file_name == "virus.png"
    client.force_login(world.student_a)
    assert _filename(client.get(reverse("entry-draft-file", args=[world.entry.pk]))) == "virus.png"
    version = services.submit_entry(world.student_a, world.entry)
    assert _filename(client.get(reverse("version-file", args=[version.pk]))) == "virus.png"


def test_names_stored_before_the_fix_are_served_with_the_real_extension(world, client):  # type: ignore[no-untyped-def]
    Entry.objects.filter(pk=world.entry.pk).update(draft_file_name="setup.exe")
    version = services.submit_entry(world.student_a, Entry.objects.get(pk=world.entry.pk))
    client.force_login(world.student_a)
    response = client.get(reverse("version-file", args=[version.pk]))
    assert response["Content-Type"] == "image/png"
    assert _filename(response) == "setup.png"


def test_a_platform_made_work_is_named_by_its_type(world, client):  # type: ignore[no-untyped-def]
    html = b"<!doctype html><p>story</p>"
    services.set_draft_from_work(
        world.student_a, world.entry, filename="story.exe", data=html, mime="text/html"
    )
    world.entry.refresh_from_db()
    assert world.entry.draft_file_name == "story.html" and world.entry.draft_file.name.endswith(".html")
