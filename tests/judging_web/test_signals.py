"""Advisory signals beside the works: judges see them blind and folded, organisers see every entry (sortable)
and the near-duplicate pairs; the organiser chooses which signals judges see. Nothing changes a score."""

from __future__ import annotations

import hashlib
import importlib
import re
from types import ModuleType

import pytest

pytestmark = pytest.mark.django_db

STORY = (
    "<!doctype html><html><head><meta charset=utf-8><title>The lost kite</title></head><body>"
    "<p>Mia had a red kite. She ran to the park with her dad. The wind was strong and the kite went up. "
    "It flew over the trees and the pond. Then the string broke and the kite was gone. Mia was sad. "
    "A duck found the kite in the pond. Mia and her dad laughed and took it home.</p></body></html>"
)


def _demo() -> ModuleType:
    """The demo loader (web/core/demo.py, moving to web/demo.py)."""
    try:
        return importlib.import_module("aigc_contest.web.demo")
    except ModuleNotFoundError:
        return importlib.import_module("aigc_contest.web.core.demo")


@pytest.fixture(autouse=True)
def _fresh_cache():  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _swap(version_id: int, data: bytes, name: str, mime: str) -> None:
    """Versions are immutable through the model; the test stores another work in their place."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from aigc_contest.web.entries.models import EntryVersion

    stored = default_storage.save(f"test-works/{name}", ContentFile(data))
    EntryVersion.objects.filter(pk=version_id).update(
        file=stored, mime=mime, file_sha256=hashlib.sha256(data).hexdigest()
    )


@pytest.fixture
def twins(judged):  # type: ignore[no-untyped-def]
    """Both entries of the judged world carry near-copies of one picture."""
    j = judged
    _swap(j.entry.latest_version.pk, _demo().sample_png(3), "garden.png", "image/png")
    _swap(j.entry_b.latest_version.pk, _demo().near_copy_png(3), "garden-copy.png", "image/png")
    return j


def _details(html: str) -> str:
    match = re.search(r'<details class="advisory-signals">(.*?)</details>', html, re.S)
    assert match, html
    return match.group(1)


def _score_page(client, j, entry):  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging.models import Assignment

    assignment = Assignment.objects.filter(round=j.round, entry=entry).select_related("judge").first()
    client.force_login(assignment.judge)
    response = client.get(f"/judging/assignments/{assignment.pk}/")
    assert response.status_code == 200
    return response.content.decode(), assignment


def test_blind_judge_sees_the_near_duplicate_without_any_identity(twins, client) -> None:  # type: ignore[no-untyped-def]
    j = twins
    html, assignment = _score_page(client, j, j.entry_b)
    assert '<details class="advisory-signals">' in html  # folded by default: no "open"
    section = _details(html)
    assert "Very similar to another entry in this competition." in section
    assert "hash bits" in section  # the one-sentence explanation of the core
    other = j.entry
    for identifying in (
        other.title,
        other.team.name,
        j.team_b.name,
        j.school_a.name_en,
        j.school_b.name_en,
        "garden",
        "pic.png",
        "kite.png",
        f"#{other.pk}",
        j.student_a.username,
    ):
        assert identifying not in section, identifying
    assert "#" not in section


def test_a_signal_the_organiser_hides_is_not_shown(twins, client) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import services

    j = twins
    services.set_judge_signals(j.organiser, j.competition, ["readability"])
    html, _ = _score_page(client, j, j.entry_b)
    assert "Very similar to another entry" not in html
    assert "hash bits" not in html
    services.set_judge_signals(j.organiser, j.competition, [])
    html, _ = _score_page(client, j, j.entry_b)
    assert "Advisory signals" not in html


def test_readability_line_for_a_text_entry(judged, client) -> None:  # type: ignore[no-untyped-def]
    j = judged
    _swap(j.entry_b.latest_version.pk, STORY.encode(), "story.html", "text/html")
    html, _ = _score_page(client, j, j.entry_b)
    section = _details(html)
    assert "Readability:" in section and "readers aged 9–11" in section  # a primary category
    assert "No near-duplicate of this work was found" in section


def test_organiser_sets_the_visible_signals_on_the_page(twins, client) -> None:  # type: ignore[no-untyped-def]
    j = twins
    client.force_login(j.organiser)
    url = f"/organiser/{j.competition.slug}/judging/signals/"
    response = client.post(url, {"signals": ["duplicates"]})
    assert response.status_code == 302
    j.competition.refresh_from_db()
    assert j.competition.judge_signals == ["duplicates"]
    assert client.post(url, {"signals": ["mind-reading"]}).status_code == 400
    client.force_login(j.judge)
    assert client.get(url).status_code in {403, 404}
    assert client.post(url, {"signals": []}).status_code in {403, 404}
    j.competition.refresh_from_db()
    assert j.competition.judge_signals == ["duplicates"]


def _row_order(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr class="signal-row" data-entry="(\d+)"', html)]


def test_organiser_table_sorts_by_each_signal(twins, client) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.entries import services as entries

    j = twins
    team_c = entries.create_team(j.teacher_a, j.category, name="Team C", members=[j.student_a2])
    third = entries.start_entry(j.student_a2, team_c, title="A story", work_type="storybook", theme=j.theme)
    entries.upload_draft_file(j.student_a2, third, filename="story.png", data=_other_png())
    entries.submit_entry(j.student_a2, third)
    _swap(third.latest_version.pk, STORY.encode(), "story.html", "text/html")
    client.force_login(j.organiser)
    url = f"/organiser/{j.competition.slug}/judging/signals/"
    by_entry = _row_order(client.get(url + "?sort=entry").content.decode())
    assert by_entry == sorted([j.entry.pk, j.entry_b.pk, third.pk])
    assert _row_order(client.get(url + "?sort=-entry").content.decode()) == by_entry[::-1]
    html = client.get(url + "?sort=-duplicates").content.decode()
    assert _row_order(html)[-1] == third.pk  # the one work without a near-copy comes last
    assert 'aria-sort="descending"' in html and 'href="?sort=duplicates"' in html
    assert _row_order(client.get(url + "?sort=duplicates").content.decode())[0] == third.pk
    assert _row_order(client.get(url + "?sort=-readability").content.decode())[0] == third.pk  # the only text
    assert _row_order(client.get(url + "?sort=nonsense").content.decode())[-1] == third.pk  # the default


def _other_png() -> bytes:
    return _demo().sample_png(5)


def test_signals_never_change_scores_or_ranks(twins, score_all, client) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import services
    from aigc_contest.web.judging.models import Score

    j = twins
    score_all(j, {(j.entry.pk, "judge"): (9, 9)})

    def ranks():  # type: ignore[no-untyped-def]
        preview = services.preview_results(j.round, "mean")
        return [(r.entry.pk, r.score, r.rank) for _, rows in preview.categories for r in rows]

    before, scores = ranks(), list(Score.objects.order_by("pk").values_list("pk", "value"))
    client.force_login(j.organiser)
    html = client.get(f"/organiser/{j.competition.slug}/judging/signals/").content.decode()
    assert "Very similar to entry" in html
    _score_page(client, j, j.entry_b)
    assert ranks() == before
    assert list(Score.objects.order_by("pk").values_list("pk", "value")) == scores


@pytest.fixture
def demo(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # the demo sets many
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return _demo().load_demo()


def test_the_report_finds_the_demos_planted_pair(demo, client) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.accounts.models import User
    from aigc_contest.web.contests.models import Competition
    from aigc_contest.web.judging import signals

    hk = Competition.objects.get(slug="hk-inter-school-aigc")
    found = signals.competition_signals(hk)
    titles = [{p.a.title, p.b.title} for p in found.pairs]
    assert {"My Happy Garden", "Flowers in the Sun"} in titles
    assert len(found.pairs) == 1  # nothing else in the demo looks copied
    client.force_login(User.objects.get(username="organiser"))
    html = client.get("/organiser/hk-inter-school-aigc/judging/signals/").content.decode()
    report = html[html.index('id="duplicates-report"') :]
    assert "My Happy Garden" in report and "Flowers in the Sun" in report
    pair = found.pairs[0]
    assert f'src="/versions/{pair.a.pk}/file/"' in report and f'src="/versions/{pair.b.pk}/file/"' in report
    # The thumbnails load for the organiser (the permission-checked version file view).
    assert client.get(f"/versions/{pair.a.pk}/file/").status_code == 200


def _camera_jpeg() -> bytes:
    import io

    from PIL import Image

    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "Canon EOS R6"
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (90, 140, 200)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_file_metadata_line_flags_a_camera_photo_in_an_ai_category(judged, client) -> None:  # type: ignore[no-untyped-def]
    j = judged
    _swap(j.entry_b.latest_version.pk, _camera_jpeg(), "photo.jpg", "image/jpeg")
    html, _ = _score_page(client, j, j.entry_b)
    section = _details(html)
    assert 'class="signal-notice"' in section
    assert "What the file says:" in section and "Canon EOS R6" in section and "photograph" in section
    client.force_login(j.organiser)
    table = client.get(f"/organiser/{j.competition.slug}/judging/signals/?sort=-file_evidence").content.decode()
    assert "worth a second look" in table
    assert _row_order(table)[0] == j.entry_b.pk  # the notice sorts first


def test_relevance_is_shown_only_where_an_embedding_model_is_configured(judged, client, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("transformers")
    from aigc_contest.generation.tiny import build_clip_guard

    j = judged
    html, _ = _score_page(client, j, j.entry_b)
    assert "Relevance to the theme:" not in html  # nothing configured, nothing shown
    folder = build_clip_guard(tmp_path / "clip")
    models = tmp_path / "models.toml"
    models.write_text(
        f'[[models]]\nname = "clip-embed"\nkind = "embedding"\nbackend = "clip"\npath = "{folder}"\ntest_model = true\n'
    )
    monkeypatch.setenv("AIGC_MODELS_FILE", str(models))
    _swap(j.entry_b.latest_version.pk, _demo().sample_png(5), "harbour.png", "image/png")
    html, _ = _score_page(client, j, j.entry_b)
    section = _details(html)
    assert "Relevance to the theme:" in section
    assert "too few entries in the category to compare" in section


def test_a_near_copy_of_an_earlier_editions_entry_is_flagged(judged, client, make_competition) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.entries import services as entries
    from aigc_contest.web.judging import services

    j = judged
    earlier, earlier_category, old_theme = make_competition("edition-2025")
    team = entries.create_team(j.teacher_a, earlier_category, name="Old Team", members=[j.student_a2])
    old = entries.start_entry(j.student_a2, team, title="Garden of 2025", work_type="image", theme=old_theme)
    entries.upload_draft_file(j.student_a2, old, filename="garden.png", data=_demo().sample_png(3))
    entries.submit_entry(j.student_a2, old)
    _swap(j.entry_b.latest_version.pk, _demo().near_copy_png(3), "copy.png", "image/png")

    html, _assignment = _score_page(client, j, j.entry_b)
    assert "earlier edition" not in html  # not compared until the organiser says which editions count
    client.force_login(j.organiser)
    response = client.post(
        f"/organiser/{j.competition.slug}/judging/signals/",
        {"signals": ["duplicates", "readability"], "past_editions": [earlier.pk]},
    )
    assert response.status_code == 302
    assert list(j.competition.past_editions.all()) == [earlier]
    report = client.get(f"/organiser/{j.competition.slug}/judging/signals/").content.decode()
    assert f"of {earlier.name_en}" in report
    html, _assignment = _score_page(client, j, j.entry_b)
    section = _details(html)
    assert "Very similar to an entry of an earlier edition." in section
    for identifying in ("Old Team", "Garden of 2025", earlier.name_en, j.student_a2.username, "#"):
        assert identifying not in section, identifying
    from aigc_contest.web.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):  # only those who manage judging choose
        services.set_past_editions(j.judge, j.competition, [earlier])
