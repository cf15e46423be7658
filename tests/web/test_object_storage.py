"""Files on real S3-compatible storage (SeaweedFS on loopback, scripts/s3-server): where every kind of
file goes, write-once keys, and downloads only through the permission check."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from aigc_contest.web.entries import services
from aigc_contest.web.entries.models import Entry

pytestmark = pytest.mark.django_db


def _keys(storage) -> list[str]:  # type: ignore[no-untyped-def]
    """Every key under this test's prefix, read from the bucket itself (not through Django)."""
    bucket = storage.bucket
    prefix = storage.location + "/"
    return sorted(obj.key[len(prefix) :] for obj in bucket.objects.filter(Prefix=prefix))


def _job_asset(owner, data: bytes):  # type: ignore[no-untyped-def]
    from aigc_contest.web.jobs import services as job_services
    from aigc_contest.web.jobs.kinds import JobOutput
    from aigc_contest.web.jobs.models import Job, JobStatus

    job = Job.objects.create(
        owner=owner, school=owner.school, kind="image", status=JobStatus.RUNNING, attempts=1
    )
    assert job_services.complete_job(job.pk, 1, JobOutput(files=[("picture.png", data, "image/png")]))
    return job.assets.get()


def test_every_kind_of_file_is_stored_in_the_bucket(s3_storage, world, make_png, settings) -> None:
    from aigc_contest.web.certificates.services import issue_certificate
    from aigc_contest.web.works.kinds import storybook as book_services

    assert type(default_storage._wrapped).__name__ == "WriteOnceS3Storage"
    version = services.submit_entry(world.student_a, world.entry)
    asset = _job_asset(world.student_a, make_png(color=(1, 2, 3)))
    certificate = issue_certificate(world.student_a, world.competition, team=world.team)
    picture = _job_asset(world.student_a, make_png(color=(9, 9, 9)))  # a page's picture, as a job stores it

    def read(reference: str) -> bytes | None:  # as `works.pictures` reads the work's own pictures
        return picture.file.open("rb").read() if reference == f"job-asset:{picture.pk}" else None

    zipped, _book = book_services.archive(_tiny_book(f"job-asset:{picture.pk}"), read)  # read from the bucket
    export = default_storage.save(f"storybooks/{world.entry.pk}/book.zip", ContentFile(zipped))

    keys = _keys(s3_storage)
    for name in (
        world.entry.draft_file.name,
        version.file.name,
        asset.file.name,
        certificate.pdf.name,
        export,
    ):
        assert name in keys, (name, keys)
    assert version.file.name.startswith("blobs/")  # the version's file is the draft's blob, not a copy
    assert s3_storage.open(certificate.pdf.name).read().startswith(b"%PDF")
    assert s3_storage.open(asset.file.name).read() == make_png(color=(1, 2, 3))
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))  # nothing on the local disk


def _tiny_book(picture: str):  # type: ignore[no-untyped-def]
    from aigc_contest.works.storybook.model import Storybook

    return Storybook.model_validate(
        {
            "title": "A tiny book",
            "language": "en",
            "pages": [{"id": "p1", "text": "Hi", "image": {"path": picture, "media_type": "image/png"}}],
        }
    )


@pytest.mark.parametrize("where", ["local", "s3"])
def test_an_existing_key_is_never_overwritten(where, request) -> None:
    """Two writers racing for one name (both found it free): the second goes beside it, the first stays."""
    storage = request.getfixturevalue("s3_storage") if where == "s3" else default_storage
    first = storage.save("versions/ab/abcdef/work.png", ContentFile(b"the first bytes"))
    # What the second writer does after its own free-name check: write straight to that name.
    second = storage._save(first, ContentFile(b"other bytes"))
    assert second != first
    assert storage.open(first).read() == b"the first bytes"
    assert storage.open(second).read() == b"other bytes"


