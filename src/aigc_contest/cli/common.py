"""What every command shares: exit codes, errors, JSON output and progress bars."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3  # refused by the safety layer
EXIT_DEFECTS = 4  # validation found defects


class CliError(Exception):
    """An error the user can act on: printed on stderr without a traceback (unless --debug)."""

    def __init__(self, message: str, code: int = EXIT_ERROR, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details or []


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


@contextmanager
def progress_bar(description: str, total: float | None) -> Iterator[Any]:
    """A rich progress bar on stderr; yields a callable advance(n=1, description=None)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=not console.is_terminal,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task(description, total=total)

        def advance(n: float = 1, description: str | None = None) -> None:
            if description:
                progress.update(task, advance=n, description=description)
            else:
                progress.update(task, advance=n)

        yield advance
