"""Storybook studio pages: start a book from a theme, watch its pages and pictures arrive, edit, preview,
export and submit it. Teachers and organisers get a read-only view.

Every edit is a small form posted to `edit` (works without JavaScript); storybook.js only follows the
jobs' progress and refreshes the pages when the book changes.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from aigc_contest.web.core.errors import PermissionDenied, ServiceError
from aigc_contest.web.core.shortcuts import get_object_or_403, require_perm, submit_response
from aigc_contest.web.core.translation import style_choices
from aigc_contest.web.entries.models import Entry
from aigc_contest.web.entries.views import entry_for
from aigc_contest.web.jobs.models import JobStatus
from aigc_contest.web.works import pictures, selectors, services
from aigc_contest.web.works.base import PICTURE
from aigc_contest.web.works.forms import LoraPickForm, initial_for
from aigc_contest.web.works.kinds import storybook as kind
from aigc_contest.web.works.kinds.storybook import PAGE_TEXT, STORYBOOK
from aigc_contest.web.works.models import Work, WorkJob, WorkKind
from aigc_contest.works.storybook.model import StorybookError, readers_for_grade
from aigc_contest.works.storybook.pipeline import MAX_WEB_PAGES

# The preview runs in an opaque origin with no network: a book's text can never run as the site.
PREVIEW_CSP = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:"
AGE_BANDS = ("6-8", "9-11", "12-14", "15-18")


def _entry(request: HttpRequest, entry_pk: int) -> Entry:
    return entry_for(request, entry_pk, "entries.edit_entry")


def _work(request: HttpRequest, pk: int, perm: str = "storybooks.edit_storybook") -> Work:
    return get_object_or_403(request, perm, Work.objects.select_related(
        "entry__team", "entry__category__competition").filter(kind=WorkKind.STORYBOOK), pk=pk)  # fmt: skip


def _page_numbers(book: Any) -> dict[str, int]:
    return {page.id: number for number, page in enumerate(book.pages, 1)} if book is not None else {}


def _step_label(step: WorkJob, numbers: dict[str, int]) -> str:
    """What a job is doing, in a child's words: "Drawing the picture for page 2" (never a page id)."""
    number = numbers.get(step.target)
    if step.step == PICTURE and number:
        return _("Drawing the picture for page %(n)d") % {"n": number}
    if step.step == PAGE_TEXT and number:
        return _("Writing the words for page %(n)d again") % {"n": number}
    return str(STORYBOOK.steps.get(step.step, "")) or _("Making your book")


def _progress_context(work: Work) -> dict[str, Any]:
    book = kind.book_of(work)
    plan = kind.plan_of(work)
    numbers = _page_numbers(book)
    steps = list(work.jobs.select_related("job").order_by("-id")[:40])
    active = [s for s in steps if not s.applied and not s.dismissed]
    for step in active:
        step.label = _step_label(step, numbers)
    active.sort(key=lambda s: (s.job.status != JobStatus.RUNNING, numbers.get(s.target, 0), s.pk))
    running = [s for s in active if s.job.status in (JobStatus.QUEUED, JobStatus.RUNNING)]
    now = [s for s in running if s.job.status == JobStatus.RUNNING] or running[:1]
    drawing = kind.busy_pages(running, PICTURE)
    total = len(book.pages) if book else plan.brief.pages
    done = sum(1 for p in book.pages if p.image is not None) if book else 0
    return {
        "work": work,
        "active_steps": active,
        "now_steps": now,
        "waiting_count": max(0, len(running) - len(now)),
        "has_outline": plan.outline is not None,
        "has_sheet": plan.sheet is not None,
        "has_pages": book is not None,
        "pages_total": total,
        "pictures_done": done,
        "pictures_drawing": len(drawing),
        "pictures_summary": pictures_summary(done, total, len(drawing)),
        "busy": bool(running),
        "has_problem": any(s.job.error or s.job.status == JobStatus.CANCELLED for s in active),
    }


def pictures_summary(done: int, total: int, drawing: int) -> str:
    """ "3 of 8 pictures drawn, 1 being drawn now" """
    text = ngettext("%(done)d of %(total)d picture drawn", "%(done)d of %(total)d pictures drawn", total) % {
        "done": done, "total": total}  # fmt: skip
    if drawing:
        text = _("%(summary)s, %(n)d being drawn now") % {"summary": text, "n": drawing}
    return text


def _choices(work: Work) -> dict[str, WorkJob]:
    """For each page, its newest finished picture job that the child has not answered yet."""
    found: dict[str, WorkJob] = {}
    for item in work.jobs.filter(step=PICTURE, state=WorkJob.State.APPLIED, dismissed=False).order_by("-id"):
        found.setdefault(item.target, item)
    return found


