"""The training set: pictures one by one or as a ZIP, every one checked and screened before anything is
stored, near-duplicates flagged, captions and the declaration, and pictures private to the team."""

from __future__ import annotations

from typing import Any

import pytest
from tests.finetuning_web.conftest import picture, resized, zipped

pytestmark = pytest.mark.django_db


def _work(ft: Any) -> Any:
    from aigc_contest.web.works import services as work_services
    from aigc_contest.web.works.models import WorkKind

    return work_services.start(ft.student, ft.entry, WorkKind.FINETUNE)


def test_the_entry_type_opens_the_fine_tuning_kind(ft: Any, client: Any) -> None:
    client.force_login(ft.student)
    from django.urls import reverse

    page = client.get(reverse("entry-detail", args=[ft.entry.pk]))
    assert reverse("finetune-editor", args=[ft.entry.pk]) in page.content.decode()
    editor = client.get(reverse("finetune-editor", args=[ft.entry.pk]))
    assert editor.status_code == 200 and "Compute budget" in editor.content.decode()
    assert _work(ft).kind == "finetuned_model"


def test_a_refused_picture_stores_nothing_and_names_the_file(ft: Any) -> None:
    from aigc_contest.web.core.errors import ServiceError
    from aigc_contest.web.finetuning import services

    work = _work(ft)
    files = [(f"p{i}.png", picture(i)) for i in range(3)] + [("virus.png", b"MZ\x90\x00" * 50)]
    with pytest.raises(ServiceError) as refused:
        services.add_images(ft.student, work, revision=work.revision, files=files)
    assert "virus.png" in refused.value.message
    work.refresh_from_db()
    assert work.document["images"] == [] and work.revision == 1
    tiny = [("small.png", picture(9, (32, 32)))]
    with pytest.raises(ServiceError, match="at least 64 pixels"):
        services.add_images(ft.student, work, revision=work.revision, files=tiny)


def test_pictures_join_with_near_duplicates_flagged(ft: Any, client: Any) -> None:
    from django.urls import reverse

    from aigc_contest.web.finetuning import selectors, services

    work = _work(ft)
    first = picture(1)
    files = [("a.png", first), ("b.png", picture(2)), ("c.png", picture(3)), ("a-small.jpg", resized(first, (80, 66)))]
    work, report = services.add_images(ft.student, work, revision=work.revision, files=files)
    assert report.added == 4 and report.duplicates == [("a-small.jpg", "a.png")]
    assert selectors.duplicates_of(work.document["images"]) == {3: 0}
    again, report = services.add_images(ft.student, work, revision=work.revision, files=[("a.png", first)])
    assert report.added == 0 and len(again.document["images"]) == 4  # the very same file is kept once
    client.force_login(ft.student)
    page = client.get(reverse("finetune-set", args=[ft.entry.pk])).content.decode()
    assert 'data-testid="duplicate-3"' in page and 'data-testid="duplicate-1"' not in page
    assert "Looks almost the same as picture 1." in page


def test_a_zip_brings_its_captions_and_hostile_archives_are_refused(ft: Any) -> None:
    from aigc_contest.web.core.errors import ServiceError
    from aigc_contest.web.finetuning import services

    work = _work(ft)
    for hostile, words in (
        (zipped({"../../etc/cron.d/x.png": picture(1)}), "outside"),
        (zipped({"bomb.txt": b"\0" * 30_000_000, "a.png": picture(1)}), "too large"),
        (b"not a zip at all", "not a ZIP"),
        (zipped({"readme.md": b"hello"}), "no PNG"),
    ):
        with pytest.raises(ServiceError, match=words):
            services.add_zip(ft.student, work, revision=work.revision, data=hostile)
    work.refresh_from_db()
    assert work.document["images"] == []
    archive = zipped({f"set/{i}.png": picture(i) for i in range(5)} | {"set/0.txt": "一條水墨龍".encode(),
                                                                       "set/1.txt": b"a red kite"})  # fmt: skip
    work, report = services.add_zip(ft.student, work, revision=work.revision, data=archive)
    assert report.added == 5
    assert [i["caption"] for i in work.document["images"]][:3] == ["一條水墨龍", "a red kite", ""]


def test_captions_and_the_declaration_are_saved_and_screened(ft: Any, client: Any) -> None:
    from django.urls import reverse

    from aigc_contest.web.finetuning import services

    work = _work(ft)
    work, _report = services.add_images(ft.student, work, revision=work.revision,
                                        files=[(f"p{i}.png", picture(i)) for i in range(2)])  # fmt: skip
    client.force_login(ft.student)
    url = reverse("finetune-set", args=[ft.entry.pk])
    response = client.post(url, {"revision": work.revision, "caption_0": "a blue  dragon", "caption_1": "a kite",
                                 "declaration": "yes"}, follow=True)  # fmt: skip
    work.refresh_from_db()
    assert [i["caption"] for i in work.document["images"]] == ["a blue dragon", "a kite"]
    assert work.document["declaration"] is True
    refused = client.post(url, {"revision": work.revision, "caption_0": "a massacre in the village",
                                "caption_1": "a kite", "declaration": "yes"}, follow=True)  # fmt: skip
    errors = [m for m in refused.context["messages"] if m.level_tag == "error"]
    assert refused.status_code == 200 and len(errors) == 1 and "massacre" not in str(errors[0])
    work.refresh_from_db()
    assert work.document["images"][0]["caption"] == "a blue dragon"  # the refused caption was not stored
    assert response.status_code == 200


def test_the_pictures_are_private_to_the_team(ft: Any, client: Any, make_user: Any) -> None:
    from django.urls import reverse

    from aigc_contest.web.finetuning import services

    work = _work(ft)
    services.add_images(ft.student, work, revision=work.revision, files=[("p.png", picture(1))])
    url = reverse("finetune-image", args=[ft.entry.pk, 0])
    for person, status in ((ft.student, 200), (ft.teammate, 200), (ft.teacher, 200), (ft.classmate, 403),
                           (ft.organiser, 403), (make_user("judy", "judge"), 403)):  # fmt: skip
        client.force_login(person)
        assert client.get(url).status_code == status, person
    client.force_login(ft.classmate)
    assert client.get(reverse("finetune-set", args=[ft.entry.pk])).status_code == 403
