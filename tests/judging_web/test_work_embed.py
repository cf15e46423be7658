"""Judges read storybooks (PDF) and play interactive novels (HTML) inside the scoring page, still blind."""

from __future__ import annotations

import io
import re

import pytest

pytestmark = pytest.mark.django_db



def _one_page_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PDF = _one_page_pdf()
NOVEL = (b"<!doctype html><html><head><meta charset=utf-8><title>The lost kite</title></head><body>"
         b"<p id=start>Where did the kite go?</p><script>document.body.dataset.played='yes'</script></body></html>")


def _assignment_with(j, mime: str, data: bytes, name: str):  # type: ignore[no-untyped-def]
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from aigc_contest.web.entries.models import EntryVersion
    from aigc_contest.web.judging.models import Assignment

    assignment = Assignment.objects.filter(round=j.round, entry=j.entry_b).select_related("judge").first()
    # Versions are immutable through the model; the test swaps the stored work for another kind.
    stored = default_storage.save(f"test-works/{name}", ContentFile(data))
    EntryVersion.objects.filter(pk=assignment.version_id).update(file=stored, mime=mime)
    return assignment


def _work_url(html: str, tag: str) -> str:
    match = re.search(rf'<{tag} class="work-embed[^"]*" (?:data|src)="([^"]+)"', html)
    assert match, html
    return match.group(1)


def test_a_storybook_pdf_is_shown_in_the_page(judged, client) -> None:  # type: ignore[no-untyped-def]
    assignment = _assignment_with(judged, "application/pdf", PDF, "book.pdf")
    client.force_login(assignment.judge)
    html = client.get(f"/judging/assignments/{assignment.pk}/").content.decode()
    url = _work_url(html, "object")
    assert url == f"/judging/assignments/{assignment.pk}/file"
    assert 'type="application/pdf"' in html and "Open the submitted file" in html  # fallback link too
    response = client.get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")  # rewritten without metadata
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Frame-Options"] == "SAMEORIGIN"  # framable by our own page only
    assert response["Content-Disposition"] == "inline"


def test_a_novel_plays_in_a_sandboxed_frame(judged, client) -> None:  # type: ignore[no-untyped-def]
    assignment = _assignment_with(judged, "text/html", NOVEL, "novel.html")
    client.force_login(assignment.judge)
    html = client.get(f"/judging/assignments/{assignment.pk}/").content.decode()
    frame = re.search(r"<iframe [^>]*>", html).group(0)
    assert 'sandbox="allow-scripts"' in frame and "allow-same-origin" not in frame
    assert 'title="The submitted interactive novel, playable"' in frame
    response = client.get(_work_url(html, "iframe"))
    assert response.content == NOVEL
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["Content-Security-Policy"].startswith("sandbox allow-scripts;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_embedding_page_stays_blind_and_private(judged, client) -> None:  # type: ignore[no-untyped-def]
    j = judged
    assignment = _assignment_with(j, "text/html", NOVEL, "novel.html")
    client.force_login(assignment.judge)
    page = client.get(f"/judging/assignments/{assignment.pk}/")
    html = page.content.decode()
    for secret in ("Team B", "Student.B", "student.b", "School-B", "school-b", "teacher.b", "novel.html"):
        assert secret not in html, secret
    assert page["X-Frame-Options"] == "DENY"  # the scoring page itself is never framed
    other = next(u for u in (j.judge, j.judge_a, j.judge_c) if u.pk != assignment.judge_id)
    client.force_login(other)
    assert client.get(f"/judging/assignments/{assignment.pk}/file").status_code == 404
    client.logout()
    assert client.get(f"/judging/assignments/{assignment.pk}/file").status_code == 302
