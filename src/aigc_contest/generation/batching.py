"""Letting several threads' text requests meet in one batch.

A storybook or novel step is a sequence of requests written as plain sequential code (outline, then
characters, then each page). To batch a class's steps, the runner runs each job's step in its own
thread inside one `Gather`: a request from a participant waits until every live participant is
waiting too (or `patience` seconds have passed), and then all waiting requests for the same backend
run as one batch. Backends that support it (`TransformersTextBackend`) call `current_gather()` and
`submit`; elsewhere nothing changes.

No deadlock: a participant busy elsewhere (a guard model, a picture) only delays the others by
`patience`, after which the requests already waiting run without it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_local = threading.local()


@dataclass
class _Item:
    owner: Any
    run: Callable[[list[Any]], list[Any]]  # the backend's batch: payloads -> results (or exceptions)
    payload: Any
    result: Any = None
    done: bool = False


@dataclass
class Gather:
    participants: int
    patience: float = 0.5
    batches: list[int] = field(default_factory=list)  # the size of each batch run (for tests and logs)

    def __post_init__(self) -> None:
        self._active = self.participants
        self._waiting: list[_Item] = []
        self._condition = threading.Condition()
        self._running = False

    @contextmanager
    def participant(self) -> Iterator[None]:
        """The calling thread's requests go through this gather until the block ends."""
        _local.gather = self
        try:
            yield
        finally:
            _local.gather = None
            with self._condition:
                self._active -= 1
                self._condition.notify_all()

    def submit(self, owner: Any, run: Callable[[list[Any]], list[Any]], payload: Any) -> Any:
        """The result of `payload`, computed by `run` together with the other participants' payloads
        for the same `owner` (a backend). Exceptions come back raised, for this payload only."""
        item = _Item(owner, run, payload)
        deadline = time.monotonic() + self.patience
        with self._condition:
            self._waiting.append(item)
            self._condition.notify_all()
            while not item.done:
                ready = len(self._waiting) >= self._active or time.monotonic() >= deadline
                if ready and not self._running and self._waiting:
                    self._fire()
                    continue
                self._condition.wait(timeout=max(0.01, deadline - time.monotonic()))
        if isinstance(item.result, BaseException):
            raise item.result
        return item.result

    def _fire(self) -> None:
        """Run every waiting request, one batch per backend (called with the condition held; released
        while the batches run so that finished participants can leave)."""
        taken, self._waiting = self._waiting, []
        self._running = True
        self._condition.release()
        try:
            groups: dict[int, list[_Item]] = {}
            for item in taken:
                groups.setdefault(id(item.owner), []).append(item)
            for items in groups.values():
                self.batches.append(len(items))
                try:
                    results = items[0].run([item.payload for item in items])
                except Exception as exc:  # noqa: BLE001 - every request of this batch reports it
                    results = [exc] * len(items)
                for item, result in zip(items, results, strict=True):
                    item.result, item.done = result, True
        finally:
            self._condition.acquire()
            self._running = False
            self._condition.notify_all()


def current_gather() -> Gather | None:
    """The gather the calling thread takes part in, or None."""
    return getattr(_local, "gather", None)


def run_together(
    tasks: list[Callable[[], Any]], *, patience: float = 0.5, gather: Gather | None = None
) -> list[Any]:
    """Run each task in its own thread inside one gather; each task's result or exception, in order."""
    gather = gather or Gather(len(tasks), patience=patience)
    results: list[Any] = [None] * len(tasks)

    def work(index: int) -> None:
        with gather.participant():
            try:
                results[index] = tasks[index]()
            except BaseException as exc:  # noqa: BLE001 - returned to the caller, in its place
                results[index] = exc

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(len(tasks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
