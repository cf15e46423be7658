"""Pages for who runs a competition: its people (roles and invitations), the schools asking to take part,
accepting an invitation, a teacher's own school invitations and join requests, and the audit log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aigc_contest.web.accounts.http import AuthenticatedHttpRequest
from aigc_contest.web.accounts.models import User
from aigc_contest.web.contests import roles_selectors as selectors
from aigc_contest.web.contests import roles_services as services
from aigc_contest.web.contests.models import Competition, CompetitionRoleKind, Invitation, JoinRequest
from aigc_contest.web.contests.roles_forms import (
    AcceptForm,
    AuditFilterForm,
    DecisionForm,
    InviteForm,
    JoinRequestForm,
    TeacherInviteForm,
)
from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.core.shortcuts import require_perm

AUDIT_PAGE_SIZE = 50
# The audit log's actions in words (an action not named here is shown as recorded).
ACTION_LABELS = {
    "add": gettext_lazy("Added in the back office"),
    "change": gettext_lazy("Changed"),
    "delete": gettext_lazy("Deleted"),
    "role granted": gettext_lazy("Role granted"),
    "role revoked": gettext_lazy("Role revoked"),
    "invitation sent": gettext_lazy("Invitation sent"),
    "invitation withdrawn": gettext_lazy("Invitation withdrawn"),
    "invitation accepted": gettext_lazy("Invitation accepted"),
    "asked to join": gettext_lazy("School asked to join"),
    "join request approved": gettext_lazy("School let in"),
    "join request declined": gettext_lazy("School declined"),
    "results confirmed": gettext_lazy("Results confirmed"),
    "timeline changed": gettext_lazy("Dates moved"),
    "certificate revoked": gettext_lazy("Certificate revoked"),
    "judge abstained": gettext_lazy("Judge abstained"),
    "start entry": gettext_lazy("Entry started for the team"),
    "save draft": gettext_lazy("Draft changed for the team"),
    "upload file": gettext_lazy("File uploaded for the team"),
    "set file from the studio": gettext_lazy("File set from the studio for the team"),
    "submit": gettext_lazy("Submitted for the team"),
    "withdraw": gettext_lazy("Withdrawn for the team"),
    "judge declared a conflict": gettext_lazy("Judge declared a conflict"),
    "round closed": gettext_lazy("Judging round closed"),
    "round reopened": gettext_lazy("Judging round opened again"),
    "shortlist promoted": gettext_lazy("Shortlist promoted to the next round"),
    "due date moved": gettext_lazy("Judges' due date moved"),
}


def _competition(request: HttpRequest, slug: str, perm: str) -> Competition:
    competition = get_object_or_404(Competition, slug=slug)
    require_perm(request, perm, competition)
    return competition


# ---------------------------------------------------------------- a competition's people


@login_required
def people(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Who holds which role, the invitations still open, and a form to invite someone."""
    competition = _competition(request, slug, "contests.invite_people")
    owner = request.user.has_perm("contests.manage_roles", competition)
    form = InviteForm(request.POST or None, owner=owner)
    if request.method == "POST" and form.is_valid():
        try:
            services.invite(
                request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                competition=competition,
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
            return redirect("contests-people", slug=slug)
    roles = [
        {"held": held, "may_revoke": owner or held.role in services.ORGANISER_MAY_GRANT}
        for held in selectors.roles_on(competition)
    ]
    return render(
        request,
        "contests/roles/people.html",
        {
            "competition": competition,
            "roles": roles,
            "form": form,
            "owner": owner,
            "invitations": selectors.open_invitations(competition),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def revoke_role(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    competition = _competition(request, slug, "contests.invite_people")
    user = get_object_or_404(User, pk=request.POST.get("user") or 0)
    try:
        services.revoke_role(request.user, competition, user, request.POST.get("role", ""))
    except ServiceError as exc:
        if exc.code == "forbidden":
            raise DjangoPermissionDenied from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The role is taken back."))
    return redirect("contests-people", slug=slug)


@login_required
@require_POST
def withdraw_invitation(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation.objects.select_related("competition", "school"), pk=pk)
    try:
        services.withdraw_invitation(request.user, invitation)
    except ServiceError as exc:
        raise DjangoPermissionDenied from exc
    messages.success(request, _("The invitation is withdrawn."))
    if invitation.competition is not None:
        return redirect("contests-people", slug=invitation.competition.slug)
    return redirect("school-invite-teacher")


# ---------------------------------------------------------------- schools asking to take part


@login_required
def join_requests(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    competition = _competition(request, slug, "contests.view_competition")
    may_decide = request.user.has_perm("contests.decide_join_requests", competition)
    return render(
        request,
        "contests/roles/join_requests.html",
        {
            "competition": competition,
            "may_decide": may_decide,
            "form": DecisionForm(),
            "pending": selectors.join_requests(competition, JoinRequest.Status.PENDING),
            "decided": selectors.join_requests(competition).exclude(status=JoinRequest.Status.PENDING),
        },
    )


@login_required
@require_POST
def decide_join_request(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    join = get_object_or_404(JoinRequest.objects.select_related("competition", "school"), pk=pk)
    require_perm(request, "contests.decide_join_requests", join.competition)
    form = DecisionForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    approve = request.POST.get("decision") == "approve"
    services.decide_join_request(request.user, join, approve=approve, reason=reason)
    words = _("%(school)s may take part.") if approve else _("%(school)s was declined.")
    messages.success(request, words % {"school": join.school})
    return redirect("contests-join-requests", slug=join.competition.slug)


@login_required
def school_competitions(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A teacher's list of competitions their school may ask to join, with where each request stands."""
    school = request.user.school
    if school is None or not request.user.has_perm("contests.request_to_join", school):
        raise DjangoPermissionDenied
    if request.method == "POST":
        competition = get_object_or_404(Competition, slug=request.POST.get("competition", ""), is_public=True)
        form = JoinRequestForm(request.POST)
        message = form.cleaned_data["message"] if form.is_valid() else ""
        services.request_to_join(request.user, competition, school, message)
        messages.success(
            request, _("Asked to take part in %(name)s. The organisers will decide.") % {"name": competition}
        )
        return redirect("school-competitions")
    mine = selectors.school_join_requests(school)
    rows = [
        {"competition": c, "request": mine.get(c.pk)}
        for c in Competition.objects.filter(is_public=True).order_by("-submission_deadline")
    ]
    return render(
        request,
        "contests/roles/school_competitions.html",
        {"school": school, "rows": rows, "form": JoinRequestForm()},
    )


@login_required
def invite_teacher(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A teacher invites a colleague to their own school by link."""
    school = request.user.school
    if school is None or not request.user.has_perm("contests.invite_teacher", school):
        raise DjangoPermissionDenied
    form = TeacherInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invite(request.user, email=form.cleaned_data["email"], role="teacher", school=school)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
            return redirect("school-invite-teacher")
    return render(
        request,
        "contests/roles/invite_teacher.html",
        {
            "school": school,
            "form": form,
            "invitations": selectors.school_invitations(school),
        },
        status=400 if request.method == "POST" else 200,
    )


# ---------------------------------------------------------------- accepting an invitation


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Open to everyone who has the link: a signed-in person accepts with their account, anyone else
    creates one. A used, withdrawn or expired link says so and does nothing."""
    invitation = services.invitation_for(token)
    closed = services.why_closed(invitation)
    if closed or invitation is None:
        return render(
            request, "contests/roles/invitation.html", {"closed": closed}, status=410 if invitation else 404
        )
    signed_in = request.user.is_authenticated
    form = AcceptForm(request.POST or None) if not signed_in else None
    error = ""
    if request.method == "POST" and (signed_in or (form is not None and form.is_valid())):
        fields = form.cleaned_data if form is not None else {}
        try:
            user = services.accept_invitation(
                invitation,
                request.user if signed_in else None,  # type: ignore[arg-type]
                username=fields.get("username", ""),
                display_name=fields.get("display_name", ""),
                password=fields.get("password", ""),
            )
        except ServiceError as exc:
            error = exc.message
            if form is not None and exc.code in {"username", "password"}:
                form.add_error(exc.code, exc.message)
                error = ""
        else:
            if not signed_in:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome! The invitation is accepted."))
            return redirect("dashboard")
    return render(
        request,
        "contests/roles/invitation.html",
        {
            "invitation": invitation,
            "form": form,
            "error": error,
            "token": token,
        },
        status=400 if request.method == "POST" else 200,
    )


# ---------------------------------------------------------------- the audit log


@login_required
def audit_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What organisers, judges and the back office did, newest first, for the competitions the reader owns or
    organises: filtered by competition, person and action, a page at a time."""
    require_perm(request, "contests.view_audit_log")
    everything = selectors.audit_records(request.user)
    competitions = selectors.competitions_run_by(request.user, CompetitionRoleKind.ORGANISER).order_by(
        "name_en"
    )
    form = AuditFilterForm(
        request.GET or None, competitions=competitions, actions=selectors.audit_actions(everything)
    )
    chosen = form.cleaned_data if form.is_valid() else {}
    records = selectors.audit_records(
        request.user,
        competition=chosen.get("competition"),
        actor=chosen.get("actor", ""),
        action=chosen.get("action", ""),
    )
    page = Paginator(records, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    rows = [{"record": r, "label": ACTION_LABELS.get(r.action, r.action)} for r in page.object_list]
    return render(
        request,
        "contests/roles/audit_log.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )
