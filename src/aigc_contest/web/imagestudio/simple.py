"""Simple steps: the image studio one step per screen, for students who need learning support.

1 "Your idea" (picture cards, voice, typing) → 2 "Your pictures" (a waiting screen, then one big button per
picture) → 3 "Check your picture" → 4 "Send it", behind a "Are you sure?" screen; taking a sent picture
back has its own "Are you sure?" screen too. The screens say no hashes, versions, seeds or model names;
every control is a real button or link at least 64 px tall, so the keyboard and switch access reach it.

The rules are the image studio's and the entries app's: the idea is screened like on the full page
(the same kind message, the same audit record), picking a picture is the full page's own `pick` (so the
picture's checks and provenance are the same), and sending and taking back are entries' services.
"""

from __future__ import annotations

import secrets
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from aigc_contest.web.accounts.http import AuthenticatedHttpRequest
from aigc_contest.web.core.errors import PermissionDenied, ServiceError
from aigc_contest.web.core.shortcuts import require_perm
from aigc_contest.web.entries import services as entry_services
from aigc_contest.web.entries.models import Entry
from aigc_contest.web.imagestudio import views
from aigc_contest.web.imagestudio.examples import examples_for
from aigc_contest.web.imagestudio.forms import PROMPT_MAX, SEED_MAX, MakePicturesForm
from aigc_contest.web.imagestudio.picture_cards import cards_for
from aigc_contest.web.jobs import selectors as job_selectors
from aigc_contest.web.jobs.models import Job, JobStatus
from aigc_contest.web.works import services as work_services
from aigc_contest.web.works.models import WorkKind

PICTURES = 2  # two big pictures to choose from: a choice, not a puzzle
STEPS = 4


