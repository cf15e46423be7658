"""The safety screen between a child's request and the job queue.

The jobs app carries work; it does not judge words or pictures. The moderation app, which builds on jobs,
plugs its screen in when Django starts (`ModerationConfig.ready`), so the queue's pages and its worker use
the school's safety settings without importing the app that keeps them. With no screen plugged in,
nothing is screened and nothing runs unscreened either: asking for the screen raises.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured


class Screen(Protocol):
    def screen_prompt(self, actor: Any, text: str) -> None:
        """Refuse (ServiceError "refused", with the kind message) words the actor's school does not allow."""

    def policy_params(self, actor: Any) -> dict[str, Any]:
        """The job parameters that carry the actor's school safety settings."""

    def refused_jobs(self, job_ids: list[int]) -> set[int]:
        """Those of the failed jobs that the safety layer refused (their prompt is not shown again)."""

    def record_failure(self, job_id: int, outcome: Exception) -> None:
        """A failed job's outcome, for the safety audit log when it was a refusal; never raises."""


_screen: Screen | None = None


def plug(screen: Screen) -> None:
    global _screen
    _screen = screen


def screen() -> Screen:
    if _screen is None:
        raise ImproperlyConfigured("No safety screen is plugged in: the moderation app must be installed.")
    return _screen
