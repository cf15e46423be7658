"""Storybooks under the school's safety settings, and blind judging of the submitted PDF."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from .conftest import run_jobs
from .fakes import FakeGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_writer(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Writing steps answer instantly; returns the safety policies the writing jobs' generators got."""
    from aigc_contest.works.storybook import pipeline

    policies: list[Any] = []

    class FakeWriter(FakeGenerator):
        model_name = pipeline.Generator.model_name
        image_size = pipeline.Generator.image_size

        def __init__(self, registry: Any = None, policy: Any = None, user: str | None = None) -> None:
            super().__init__(policy=policy)
            policies.append(policy)

    monkeypatch.setattr(pipeline, "Generator", FakeWriter)
    return policies


@pytest.fixture
def school_policy(book_setup):  # type: ignore[no-untyped-def]
    from aigc_contest.web.moderation.models import SchoolSafetyPolicy

    return SchoolSafetyPolicy.objects.create(school=book_setup.student.school, extra_blocked_terms="broccoli")


def test_the_schools_blocked_words_refuse_a_book_and_are_recorded(book_setup, school_policy) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    from aigc_contest.web.core.errors import ServiceError
    from aigc_contest.web.moderation.models import SafetyEvent
    from aigc_contest.web.works import services
    from aigc_contest.web.works.models import Work, WorkKind

    with pytest.raises(ServiceError) as refused:
        services.start(book_setup.student, book_setup.entry, WorkKind.STORYBOOK, exists_ok=False, theme="A broccoli city", pages=2)
    assert refused.value.code == "refused" and "broccoli" not in refused.value.message
    assert not Work.objects.exists()
    event = SafetyEvent.objects.get()
    assert (event.user, event.outcome, event.where) == (book_setup.student, "refused", "prompt")


def test_every_storybook_job_carries_the_school_policy(book_setup, school_policy, jobs_inline,  # type: ignore[no-untyped-def]
                                                       fake_writer) -> None:  # fmt: skip
    from aigc_contest.web.jobs.kinds import SAFETY_POLICY_PARAM
    from aigc_contest.web.works import services
    from aigc_contest.web.works.models import WorkKind

    work = services.start(book_setup.student, book_setup.entry, WorkKind.STORYBOOK, exists_ok=False, theme="A greener city", pages=2, seed=3)
    job = work.jobs.get().job
    assert "broccoli" in job.params[SAFETY_POLICY_PARAM]["extra_blocked_terms"]
    from aigc_contest.web.jobs import runner

    runner.run_available("gpu")
    ran_with = [p for p in fake_writer if p is not None]
    assert ran_with and "broccoli" in ran_with[-1].extra_blocked_terms  # the writing step ran under it


def test_the_submitted_pdf_does_not_name_the_team(book_setup, jobs_inline, fake_writer,  # type: ignore[no-untyped-def]
                                                  storybook_models_file: Path, monkeypatch) -> None:  # fmt: skip
    from pypdf import PdfReader

    from aigc_contest.web.works import services
    from aigc_contest.web.works.kinds import storybook
    from aigc_contest.web.works.models import WorkKind

    monkeypatch.setenv("AIGC_MODELS_FILE", str(storybook_models_file))
    work = services.start(book_setup.student, book_setup.entry, WorkKind.STORYBOOK, exists_ok=False, theme="A greener city", pages=2, seed=3)
    run_jobs()
    work.refresh_from_db()
    own_copy = PdfReader(io.BytesIO(storybook.export(work, "pdf")))
    assert "Owls" in own_copy.pages[0].extract_text()  # the team's own download still says who made it
    version = services.submit(book_setup.student, work)
    reader = PdfReader(io.BytesIO(version.file.read()))
    assert "Owls" not in reader.pages[0].extract_text()
    assert "Owls" not in str(reader.metadata or {})


def test_the_entry_link_does_not_reveal_someone_elses_book(client, book_setup) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.works.models import Work

    work = Work.objects.create(entry=book_setup.entry, kind="storybook", document={"plan": {}, "book": None},
                               updated_by=book_setup.student)
    url = f"/storybooks/entries/{book_setup.entry.pk}/view/"
    client.force_login(book_setup.other_teacher)
    response = client.get(url)
    assert response.status_code == 403 and str(work.pk) not in response.get("Location", "")
    client.force_login(book_setup.teacher)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == reverse("storybook-view", args=[work.pk])
