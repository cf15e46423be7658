"""The `certificates.issue_all` job kind: every participation and award certificate of a competition,
made by a worker instead of in the organiser's request, with progress reported per certificate.

Unlike the generation kinds, this runner uses the database itself (it calls `services.issue_all`).
Returning plain data for a post-save hook to apply, as the storybook jobs do, would mean carrying
hundreds of rendered PDFs through job assets only to copy them into certificates afterwards; the work
is reading who takes part and writing certificates, so it belongs next to the rows. It is safe to run
again, which is what the job engine needs from a runner that writes:
- `issue_all` skips everyone who already holds a live certificate of that kind, and the database's
  partial unique constraints refuse a second one even if two runs overlap;
- each certificate is written in its own transaction, so a worker killed mid-run (the job goes back in
  line), a cancellation (raised from the progress callback) or a retry leaves whole certificates
  only, and the next run issues just the rest.
The embargo is checked when the job is queued and again when it runs (`issue_all` refuses before
`results_at`).
"""

from __future__ import annotations

from typing import Any

from aigc_contest.web.certificates.models import ISSUE_ALL_KIND, SCHOOL_ARCHIVE_KIND
from aigc_contest.web.certificates.services import issue_all
from aigc_contest.web.contests.models import Competition
from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.jobs.kinds import (
    JobCancelled,
    JobFailure,
    JobKind,
    JobOutput,
    Progress,
    RunContext,
    register,
)

KIND = ISSUE_ALL_KIND
QUEUE = "default"
TIMEOUT_SECONDS = 3600  # PDFs take ~0.1 s each: a few thousand certificates fit with room to spare


def _prepare(params: dict[str, Any]) -> tuple[dict[str, Any], str]:
    competition = params.get("competition")
    if not isinstance(competition, int) or isinstance(competition, bool) or competition < 1:
        raise JobFailure("Certificates need a competition.")
    return {"competition": competition}, ""  # never batched: one competition per run


def issue_for(context: RunContext, progress: Progress) -> JobOutput:
    competition = Competition.objects.filter(pk=context.params["competition"]).first()
    if competition is None:
        raise JobFailure("This competition no longer exists.")

    def each(done: int, total: int) -> None:
        progress(done / total if total else 1.0, f"{done}/{total}")

    progress(0.0, "starting")
    try:
        report = issue_all(competition, progress=each)
    except ServiceError as exc:  # before the announcement: a refusal, not bad luck
        raise JobFailure(exc.message) from exc
    return JobOutput(result={"participation": report.participation, "awards": report.awards,
                             "already": report.already, "issued": report.issued})


def run_issue_all(contexts: list[RunContext], progress: Progress) -> list[JobOutput | Exception]:
    outcomes: list[JobOutput | Exception] = []
    for context in contexts:
        try:
            outcomes.append(issue_for(context, progress))
        except JobCancelled:
            raise  # the runner stops the batch; certificates issued so far are whole and kept
        except Exception as exc:  # noqa: BLE001 - reported for this job; the runner decides about retrying
            outcomes.append(exc)
    return outcomes


register(JobKind(KIND, run_issue_all, queue=QUEUE, prepare=_prepare, timeout_seconds=TIMEOUT_SECONDS,
                 label="certificates"))


# ---------------------------------------------------------------- one school's ZIP


def _prepare_archive(params: dict[str, Any]) -> tuple[dict[str, Any], str]:
    ids = {}
    for name in ("competition", "school"):
        value = params.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise JobFailure("A school's certificates need a competition and a school.")
        ids[name] = value
    return ids, ""


def run_school_archives(contexts: list[RunContext], progress: Progress) -> list[JobOutput | Exception]:
    from aigc_contest.web.accounts.models import School, User
    from aigc_contest.web.certificates.archives import build

    outcomes: list[JobOutput | Exception] = []
    for context in contexts:
        try:
            competition = Competition.objects.filter(pk=context.params["competition"]).first()
            school = School.objects.filter(pk=context.params["school"]).first()
            if competition is None or school is None:
                raise JobFailure("This competition or school no longer exists.")
            progress(0.0, "building")
            owner = User.objects.filter(username=context.owner).first()
            try:
                report = build(competition, school, job_id=context.job_id, owner=owner)
            except ServiceError as exc:
                raise JobFailure(exc.message) from exc
            outcomes.append(JobOutput(result={"certificates": report.certificates, "bytes": report.size,
                                              "emailed": report.emailed}))
        except JobCancelled:
            raise
        except Exception as exc:  # noqa: BLE001 - reported for this job; the runner decides about retrying
            outcomes.append(exc)
    return outcomes


register(JobKind(SCHOOL_ARCHIVE_KIND, run_school_archives, queue=QUEUE, prepare=_prepare_archive,
                 timeout_seconds=TIMEOUT_SECONDS, label="certificates"))
