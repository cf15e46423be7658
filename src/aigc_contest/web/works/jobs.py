"""The writing job kind of every kind of work (`novel.text`, `storybook.text`), registered with one runner.

Like every runner, it takes plain data (the job's parameters) and returns plain data; the kind does the
step (`run_text`) and `services.sync` puts the result into the work. Pictures are ordinary `image` jobs.

Steps of the same kind share a batch (up to the default text model's `max_batch`): each job's step runs in
its own thread inside one gather (generation.batching), so the requests the steps make one after another
meet and run batched on a local model; the answers are the same as one job at a time."""

from __future__ import annotations

import threading
from typing import Any

from aigc_contest.web.jobs.kinds import (
    JobCancelled,
    JobKind,
    JobOutput,
    Progress,
    RunContext,
    key_hash,
    register,
)
from aigc_contest.web.works.base import WorkKindSpec
from aigc_contest.web.works.registry import text_kinds

LABELS = {"novel.text": "story writing", "storybook.text": "storybook writing"}


def _runner(spec: WorkKindSpec) -> Any:
    def run(contexts: list[RunContext], progress: Progress) -> list[JobOutput | Exception]:
        if len(contexts) == 1:
            try:
                return [spec.run_text(contexts[0].params, progress)]
            except Exception as exc:  # noqa: BLE001 - reported for this job only; the runner words it for the child
                return [exc]
        return _run_together(spec, contexts, progress)

    return run


def _run_together(spec: WorkKindSpec, contexts: list[RunContext], progress: Progress) -> list[Any]:
    """Each job's step in its own thread, all inside one gather. Progress is reported (and cancellation
    noticed) from the calling thread only, which owns the database connection."""
    from aigc_contest.generation.batching import run_together

    fractions = [0.0] * len(contexts)
    cancelled = threading.Event()

    def task(index: int) -> Any:
        def note(fraction: float, message: str) -> None:
            if cancelled.is_set():
                raise JobCancelled
            fractions[index] = fraction

        return spec.run_text(contexts[index].params, note)

    outcome: list[Any] = []
    worker = threading.Thread(
        target=lambda: outcome.extend(run_together([lambda i=i: task(i) for i in range(len(contexts))])),
        daemon=True,
    )
    worker.start()
    while worker.is_alive():
        worker.join(timeout=0.5)
        try:
            progress(sum(fractions) / len(fractions), "writing")
        except JobCancelled:
            cancelled.set()
    if cancelled.is_set():
        raise JobCancelled
    return outcome


def _preparer(spec: WorkKindSpec, name: str) -> Any:
    def prepare(params: dict[str, Any]) -> tuple[dict[str, Any], str]:
        return spec.prepare_text(params), key_hash(("works-text", name))

    return prepare


def _text_max_batch(params: dict[str, Any]) -> int:
    from aigc_contest.generation.registry import shared_registry

    try:
        return int(shared_registry().text_backend(None).capabilities.max_batch)
    except Exception:  # noqa: BLE001 - the run reports the real problem; batching just falls back to 1
        return 1


for _name, _spec in text_kinds().items():
    register(
        JobKind(
            _name,
            _runner(_spec),
            queue="gpu",
            prepare=_preparer(_spec, _name),
            max_batch=_text_max_batch,
            label=LABELS.get(_name, "writing"),
        )
    )
