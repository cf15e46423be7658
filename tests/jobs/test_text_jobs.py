"""Writing jobs through the real generation service and the tiny text model: compatible ones share a batch."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigc_contest.web.jobs import runner
from aigc_contest.web.jobs.models import JobStatus

pytestmark = [pytest.mark.ml, pytest.mark.django_db]


@pytest.fixture(scope="module")
def tiny_text_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("transformers")
    from aigc_contest.generation.tiny import build_text_model

    folder = tmp_path_factory.mktemp("tiny-text")
    model, tokenizer = build_text_model()
    model.save_pretrained(folder / "text", safe_serialization=True)
    tokenizer.save_pretrained(folder / "text")
    models = folder / "models.toml"
    models.write_text(
        f'[[models]]\nname = "text-tiny"\nkind = "text"\nbackend = "transformers"\npath = "{(folder / "text").as_posix()}"\n'
        'test_model = true\noptions = { max_batch = 2, device = "cpu" }\n'
    )
    return models


@pytest.fixture
def text_models(tiny_text_models: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AIGC_MODELS_FILE", str(tiny_text_models))
    return tiny_text_models


def test_compatible_text_jobs_share_batches_and_match_unbatched(world, jobs_settings, text_models) -> None:
    from aigc_contest.generation.registry import shared_registry
    from aigc_contest.generation.types import ChatMessage, TextRequest
    from aigc_contest.web.jobs.services import submit_job

    jobs_settings["quotas"] = {}
    prompts = ["a kite", "a kite over the harbour at dawn, with gulls", "a boat"]
    users = (world.student_a, world.student_b, world.student_a2)
    jobs = [submit_job(user, "text", {"prompt": p, "max_tokens": 6, "temperature": 0.0})
            for p, user in zip(prompts, users, strict=True)]  # fmt: skip
    sampled = submit_job(world.student_b, "text", {"prompt": "a kite", "max_tokens": 6, "temperature": 0.8})
    assert len({job.batch_key for job in jobs}) == 1 and sampled.batch_key != jobs[0].batch_key
    assert runner.run_available("gpu") == 4
    backend = shared_registry().text_backend("text-tiny")
    batches: dict[object, int] = {}
    for job, prompt in zip(jobs, prompts, strict=True):
        job.refresh_from_db()
        assert job.status == JobStatus.SUCCEEDED, job.error_detail
        alone = backend.complete(TextRequest(model="text-tiny", max_tokens=6, temperature=0.0,
                                             messages=[ChatMessage(role="user", content=prompt)]))  # fmt: skip
        assert job.result["text"] == alone.text
        batches[job.batch_id] = batches.get(job.batch_id, 0) + 1
    assert sorted(batches.values()) == [1, 2]  # max_batch 2: three greedy jobs in two batches
    sampled.refresh_from_db()
    assert sampled.status == JobStatus.SUCCEEDED and sampled.batch_id not in batches
