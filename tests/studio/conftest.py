"""A novel entry with its people: two team members, their teacher, and outsiders of every role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class NovelSetup:
    entry: Any
    student: Any
    teammate: Any
    teacher: Any
    other_student: Any
    other_teacher: Any
    organiser: Any
    judge: Any


@pytest.fixture
def novel_setup(make_competition, make_school, make_user) -> NovelSetup:  # type: ignore[no-untyped-def]
    from aigc_contest.web.entries.models import Entry, Team

    _, category, theme = make_competition("novel-comp", work_types=("novel", "storybook"))
    school, elsewhere = make_school("school-a"), make_school("school-b")
    teacher = make_user("teacher.a", "teacher", school)
    student, teammate = make_user("amy", "student", school), make_user("ben", "student", school)
    other_student = make_user("cat", "student", school)  # same school, another team
    other_teacher = make_user("teacher.b", "teacher", elsewhere)
    organiser = make_user("org", "organiser")
    judge = make_user("judy", "judge")
    team = Team.objects.create(competition=category.competition, category=category, name="Owls", school=school,
                               supervising_teacher=teacher)  # fmt: skip
    team.members.set([student, teammate])
    entry = Entry.objects.create(team=team, category=category, theme=theme, work_type="novel", title="Owl Night")
    return NovelSetup(entry, student, teammate, teacher, other_student, other_teacher, organiser, judge)




@pytest.fixture
def jobs_inline(settings: Any) -> dict[str, Any]:
    """No broker: the tests run the worker's own functions (`runner.run_available`) themselves."""
    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False, "batch_window_seconds": 0.0,
                          "quotas": {}}  # fmt: skip
    return settings.AIGC_JOBS


@pytest.fixture
def fake_models(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A scripted text model and a picture model that draws plain colours, instead of the models file."""
    from aigc_contest.generation import registry as registry_module
    from aigc_contest.generation import service  # noqa: F401 - bound to the real registry before the patch

    from .fakes import GOOD_SKELETON, FakeRegistry, ScriptedBackend, fake_image_batch

    registry = FakeRegistry(ScriptedBackend([GOOD_SKELETON]))
    monkeypatch.setattr(registry_module, "shared_registry", lambda: registry)
    monkeypatch.setattr("aigc_contest.generation.service.generate_image_batch", fake_image_batch)
    return registry


def run_jobs() -> int:
    """Run every queued job, then apply the finished ones as the worker's signal does (inside a test
    transaction on_commit hooks never fire)."""
    from aigc_contest.web.entries.models import Entry
    from aigc_contest.web.jobs import runner
    from aigc_contest.web.works import services

    done = runner.run_available("gpu") + runner.run_available("default")
    for entry in Entry.objects.filter(work__jobs__isnull=False).distinct():
        services.sync_entry(entry)
    return done


@pytest.fixture(scope="session")
def studio_models_file(tmp_path_factory: pytest.TempPathFactory) -> Any:
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    from aigc_contest.generation.tiny import build_tiny_models

    return build_tiny_models(tmp_path_factory.mktemp("studio-tiny"))


@pytest.fixture
def tiny_models(studio_models_file: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The tiny random-weight models (pictures are noise, but real PNGs with provenance)."""
    monkeypatch.setenv("AIGC_MODELS_FILE", str(studio_models_file))
    return studio_models_file
