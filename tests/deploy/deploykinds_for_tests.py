"""A job kind on the GPU queue for the deployment test (imported by the worker through
AIGC_JOB_KIND_MODULES=deploykinds_for_tests with this folder on PYTHONPATH): it "paints" a small file."""

from __future__ import annotations

from typing import Any

from aigc_contest.web.jobs import kinds

PICTURE = b"a picture painted on the GPU queue"


def _run(contexts: list[kinds.RunContext], progress: kinds.Progress) -> list[kinds.JobOutput | Exception]:
    progress(1.0, "done")
    return [kinds.JobOutput(files=[("picture.txt", PICTURE, "text/plain")], result={}) for _ in contexts]


def _prepare(params: dict[str, Any]) -> tuple[dict[str, Any], str]:
    return params, ""


kinds.register(kinds.JobKind("test.gpu-picture", _run, queue="gpu", prepare=_prepare, label="test"))
