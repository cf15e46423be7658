"""The application editor: details, screenshots, the source archive, then send."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aigc_contest.web.accounts.http import AuthenticatedHttpRequest
from aigc_contest.web.applications import services
from aigc_contest.web.applications.forms import DetailsForm, ScreenshotForm, SourceForm, VideoForm
from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.core.http import stored_file_response
from aigc_contest.web.core.shortcuts import require_perm
from aigc_contest.web.entries.models import Entry
from aigc_contest.web.works import services as work_services
from aigc_contest.web.works.base import StaleRevision
from aigc_contest.web.works.models import Work, WorkKind
from aigc_contest.web.works.views import submit_confirmed

MAX_UPLOAD = 60 * 1024 * 1024


def _work(
    request: AuthenticatedHttpRequest, entry_pk: int, perm: str = "applications.edit_application"
) -> Work:
    entry = get_object_or_404(Entry.objects.select_related("team", "category__competition"), pk=entry_pk)
    require_perm(request, perm, entry)
    return work_services.start(request.user, entry, WorkKind.APPLICATION)


def _details_initial(work: Work) -> dict[str, object]:
    document = work.document or {}
    described = document.get("description") or {}
    return {"revision": work.revision, "name": document.get("name", ""),
            "description_en": described.get("en", ""), "description_zh_hant": described.get("zh-Hant", ""),
            "description_zh_hans": described.get("zh-Hans", ""), "demo_url": document.get("demo_url", ""),
            "repository_url": document.get("repository_url", ""),
            "models_used": "\n".join(document.get("models_used") or [])}  # fmt: skip


def _page(
    request: HttpRequest, work: Work, *, details: DetailsForm | None = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "applications/editor.html",
        {
            "entry": work.entry,
            "work": work,
            "document": work.document or {},
            "details": details or DetailsForm(initial=_details_initial(work)),
            "screenshot_form": ScreenshotForm(initial={"revision": work.revision}),
            "source_form": SourceForm(initial={"revision": work.revision}),
            "video_form": VideoForm(initial={"revision": work.revision}),
        },
        status=status,
    )


@login_required
def editor(request: AuthenticatedHttpRequest, entry_pk: int) -> HttpResponse:
    work = _work(request, entry_pk)
    if request.method != "POST":
        return _page(request, work)
    form = DetailsForm(request.POST)
    if not form.is_valid():
        return _page(request, work, details=form, status=400)
    try:
        services.save_details(
            request.user, work, revision=form.cleaned_data["revision"], values=form.values()
        )
    except ServiceError as exc:
        form.add_error(None, exc.message)
        return _page(request, work, details=form, status=409 if isinstance(exc, StaleRevision) else 400)
    messages.success(request, _("Saved."))
    return redirect("application-editor", entry_pk=entry_pk)


def _read(upload: object) -> bytes:
    if getattr(upload, "size", 0) > MAX_UPLOAD:
        raise ServiceError(_("The file is too large."), "too_large")
    return upload.read(MAX_UPLOAD + 1)  # type: ignore[attr-defined]


@login_required
@require_POST
def add_screenshot(request: AuthenticatedHttpRequest, entry_pk: int) -> HttpResponse:
    work = _work(request, entry_pk)
    form = ScreenshotForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ServiceError(_("Choose a screenshot and say what it shows."), "invalid")
        services.add_screenshot(request.user, work, revision=form.cleaned_data["revision"],
                                data=_read(form.cleaned_data["screenshot"]), alt=form.cleaned_data["alt"])  # fmt: skip
        messages.success(request, _("Screenshot added."))
    except ServiceError as exc:
        messages.error(request, exc.message)  # the application is as it was
    return redirect("application-editor", entry_pk=entry_pk)


@login_required
@require_POST
def remove_screenshot(request: AuthenticatedHttpRequest, entry_pk: int, index: int) -> HttpResponse:
    work = _work(request, entry_pk)
    try:
        services.remove_screenshot(
            request.user, work, revision=int(request.POST.get("revision", 0)), index=index
        )
        messages.success(request, _("Screenshot removed."))
    except (ServiceError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", _("Please try again.")))
    return redirect("application-editor", entry_pk=entry_pk)


@login_required
@require_POST
def add_source(request: AuthenticatedHttpRequest, entry_pk: int) -> HttpResponse:
    work = _work(request, entry_pk)
    form = SourceForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ServiceError(_("Choose a ZIP archive."), "invalid")
        services.set_source_archive(request.user, work, revision=form.cleaned_data["revision"],
                                    data=_read(form.cleaned_data["archive"]))  # fmt: skip
        messages.success(request, _("Source archive added. It is kept for the judges and never run here."))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("application-editor", entry_pk=entry_pk)


@login_required
@require_POST
def add_video(request: AuthenticatedHttpRequest, entry_pk: int) -> HttpResponse:
    work = _work(request, entry_pk)
    form = VideoForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ServiceError(_("Choose an MP4 or WebM video."), "invalid")
        services.set_video(request.user, work, revision=form.cleaned_data["revision"],
                           data=_read(form.cleaned_data["video"]))  # fmt: skip
        messages.success(request, _("Video added."))
    except ServiceError as exc:
        messages.error(request, exc.message)  # the application is as it was
    return redirect("application-editor", entry_pk=entry_pk)


@login_required
@require_POST
def remove_video(request: AuthenticatedHttpRequest, entry_pk: int) -> HttpResponse:
    work = _work(request, entry_pk)
    try:
        services.remove_video(request.user, work, revision=int(request.POST.get("revision", 0)))
        messages.success(request, _("Video removed."))
    except (ServiceError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", _("Please try again.")))
    return redirect("application-editor", entry_pk=entry_pk)


@login_required
def video(request: AuthenticatedHttpRequest, entry_pk: int) -> FileResponse:
    """The draft's video, for those who may see the application."""
    entry = get_object_or_404(Entry.objects.select_related("team", "category__competition"), pk=entry_pk)
    require_perm(request, "applications.view_application", entry)
    work = Work.objects.filter(entry=entry).first()
    video = ((work.document or {}).get("video") if work is not None else None) or {}
    return stored_file_response(video.get("path", ""), video.get("mime", ""))


@login_required
@require_POST
def submit(request: AuthenticatedHttpRequest, entry_pk: int) -> HttpResponse:
    return submit_confirmed(request, _work(request, entry_pk), editor="application-editor",
                            unconfirmed=_("Tick the box to confirm you want to send the application."), sent=_("Your application has been sent."))
