"""For browser tests on SQLite: the live server's requests (a page polling its jobs) and the worker run in
the test's own thread share one in-memory database, whose tables lock while another connection reads them.
The worker's loop waits for its turn, as a real worker would on a busy database."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError

T = TypeVar("T")


def when_unlocked(run: Callable[[], T], tries: int = 20, pause: float = 0.25) -> T:
    """`run()`, tried again while the database says a table is locked."""
    for _ in range(tries - 1):
        try:
            return run()
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(pause)
    return run()
