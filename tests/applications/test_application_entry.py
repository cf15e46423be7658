"""The application track in the browser's pages: details with https links only, screenshots screened, a
source archive checked member by member, and a submitted version that is one script-free HTML card."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def app_entry(make_competition: Any, make_school: Any, make_user: Any) -> Any:
    from types import SimpleNamespace

    from aigc_contest.web.entries import services

    _competition, category, theme = make_competition(
        "wukong", levels=("primary",), work_types=("application",)
    )
    school = make_school("school-a")
    teacher = make_user("teacher.a", "teacher", school)
    student, other = make_user("amy", "student", school), make_user("cat", "student", school)
    team = services.create_team(teacher, category, name="Inkbots", members=[student])
    entry = services.start_entry(student, team, title="Ink Helper", work_type="application", theme=theme)
    return SimpleNamespace(entry=entry, student=student, other=other)


def _png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 200), (240, 240, 250))
    ImageDraw.Draw(image).rectangle((20, 20, 300, 60), fill=(40, 90, 200))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _work(entry: Any) -> Any:
    from aigc_contest.web.works.models import Work

    return Work.objects.get(entry=entry)


DETAILS = {
    "name": "Ink Helper", "description_en": "Turns a child's sketch into an ink-wash painting.",
    "description_zh_hant": "把小朋友的草圖變成水墨畫。", "description_zh_hans": "",
    "demo_url": "https://ink.example.org/", "repository_url": "https://git.example.org/inkbots/ink-helper",
    "models_used": "Wukong-Huahua\nQwen2.5-7B-Instruct",
}  # fmt: skip


def test_details_take_https_links_only_and_keep_what_was_typed(app_entry: Any, client: Any) -> None:
    client.force_login(app_entry.student)
    url = f"/applications/entries/{app_entry.entry.pk}/"
    assert client.get(url).status_code == 200
    work = _work(app_entry.entry)
    refused = client.post(url, {**DETAILS, "demo_url": "http://ink.example.org/", "revision": work.revision})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Use an https:// address." in page and "把小朋友的草圖變成水墨畫。" in page
    assert (
        client.post(
            url, {**DETAILS, "demo_url": "javascript:alert(1)", "revision": work.revision}
        ).status_code
        == 400
    )
    saved = client.post(url, {**DETAILS, "revision": work.revision})
    assert saved.status_code == 302
    document = _work(app_entry.entry).document
    assert document["demo_url"] == "https://ink.example.org/" and document["models_used"] == [
        "Wukong-Huahua",
        "Qwen2.5-7B-Instruct",
    ]
    client.force_login(app_entry.other)
    assert client.get(url).status_code == 403


def test_screenshots_and_archives_are_checked_and_a_refusal_changes_nothing(
    app_entry: Any, client: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(app_entry.student)
    base = f"/applications/entries/{app_entry.entry.pk}"
    client.get(base + "/")
    work = _work(app_entry.entry)
    client.post(base + "/screenshots/", {"revision": work.revision, "alt": "The drawing screen",
                                          "screenshot": SimpleUploadedFile("shot.png", _png(), "image/png")})  # fmt: skip
    work = _work(app_entry.entry)
    assert [s["alt"] for s in work.document["screenshots"]] == ["The drawing screen"]
    before = work.document
    client.post(base + "/screenshots/", {"revision": work.revision, "alt": "not a picture",
                                          "screenshot": SimpleUploadedFile("x.png", b"MZ\x90\x00", "image/png")})  # fmt: skip
    for hostile in (
        _zip({"../../etc/cron.d/x": b"evil"}),
        _zip({"big.txt": b"\0" * 30_000_000}),
        b"not a zip",
    ):
        response = client.post(base + "/source/", {"revision": work.revision,
                                                    "archive": SimpleUploadedFile("src.zip", hostile, "application/zip")},
                               follow=True)  # fmt: skip
        assert response.status_code == 200
    assert _work(app_entry.entry).document == before  # refused uploads leave the draft as it was
    messages = [str(m) for m in response.context["messages"]]
    assert any("not a ZIP" in m for m in messages)
    client.post(base + "/source/", {"revision": work.revision,
                                    "archive": SimpleUploadedFile("src.zip", _zip({"app/main.py": b"print('hi')"}))})  # fmt: skip
    assert _work(app_entry.entry).document["source"]["files"] == 1


def test_the_submitted_version_is_one_html_card_without_script(app_entry: Any, client: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(app_entry.student)
    base = f"/applications/entries/{app_entry.entry.pk}"
    client.get(base + "/")
    client.post(base + "/", {**DETAILS, "revision": _work(app_entry.entry).revision})
    response = client.post(base + "/submit/", {"confirm": "yes"}, follow=True)
    assert any("screenshot" in str(m) for m in response.context["messages"])  # none yet: not sent
    assert not app_entry.entry.versions.exists()
    client.post(base + "/screenshots/", {"revision": _work(app_entry.entry).revision, "alt": "Home screen",
                                          "screenshot": SimpleUploadedFile("s.png", _png(), "image/png")})  # fmt: skip
    assert client.post(base + "/submit/", {"confirm": "yes"}).status_code == 302
    version = app_entry.entry.versions.get()
    assert version.mime == "text/html"
    with version.file.open("rb") as handle:
        card = handle.read().decode()
    assert "<script" not in card.lower()
    assert 'href="https://ink.example.org/" target="_blank" rel="noopener noreferrer"' in card
    assert "data:image/png;base64," in card and 'alt="Home screen"' in card
    assert "把小朋友的草圖變成水墨畫。" in card
