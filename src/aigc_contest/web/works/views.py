"""What every per-kind editor's pages share: sending the work once the team ticked the confirmation."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.works import services
from aigc_contest.web.works.models import Work


def submit_confirmed(request: HttpRequest, work: Work, *, editor: str, unconfirmed: str, sent: str) -> HttpResponse:
    """Submit `work` when the POST says `confirm=yes`; otherwise, or on a refusal, back to the `editor` page
    (a URL name taking `entry_pk`) with the reason. Sent: the entry's page with `sent`."""
    entry_pk = work.entry_id
    if request.POST.get("confirm") != "yes":
        messages.error(request, unconfirmed)
        return redirect(editor, entry_pk=entry_pk)
    try:
        services.submit(request.user, work)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(editor, entry_pk=entry_pk)
    messages.success(request, sent)
    return redirect("entry-detail", pk=entry_pk)
