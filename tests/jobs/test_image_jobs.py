"""Image jobs through the real generation service and a tiny random-weight diffusers model."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigc_contest.web.jobs import kinds, runner
from aigc_contest.web.jobs.models import JobStatus

pytestmark = [pytest.mark.ml, pytest.mark.django_db]


@pytest.fixture(scope="module")
def tiny_image_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("diffusers")
    from aigc_contest.generation.tiny import build_image_pipeline

    folder = tmp_path_factory.mktemp("tiny-image")
    build_image_pipeline().save_pretrained(folder / "image", safe_serialization=True)
    models = folder / "models.toml"
    models.write_text(
        f'[[models]]\nname = "image-tiny"\nkind = "image"\nbackend = "diffusers"\npath = "{(folder / "image").as_posix()}"\n'
        'test_model = true\noptions = { max_batch = 4, device = "cpu" }\n'
        'defaults = { steps = 2, guidance = 5.0, size = "64x64", scheduler = "euler" }\n'
    )
    return models


@pytest.fixture
def image_models(tiny_image_models: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AIGC_MODELS_FILE", str(tiny_image_models))
    return tiny_image_models


def test_compatible_image_jobs_run_as_one_batch(world, jobs_settings, image_models) -> None:
    from aigc_contest.web.jobs.services import submit_job

    jobs_settings["quotas"] = {}
    params = {"prompt": "a red kite over the harbour", "width": 64, "height": 64, "steps": 2}
    jobs = [submit_job(user, "image", {**params, "seed": seed})
            for seed, user in enumerate((world.student_a, world.student_b, world.student_a2))]
    assert len({job.batch_key for job in jobs}) == 1
    assert runner.run_available("gpu") == 3
    batch_ids = set()
    for job in jobs:
        job.refresh_from_db()
        assert job.status == JobStatus.SUCCEEDED, job.error_detail
        (asset,) = job.assets.all()
        assert asset.file.read()[:8] == b"\x89PNG\r\n\x1a\n"
        batch_ids.add(job.batch_id)
    assert len(batch_ids) == 1


def test_run_image_job_returns_png_bytes(image_models) -> None:
    (png,) = kinds.run_image_job({"model": "image-tiny", "prompt": "a cat", "width": 64, "height": 64, "steps": 1})
    assert png.startswith(b"\x89PNG")


def test_bad_picture_settings_are_refused_before_queueing(world, jobs_settings, image_models) -> None:
    from aigc_contest.web.core.errors import ServiceError
    from aigc_contest.web.jobs.services import submit_job

    with pytest.raises(ServiceError, match="width"):
        submit_job(world.student_a, "image", {"prompt": "a cat", "width": 65})
