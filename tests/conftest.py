"""Fixtures shared by the whole suite: a temporary data folder, and small builders for platform objects."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def chromium_page() -> Iterator[Any]:
    """A fresh page in Debian's Chromium, driven by Playwright's sync API (never a downloaded browser).

    The sync API runs an asyncio loop in this thread, which makes Django refuse ORM calls from the test
    ("async context") unless DJANGO_ALLOW_ASYNC_UNSAFE is set; it is set only while the browser runs.
    """
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_api.sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB", accept_downloads=True)
        context.set_default_timeout(10_000)
        yield context.new_page()
        context.close()
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


S3_TEST_BUCKET = "aigc-test"
S3_BACKEND = "aigc_contest.web.core.storage.WriteOnceS3Storage"


def _s3_client():  # type: ignore[no-untyped-def]
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=os.environ["AIGC_S3_ENDPOINT_URL"], region_name=os.environ.get("AIGC_S3_REGION") or None,
        aws_access_key_id=os.environ.get("AIGC_S3_ACCESS_KEY_ID"),
        aws_secret_access_key=os.environ.get("AIGC_S3_SECRET_ACCESS_KEY"),
        config=Config(signature_version="s3v4", connect_timeout=2, read_timeout=10, retries={"max_attempts": 2}),
    )


@pytest.fixture(scope="session")
def s3_server() -> dict[str, str]:
    """The loopback S3 server (scripts/s3-server, started by scripts/test): its AIGC_S3_* variables, with the
    test bucket made. Skips only where nobody asked for S3; fails when it was asked for and does not answer."""
    import time

    if not os.environ.get("AIGC_S3_ENDPOINT_URL"):
        if os.environ.get("AIGC_TEST_REQUIRE_S3") or os.environ.get("CI"):
            pytest.fail("AIGC_TEST_REQUIRE_S3 is set but AIGC_S3_ENDPOINT_URL is not: the S3 server did not start")
        pytest.skip("no S3 server: `bash scripts/s3-server start DIR && source DIR/env` (scripts/test does this)")
    from botocore.exceptions import BotoCoreError, ClientError

    bucket = os.environ.get("AIGC_S3_BUCKET") or S3_TEST_BUCKET
    client, error, deadline = _s3_client(), None, time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            client.create_bucket(Bucket=bucket)
            break
        except ClientError as exc:
            if exc.response["Error"]["Code"] in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                break
            error = exc
        except BotoCoreError as exc:
            error = exc
        time.sleep(0.5)
    else:
        pytest.fail(f"the S3 server at {os.environ['AIGC_S3_ENDPOINT_URL']} does not answer: {error}")
    return {"bucket": bucket, "endpoint_url": os.environ["AIGC_S3_ENDPOINT_URL"]}


def _use_s3(settings, monkeypatch, bucket: str, prefix: str) -> None:  # type: ignore[no-untyped-def]
    """Point this test's storage (and the processes it starts) at its own key prefix in the bucket."""
    default = {"BACKEND": S3_BACKEND, "OPTIONS": {
        "bucket_name": bucket, "endpoint_url": os.environ["AIGC_S3_ENDPOINT_URL"],
        "region_name": os.environ.get("AIGC_S3_REGION") or None,
        "access_key": os.environ.get("AIGC_S3_ACCESS_KEY_ID"), "secret_key": os.environ.get("AIGC_S3_SECRET_ACCESS_KEY"),
        "location": prefix, "signature_version": "s3v4", "default_acl": None, "querystring_auth": True,
        "querystring_expire": int(os.environ.get("AIGC_S3_URL_SECONDS", "300")), "file_overwrite": False,
    }}  # fmt: skip
    settings.STORAGES = {**settings.STORAGES, "default": default}
    for name, value in {"AIGC_S3_BUCKET": bucket, "AIGC_S3_PREFIX": prefix}.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def s3_storage(request, s3_server, settings, monkeypatch):  # type: ignore[no-untyped-def]
    """This test stores its files in the loopback S3 server, whichever run it is in; the storage is returned."""
    import uuid

    from django.core.files.storage import default_storage

    _use_s3(settings, monkeypatch, s3_server["bucket"], f"tests/{uuid.uuid4().hex}")
    return default_storage


