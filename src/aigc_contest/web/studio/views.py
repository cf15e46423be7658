"""Studio pages: start a novel, edit it (graph, node forms, live checks, play-test) and submit it.

The JSON endpoints answer `{"error", "code"}` with 400 (refused), 403 (not allowed) or 409 (stale revision);
a page's own edits are never lost on a refusal, because the page keeps them until a save succeeds.
"""

from __future__ import annotations

import json
from typing import Any

from csp.decorators import csp_update
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from aigc_contest.web.core.errors import PermissionDenied, ServiceError
from aigc_contest.web.core.shortcuts import require_perm, submit_response
from aigc_contest.web.core.translation import style_choices
from aigc_contest.web.entries.models import Entry
from aigc_contest.web.entries.views import entry_for
from aigc_contest.web.jobs.models import JobStatus
from aigc_contest.web.jobs.selectors import queue_position, queue_positions_of
from aigc_contest.web.moderation.selectors import refusal_for_job
from aigc_contest.web.works import selectors, services
from aigc_contest.web.works.base import PICTURE, StaleRevision, language
from aigc_contest.web.works.kinds import novel as kind
from aigc_contest.web.works.kinds.novel import DRAFT, NODE_TEXT, NOVEL
from aigc_contest.web.works.models import Work, WorkJob, WorkKind
from aigc_contest.works.novel.convert import MAX_IMPORT_BYTES
from aigc_contest.works.novel.html_player import player_hash_sources
from aigc_contest.works.novel.model import ENDING_TYPES

# The player runs in an opaque origin with no network: even a crafted story cannot reach the site.
PLAYER_CSP = "sandbox allow-scripts; default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"


def _entry(request: HttpRequest, entry_pk: int) -> Entry:
    return entry_for(request, entry_pk, "entries.edit_entry")


def _work(request: HttpRequest, pk: int) -> Work:
    work = get_object_or_404(Work.objects.select_related("entry__team", "entry__category__competition"), pk=pk,
                             kind=WorkKind.NOVEL, document__isnull=False)  # fmt: skip
    require_perm(request, "entries.edit_entry", work.entry)
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
    status = 403 if isinstance(exc, PermissionDenied) else 409 if isinstance(exc, StaleRevision) else 400
    data: dict[str, Any] = {"error": exc.message, "code": exc.code}
    if isinstance(exc, StaleRevision):
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
        "writtenSaved": _("The AI's new text for “%(title)s” is in the story."),
        "goTo": _("Edit part %(title)s"),
        "condition": _("Choice %(n)s is shown only if (leave empty to always show it)"),
        "conditionHint": _("For example: courage >= 2 and not has_key"),
        "changes": _("Choice %(n)s changes"),
        "addChange": _("Add a change to choice %(n)s"),
        "changeVariable": _("Variable to change"),
        "changeValue": _("New value (+1 adds one, -1 takes one away)"),
        "removeChange": _("Remove this change"),
        "noVariables": _("Add a variable first (under “Variables”)."),
        "variableName": _("Name of variable %(n)s"),
        "variableType": _("Type of variable %(n)s"),
        "variableInitial": _("Starting value of variable %(n)s"),
        "removeVariable": _("Remove variable %(n)s"),
        "types": {"bool": _("yes / no"), "int": _("number"), "str": _("words")},
        "noStart": _("(no starting value)"),
        "yes": _("yes"),
        "no": _("no"),
        "badVariable": _("Use letters, digits and _ (not starting with a digit), a name no other variable has."),
        "cannotCheck": _("The story cannot be checked: %(error)s"),
        "drawing": _("The picture is on its way. You can keep writing."),
        "picked": _("Picture chosen for “%(title)s”."),
        "pickedUnsaved": _("Picture chosen for “%(title)s”. Save to keep it."),
        "pictureRemoved": _("Picture removed. Save to keep the change."),
        "pictureOf": _("Picture of %(title)s"),
        "needPrompt": _("Write what the picture should show."),
        "failed": _("Could not do that: %(error)s"),
        "keepOld": _("Keep the old picture"),
        "keepNew": _("Keep the new picture"),
        "keepNewN": _("Keep new picture %(n)s"),
        "pictureNow": _("The picture on “%(title)s” now"),
        "newPictureN": _("New picture %(n)s for “%(title)s”"),
        "playAt": _("Now reading: %(title)s"),
        "playEnded": _("The reader reached an ending: %(title)s"),
        "noValue": _("(no value yet)"),
    }