def _pages_context(work: Work, *, editable: bool) -> dict[str, Any]:
    book = kind.book_of(work)
    waiting = services.pending(work)
    drawing, writing = kind.busy_pages(waiting, PICTURE), kind.busy_pages(waiting, PAGE_TEXT)
    choices = _choices(work) if editable else {}
    pages = []
    if book is not None:
        for number, page in enumerate(book.pages, 1):
            chosen = None
            for index, candidate in enumerate(page.candidates):
                if page.image is not None and candidate == page.image:
                    chosen = index
            # New pictures wait for the child's choice where the picture is; the old one stays until then.
            choice, new = choices.get(page.id), []
            if choice is not None and page.image is not None and page.image.provenance.get("job") != choice.job_id:
                new = [i for i, c in enumerate(page.candidates) if c.provenance.get("job") == choice.job_id]
            pages.append({
                "page": page, "number": number, "first": number == 1, "last": number == len(book.pages),
                "candidates": list(range(len(page.candidates))), "chosen": chosen,
                "new_pictures": new, "choice": choice if new else None,
                "drawing": page.id in drawing, "writing": page.id in writing,
                "is_test_model": bool(page.image and page.image.provenance.get("is_test_model")),
            })  # fmt: skip
    return {"work": work, "book": book, "pages": pages, "editable": editable,
            "order": ",".join(p.id for p in book.pages) if book else ""}  # fmt: skip


def keep_picture(actor: Any, work: Work, page_id: str, index: int) -> Work:
    """The child keeps picture `index` of a page (the old one or a new one): a picture a job made goes
    through the works services (checked again under the school's settings); the question is answered."""
    page = kind.page_of(kind.require_book(work), page_id)
    if not 0 <= index < len(page.candidates):
        raise ServiceError(_("That picture does not exist."), "not_found")
    asset = pictures.asset_pk_of(page.candidates[index].path)  # the candidate's `job-asset:N` reference
    if asset is not None and services.picture_asset(work, asset) is not None:
        services.pick_picture(actor, work, target=page_id, asset_pk=asset)
    else:
        edit_book(actor, work, "choose", page=page_id, index=str(index))
    WorkJob.objects.filter(work=work, step=PICTURE, target=page_id, state=WorkJob.State.APPLIED).update(
        dismissed=True)  # fmt: skip
    work.refresh_from_db()
    return work


def reorder(actor: Any, work: Work, order: list[str], revision: int) -> Work:
    """The pages in a new order (dragged, or one moved up or down), if the book is still at `revision`."""

    def edit(locked: Work) -> dict[str, Any]:
        if locked.revision != revision:
            raise ServiceError(_("The book changed while you were moving pages (a picture or page arrived). "
                                 "Here it is as it is now: please move the page again."), "stale")  # fmt: skip
        book = kind.require_book(locked).reorder_pages(order)
        return kind.document_of(locked.document["plan"], book, kind.auto_pictures(locked))  # type: ignore[index]

    try:
        return services.change(actor, work, edit)
    except StorybookError as exc:
        raise ServiceError(_("This change cannot be made: %s") % exc.message, "invalid") from exc


def edit_book(actor: Any, work: Work, operation: str, **args: Any) -> Work:
    """One edit of the book, made to the current book (never a stale copy); the child's words first pass
    the safety layer."""

    def edit(locked: Work) -> dict[str, Any]:
        book = kind.edited(kind.require_book(locked), operation, args)
        return kind.document_of(locked.document["plan"], book, kind.auto_pictures(locked))  # type: ignore[index]

    try:
        return services.change(actor, work, edit, kind.edit_words(operation, args))
    except StorybookError as exc:
        raise ServiceError(_("This change cannot be made: %s") % "; ".join([exc.message, *exc.details[:3]]),
                           "invalid") from exc  # fmt: skip


def new_picture(actor: Any, work: Work, page_id: str) -> WorkJob:
    kind.page_of(kind.require_book(work), page_id)
    queued = services.queue_pictures(actor, work, [page_id])
    if not queued:
        raise ServiceError(_("This page is already being drawn, or has no words to draw yet."), "busy")
    return queued[0]


def lora_form(request: HttpRequest, entry: Entry, work: Work | None = None, data: Any = None) -> LoraPickForm | None:
    """The team's fine-tuned models for the site's picture maker (the one a storybook draws with); None
    when there are none."""
    try:
        model = services.image_model().name
    except ServiceError:
        return None
    offered = selectors.loras_for(request.user, entry, model)
    return LoraPickForm(data, offered=offered, initial=initial_for(work)) if offered else None


