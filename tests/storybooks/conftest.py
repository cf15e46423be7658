"""Fixtures for the storybook studio: tiny random-weight models (built once per session) and a storybook
entry with its people."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def storybook_models_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    pytest.importorskip("llguidance")
    from aigc_contest.generation.tiny import build_tiny_models

    return build_tiny_models(tmp_path_factory.mktemp("storybook-tiny"))


@pytest.fixture
def tiny_models(storybook_models_file: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AIGC_MODELS_FILE", str(storybook_models_file))
    return storybook_models_file


@pytest.fixture
def jobs_inline(settings: Any) -> dict[str, Any]:
    """No broker: the tests run the worker's own functions (`runner.run_available`) themselves."""
    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False, "batch_window_seconds": 0.0,
                          "quotas": {}}  # fmt: skip
    return settings.AIGC_JOBS


@dataclass
class BookSetup:
    entry: Any
    student: Any
    teammate: Any
    teacher: Any
    other_student: Any
    other_teacher: Any


@pytest.fixture
def book_setup(make_competition, make_school, make_user) -> BookSetup:  # type: ignore[no-untyped-def]
    from aigc_contest.web.entries.models import Entry, Team

    _, category, theme = make_competition("book-comp", work_types=("storybook", "novel"))
    school, elsewhere = make_school("school-a"), make_school("school-b")
    teacher = make_user("teacher.a", "teacher", school)
    student, teammate = make_user("amy", "student", school), make_user("ben", "student", school)
    other_student = make_user("cat", "student", school)
    other_teacher = make_user("teacher.b", "teacher", elsewhere)
    team = Team.objects.create(competition=category.competition, category=category, name="Owls", school=school,
                               supervising_teacher=teacher)  # fmt: skip
    team.members.set([student, teammate])
    entry = Entry.objects.create(team=team, category=category, theme=theme, work_type="storybook",
                                 title="Rooftop Garden")  # fmt: skip
    return BookSetup(entry, student, teammate, teacher, other_student, other_teacher)


def run_jobs(rounds: int = 6) -> int:
    """Drain the queues until nothing is left (each finished step may queue the next)."""
    from aigc_contest.web.jobs import runner
    from aigc_contest.web.works import services
    from aigc_contest.web.works.models import Work

    total = 0
    for _ in range(rounds):
        done = runner.run_available("gpu") + runner.run_available("default")
        # Inside a test transaction on_commit hooks never fire, so apply finished jobs as opening the page does.
        for work in Work.objects.all():
            services.sync(work)
        total += done
        if not done:
            break
    return total
