"""Importing a Twee file or a Twine 2 archive from the browser into a new novel draft: the words pass the
safety screen, scripts are never kept, and a bad file gets a clear message (nothing is started)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

LANTERN = Path(__file__).resolve().parents[1] / "works" / "novel" / "data" / "harlowe_lantern.twee"


def test_read_story_upload_reads_twee_and_twine_archives_and_drops_scripts() -> None:
    from aigc_contest.works.novel.convert import StoryImportError, read_story_upload
    from aigc_contest.works.novel.twine import story_format
    from aigc_contest.works.novel.twine_html import write_twine_html

    novel, notes = read_story_upload("lantern.twee", LANTERN.read_bytes())
    assert novel.title == "The Lantern in the Woods" and novel.start == "Edge of the Woods"
    assert "courage" in novel.variables
    specials = [p["name"] for p in novel.twee_extras.special_passages]
    assert "Story JavaScript" not in specials and "Story Stylesheet" not in specials
    assert any("scripts" in note for note in notes)
    archive = write_twine_html(novel, story_format("Harlowe"))
    again, _ = read_story_upload("Lantern.HTML", archive.encode())
    assert [n.id for n in again.nodes] == [n.id for n in novel.nodes]
    for name, data, code in (("story.docx", b"x", "wrong_type"), ("story.twee", b"\xff\xfe\x00bad", "not_text"),
                             ("story.twee", b"x" * 2_000_001, "too_large"),
                             ("story.html", b"<html><body>no story</body></html>", "unreadable"),
                             ("story.twee", b":: StoryData\n{not json\n:: Start\nHi", "unreadable")):  # fmt: skip
        with pytest.raises(StoryImportError) as caught:
            read_story_upload(name, data)
        assert caught.value.code == code, name


@pytest.mark.django_db
def test_the_start_page_imports_a_twee_file_into_a_new_draft(client, novel_setup) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.works.models import Work

    entry = novel_setup.entry
    client.force_login(novel_setup.student)
    start = client.get(f"/studio/entries/{entry.pk}/").content.decode()
    assert 'enctype="multipart/form-data"' in start and 'name="story_file"' in start
    url = f"/studio/entries/{entry.pk}/start/"
    # A bad file: a clear message, no draft.
    response = client.post(url, {"source": "import", "story_file": SimpleUploadedFile("notes.pdf", b"%PDF-1.4")},
                           follow=True)  # fmt: skip
    assert "Choose a Twee file (.twee or .tw) or a story archive saved from Twine 2 (.html)." in response.content.decode()
    broken = b":: Start\nHello\n:: Start\nAgain"
    response = client.post(url, {"source": "import", "story_file": SimpleUploadedFile("s.twee", broken)}, follow=True)
    assert "could not be read as a Twine story" in response.content.decode() and "What went wrong" in response.content.decode()
    # Unsafe words are refused by the safety screen, like any start.
    unsafe = b":: StoryTitle\nA night\n:: Start\nThen I will kill them with a gun.\n[[End]]\n:: End\nThe end."
    response = client.post(url, {"source": "import", "story_file": SimpleUploadedFile("s.twee", unsafe)}, follow=True)
    assert not Work.objects.filter(entry=entry, document__isnull=False).exists()
    assert 'class="message error"' in response.content.decode()
    # A good file: the draft opens in the editor.
    response = client.post(url, {"source": "import", "story_file": SimpleUploadedFile("lantern.twee", LANTERN.read_bytes())},
                           follow=True)  # fmt: skip
    html = response.content.decode()
    assert 'id="studio"' in html and "Your story is in the studio" in html and "could not be kept" in html
    work = Work.objects.get(entry=entry)
    assert work.document["title"] == "The Lantern in the Woods"
    assert "window.lanternStory" not in str(work.document)
