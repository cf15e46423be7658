"""Small view helpers shared by the apps' pages: permission-checked look-ups and the submit flow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from aigc_contest.web.core.errors import PermissionDenied, ServiceError

M = TypeVar("M", bound=Model)


def require_perm(request: HttpRequest, perm: str, obj: Model | None = None) -> None:
    """A 403 page unless the signed-in user has `perm` (on `obj`)."""
    if not request.user.has_perm(perm, obj):
        raise DjangoPermissionDenied


def get_object_or_403(request: HttpRequest, perm: str, queryset: QuerySet[M] | type[M], **lookup: Any) -> M:
    """get_object_or_404, then a 403 page unless the signed-in user has `perm` on the object."""
    obj = get_object_or_404(queryset, **lookup)
    require_perm(request, perm, obj)
    return obj


def submit_response(request: HttpRequest, submit: Callable[[], Any], *, entry_pk: int,
                    refused: HttpResponse | None = None) -> HttpResponse:
    """Run a submit service (it returns the new EntryVersion): on success say so and show the entry; when the
    rules refuse, show why and go to `refused` (the entry by default). Not being allowed is a 403 page."""
    try:
        version = submit()
    except PermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    except ServiceError as exc:
        messages.error(request, exc.message)
        return refused or redirect("entry-detail", pk=entry_pk)
    messages.success(
        request,
        _("Submitted! Version %(n)d, file SHA-256 %(h)s…") % {"n": version.number, "h": version.file_sha256[:16]},
    )
    return redirect("entry-detail", pk=entry_pk)
