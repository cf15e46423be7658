"""Worker logs: every line says when, how bad, and which job, attempt and batch it is about.

The runner wraps each batch (and each job's own lines inside it) in `job_context`; a filter copies the
context onto every record, so lines from any library the job calls (diffusers, kombu, the storage) carry
it too. Two formats, chosen by `AIGC_LOG_FORMAT`:

    text (default)  2026-12-04T23:10:00.123Z INFO job=12 attempt=2 batch=3f0c… aigc_contest.web.jobs.runner: …
    json            {"time": "2026-12-04T23:10:00.123Z", "level": "INFO", "job": 12, "attempt": 2,
                     "batch": "3f0c…", "logger": "…", "message": "…"}

Outside any job the fields are `-` (text) or null (JSON). A batch of several jobs names them all
(`job=12,13 attempt=1,2`; lists in JSON). A traceback or any other multi-line message repeats the line's
head on each of its lines in the text format (and stays inside the one JSON object), so grepping for a
job id finds every line about it.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

FORMATS = ("text", "json")


@dataclass(frozen=True)
class JobLogContext:
    jobs: tuple[int, ...] = ()
    attempts: tuple[int, ...] = ()
    batch: str | None = None


_NONE = JobLogContext()
_current: contextvars.ContextVar[JobLogContext] = contextvars.ContextVar(
    "aigc_job_log_context", default=_NONE
)


@contextlib.contextmanager
def job_context(
    jobs: list[int] | tuple[int, ...], attempts: list[int] | tuple[int, ...], batch: Any = None
) -> Iterator[None]:
    """Lines logged inside this block (in this thread) name these jobs, their attempts and their batch."""
    token = _current.set(JobLogContext(tuple(jobs), tuple(attempts), str(batch) if batch else None))
    try:
        yield
    finally:
        _current.reset(token)


def current() -> JobLogContext:
    return _current.get()


class JobContextFilter(logging.Filter):
    """Puts `job`, `attempt` and `batch` on every record (a record that already has them keeps its own)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _current.get()
        if not hasattr(record, "job"):
            record.job = _one_or_many(context.jobs)
        if not hasattr(record, "attempt"):
            record.attempt = _one_or_many(context.attempts)
        if not hasattr(record, "batch"):
            record.batch = context.batch
        return True


def _one_or_many(values: tuple[int, ...]) -> int | list[int] | None:
    if not values:
        return None
    return values[0] if len(values) == 1 else list(values)


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _field(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        JobContextFilter().filter(record)  # a record that reached this handler without the filter
        job, attempt, batch = (getattr(record, name) for name in ("job", "attempt", "batch"))
        head = (
            f"{_timestamp(record)} {record.levelname} job={_field(job)} attempt={_field(attempt)} "
            f"batch={_field(batch)} {record.name}:"
        )
        body = record.getMessage()
        if record.exc_info:
            body += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            body += "\n" + self.formatStack(record.stack_info)
        return "\n".join(f"{head} {line}" for line in body.splitlines() or [""])


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        JobContextFilter().filter(record)
        data: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "job": record.job,  # type: ignore[attr-defined]
            "attempt": record.attempt,  # type: ignore[attr-defined]
            "batch": record.batch,  # type: ignore[attr-defined]
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def formatter(kind: str) -> logging.Formatter:
    if kind not in FORMATS:
        raise ValueError(f"AIGC_LOG_FORMAT must be text or json, not {kind!r}")
    return JsonFormatter() if kind == "json" else TextFormatter()


def configure(level: str | int, kind: str = "text", stream: Any = None) -> logging.Handler:
    """The worker's logging: one handler on the root logger (stderr), in `kind`, at `level`.

    Replaces the handlers Django's LOGGING put on the root logger, so no line goes out twice or bare."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(kind))
    handler.addFilter(JobContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("celery", "celery.task", "celery.redirected", "kombu"):  # their own handlers, if any, go too
        named = logging.getLogger(name)
        for old in list(named.handlers):
            named.removeHandler(old)
        named.propagate = True
    return handler
