"""Pages for teams outside schools: signing up as a team's captain, the team's members and links, joining by
a link. An address whose sign-ins are paused (`accounts/lockout.py`) makes no account here, and signing in after
signing up goes through `authenticate`, so the throttling answers for these pages as for the sign-in form; an
existing account signs in there."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aigc_contest.web.accounts import lockout
from aigc_contest.web.core.errors import PermissionDenied, ServiceError
from aigc_contest.web.core.shortcuts import get_object_or_403
from aigc_contest.web.entries import open_teams
from aigc_contest.web.entries.forms import AdultAccountForm, OpenTeamForm, SignUpForm
from aigc_contest.web.entries.models import Team, TeamInvitation

_ACCOUNT_FIELDS = ("username", "display_name", "email", "password", "region", "adult")


def _show_error(form: Any, exc: ServiceError) -> None:
    field = {"name": "team_name", "school_only": "category"}.get(exc.code, exc.code)
    if field in form.fields:
        form.add_error(field, exc.message)
    else:
        form.add_error(None, exc.message)


def _sign_in(request: HttpRequest, username: str, password: str) -> bool:
    """Sign the new account in through the authentication backends (the throttling's among them)."""
    user = authenticate(request, username=username, password=password)
    if user is None:
        return False
    login(request, user)
    return True


def sign_up(request: HttpRequest) -> HttpResponse:
    """A captain signs up and forms a team in a category open to everyone; a signed-in adult outside any
    school forms another team here."""
    categories = list(open_teams.open_categories())
    user: Any = request.user
    signed_in = user.is_authenticated
    if signed_in and (user.role != "participant" or user.school_id is not None):
        return render(request, "entries/open/sign_up.html", {"not_for_you": True, "categories": categories})
    form: Any = (OpenTeamForm if signed_in else SignUpForm)(request.POST or None, categories=categories)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not signed_in and lockout.signing_in_paused(request, data["username"]):
            return lockout.lockout_response(request)
        try:
            if signed_in:
                team = open_teams.form_team(user, data["category"], name=data["team_name"])
            else:
                account, team = open_teams.sign_up(
                    category=data["category"], team_name=data["team_name"],
                    **{k: data[k] for k in _ACCOUNT_FIELDS},
                )
        except ServiceError as exc:
            _show_error(form, exc)
        else:
            if not signed_in and not _sign_in(request, account.username, data["password"]):
                messages.info(request, _("Your account is ready: sign in to continue."))
                return redirect("login")
            messages.success(request, _("Your team is formed. Invite your team-mates with a link."))
            return redirect("team-members", team_id=team.pk)
    return render(request, "entries/open/sign_up.html",
                  {"form": form, "categories": categories, "signed_in": signed_in},
                  status=400 if request.method == "POST" else 200)


@login_required
def team_members(request: HttpRequest, team_id: int) -> HttpResponse:
    """The team's members, its open links, and a button for a new link (shown once)."""
    team = get_object_or_403(request, "entries.view_team",
                             Team.objects.select_related("category__competition", "school"), pk=team_id)
    can_invite = request.user.has_perm("entries.invite_members", team) and team.school_id is None
    links = team.invitations.filter(accepted_at__isnull=True, withdrawn_at__isnull=True) if can_invite else []
    return render(request, "entries/open/team.html", {
        "team": team,
        "members": team.members.all(),
        "can_invite": can_invite,
        "links": links,
        "new_link": request.session.pop("new_team_link", None) if can_invite else None,
        "room": team.category.max_team_size - team.members.count(),
    })


@login_required
@require_POST
def new_link(request: HttpRequest, team_id: int) -> HttpResponse:
    team = get_object_or_403(request, "entries.view_team", Team.objects.select_related("category"), pk=team_id)
    try:
        _invitation, path = open_teams.invite(request.user, team)  # type: ignore[arg-type]
    except PermissionDenied:
        raise
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        request.session["new_team_link"] = request.build_absolute_uri(path)
    return redirect("team-members", team_id=team.pk)


@login_required
@require_POST
def withdraw_link(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(TeamInvitation.objects.select_related("team"), pk=pk)
    try:
        open_teams.withdraw(request.user, invitation)  # type: ignore[arg-type]
    except PermissionDenied:
        raise
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The link no longer works."))
    return redirect("team-members", team_id=invitation.team_id)


def join(request: HttpRequest, token: str) -> HttpResponse:
    """Open to whoever has the link: a signed-in adult outside any school joins with their account, anyone
    else makes one. A used, withdrawn or expired link says so and changes nothing."""
    invitation = open_teams.invitation_for(token)
    closed = open_teams.why_closed(invitation)
    if closed or invitation is None:
        return render(request, "entries/open/join.html", {"closed": closed}, status=410 if invitation else 404)
    signed_in = request.user.is_authenticated
    form = AdultAccountForm(request.POST or None) if not signed_in else None
    error = ""
    if request.method == "POST" and (signed_in or (form is not None and form.is_valid())):
        fields = {k: form.cleaned_data[k] for k in _ACCOUNT_FIELDS} if form is not None else {}
        if form is not None and lockout.signing_in_paused(request, fields["username"]):
            return lockout.lockout_response(request)
        try:
            user = open_teams.accept(invitation, request.user if signed_in else None, **fields)  # type: ignore[arg-type]
        except ServiceError as exc:
            error = exc.message
            if form is not None and exc.code in form.fields:
                form.add_error(exc.code, exc.message)
                error = ""
        else:
            if not signed_in and not _sign_in(request, user.username, fields["password"]):
                messages.info(request, _("You are in the team: sign in to continue."))
                return redirect("login")
            messages.success(request, _("Welcome to the team!"))
            return redirect("team-members", team_id=invitation.team_id)
    return render(request, "entries/open/join.html",
                  {"invitation": invitation, "team": invitation.team, "form": form, "error": error},
                  status=400 if request.method == "POST" else 200)