def _screen(
    request: HttpRequest, entry: Entry, template: str, step: int, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {"entry": entry, "step": step, "steps": range(1, STEPS + 1), "step_count": STEPS, **extra}
    return render(request, f"imagestudio/simple/{template}", context, status=status)


def _job(request: HttpRequest, job_pk: int) -> Job:
    job = job_selectors.job_with_assets(job_pk)
    if job is None or job.kind != "image":
        raise Http404
    require_perm(request, "jobs.view_job", job)
    return job


def _words(entry: Entry) -> str:
    """The child's own words for the draft picture (kept in its provenance), for its description."""
    provenance = (entry.draft_meta or {}).get("provenance") or {}
    return str(provenance.get("original_prompt") or provenance.get("prompt") or entry.description or "")


@login_required
def start(request: HttpRequest, entry_pk: int) -> HttpResponse:
    """Where the child left off: a sent picture, a picture to check, or a new idea."""
    entry = views._entry(request, entry_pk)
    if entry.status == Entry.Status.SUBMITTED:
        return redirect("image-simple-sent", entry_pk=entry.pk)
    if entry.draft_file and entry.draft_mime.startswith("image/"):
        return redirect("image-simple-check", entry_pk=entry.pk)
    return redirect("image-simple-idea", entry_pk=entry.pk)


@login_required
def idea(request: HttpRequest, entry_pk: int) -> HttpResponse:
    """Step 1: the idea, from picture cards, the microphone or typing; then the pictures are made."""
    entry = views._entry(request, entry_pk)
    models = views.image_models()
    prompt_lang, _examples = examples_for(get_language())
    _, picture_cards = cards_for(get_language())
    context: dict[str, Any] = {"has_models": bool(models), "picture_cards": picture_cards,
                               "prompt_lang": prompt_lang, "prompt_max": PROMPT_MAX, "words": "", "problem": ""}  # fmt: skip
    if request.method != "POST" or not models:
        return _screen(request, entry, "idea.html", 1, **context)
    form = MakePicturesForm(
        {
            "prompt": request.POST.get("prompt", ""),
            "model": models[0][0],
            "n": PICTURES,
            "negative_prompt": "",
        },
        models=models,
    )
    if not form.is_valid():
        problem = form.errors.get("prompt") or form.non_field_errors()
        context.update(
            words=request.POST.get("prompt", "")[:PROMPT_MAX], problem=" ".join(str(p) for p in problem)
        )
        return _screen(request, entry, "idea.html", 1, status=400, **context)
    words = form.cleaned_data["prompt"]
    try:  # the one path for pictures: screened, the school's safety settings attached, queued
        work = work_services.start(request.user, entry, WorkKind.IMAGE)  # type: ignore[arg-type]
        item = work_services.queue_pictures(
            request.user, work, [""], model=form.cleaned_data["model"], prompt=words,  # type: ignore[arg-type]
            negative_prompt="", n=PICTURES, seed=secrets.randbelow(SEED_MAX + 1),
        )[0]
    except ServiceError as exc:
        if exc.code == "refused":  # the kind message, never the words that were blocked
            context.update(refusal=exc.message)
        else:
            context.update(words=words, problem=exc.message)
        return _screen(request, entry, "idea.html", 1, status=400, **context)
    return redirect("image-simple-pictures", entry_pk=entry.pk, job_pk=item.job_id)


def _job_problem(job: Job) -> str:
    """Why a finished job has no pictures, in a child's words."""
    refusal = views._job_refusal(job)
    if refusal:
        return refusal
    if job.status == JobStatus.CANCELLED:
        return _("Making the pictures was stopped.")
    return _("The pictures could not be made this time. Please try again.")


@login_required
def pictures(request: HttpRequest, entry_pk: int, job_pk: int) -> HttpResponse:
    """Step 2: wait for the pictures (the page follows by itself), then choose one with a big button."""
    entry = views._entry(request, entry_pk)
    job = _job(request, job_pk)
    if request.method == "POST":
        return _choose(request, entry)
    if not job.is_final:
        job.position = job_selectors.queue_position(job)
        return _screen(request, entry, "wait.html", 2, job=job)
    if job.status != JobStatus.SUCCEEDED:
        return _screen(request, entry, "wait.html", 2, job=job, problem=_job_problem(job))
    return _screen(request, entry, "choose.html", 2, job=job, assets=list(job.assets.all()))


@login_required
def progress(request: HttpRequest, entry_pk: int, job_pk: int) -> JsonResponse:
    """How far the pictures are, for the waiting screen's script."""
    views._entry(request, entry_pk)
    job = _job(request, job_pk)
    return JsonResponse({"final": job.is_final, "percent": job.percent})


def _choose(request: HttpRequest, entry: Entry) -> HttpResponse:
    """The full page's `pick` (same checks, same provenance), with the simple steps around it."""
    response = views.pick(cast(AuthenticatedHttpRequest, request), entry.pk)
    if getattr(response, "url", "") == reverse("entry-detail", args=[entry.pk]):
        for _message in messages.get_messages(request):
            pass  # the full page's "draft" wording is not shown here; the next screen says it simply
        return redirect("image-simple-check", entry_pk=entry.pk)
    return redirect(request.get_full_path())


@login_required
def check(request: HttpRequest, entry_pk: int) -> HttpResponse:
    """Step 3: the chosen picture, big, with "Send it" and "Make a different picture"."""
    entry = views._entry(request, entry_pk)
    if not entry.draft_file:
        return redirect("image-simple-idea", entry_pk=entry.pk)
    return _screen(request, entry, "check.html", 3, words=_words(entry),
                   accepts=entry.category.competition.accepts_submissions())  # fmt: skip


@login_required
def send(request: HttpRequest, entry_pk: int) -> HttpResponse:
    """Step 4: "Are you sure?", then the picture is submitted (entries' own submission rules)."""
    entry = views._entry(request, entry_pk)
    if not entry.draft_file:
        return redirect("image-simple-idea", entry_pk=entry.pk)
    if request.method == "POST":
        try:
            entry_services.submit_entry(request.user, entry)  # type: ignore[arg-type]
        except PermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect("image-simple-check", entry_pk=entry.pk)
        return redirect("image-simple-sent", entry_pk=entry.pk)
    return _screen(request, entry, "confirm.html", 4, words=_words(entry), action="send")


@login_required
def sent(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = views._entry(request, entry_pk)
    if entry.status != Entry.Status.SUBMITTED:
        return redirect("image-simple", entry_pk=entry.pk)
    return _screen(request, entry, "sent.html", 4, words=_words(entry))


@login_required
def take_back(request: HttpRequest, entry_pk: int) -> HttpResponse:
    """ "Are you sure?", then the sent picture is withdrawn (it stays, ready to be sent again)."""
    entry = views._entry(request, entry_pk)
    if entry.status != Entry.Status.SUBMITTED:
        return redirect("image-simple", entry_pk=entry.pk)
    if request.method == "POST":
        try:
            entry_services.withdraw_entry(request.user, entry)  # type: ignore[arg-type]
        except PermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect("image-simple-sent", entry_pk=entry.pk)
        messages.success(
            request, _("Your picture was taken back. You can send it again before the closing day.")
        )
        return redirect("image-simple-check", entry_pk=entry.pk)
    return _screen(request, entry, "confirm.html", 4, words=_words(entry), action="take-back")
