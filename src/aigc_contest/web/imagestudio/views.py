"""The image studio: a student (or their teacher) describes a picture, the platform makes a few as an
"image" job with live progress, and the one they pick becomes the entry's draft, provenance included.

Every prompt is screened with the school's safety settings before the job is queued; a refusal is
recorded for the teachers and shown as a kind message in the page's language, without the words that
were blocked. The job carries the same settings, so the worker screens with them too.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aigc_contest.safety import DEFAULT_POLICY, SafetyVerdict, check_image, check_text
from aigc_contest.web.accounts.http import AuthenticatedHttpRequest
from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.core.shortcuts import require_perm
from aigc_contest.web.entries import services as entry_services
from aigc_contest.web.entries.models import Entry
from aigc_contest.web.entries.views import entry_for
from aigc_contest.web.imagestudio.examples import examples_for
from aigc_contest.web.imagestudio.forms import SEED_MAX, MakePicturesForm, PickForm
from aigc_contest.web.imagestudio.picture_cards import cards_for
from aigc_contest.web.jobs import selectors as job_selectors
from aigc_contest.web.jobs import services as job_services
from aigc_contest.web.jobs.kinds import SAFETY_POLICY_PARAM
from aigc_contest.web.jobs.models import Job, JobAsset, JobStatus
from aigc_contest.web.moderation import selectors as moderation_selectors
from aigc_contest.web.moderation.models import SafetyEvent
from aigc_contest.web.moderation.services import record_verdict

RECENT_JOBS = 4


def _entry(request: HttpRequest, entry_pk: int) -> Entry:
    return entry_for(request, entry_pk, "imagestudio.create_images")


def image_models() -> list[tuple[str, str]]:
    """(name, label) of every image model in the models file; test models say so in their label."""
    from aigc_contest.generation.registry import RegistryError, shared_registry

    try:
        registry = shared_registry()
    except RegistryError:
        return []
    choices = []
    for name in registry.names("image"):
        entry = registry.get(name)
        choices.append((name, f"{name} — {_('test model (random weights)')}" if entry.test_model else name))
    return choices


def _model_size(name: str) -> tuple[int, int]:
    from aigc_contest.generation.registry import shared_registry

    return shared_registry().get(name).defaults.size_tuple() or (512, 512)


def _kind_message(verdict: SafetyVerdict) -> str:
    return verdict.message(get_language() or "en")


def _job_refusal(job: Job) -> str | None:
    """The kind safety message for a job the worker refused, in the page's language."""
    if job.status != JobStatus.FAILED:
        return None
    event = moderation_selectors.refusal_for_job(job.pk)
    if event is None:
        return None
    return _kind_message(SafetyVerdict.refused(event.category or "other", event.layer or None))


def _card_context(entry: Entry, job: Job) -> dict[str, Any]:
    job.position = job_selectors.queue_position(job)
    return {"entry": entry, "job": job, "refusal": _job_refusal(job), "caption": entry.description}


def _page(request: HttpRequest, entry: Entry, form: MakePicturesForm, *, refusal: str = "", status: int = 200) -> HttpResponse:
    models = image_models()
    jobs = list(job_selectors.jobs_of(request.user).filter(kind="image")[:RECENT_JOBS])
    wanted = request.GET.get("job", "")
    if wanted.isdigit() and all(job.pk != int(wanted) for job in jobs):
        job = job_selectors.job_with_assets(int(wanted))
        if job is not None and job.kind == "image" and request.user.has_perm("jobs.view_job", job):
            jobs.insert(0, job)
    prompt_lang, examples = examples_for(get_language())
    _, picture_cards = cards_for(get_language())
    return render(
        request,
        "studio/image_studio.html",
        {
            "entry": entry,
            "form": form,
            "has_models": bool(models),
            "refusal": refusal,
            "cards": [_card_context(entry, job) for job in jobs],
            "examples": examples,
            "prompt_lang": prompt_lang,
            "picture_cards": picture_cards,
            "seed_max": SEED_MAX,
        },
        status=status,
    )


