"""The teacher review queue (/school/moderation/): a school's refused and flagged safety events, the
approve / keep-blocked actions, and the school's own safety settings. Students never reach it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aigc_contest.web.accounts.http import AuthenticatedHttpRequest
from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.core.shortcuts import require_perm
from aigc_contest.web.moderation import selectors, services
from aigc_contest.web.moderation.forms import ReviewForm, SchoolPolicyForm
from aigc_contest.web.moderation.models import SafetyEvent

SHOW_CHOICES = ("waiting", "reviewed", "all")


@login_required
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_perm(request, "moderation.view_queue")
    show = request.GET.get("show", "waiting")
    show = show if show in SHOW_CHOICES else "waiting"
    page = Paginator(selectors.events_for(request.user, show=show), 50).get_page(request.GET.get("page"))
    school = request.user.school if request.user.is_teacher else None
    policy_form = None
    if school is not None and request.user.has_perm("moderation.edit_school_policy", school):
        row = selectors.school_policy_row(school)
        policy_form = SchoolPolicyForm(
            initial={
                "extra_blocked_terms": row.extra_blocked_terms,
                "allowed_terms": row.allowed_terms,
                "nsfw_threshold": row.nsfw_threshold,
            }
        )
    return render(
        request,
        "moderation/queue.html",
        {"page": page, "show": show, "school": school, "policy_form": policy_form, "review_form": ReviewForm()},
    )


@login_required
@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(SafetyEvent, pk=pk)
    require_perm(request, "moderation.review_event", event)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or keep blocked."))
        return redirect("moderation-queue")
    try:
        services.review_event(request.user, event, **form.cleaned_data)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Review saved."))
    return redirect("moderation-queue")


@login_required
@require_POST
def edit_policy(request: AuthenticatedHttpRequest) -> HttpResponse:
    school = request.user.school if request.user.is_teacher else None
    if school is None or not request.user.has_perm("moderation.edit_school_policy", school):
        raise PermissionDenied
    form = SchoolPolicyForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("moderation-queue")
    try:
        services.update_school_policy(request.user, school, **form.cleaned_data)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your school's safety settings are saved."))
    return redirect("moderation-queue")
