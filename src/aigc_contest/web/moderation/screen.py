"""The moderation app's safety screen, plugged into the job queue (see jobs/screening.py)."""

from __future__ import annotations

from typing import Any

from aigc_contest.web.moderation import selectors, services


class ModerationScreen:
    def screen_prompt(self, actor: Any, text: str) -> None:
        services.screen_text(actor, text)

    def policy_params(self, actor: Any) -> dict[str, Any]:
        return services.job_policy_params(actor)

    def refused_jobs(self, job_ids: list[int]) -> set[int]:
        return selectors.refused_job_ids(job_ids)

    def record_failure(self, job_id: int, outcome: Exception) -> None:
        services.record_job_refusal(job_id, outcome)
