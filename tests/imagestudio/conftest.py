"""An image entry with its people, a tiny random-weight image model, and jobs run in-process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass
class ImageSetup:
    entry: Any
    student: Any  # a team member; the school is an SEN school and the student needs learning support
    teammate: Any
    teacher: Any
    classmate: Any  # same school, not in the team
    other_teacher: Any
    other_student: Any
    organiser: Any
    judge: Any


@pytest.fixture
def image_setup(make_competition, make_school, make_user) -> ImageSetup:  # type: ignore[no-untyped-def]
    from aigc_contest.web.entries import services

    _, category, theme = make_competition("sen-comp", levels=("sen",), work_types=("image",), any_theme=True)
    school, elsewhere = make_school("sen-school", "sen"), make_school("other-school", "sen")
    teacher = make_user("teacher.s", "teacher", school)
    student = make_user("mei", "student", school, needs_support=True)
    teammate = make_user("kit", "student", school)
    classmate = make_user("lam", "student", school)
    other_teacher = make_user("teacher.o", "teacher", elsewhere)
    other_student = make_user("ola", "student", elsewhere)
    organiser, judge = make_user("org", "organiser"), make_user("judy", "judge")
    team = services.create_team(teacher, category, name="Stars", members=[student, teammate])
    entry = services.start_entry(student, team, title="My happy place", work_type="image")
    return ImageSetup(entry, student, teammate, teacher, classmate, other_teacher, other_student, organiser, judge)


@pytest.fixture
def jobs_in_process(settings: Any) -> dict[str, Any]:
    """Tests run the worker functions themselves; nothing is sent to a broker."""
    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False, "batch_window_seconds": 0.0, "quotas": {}}
    return settings.AIGC_JOBS


@pytest.fixture(scope="session")
def tiny_image_models_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("diffusers")
    from aigc_contest.generation.tiny import build_image_pipeline

    folder = tmp_path_factory.mktemp("imagestudio-models")
    build_image_pipeline().save_pretrained(folder / "image", safe_serialization=True)
    models = folder / "models.toml"
    models.write_text(
        '[[models]]\nname = "image-tiny"\nkind = "image"\nbackend = "diffusers"\n'
        f'path = "{(folder / "image").as_posix()}"\nlanguages = ["en", "zh-Hans", "zh-Hant"]\ntest_model = true\n'
        'options = { max_batch = 4, device = "cpu" }\n'
        'defaults = { steps = 2, guidance = 5.0, size = "64x64", scheduler = "euler" }\n',
        encoding="utf-8",
    )
    return models


@pytest.fixture
def image_models(tiny_image_models_file: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AIGC_MODELS_FILE", str(tiny_image_models_file))
    return tiny_image_models_file


def login(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client
