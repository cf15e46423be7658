"""The image studio: a student (or their teacher) describes a picture, the platform makes a few as an
"image" job with live progress, and the one they pick becomes the entry's draft, provenance included.

Every prompt is screened with the school's safety settings before the job is queued; a refusal is
recorded for the teachers and shown as a kind message in the page's language, without the words that
were blocked. The job carries the same settings, so the worker screens with them too.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aigc_contest.safety import SafetyVerdict
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
from aigc_contest.web.jobs.models import Job, JobAsset, JobStatus
from aigc_contest.web.moderation import selectors as moderation_selectors
from aigc_contest.web.works import selectors, services
from aigc_contest.web.works.forms import LoraPickForm, initial_for
from aigc_contest.web.works.models import WorkKind

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


def _lora_form(request: HttpRequest, entry: Entry, data: Any = None) -> LoraPickForm | None:
    """The team's fine-tuned models for the picture makers on offer; None when there are none."""
    names = {name for name, _label in image_models()}
    offered = [lora for lora in selectors.loras_for(request.user, entry) if lora.base_model in names]
    if not offered:
        return None
    return LoraPickForm(data, offered=offered, initial=initial_for(selectors.work_for(entry)))


def _page(request: HttpRequest, entry: Entry, form: MakePicturesForm, *, refusal: str = "", status: int = 200,
          lora_form: LoraPickForm | None = None) -> HttpResponse:  # fmt: skip
    models = image_models()
    work = selectors.work_for(entry)
    jobs = [item.job for item in work.jobs.select_related("job")[:RECENT_JOBS]] if work is not None else []
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
            "lora_form": lora_form or _lora_form(request, entry),
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
def make_pictures(request: AuthenticatedHttpRequest, entry_pk: int) -> HttpResponse:
    entry = _entry(request, entry_pk)
    form = MakePicturesForm(request.POST, models=image_models())
    lora_form = _lora_form(request, entry, request.POST)
    if not form.is_valid() or (lora_form is not None and not lora_form.is_valid()):
        return _page(request, entry, form, status=400, lora_form=lora_form)
    data = form.cleaned_data
    try:
        work = services.start(request.user, entry, WorkKind.IMAGE)
        source, weight = lora_form.choice() if lora_form is not None else (None, 0.0)
        services.set_lora(request.user, work, source, weight, model=data["model"])
        item = services.queue_pictures(request.user, work, [""], model=data["model"], prompt=data["prompt"],
                                       negative_prompt=data["negative_prompt"], n=data["n"], seed=data["seed"])[0]  # fmt: skip
    except ServiceError as exc:
        if exc.code == "refused":
            # The refused words are not put back into the page: the child starts again from a kind message.
            fresh = MakePicturesForm(
                models=image_models(),
                initial={"model": data["model"], "n": data["n"], "negative_prompt": data["negative_prompt"]},
            )
            return _page(request, entry, fresh, refusal=exc.message, status=400, lora_form=lora_form)
        form.add_error(None, exc.message)
        return _page(request, entry, form, status=400, lora_form=lora_form)
    return redirect(f"{reverse('image-studio', args=[entry.pk])}?job={item.job_id}#job-{item.job_id}")


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
    entry = _entry(request, entry_pk)
    form = PickForm(request.POST)
    back = redirect("image-studio", entry_pk=entry.pk)
    if not form.is_valid():
        messages.error(request, _("Please choose one of your pictures."))
        return back
    asset = get_object_or_404(JobAsset.objects.select_related("job"), pk=form.cleaned_data["asset"])
    require_perm(request, "jobs.view_job", asset.job)  # not even whether someone else's picture exists
    work = selectors.work_for(entry)
    caption = form.cleaned_data["caption"].strip()
    try:
        if work is None or work.kind != WorkKind.IMAGE:
            raise ServiceError(_("That picture cannot be used for this entry."), "not_found")
        services.pick_picture(request.user, work, target="", asset_pk=form.cleaned_data["asset"], alt=caption)
        services.store_draft(request.user, work)
        if caption:
            entry_services.update_draft(request.user, entry, title=entry.title, description=caption, theme=entry.theme)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return back
    messages.success(request, _("Your picture is now your draft. Check it, then submit it when you are ready."))
    return redirect("entry-detail", pk=entry.pk)