@pytest.fixture(autouse=True)
def _media_in_tmp(request, tmp_path):  # type: ignore[no-untyped-def]
    """Each test that touches Django stores its files in its own folder, or, in the scaled run
    (AIGC_S3_BUCKET set), under its own key prefix in the S3 bucket."""
    if "settings" in request.fixturenames or request.node.get_closest_marker("django_db"):
        settings = request.getfixturevalue("settings")
        settings.MEDIA_ROOT = str(tmp_path / "media")
        if os.environ.get("AIGC_S3_BUCKET") and "s3_storage" not in request.fixturenames:
            import uuid

            server = request.getfixturevalue("s3_server")
            _use_s3(settings, request.getfixturevalue("monkeypatch"), server["bucket"], f"tests/{uuid.uuid4().hex}")
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed, tests only


@pytest.fixture
def now():  # type: ignore[no-untyped-def]
    from django.utils import timezone

    return timezone.now()


@pytest.fixture
def make_competition(now):  # type: ignore[no-untyped-def]
    from aigc_contest.web.contests.models import Category, Competition, Theme

    def make(slug: str = "demo-comp", *, deadline=None, tz: str = "Asia/Hong_Kong", levels=("primary",),
             work_types=("image", "storybook"), min_team=1, max_team=3, any_theme=False, limit=3):  # type: ignore[no-untyped-def]
        deadline = deadline or now + timedelta(days=7)
        competition = Competition.objects.create(
            slug=slug, name_en=f"{slug} name", name_zh_hant="繁體名稱", name_zh_hans="简体名称", timezone=tz,
            registration_opens_at=deadline - timedelta(days=30), submission_opens_at=deadline - timedelta(days=20),
            submission_deadline=deadline, judging_starts_at=deadline, results_at=deadline + timedelta(days=14),
        )
        theme = Theme.objects.create(competition=competition, title_en="A greener city", title_zh_hant="綠色城市")
        category = Category.objects.create(
            competition=competition, slug="main", name_en="Main", school_levels=list(levels),
            work_types=list(work_types), min_team_size=min_team, max_team_size=max_team, any_theme=any_theme,
            submission_limit=limit,
        )
        if not any_theme:
            category.themes.add(theme)
        return competition, category, theme

    return make


@pytest.fixture
def make_school():  # type: ignore[no-untyped-def]
    from aigc_contest.web.accounts.models import School

    def make(code: str = "school-a", level: str = "primary"):  # type: ignore[no-untyped-def]
        return School.objects.create(code=code, name_en=code.title(), level=level)

    return make


@pytest.fixture
def make_user():  # type: ignore[no-untyped-def]
    from aigc_contest.web.accounts.models import GuardianConsent, User

    def make(username: str, role: str = "student", school=None, *, consent: bool = True, **extra):  # type: ignore[no-untyped-def]
        user = User.objects.create_user(username=username, password="pw-12345678", role=role, school=school,
                                        display_name=username.title(), **extra)
        if role == "student" and consent and not extra.get("is_adult"):
            recorder = User.objects.filter(role="teacher", school=school).first() or user
            GuardianConsent.objects.create(student=user, method="paper", recorded_by=recorder)
        return user

    return make


@pytest.fixture
def make_png():  # type: ignore[no-untyped-def]
    import io

    from PIL import Image

    def make(size=(64, 48), color=(200, 30, 30)) -> bytes:  # type: ignore[no-untyped-def]
        buffer = io.BytesIO()
        Image.new("RGB", size, color).save(buffer, format="PNG")
        return buffer.getvalue()

    return make


@pytest.fixture
def world(make_competition, make_school, make_user, make_png, now):  # type: ignore[no-untyped-def]
    """One competition, two schools with a teacher and students each, a team with a draft image entry."""
    from types import SimpleNamespace

    from aigc_contest.web.entries import services

    competition, category, theme = make_competition()
    school_a, school_b = make_school("school-a"), make_school("school-b")
    teacher_a = make_user("teacher.a", "teacher", school_a)
    teacher_b = make_user("teacher.b", "teacher", school_b)
    student_a = make_user("student.a", "student", school_a)
    student_a2 = make_user("student.a2", "student", school_a)
    student_b = make_user("student.b", "student", school_b)
    organiser = make_user("organiser", "organiser")
    judge = make_user("judge", "judge")
    # Powers over a competition are roles on it: the organiser organises this one, the judge judges it.
    from aigc_contest.web.contests.models import CompetitionRole

    CompetitionRole.objects.create(competition=competition, user=organiser, role="organiser")
    CompetitionRole.objects.create(competition=competition, user=judge, role="judge")
    team = services.create_team(teacher_a, category, name="Team A", members=[student_a])
    entry = services.start_entry(student_a, team, title="My picture", work_type="image", theme=theme)
    services.upload_draft_file(student_a, entry, filename="pic.png", data=make_png())
    return SimpleNamespace(**locals())