@login_required
# The play-test frame (srcdoc) is under this page's CSP too: the player's own script and style may run.
@csp_update({key: [source] for key, source in player_hash_sources().items()})  # type: ignore[arg-type]  # typed for views without URL arguments
def studio_home(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = _entry(request, entry_pk)
    work = selectors.work_for(entry)
    work = services.sync(work) if work is not None else None
    if work is None or work.document is None:
        theme = entry.theme.tr("title") if entry.theme else ""
        return render(request, "studio/start.html", {
            "entry": entry, "theme": theme, "can_generate": selectors.model_available("text"),
            "is_novel": entry.work_type == "novel", **_draft_context(request, work),
        })  # fmt: skip
    novel = kind.parse_document(work.document)
    return render(request, "studio/editor.html", {
        "entry": entry,
        "work": work,
        "document": work.document,
        "nodes": novel.nodes,
        "defects": kind.defects_of(novel),
        "labels": _js_labels(),
        "ending_labels": _ending_labels(),
        "can_generate": selectors.model_available("text"),
        "can_draw": selectors.model_available("image"),
        "styles": style_choices(),
        "competition": entry.category.competition,
        "state": {"handled": selectors.applied_text_jobs(work, NODE_TEXT)},
        **_jobs_context(work),
    })  # fmt: skip


@login_required
@require_POST
def start(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = _entry(request, entry_pk)
    try:
        if request.POST.get("source") == "generate":
            theme = (request.POST.get("theme") or "").strip()[:200] or entry.title
            request_draft(request.user, entry, theme=theme)  # type: ignore[arg-type]
        elif request.POST.get("source") == "import":
            import_story(request, entry)
        else:
            services.start(request.user, entry, WorkKind.NOVEL)  # type: ignore[arg-type]
    except PermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("studio-home", entry_pk=entry.pk)


def import_story(request: HttpRequest, entry: Entry) -> Work:
    """A Twee file or Twine 2 archive from the browser becomes the entry's new novel draft (its words
    screened by the services like every start)."""
    upload = request.FILES.get("story_file")
    if upload is None:
        raise ServiceError(_("Choose a file to import first."), "import_failed")
    data = upload.read(MAX_IMPORT_BYTES + 1)
    document, notes = kind.imported_document(upload.name or "", data)
    work = services.start(request.user, entry, WorkKind.NOVEL, exists_ok=False,  # type: ignore[arg-type]
                          document=document)  # fmt: skip
    parts = len(document.get("nodes", []))
    messages.success(request, ngettext("Your story is in the studio: %(n)d part.",
                                       "Your story is in the studio: %(n)d parts.", parts) % {"n": parts})  # fmt: skip
    if notes:
        messages.info(request, _("Some things in the file could not be kept: %s") % "; ".join(notes[:5]))
    return work


@login_required
@require_http_methods(["GET", "POST"])
def document(request: HttpRequest, pk: int) -> JsonResponse:
    work = _work(request, pk)
    if request.method == "GET":
        return JsonResponse({"document": work.document, "revision": work.revision,
                             "defects": kind.validate_document(work.document)})  # fmt: skip
    try:
        body = _json_body(request)
        revision = body.get("revision")
        if not isinstance(revision, int) or isinstance(revision, bool):
            raise ServiceError(_("The request could not be read."), "bad_request")
        work = services.save(request.user, work, document=body.get("document"), revision=revision)  # type: ignore[arg-type]
    except ServiceError as exc:
        return _error(exc)
    return JsonResponse({"revision": work.revision, "defects": kind.validate_document(work.document)})


@login_required
@require_POST
def check(request: HttpRequest, pk: int) -> JsonResponse:
    """The validator on the page's current (unsaved) document."""
    _work(request, pk)
    try:
        return JsonResponse({"defects": kind.validate_document(_json_body(request).get("document"))})
    except ServiceError as exc:
        return _error(exc)


@login_required
@require_http_methods(["GET", "POST"])
def player(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the saved story as a playable HTML download. POST {document}: the page's current story, for the
    play-test frame. Either way the response is sandboxed, so it never runs with the site's origin."""
    work = _work(request, pk)
    if request.method == "POST":
        try:
            html = kind.playable_html(work, _json_body(request).get("document"))
        except ServiceError as exc:
            return _error(exc)
    else:
        html = kind.playable_html(work)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = PLAYER_CSP
    if request.method == "GET":
        response["Content-Disposition"] = 'attachment; filename="novel.html"'
    return response


@login_required
@require_POST
def regenerate(request: HttpRequest, pk: int) -> JsonResponse:
    """Queue one part written again by the text model; the editor follows the job and brings the text in."""
    work = _work(request, pk)
    try:
        body = _json_body(request)
        item = services.request_text(request.user, work, NODE_TEXT, str(body.get("node") or ""),  # type: ignore[arg-type]
                                     document=body.get("document"))  # fmt: skip
    except ServiceError as exc:
        return _error(exc)
    return JsonResponse({"job": item.pk})


@login_required
@require_POST
def picture(request: HttpRequest, pk: int) -> JsonResponse:
    """Queue pictures for one part from the (editable) description; the student picks one when they arrive."""
    work = _work(request, pk)
    try:
        body = _json_body(request)
        item = request_picture(request.user, work, node_id=str(body.get("node") or ""),  # type: ignore[arg-type]
                               prompt=str(body.get("prompt") or ""))  # fmt: skip
    except ServiceError as exc:
        return _error(exc)
    return JsonResponse({"job": item.pk})


@login_required
@require_POST
def picture_prompt(request: HttpRequest, pk: int) -> JsonResponse:
    """A picture description built from a part: the style, then the part's title and first sentences."""
    _work(request, pk)
    try:
        body = _json_body(request)
    except ServiceError as exc:
        return _error(exc)
    prompt = kind.suggested_picture_prompt(str(body.get("title") or ""), str(body.get("text") or ""),
                                               str(body.get("style") or ""))  # fmt: skip
    return JsonResponse({"prompt": prompt})


@login_required
@require_POST
def pick(request: HttpRequest, pk: int) -> JsonResponse:
    work = _work(request, pk)
    try:
        body = _json_body(request)
        picked, revision = services.pick_picture(
            request.user, work, target=str(body.get("node") or ""), asset_pk=body.get("asset"),  # type: ignore[arg-type]
            alt=str(body.get("alt") or "")[:200],
        )  # fmt: skip
        illustration = NOVEL.illustration(picked)
    except ServiceError as exc:
        return _error(exc)
    return JsonResponse({"node": str(body.get("node")), "illustration": illustration, "revision": revision})


@login_required
def picture_file(request: HttpRequest, pk: int, asset_pk: int) -> HttpResponse:
    """A picture made for this story (a candidate or a chosen one)."""
    work = _work(request, pk)
    try:
        data = services.picture_bytes(work, asset_pk)
    except (ServiceError, OSError) as exc:
        raise Http404 from exc
    response = HttpResponse(data, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _job_reason(item: WorkJob) -> str:
    """Why a job gave nothing usable, in the page's language where we can say it ourselves."""
    from aigc_contest.safety import SafetyVerdict

    job = item.job
    if job.status == JobStatus.FAILED:
        event = refusal_for_job(job.pk)
        if event is not None:
            return SafetyVerdict.refused(event.category or "other", event.layer or None).message(language())
        return job.error or _("Something went wrong. Please try again.")
    notes = {
        "exists": _("The story had already been started, so this draft was not used."),
        "refused": _("The AI wrote something that cannot be used here. Please try again."),
        "invalid": _("The AI wrote something that cannot be used here. Please try again."),
    }
    return notes.get(item.note, "") if item.note else ""


def _jobs_context(work: Work) -> dict[str, Any]:
    titles = {n.get("id"): n.get("title") or n.get("id") for n in work.document.get("nodes", [])}
    items = selectors.visible_jobs(work, hidden_steps=(DRAFT,))
    positions = queue_positions_of(item.job for item in items)
    for item in items:
        item.label = str(NOVEL.steps.get(item.step, ""))
        item.part = titles.get(item.target, item.target)
        item.reason = _job_reason(item)
        item.position = positions.get(item.job.pk)
        item.is_test_model = item.step == PICTURE and selectors.is_test_model(item.job.params.get("model"))
    return {"work": work, "job_items": items, "busy": any(not i.job.is_final for i in items)}


@login_required
def jobs(request: HttpRequest, pk: int) -> JsonResponse:
    """For editor.js: the AI helpers panel (server-rendered), and the finished writing to bring in."""
    work = _work(request, pk)
    work = services.sync(work)
    context = _jobs_context(work)
    html = render_to_string("studio/_jobs.html", context, request=request)
    return JsonResponse({"revision": work.revision, "busy": context["busy"], "html": html,
                         "texts": selectors.finished_texts(work, NODE_TEXT)})  # fmt: skip


@login_required
@require_POST
def job_action(request: HttpRequest, pk: int) -> JsonResponse:
    work = _work(request, pk)
    try:
        body = _json_body(request)
        item = services.work_job(work, body.get("job"))
        action = body.get("action")
        if action == "retry":
            item = services.try_again(request.user, item)  # type: ignore[arg-type]
        elif action == "stop":
            services.stop(request.user, item)  # type: ignore[arg-type]
        elif action == "hide":
            services.dismiss(request.user, item)  # type: ignore[arg-type]
        else:
            raise ServiceError(_("The request could not be read."), "bad_request")
    except ServiceError as exc:
        return _error(exc)
    return JsonResponse({"job": item.pk})


def request_draft(actor: Any, entry: Entry, *, theme: str) -> WorkJob:
    """Queue the AI's first draft of the entry's story; the studio opens on it once the job is done."""
    work = services.start(actor, entry, WorkKind.NOVEL, draft=True)
    if work.document is not None:
        raise ServiceError(_("This entry already has a story in the studio."), "exists")
    return services.request_text(actor, work, DRAFT, theme=theme)


def request_picture(actor: Any, work: Work, *, node_id: str, prompt: str) -> WorkJob:
    """Queue pictures for one part from `prompt` (screened first); the student picks one when they arrive."""
    queued = services.queue_pictures(actor, work, [node_id], prompt=prompt)
    if not queued:
        raise ServiceError(_("A picture for this part is already being drawn."), "busy")
    return queued[0]


def _draft_context(request: HttpRequest, work: Work | None) -> dict[str, Any]:
    item = selectors.latest_job(work, DRAFT)
    if item is not None:
        item.reason = _job_reason(item)
        item.position = queue_position(item.job)
    return {"draft": item}


@login_required
def draft_status(request: HttpRequest, entry_pk: int) -> JsonResponse:
    """For draft.js on the start page: the first draft's progress, and whether the story is ready."""
    entry = _entry(request, entry_pk)
    work = selectors.work_for(entry)
    work = services.sync(work) if work is not None else None
    context = {"entry": entry, **_draft_context(request, work)}
    html = render_to_string("studio/_draft.html", context, request=request)
    return JsonResponse({"ready": work is not None and work.document is not None, "html": html})


@login_required
@require_POST
def draft_action(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = _entry(request, entry_pk)
    try:
        work = selectors.work_for(entry)
        if work is None:
            raise ServiceError(_("That job does not exist."), "not_found")
        item = services.work_job(work, int(request.POST.get("job") or 0))
        if request.POST.get("action") == "retry":
            services.try_again(request.user, item)  # type: ignore[arg-type]
        else:
            services.dismiss(request.user, item)  # type: ignore[arg-type]
    except PermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    except (ServiceError, ValueError) as exc:
        messages.error(request, exc.message if isinstance(exc, ServiceError) else _("The request could not be read."))
    return redirect("studio-home", entry_pk=entry.pk)


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    work = _work(request, pk)
    return submit_response(request, lambda: services.submit(request.user, work),  # type: ignore[arg-type]
                           entry_pk=work.entry_id, refused=redirect("studio-home", entry_pk=work.entry_id))
