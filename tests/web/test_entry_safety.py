"""Entry titles, descriptions and team names go through the school's safety settings; uploads over the
limit are refused before they are read."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from aigc_contest.web.core.errors import ServiceError

pytestmark = pytest.mark.django_db


@pytest.fixture
def broccoli_school(world):  # type: ignore[no-untyped-def]
    from aigc_contest.web.moderation.models import SchoolSafetyPolicy

    return SchoolSafetyPolicy.objects.create(school=world.school_a, extra_blocked_terms="broccoli")


def _refused(call) -> ServiceError:  # type: ignore[no-untyped-def]
    with pytest.raises(ServiceError) as refused:
        call()
    assert refused.value.code == "refused" and "broccoli" not in refused.value.message
    return refused.value


def test_entry_words_and_team_names_are_screened_and_recorded(world, broccoli_school, make_user) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    from aigc_contest.web.entries import services
    from aigc_contest.web.entries.models import Entry, Team
    from aigc_contest.web.moderation.models import SafetyEvent

    _refused(lambda: services.update_draft(world.student_a, world.entry, title="My picture",
                                           description="a broccoli forest", theme=world.theme))  # fmt: skip
    world.entry.refresh_from_db()
    assert world.entry.description == ""
    newcomer = make_user("student.a3", "student", world.school_a)
    _refused(lambda: services.create_team(world.teacher_a, world.category, name="Broccoli gang", members=[newcomer]))
    assert not Team.objects.filter(name__icontains="broccoli").exists()
    team = services.create_team(world.teacher_a, world.category, name="Kites", members=[newcomer])
    _refused(lambda: services.start_entry(newcomer, team, title="Broccoli", work_type="image", theme=world.theme))
    assert not Entry.objects.filter(team=team).exists()
    events = SafetyEvent.objects.all()
    assert events.count() == 3 and {e.outcome for e in events} == {"refused"}
    assert {e.school_id for e in events} == {world.school_a.pk}


def test_an_upload_over_the_limit_is_refused_before_it_is_read(client, world) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.entries import services

    category = world.entry.category
    category.max_upload_mb = 1
    category.save()
    big = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (1024 * 1024 + 10), content_type="image/png")
    client.force_login(world.student_a)
    page = client.post(f"/entries/{world.entry.pk}/", {"action": "upload", "file": big}, follow=True)
    assert "the limit is 1 MB" in page.content.decode()

    class LyingUpload(io.BytesIO):  # claims to be small; never more than limit + 1 bytes may be read
        size = 10
        asked: list[int] = []

        def read(self, size: int | None = -1) -> bytes:
            self.asked.append(-1 if size is None else size)
            return super().read(size)

    upload = LyingUpload(b"0" * (3 * 1024 * 1024))
    with pytest.raises(ServiceError) as refused:
        services.read_upload(world.entry, upload)
    assert refused.value.code == "too_large" and upload.asked == [1024 * 1024 + 1]
