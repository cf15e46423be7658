"""Who may see and control a job: its owner, the owner's teachers, organisers. Nobody else."""

from __future__ import annotations

from typing import Any

import rules

from aigc_contest.web.accounts.rules import is_organiser, is_self, is_teacher_of_student


@rules.predicate
def is_job_owner(user: Any, job: Any) -> bool:
    return bool(job is not None and is_self(user, job.owner))


@rules.predicate
def is_teacher_of_job_owner(user: Any, job: Any) -> bool:
    return bool(job is not None and is_teacher_of_student(user, job.owner))


rules.add_perm("jobs.view_job", is_job_owner | is_teacher_of_job_owner | is_organiser)
rules.add_perm("jobs.cancel_job", is_job_owner | is_teacher_of_job_owner | is_organiser)
rules.add_perm("jobs.retry_job", is_job_owner | is_teacher_of_job_owner | is_organiser)
