"""Studio pages: start a novel, edit it (graph, node forms, live checks, play-test) and submit it.

The JSON endpoints answer `{"error", "code"}` with 400 (refused), 403 (not allowed) or 409 (stale revision);
a page's own edits are never lost on a refusal, because the page keeps them until a save succeeds.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from aigc_contest.web.core.errors import PermissionDenied, ServiceError
from aigc_contest.web.entries.models import Entry
from aigc_contest.web.studio import selectors, services
from aigc_contest.web.studio.models import StudioWork
from aigc_contest.works.novel.model import ENDING_TYPES

# The player runs in an opaque origin with no network: even a crafted story cannot reach the site.
PLAYER_CSP = "sandbox allow-scripts; default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"


def _entry(request: HttpRequest, entry_pk: int) -> Entry:
    entry = get_object_or_404(Entry.objects.select_related("team", "category__competition", "theme"), pk=entry_pk)
    if not request.user.has_perm("entries.edit_entry", entry):
        raise DjangoPermissionDenied
    return entry


def _work(request: HttpRequest, pk: int) -> StudioWork:
    work = get_object_or_404(StudioWork.objects.select_related("entry__team", "entry__category__competition"), pk=pk)
    if not request.user.has_perm("entries.edit_entry", work.entry):
        raise DjangoPermissionDenied
    return work


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ServiceError(_("The request could not be read."), "bad_request") from None
    if not isinstance(body, dict):
        raise ServiceError(_("The request could not be read."), "bad_request")
    return body


def _error(exc: ServiceError) -> JsonResponse:
    status = 403 if isinstance(exc, PermissionDenied) else 409 if isinstance(exc, services.StaleRevision) else 400
    data: dict[str, Any] = {"error": exc.message, "code": exc.code}
    if isinstance(exc, services.StaleRevision):
        data["revision"] = exc.current
    return JsonResponse(data, status=status)


def _ending_labels() -> dict[str, str]:
    names = {
        "happy": _("Happy ending"),
        "sad": _("Sad ending"),
        "neutral": _("Neutral ending"),
        "bittersweet": _("Bittersweet ending"),
        "funny": _("Funny ending"),
        "surprise": _("Surprise ending"),
        "open": _("Open ending"),
    }
    return {kind: names.get(kind, kind) for kind in ENDING_TYPES}


def _js_labels() -> dict[str, Any]:
    """Every string the editor's script shows, translated here so the script holds no text of its own."""
    return {
        "start": _("start"),
        "ending": _("ending"),
        "endings": _ending_labels(),
        "choiceWords": _("Words of choice %(n)s"),
        "leadsTo": _("Choice %(n)s leads to"),
        "removeChoice": _("Remove choice %(n)s"),
        "remove": _("Remove"),
        "missing": _("(missing part: %(id)s)"),
        "newChoice": _("What happens next?"),
        "unsaved": _("Changes not saved yet."),
        "saving": _("Saving…"),
        "saved": _("Saved (version %(n)s)."),
        "saveFailed": _("Could not save: %(error)s"),
        "offline": _("The server could not be reached. Your changes are still here; try again."),
        "noDefects": _("No problems found. Every part can be reached and leads to an ending."),
        "defectCount": _("%(n)s problem(s) to fix:"),
        "badId": _("Use letters, digits, - or _ (up to 40), not used by another part."),
        "cannotDeleteStart": _("The start part cannot be deleted. Make another part the start first."),
        "deleted": _("Part deleted. Choices that led to it were removed."),
        "writing": _("The AI is writing this part…"),
        "written": _("New text written. Save to keep it."),
        "goTo": _("Edit part %(title)s"),
    }


