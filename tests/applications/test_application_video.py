"""An application's optional short video (MP4 or WebM from its bytes, length from the container's header, at
most 3 minutes and 50 MB; a refusal keeps the draft), shown to judges with controls and never autoplaying;
blind judging blacks the team's names out of the card and tells the organiser which entries show an address."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from aigc_contest.web.applications import services
from aigc_contest.web.core.errors import ServiceError
from video_builders import mp4, webm

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(make_competition: Any, make_school: Any, make_user: Any) -> Any:
    from types import SimpleNamespace

    from aigc_contest.web.contests.models import CompetitionRole
    from aigc_contest.web.entries import services as entry_services
    from aigc_contest.web.works import services as work_services
    from aigc_contest.web.works.models import WorkKind

    competition, category, theme = make_competition("wukong", levels=("primary",), work_types=("application",))
    school = make_school("school-a")
    teacher = make_user("teacher.a", "teacher", school)
    student, other = make_user("amy", "student", school), make_user("cat", "student", school)
    organiser, judge = make_user("organiser", "organiser"), make_user("judge", "judge")
    CompetitionRole.objects.create(competition=competition, user=organiser, role="organiser")
    CompetitionRole.objects.create(competition=competition, user=judge, role="judge")
    team = entry_services.create_team(teacher, category, name="Inkbots", members=[student])
    entry = entry_services.start_entry(student, team, title="Ink Helper", work_type="application", theme=theme)
    work = work_services.start(student, entry, WorkKind.APPLICATION)
    return SimpleNamespace(**locals())


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (160, 100), (40, 90, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def _fresh(app: Any) -> Any:
    app.work.refresh_from_db()
    return app.work


# ---------------------------------------------------------------- services


def test_an_mp4_or_webm_video_is_kept_with_its_length(app: Any) -> None:
    work = services.set_video(app.student, app.work, revision=app.work.revision, data=mp4(125))
    video = work.document["video"]
    assert video["mime"] == "video/mp4" and video["seconds"] == 125 and video["path"].endswith(".mp4")
    work = services.set_video(app.student, work, revision=work.revision, data=webm(20))
    assert work.document["video"]["mime"] == "video/webm"
    work = services.remove_video(app.student, work, revision=work.revision)
    assert work.document["video"] is None


@pytest.mark.parametrize(("data", "code", "words"), [
    (mp4(181), "too_long", "3:01; the limit is 3 minutes"),
    (webm(None), "no_duration", "does not say how long it is"),
    (b"RIFF\0\0\0\0AVI " + bytes(100), "wrong_type", "Only MP4 and WebM"),
    (mp4(30, video=False), "no_video", "only sound"),
])  # fmt: skip
def test_a_refused_video_leaves_the_draft_as_it_was(app: Any, data: bytes, code: str, words: str) -> None:
    work = services.set_video(app.student, app.work, revision=app.work.revision, data=mp4(60))
    before = dict(work.document)
    with pytest.raises(ServiceError) as refused:
        services.set_video(app.student, work, revision=work.revision, data=data)
    assert refused.value.code == code and words in refused.value.message
    assert _fresh(app).document == before


def test_a_video_over_the_size_limit_is_refused(app: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(services, "VIDEO_MAX_BYTES", 4096)
    with pytest.raises(ServiceError) as refused:
        services.set_video(app.student, app.work, revision=app.work.revision, data=mp4(10, padding=8192))
    assert refused.value.code == "too_large" and "Please make a shorter or smaller video" in refused.value.message
    assert _fresh(app).document["video"] is None


def test_only_the_team_adds_a_video(app: Any) -> None:
    with pytest.raises(ServiceError):
        services.set_video(app.other, app.work, revision=app.work.revision, data=mp4(10))


# ---------------------------------------------------------------- pages


def test_the_editor_takes_a_video_and_plays_it_only_on_demand(app: Any, client: Any) -> None:
    client.force_login(app.student)
    base = f"/applications/entries/{app.entry.pk}"
    refused = client.post(base + "/video/", {"revision": app.work.revision,
                                             "video": SimpleUploadedFile("v.mp4", mp4(200), "video/mp4")}, follow=True)
    assert any("limit is 3 minutes" in str(m) for m in refused.context["messages"])
    assert _fresh(app).document["video"] is None
    client.post(base + "/video/", {"revision": app.work.revision,
                                   "video": SimpleUploadedFile("v.webm", webm(45), "video/webm")})
    assert _fresh(app).document["video"]["seconds"] == pytest.approx(45)
    page = client.get(base + "/").content.decode()
    tag = re.search(r"<video[^>]*>", page)
    assert tag and "controls" in tag.group(0) and "autoplay" not in tag.group(0)
    served = client.get(base + "/video/file")
    assert served.status_code == 200 and served["Content-Type"] == "video/webm"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content).startswith(b"\x1a\x45\xdf\xa3")
    client.force_login(app.other)
    assert client.get(base + "/video/file").status_code == 403


def _submitted_and_assigned(app: Any, client: Any, *, description: str, repository: str) -> Any:
    from aigc_contest.web.judging.models import Assignment, Round
    from aigc_contest.web.works import services as work_services

    work = services.save_details(app.student, app.work, revision=app.work.revision, values={
        "name": "Ink Helper", "description": {"en": description, "zh-Hant": "", "zh-Hans": ""},
        "repository_url": repository, "demo_url": "https://ink.example.org/", "models_used": ["Wukong-Huahua"]})
    work = services.add_screenshot(app.student, work, revision=work.revision, data=_png(),
                                   alt="Made by Amy of Inkbots")
    work = services.set_video(app.student, work, revision=work.revision, data=mp4(90))
    version = work_services.submit(app.student, work)
    round_ = Round.objects.create(competition=app.competition, kind="scoring", judges_per_entry=1)
    return Assignment.objects.create(round=round_, judge=app.judge, entry=app.entry, version=version)


def test_judges_watch_the_video_and_read_a_card_without_the_teams_names(app: Any, client: Any) -> None:
    assignment = _submitted_and_assigned(
        app, client, description="Inkbots from School-A made this; ask Amy.",
        repository="https://git.example.org/inkbots/ink-helper")
    assert assignment.version.meta["application"]["video"]["seconds"] == 90
    client.force_login(app.judge)
    page = client.get(f"/judging/assignments/{assignment.pk}/").content.decode()
    tag = re.search(r"<video[^>]*>", page)
    assert tag and "controls" in tag.group(0) and "autoplay" not in tag.group(0)
    video = client.get(f"/judging/assignments/{assignment.pk}/video")
    assert video.status_code == 200 and video["Content-Type"] == "video/mp4"
    card = client.get(f"/judging/assignments/{assignment.pk}/file").content.decode()
    assert "Inkbots" not in card.split('href="')[0] and "Amy" not in card and "School-A" not in card
    assert "▇▇▇ from ▇▇▇ made this; ask ▇▇▇." in card and 'alt="Made by ▇▇▇ of ▇▇▇"' in card
    # The links stay as the team gave them (the organiser is told), and the pictures stay whole.
    assert 'href="https://git.example.org/inkbots/ink-helper"' in card and "data:image/png;base64," in card
    assert "A video (1:30) comes with this application." in card
    # Another judge, or a team member, gets nothing.
    client.force_login(app.student)
    assert client.get(f"/judging/assignments/{assignment.pk}/video").status_code == 404


def test_the_organiser_is_told_which_entries_show_an_address(app: Any, client: Any) -> None:
    _submitted_and_assigned(app, client, description="An ink-wash helper.",
                            repository="https://git.example.org/inkbots/ink-helper")
    client.force_login(app.organiser)
    page = client.get(f"/organiser/{app.competition.slug}/judging/").content.decode()
    section = page.split('data-testid="blind-judging"')[1].split("</section>")[0]
    assert "Ink Helper" in section and "https://git.example.org/inkbots/ink-helper" in section
    assert "the address spells the team" in section
    # The page that sets what judges see says the same.
    signals = client.get(f"/organiser/{app.competition.slug}/judging/signals/").content.decode()
    assert "https://git.example.org/inkbots/ink-helper" in signals.split('data-testid="blind-judging"')[1]