def test_duplicate_uploads_share_one_blob_and_a_race_loses_nothing(
    s3_storage, world, make_png, make_user, monkeypatch
) -> None:
    def entry_of_a_new_team(name: str) -> Entry:
        student = make_user(name, "student", world.school_a)
        team = services.create_team(world.teacher_a, world.category, name=name, members=[student])
        return services.start_entry(student, team, title="Same picture", work_type="image", theme=world.theme)

    other = entry_of_a_new_team("student.c")
    services.upload_draft_file(other.team.members.get(), other, filename="again.png", data=make_png())
    other.refresh_from_db()
    world.entry.refresh_from_db()
    assert other.draft_file.name == world.entry.draft_file.name
    assert [k for k in _keys(s3_storage) if k.startswith("blobs/")] == [world.entry.draft_file.name]

    # A third upload of the same bytes races another writer: its check finds no blob, the key is taken
    # by the time it writes. The conditional write puts it beside the first; both hold the same bytes.
    third = entry_of_a_new_team("student.d")
    from aigc_contest.web.core.storage import WriteOnceS3Storage

    real_exists, stale_answers = (
        WriteOnceS3Storage.exists,
        [False, False],
    )  # the upload's check, save()'s check

    def exists_as_seen_before_the_other_writer(self, name: str) -> bool:  # type: ignore[no-untyped-def]
        return stale_answers.pop() if stale_answers and name.startswith("blobs/") else real_exists(self, name)

    monkeypatch.setattr(WriteOnceS3Storage, "exists", exists_as_seen_before_the_other_writer)
    services.upload_draft_file(third.team.members.get(), third, filename="third.png", data=make_png())
    monkeypatch.undo()
    assert not stale_answers
    third.refresh_from_db()
    assert third.draft_file.name != world.entry.draft_file.name
    for entry in (world.entry, other, third):
        assert s3_storage.open(Entry.objects.get(pk=entry.pk).draft_file.name).read() == make_png()


def test_downloads_are_streamed_after_the_permission_check(
    s3_storage, world, client, make_user, make_png
) -> None:
    from aigc_contest.web.certificates.services import issue_certificate

    version = services.submit_entry(world.student_a, world.entry)
    asset = _job_asset(world.student_a, make_png())
    certificate = issue_certificate(world.student_a, world.competition, team=world.team)
    urls = {
        reverse("version-file", args=[version.pk]): make_png(),
        reverse("entry-draft-file", args=[world.entry.pk]): make_png(),
        reverse("job-asset", args=[asset.pk]): make_png(),
        f"/certificates/{certificate.uuid}/pdf": s3_storage.open(certificate.pdf.name).read(),
    }
    endpoint = s3_storage.endpoint_url
    client.force_login(world.student_a)
    for url, data in urls.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.streaming and b"".join(response.streaming_content) == data  # streamed, not a redirect
        assert endpoint not in str(response.headers)
    for stranger in (world.student_b, world.teacher_b):
        client.force_login(stranger)
        for url in urls:
            assert client.get(url).status_code in {403, 404}, (stranger, url)
    client.logout()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_bucket_serves_nobody_without_a_signature(s3_storage, world) -> None:
    """Even knowing a file's key, nobody fetches it from the store directly; a signed link (used by no page)
    lives AIGC_S3_URL_SECONDS, five minutes by default."""
    name = world.entry.draft_file.name
    key = f"{s3_storage.location}/{name}"
    plain = f"{s3_storage.endpoint_url}/{s3_storage.bucket_name}/{key}"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(plain, timeout=5)
    assert refused.value.code == 403

    assert s3_storage.querystring_expire == 300
    signed = s3_storage.url(name)
    assert "X-Amz-Expires=300" in signed
    with urllib.request.urlopen(signed, timeout=5) as response:
        assert response.read() == s3_storage.open(name).read()
    short = s3_storage.url(name, expire=1)
    time.sleep(2.1)
    with pytest.raises(urllib.error.HTTPError) as expired:
        urllib.request.urlopen(short, timeout=5)
    assert expired.value.code == 403


def test_the_back_office_links_files_through_the_permission_check(
    s3_storage, world, client, make_user, make_png
) -> None:
    version = services.submit_entry(world.student_a, world.entry)
    asset = _job_asset(world.student_a, make_png())
    staff = make_user("back.office", "organiser", is_staff=True, is_superuser=True)
    client.force_login(staff)
    pages = {
        reverse("admin:entries_entry_change", args=[world.entry.pk]): reverse(
            "version-file", args=[version.pk]
        ),
        reverse("admin:jobs_job_change", args=[asset.job.pk]): reverse("job-asset", args=[asset.pk]),
    }
    for page, link in pages.items():
        html = client.get(page).content.decode()
        assert f'href="{link}"' in html, page
        assert s3_storage.endpoint_url not in html and "X-Amz-Signature" not in html, page
