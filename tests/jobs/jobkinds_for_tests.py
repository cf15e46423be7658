"""A slow, batchable job kind for the tests (also imported by worker subprocesses through
AIGC_JOB_KIND_MODULES=jobkinds_for_tests with this folder on PYTHONPATH)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from aigc_contest.web.jobs import kinds


def _prepare(params: dict[str, Any]) -> tuple[dict[str, Any], str]:
    if not isinstance(params.get("seconds", 0), int | float):
        raise kinds.JobFailure("seconds must be a number")
    group = params.get("group")
    return params, kinds.key_hash(("test.sleep", group)) if group else ""


def _run(contexts: list[kinds.RunContext], progress: kinds.Progress) -> list[kinds.JobOutput | Exception]:
    params = contexts[0].params
    for context in contexts:
        if marker_dir := context.params.get("marker_dir"):
            Path(marker_dir, f"job{context.job_id}-attempt{context.attempt}").touch()
    steps = int(params.get("steps", 4))
    for step in range(steps):
        time.sleep(float(params.get("seconds", 0)) / steps)
        progress((step + 1) / steps, f"step {step + 1} of {steps}")
    outcomes: list[kinds.JobOutput | Exception] = []
    batch = [c.job_id for c in contexts]
    for context in contexts:
        failure = context.params.get("fail")
        if failure == "boom":
            outcomes.append(RuntimeError("the GPU caught fire"))
        elif failure == "refuse":
            outcomes.append(kinds.JobFailure("Let's draw something kind instead."))
        else:
            data = f"result of job {context.job_id} attempt {context.attempt}".encode()
            outcomes.append(kinds.JobOutput(files=[("result.txt", data, "text/plain")], result={"batch": batch}))
    return outcomes


kinds.register(
    kinds.JobKind(
        "test.sleep", _run, queue="default", prepare=_prepare,
        max_batch=lambda params: int(params.get("max_batch", 4)), label="test",
    )
)


def _paint(contexts: list[kinds.RunContext], progress: kinds.Progress) -> list[kinds.JobOutput | Exception]:
    """A "picture" on the GPU queue: sleeps `seconds` in steps, then stores one small file per job."""
    return _run(contexts, progress)


kinds.register(
    kinds.JobKind("test.paint", _paint, queue="gpu", prepare=_prepare, max_batch=lambda params: 1, label="test")
)