def _set_lora(request: HttpRequest, work: Work, form: LoraPickForm | None) -> None:
    if form is None:
        return
    if not form.is_valid():
        raise ServiceError(_("Choose a strength between 0 and 1.5."), "invalid")
    source, weight = form.choice()
    services.set_lora(request.user, work, source, weight)  # type: ignore[arg-type]


@login_required
def storybook_home(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = _entry(request, entry_pk)
    work = selectors.work_for(entry)
    if work is not None and work.kind == WorkKind.STORYBOOK:
        return redirect("storybook-editor", pk=work.pk)
    return render(request, "storybooks/start.html", {
        "entry": entry, "is_storybook": entry.work_type == "storybook",
        "theme": entry.theme.tr("title") if entry.theme else entry.title,
        "styles": style_choices(), "age_bands": AGE_BANDS, "max_pages": MAX_WEB_PAGES,
        "models_ready": _models_ready(), "lora_form": lora_form(request, entry),
        "readers": readers_for_grade(getattr(request.user, "grade", ""),
                                     getattr(getattr(request.user, "school", None), "level", None)),
    })  # fmt: skip


def _models_ready() -> bool:
    from aigc_contest.generation.registry import RegistryError, shared_registry

    try:
        registry = shared_registry()
    except RegistryError:
        return False
    return bool(registry.names("text")) and bool(registry.names("image"))


@login_required
@require_POST
def start(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = _entry(request, entry_pk)
    try:
        pages = int(request.POST.get("pages") or 6)
    except ValueError:
        pages = 0
    if not 1 <= pages <= MAX_WEB_PAGES:
        messages.error(request, _("Choose between 1 and %d pages.") % MAX_WEB_PAGES)
        return redirect("storybook-home", entry_pk=entry.pk)
    try:
        work = services.start(
            request.user, entry, WorkKind.STORYBOOK, exists_ok=False,  # type: ignore[arg-type]
            theme=(request.POST.get("theme") or "").strip()[:200] or entry.title,
            brief=(request.POST.get("brief") or "")[:500], pages=pages,
            age_band=request.POST.get("age_band") or readers_for_grade(getattr(request.user, "grade", "")), style=(request.POST.get("style") or "")[:300],
        )  # fmt: skip
        _set_lora(request, work, lora_form(request, entry, work, request.POST))
    except PermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("storybook-home", entry_pk=entry.pk)
    messages.success(request, _("Your storybook is on its way. Pages and pictures appear here as they are made."))
    return redirect("storybook-editor", pk=work.pk)


@login_required
def editor(request: HttpRequest, pk: int) -> HttpResponse:
    work = _work(request, pk, "storybooks.view_storybook")
    if not request.user.has_perm("storybooks.edit_storybook", work):
        return redirect("storybook-view", pk=work.pk)
    work = services.sync(work)
    return render(request, "storybooks/editor.html", {
        "entry": work.entry, "plan": kind.plan_of(work), **_progress_context(work),
        **_pages_context(work, editable=True),
        "competition": work.entry.category.competition, "lora_form": lora_form(request, work.entry, work),
    })  # fmt: skip


@login_required
def view(request: HttpRequest, pk: int) -> HttpResponse:
    """Read-only: the book as it stands, for the team's teachers and organisers."""
    work = _work(request, pk, "storybooks.view_storybook")
    work = services.sync(work)
    return render(request, "storybooks/view.html", {"entry": work.entry, **_pages_context(work, editable=False),
                                                     **_progress_context(work)})  # fmt: skip


@login_required
def view_entry(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = get_object_or_404(Entry, pk=entry_pk)
    work = selectors.work_for(entry)
    if work is None or work.kind != WorkKind.STORYBOOK:
        raise Http404
    # Not even where the book is: its number is not for everyone.
    require_perm(request, "storybooks.view_storybook", work)
    return redirect("storybook-view", pk=work.pk)


@login_required
def status(request: HttpRequest, pk: int) -> JsonResponse:
    """For storybook.js: the progress panel (server-rendered), the book's revision, whether work is left."""
    work = services.sync(_work(request, pk, "storybooks.view_storybook"))
    context = _progress_context(work)
    html = render_to_string("storybooks/_progress.html", context, request=request)
    return JsonResponse({"revision": work.revision, "busy": context["busy"], "html": html})


@login_required
def pages(request: HttpRequest, pk: int) -> HttpResponse:
    work = _work(request, pk, "storybooks.view_storybook")
    editable = request.user.has_perm("storybooks.edit_storybook", work)
    return render(request, "storybooks/_pages.html", _pages_context(work, editable=editable))


def _back(work: Work, page_id: str = "") -> HttpResponse:
    return redirect(reverse("storybook-editor", args=[work.pk]) + (f"#page-{page_id}" if page_id else ""))


@login_required
@require_POST
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    work = _work(request, pk)
    post = request.POST
    operation = post.get("op", "")
    page_id = post.get("page", "")
    fetched = request.headers.get("X-Requested-With") == "fetch"  # storybook.js dragging pages
    try:
        if operation == "rewrite":
            services.request_text(request.user, work, PAGE_TEXT, page_id,  # type: ignore[arg-type]
                                  instruction=post.get("instruction", ""))  # fmt: skip
            messages.success(request, _("The AI is rewriting this page."))
        elif operation == "picture":
            new_picture(request.user, work, page_id)  # type: ignore[arg-type]
            messages.success(request, _("A new picture is being drawn."))
        elif operation == "keep":
            if post.get("index", "") == "":  # the picture the page has now stays
                WorkJob.objects.filter(work=work, step=PICTURE, target=page_id,
                                       state=WorkJob.State.APPLIED).update(dismissed=True)  # fmt: skip
            else:
                keep_picture(request.user, work, page_id, int(post["index"]))  # type: ignore[arg-type]
            messages.success(request, _("Kept. This is the picture of the page now."))
        elif operation in ("order", "move"):
            revision = int(post.get("revision", ""))
            if operation == "order":
                order = [p for p in post.get("order", "").split(",") if p]
            else:
                order = [p.id for p in kind.require_book(work).pages]
                index = order.index(page_id)
                order.insert(max(0, index + int(post.get("offset", 0))), order.pop(index))
            work = reorder(request.user, work, order, revision)  # type: ignore[arg-type]
            if fetched:
                return JsonResponse({"ok": True, "revision": work.revision})
            messages.success(request, _("Moved."))
        elif operation == "lora":
            _set_lora(request, work, lora_form(request, work.entry, work, post))
            messages.success(request, _("Saved. New pictures use this choice."))
        elif operation == "missing-pictures":
            book = kind.require_book(work)
            missing = [p.id for p in book.pages if p.image is None]
            if not services.queue_pictures(request.user, work, missing):  # type: ignore[arg-type]
                messages.info(request, _("Every page has a picture or is being drawn."))
        else:
            args = {key: post.get(key, "") for key in ("page", "text", "scene", "title", "after", "offset", "index")}
            edit_book(request.user, work, operation, **args)  # type: ignore[arg-type]
            if operation == "add":
                book = kind.book_of(work)
                page_id = book.pages[book.page_index(args["after"]) + 1].id if book and args["after"] else ""
            messages.success(request, _("Saved."))
    except PermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    except (ServiceError, ValueError, KeyError) as exc:
        message = exc.message if isinstance(exc, ServiceError) else _("This change cannot be made.")
        if fetched:
            code = exc.code if isinstance(exc, ServiceError) else "invalid"
            return JsonResponse({"ok": False, "message": message, "code": code}, status=409 if code == "stale" else 400)
        messages.error(request, message)
    return _back(work, page_id if operation != "delete" else "")


@login_required
def picture(request: HttpRequest, pk: int, page_id: str, index: int | None = None) -> HttpResponse:
    work = _work(request, pk, "storybooks.view_storybook")
    book = kind.book_of(work)
    if book is None:
        raise Http404
    try:
        data = kind.picture_bytes(work, book, page_id, index)
    except (ServiceError, OSError) as exc:
        raise Http404 from exc
    response = HttpResponse(data, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    work = _work(request, pk, "storybooks.view_storybook")
    try:
        data = kind.export(work, fmt)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("storybook-editor", pk=work.pk)
    response = HttpResponse(data, content_type=kind.EXPORT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="storybook-{work.entry_id}.{fmt}"'
    if fmt == "html":
        response["Content-Security-Policy"] = PREVIEW_CSP
    return response


@login_required
@xframe_options_sameorigin
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The book as one self-contained HTML page, shown in a sandboxed frame."""
    work = _work(request, pk, "storybooks.view_storybook")
    try:
        data = kind.export(work, "html")
    except ServiceError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(data, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = PREVIEW_CSP
    return response


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    work = _work(request, pk)
    return submit_response(request, lambda: services.submit(request.user, work),  # type: ignore[arg-type]
                           entry_pk=work.entry_id, refused=redirect("storybook-editor", pk=work.pk))
