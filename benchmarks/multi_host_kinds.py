"""The picture job kind of benchmarks/multi_host.py (imported by its web and worker hosts through
AIGC_JOB_KIND_MODULES=multi_host_kinds, with benchmarks/ on PYTHONPATH).

It stands in for a GPU: each batch of up to four "pictures" takes `seconds` in four steps (with progress
and heartbeats like a real pipeline), then every job gets one small PNG whose pixels come from its id."""

from __future__ import annotations

import io
import time
from typing import Any

from aigc_contest.web.jobs import kinds

KIND = "bench.picture"


def picture(job_id: int, size: int = 48) -> bytes:
    from PIL import Image

    pixels = bytes((job_id * 37 + i * 11) % 256 for i in range(size * size * 3))
    buffer = io.BytesIO()
    Image.frombytes("RGB", (size, size), pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def _prepare(params: dict[str, Any]) -> tuple[dict[str, Any], str]:
    return {"seconds": float(params.get("seconds", 0.4))}, kinds.key_hash(KIND)


def _run(contexts: list[kinds.RunContext], progress: kinds.Progress) -> list[kinds.JobOutput | Exception]:
    seconds = float(contexts[0].params["seconds"])
    for step in range(4):
        time.sleep(seconds / 4)
        progress((step + 1) / 4, "painting")
    return [
        kinds.JobOutput(
            files=[(f"picture-{c.job_id}.png", picture(c.job_id), "image/png")], result={"attempt": c.attempt}
        )
        for c in contexts
    ]


kinds.register(
    kinds.JobKind(KIND, _run, queue="gpu", prepare=_prepare, max_batch=lambda params: 4, label="picture")
)