@login_required
def studio_home(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = _entry(request, entry_pk)
    work = selectors.work_for_entry(entry)
    if work is None:
        theme = entry.theme.tr("title") if entry.theme else ""
        return render(request, "studio/start.html", {
            "entry": entry, "theme": theme, "can_generate": selectors.text_model_available(),
            "is_novel": entry.work_type == "novel",
        })  # fmt: skip
    novel = selectors.parse_document(work.document)
    return render(request, "studio/editor.html", {
        "entry": entry,
        "work": work,
        "document": work.document,
        "nodes": novel.nodes,
        "defects": selectors.defects_of(novel),
        "labels": _js_labels(),
        "ending_labels": _ending_labels(),
        "can_generate": selectors.text_model_available(),
        "competition": entry.category.competition,
    })  # fmt: skip


@login_required
@require_POST
def start(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = _entry(request, entry_pk)
    try:
        if request.POST.get("source") == "generate":
            theme = (request.POST.get("theme") or "").strip()[:200] or entry.title
            services.generate_document(request.user, entry, theme=theme)  # type: ignore[arg-type]
            messages.success(request, _("The AI wrote a first draft. Now make it your own!"))
        else:
            services.start_work(request.user, entry)  # type: ignore[arg-type]
    except PermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("studio-home", entry_pk=entry.pk)


@login_required
@require_http_methods(["GET", "POST"])
def document(request: HttpRequest, pk: int) -> JsonResponse:
    work = _work(request, pk)
    if request.method == "GET":
        return JsonResponse({"document": work.document, "revision": work.revision,
                             "defects": selectors.validate_document(work.document)})  # fmt: skip
    try:
        body = _json_body(request)
        revision = body.get("revision")
        if not isinstance(revision, int) or isinstance(revision, bool):
            raise ServiceError(_("The request could not be read."), "bad_request")
        work = services.save_document(request.user, work, document=body.get("document"), revision=revision)  # type: ignore[arg-type]
    except ServiceError as exc:
        return _error(exc)
    return JsonResponse({"revision": work.revision, "defects": selectors.validate_document(work.document)})


@login_required
@require_POST
def check(request: HttpRequest, pk: int) -> JsonResponse:
    """The validator on the page's current (unsaved) document."""
    _work(request, pk)
    try:
        return JsonResponse({"defects": selectors.validate_document(_json_body(request).get("document"))})
    except ServiceError as exc:
        return _error(exc)


@login_required
@require_http_methods(["GET", "POST"])
def player(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the saved story as a playable HTML download. POST {document}: the page's current story, for the
    play-test frame. Either way the response is sandboxed, so it never runs with the site's origin."""
    work = _work(request, pk)
    if request.method == "POST":
        from aigc_contest.works.novel.html_player import write_html

        try:
            html = write_html(selectors.parse_document(_json_body(request).get("document")))
        except ServiceError as exc:
            return _error(exc)
    else:
        html = services.playable_html(work)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = PLAYER_CSP
    if request.method == "GET":
        response["Content-Disposition"] = 'attachment; filename="novel.html"'
    return response


@login_required
@require_POST
def regenerate(request: HttpRequest, pk: int) -> JsonResponse:
    """One part's text written again by the text model (returned, not saved: the student decides)."""
    from aigc_contest.generation.registry import RegistryError, shared_registry
    from aigc_contest.generation.types import GenerationError
    from aigc_contest.safety import SafetyRefusal
    from aigc_contest.works.novel.generate import regenerate_node, settings_for_document

    work = _work(request, pk)
    try:
        body = _json_body(request)
        novel = selectors.parse_document(body.get("document"))
        node_id = str(body.get("node") or "")
        if node_id not in {n.id for n in novel.nodes}:
            raise ServiceError(_("That part does not exist."), "bad_request")
        registry = shared_registry()
        name = registry.resolve(None, "text").name
        theme = work.entry.theme.tr("title") if work.entry.theme else work.entry.title
        story = regenerate_node(registry.text_backend(name), settings_for_document(name, theme, novel), novel, node_id)
    except ServiceError as exc:
        return _error(exc)
    except SafetyRefusal as exc:
        return JsonResponse({"error": exc.message(services._language()), "code": "refused"}, status=400)
    except (RegistryError, GenerationError):
        return JsonResponse({"error": _("The AI could not write this part just now."), "code": "generation_failed"},
                            status=503)  # fmt: skip
    return JsonResponse({"node": node_id, "text": story.node(node_id).text})


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    work = _work(request, pk)
    try:
        version = services.submit_work(request.user, work)  # type: ignore[arg-type]
    except PermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("studio-home", entry_pk=work.entry_id)
    messages.success(
        request,
        _("Submitted! Version %(n)d, content hash %(h)s.") % {"n": version.number, "h": version.content_hash[:16]},
    )
    return redirect("entry-detail", pk=work.entry_id)
