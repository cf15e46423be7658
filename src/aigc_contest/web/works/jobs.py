"""The writing job kind of every kind of work (`novel.text`, `storybook.text`), registered with one runner.

Like every runner, it takes plain data (the job's parameters) and returns plain data; the kind does the
step (`run_text`) and `services.sync` puts the result into the work. Pictures are ordinary `image` jobs."""

from __future__ import annotations

from typing import Any

from aigc_contest.web.jobs.kinds import JobKind, JobOutput, Progress, RunContext, register
from aigc_contest.web.works.base import WorkKindSpec
from aigc_contest.web.works.registry import text_kinds

LABELS = {"novel.text": "story writing", "storybook.text": "storybook writing"}


def _runner(spec: WorkKindSpec) -> Any:
    def run(contexts: list[RunContext], progress: Progress) -> list[JobOutput | Exception]:
        outcomes: list[JobOutput | Exception] = []
        for context in contexts:
            try:
                outcomes.append(spec.run_text(context.params, progress))
            except Exception as exc:  # noqa: BLE001 - reported for this job only; the runner words it for the child
                outcomes.append(exc)
        return outcomes

    return run


def _preparer(spec: WorkKindSpec) -> Any:
    def prepare(params: dict[str, Any]) -> tuple[dict[str, Any], str]:
        return spec.prepare_text(params), ""

    return prepare


for _name, _spec in text_kinds().items():
    register(
        JobKind(
            _name, _runner(_spec), queue="gpu", prepare=_preparer(_spec), label=LABELS.get(_name, "writing")
        )
    )
