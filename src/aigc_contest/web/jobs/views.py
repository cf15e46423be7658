"""A person's jobs with live progress (polled by static/js/jobs.js), cancel, retry, and result files."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.core.shortcuts import require_perm
from aigc_contest.web.jobs import selectors, services
from aigc_contest.web.jobs.models import Job, JobAsset, JobStatus
from aigc_contest.web.jobs.screening import screen


def _job_for(request: HttpRequest, pk: int) -> Job:
    job = selectors.job_with_assets(pk)
    if job is None:
        raise Http404
    require_perm(request, "jobs.view_job", job)
    return job


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("my-jobs")


def _for_display(jobs: list[Job]) -> list[Job]:
    """Queue positions, and which failed jobs the safety layer refused (their prompt is not shown again)."""
    refused = screen().refused_jobs([job.pk for job in jobs if job.status == JobStatus.FAILED])
    positions = selectors.queue_positions_of(jobs)
    for job in jobs:
        job.position = positions.get(job.pk)
        job.safety_refused = job.pk in refused
    return jobs


@login_required
def my_jobs(request: HttpRequest) -> HttpResponse:
    jobs = _for_display(list(selectors.jobs_of(request.user)[:30]))
    return render(request, "jobs/my_jobs.html", {"jobs": jobs})


@login_required
@require_POST
def new_picture(request: HttpRequest) -> HttpResponse:
    prompt = request.POST.get("prompt", "").strip()
    if not prompt:
        messages.error(request, _("Please write what you would like to see."))
        return redirect("my-jobs")
    params: dict[str, object] = {"prompt": prompt[:2000]}
    if seed := request.POST.get("seed", "").strip():
        if not seed.isdigit():
            messages.error(request, _("The seed must be a whole number."))
            return redirect("my-jobs")
        params["seed"] = int(seed)
    try:
        screen().screen_prompt(request.user, prompt)  # the school's settings, before the job is queued
        params.update(screen().policy_params(request.user))
        services.submit_job(request.user, "image", params)
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("my-jobs")


@login_required
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    job = _for_display([_job_for(request, pk)])[0]
    return render(request, "jobs/_job.html", {"job": job})


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    try:
        services.cancel_job(request.user, job)
    except ServiceError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from exc
        messages.error(request, exc.message)
    return _back(request)


@login_required
@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    try:
        services.retry_job(request.user, job)
    except ServiceError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from exc
        messages.error(request, exc.message)
    return _back(request)


@login_required
def asset_file(request: HttpRequest, pk: int) -> FileResponse:
    asset = get_object_or_404(JobAsset.objects.select_related("job__owner"), pk=pk)
    require_perm(request, "jobs.view_job", asset.job)
    return FileResponse(asset.file.open("rb"), content_type=asset.content_type)
