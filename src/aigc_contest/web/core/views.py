from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from aigc_contest.web.core.health import embedded_worker_health


def healthz(request: HttpRequest) -> HttpResponse:
    """The bare endpoint: no session, no database. It reports the embedded job worker, and answers 503
    when that worker was given up on or nobody watches it any more (jobs would wait for ever)."""
    healthy, worker = embedded_worker_health()
    return JsonResponse({"status": "ok" if healthy else "degraded", "worker": worker}, status=200 if healthy else 503)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_organiser or user.runs_competitions:  # type: ignore[union-attr]
        return redirect("organiser-home")
    if user.is_teacher:  # type: ignore[union-attr]
        return redirect("school-home")
    if user.judges_competitions:  # type: ignore[union-attr]
        return redirect("judging-home")
    return redirect("my-entries")