@login_required
def studio(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = _entry(request, entry_pk)
    models = image_models()
    form = MakePicturesForm(models=models, initial={"model": models[0][0] if models else None})
    return _page(request, entry, form)


@login_required
@require_POST
def make_pictures(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = _entry(request, entry_pk)
    form = MakePicturesForm(request.POST, models=image_models())
    if not form.is_valid():
        return _page(request, entry, form, status=400)
    data = form.cleaned_data
    policy = moderation_selectors.policy_for(request.user)
    verdict = check_text(data["prompt"], policy)
    record_verdict(request.user, SafetyEvent.Where.PROMPT, verdict, data["prompt"])
    if not verdict.allowed:
        # The refused words are not put back into the page: the child starts again from a kind message.
        fresh = MakePicturesForm(
            models=image_models(),
            initial={"model": data["model"], "n": data["n"], "negative_prompt": data["negative_prompt"]},
        )
        return _page(request, entry, fresh, refusal=_kind_message(verdict), status=400)
    width, height = _model_size(data["model"])
    params: dict[str, Any] = {
        "model": data["model"],
        "prompt": data["prompt"],
        "negative_prompt": data["negative_prompt"],
        "n": data["n"],
        "seed": data["seed"] if data["seed"] is not None else secrets.randbelow(SEED_MAX + 1),
        "width": width,
        "height": height,
    }
    if policy is not DEFAULT_POLICY:
        params[SAFETY_POLICY_PARAM] = policy.model_dump(mode="json", exclude_defaults=True)
    try:
        job = job_services.submit_job(request.user, "image", params)
    except ServiceError as exc:
        form.add_error(None, exc.message)
        return _page(request, entry, form, status=400)
    return redirect(f"{reverse('image-studio', args=[entry.pk])}?job={job.pk}#job-{job.pk}")


@login_required
def job_card(request: HttpRequest, entry_pk: int, job_pk: int) -> HttpResponse:
    """One job's card, re-fetched by static/js/jobs.js until the job is final."""
    entry = _entry(request, entry_pk)
    job = job_selectors.job_with_assets(job_pk)
    if job is None or job.kind != "image":
        raise Http404
    require_perm(request, "jobs.view_job", job)
    return render(request, "studio/_image_job.html", _card_context(entry, job))


@login_required
@require_POST
def pick(request: AuthenticatedHttpRequest, entry_pk: int) -> HttpResponse:
    """The chosen picture becomes the entry's draft (the PNG as made, provenance chunks and all)."""
    from aigc_contest.generation.provenance import read_provenance

    entry = _entry(request, entry_pk)
    form = PickForm(request.POST)
    back = redirect("image-studio", entry_pk=entry.pk)
    if not form.is_valid():
        messages.error(request, _("Please choose one of your pictures."))
        return back
    asset = get_object_or_404(JobAsset.objects.select_related("job__owner"), pk=form.cleaned_data["asset"])
    job = asset.job
    require_perm(request, "jobs.view_job", job)
    makers = {entry.team.supervising_teacher_id, request.user.pk, *entry.team.members.values_list("pk", flat=True)}
    if job.kind != "image" or job.status != JobStatus.SUCCEEDED or job.owner_id not in makers:
        messages.error(request, _("That picture cannot be used for this entry."))
        return back
    caption = form.cleaned_data["caption"].strip()
    policy = moderation_selectors.policy_for(job.owner)
    if caption:
        verdict = check_text(caption, policy)
        record_verdict(request.user, SafetyEvent.Where.PROMPT, verdict, caption)
        if not verdict.allowed:
            messages.error(request, _kind_message(verdict))
            return back
    with asset.file.open("rb") as handle:
        data = handle.read()
    verdict = check_image(data, policy)  # the school's own picture settings may be stricter than the worker's
    record_verdict(request.user, SafetyEvent.Where.GENERATED_IMAGE, verdict, data=data, job=job)
    if not verdict.allowed:
        messages.error(request, _kind_message(verdict))
        return back
    try:
        info = read_provenance(data)
    except ValueError:
        messages.error(request, _("That picture cannot be used for this entry."))
        return back
    seed = info.seed if info.seed is not None else asset.index
    meta = {
        "width": info.width,
        "height": info.height,
        "job": job.pk,
        "provenance": info.provenance.model_dump(mode="json") if info.provenance else None,
        "aigc_label": info.aigc_label,
    }
    try:
        entry_services.set_draft_from_work(
            request.user, entry, filename=f"picture-seed{seed}.png", data=data, mime="image/png", meta=meta
        )
        if caption:
            entry_services.update_draft(request.user, entry, title=entry.title, description=caption, theme=entry.theme)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return back
    messages.success(request, _("Your picture is now your draft. Check it, then submit it when you are ready."))
    return redirect("entry-detail", pk=entry.pk)
