"""The personal API tokens page: make one (shown once), see when each was last used, revoke."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aigc_contest.web.accounts import tokens
from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.core.shortcuts import require_perm


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("What it is for"),
        max_length=100,
        help_text=gettext_lazy("For example: the script that uploads our class's works."),
    )
    days = forms.TypedChoiceField(
        label=gettext_lazy("Expires after"),
        coerce=int,
        initial=90,
        choices=[
            (30, gettext_lazy("30 days")),
            (90, gettext_lazy("90 days")),
            (366, gettext_lazy("one year")),
        ],
    )


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    require_perm(request, "accounts.manage_api_tokens")
    form = TokenForm(request.POST or None)
    made = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, made = tokens.create_token(
                request.user,  # type: ignore[arg-type]
                name=form.cleaned_data["name"],
                days=form.cleaned_data["days"],
            )
            form = TokenForm()
        except ServiceError as exc:
            form.add_error("name", exc.message)
    response = render(
        request,
        "accounts/api_tokens.html",
        {
            "form": form,
            "made": made,
            "tokens": request.user.api_tokens.all(),  # type: ignore[union-attr]
        },
    )
    response["Cache-Control"] = "no-store"  # the page may show a token once: never keep it in a cache
    return response


@login_required
@require_POST
def revoke_api_token(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(request, "accounts.manage_api_tokens")
    try:
        token = tokens.revoke_token(request.user, pk)  # type: ignore[arg-type]
        messages.success(
            request,
            _("Token “%(name)s” revoked: scripts using it are refused from now on.") % {"name": token.name},
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("api-tokens")
