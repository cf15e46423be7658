"""The fine-tuning pages: the training set, the recipe and the team's budget, training runs with their
loss curve, a LoRA trained elsewhere, the description, then send. And the organiser's limits."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aigc_contest.web.accounts.http import AuthenticatedHttpRequest
from aigc_contest.web.contests.models import Category
from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.core.shortcuts import require_perm
from aigc_contest.web.entries.models import Entry
from aigc_contest.web.finetuning import selectors, services
from aigc_contest.web.finetuning.forms import (
    DescriptionForm,
    ImagesForm,
    LimitsForm,
    LoraForm,
    RecipeForm,
    ZipForm,
)
from aigc_contest.web.jobs.models import FINAL_STATUSES
from aigc_contest.web.works import services as work_services
from aigc_contest.web.works.kinds.finetune import IMAGES_MAX, IMAGES_MIN, loss_curve_svg
from aigc_contest.web.works.models import Work, WorkKind
from aigc_contest.web.works.views import submit_confirmed

MAX_UPLOAD = 260 * 1024 * 1024


def _entry(request: HttpRequest, entry_pk: int, perm: str) -> Entry:
    entry = get_object_or_404(Entry.objects.select_related("team", "category__competition"), pk=entry_pk)
    require_perm(request, perm, entry)
    return entry


def _work(request: AuthenticatedHttpRequest, entry_pk: int) -> Work:
    entry = _entry(request, entry_pk, "finetuning.edit_model")
    return work_services.sync(work_services.start(request.user, entry, WorkKind.FINETUNE))


def _read(upload: Any) -> bytes:
    if getattr(upload, "size", 0) > MAX_UPLOAD:
        raise ServiceError(_("The file is too large."), "too_large")
    return bytes(upload.read(MAX_UPLOAD + 1))


def _revision(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("revision", 0))
    except ValueError:
        return 0


def _recipe_form(work: Work, data: Any = None) -> RecipeForm:
    limits = selectors.limits_for(work.entry.category)
    recipe = (work.document or {}).get("recipe") or {}
    bases = selectors.allowed_bases(limits)
    initial = {"revision": work.revision, "base": recipe.get("base") or (bases[0] if bases else ""),
               "rank": recipe.get("rank", min(max(4, limits.rank_min), limits.rank_max)),
               "steps": recipe.get("steps", min(max(500, limits.steps_min), limits.steps_max)),
               "resolution": recipe.get("resolution", min(max(512, limits.resolution_min), limits.resolution_max)),
               "learning_rate": recipe.get("learning_rate", min(max(1e-4, limits.learning_rate_min),
                                                                limits.learning_rate_max)),
               "seed": recipe.get("seed", 0)}  # fmt: skip
    return RecipeForm(data, initial=initial, limits=limits, bases=bases)


def _page(request: HttpRequest, work: Work, *, recipe_form: RecipeForm | None = None, status: int = 200) -> HttpResponse:
    document = work.document or {}
    run = selectors.latest_run(work)
    lora = document.get("lora")
    losses = (run.losses if run is not None and (lora is None or lora.get("job") != run.job_id) else None) \
        or (lora or {}).get("losses") or []  # fmt: skip
    going = run is not None and run.job.status not in FINAL_STATUSES
    limits = selectors.limits_for(work.entry.category)
    return render(request, "finetuning/editor.html", {
        "entry": work.entry, "work": work, "document": document, "images": document.get("images") or [],
        "images_min": IMAGES_MIN, "images_max": IMAGES_MAX, "recipe_form": recipe_form or _recipe_form(work),
        "budget": selectors.budget_of(work.entry.team, limits), "run": run, "going": going,
        "curve": mark_safe(loss_curve_svg(losses, title=_("Training loss"))),  # noqa: S308 - built from numbers only
        "has_bases": bool(selectors.allowed_bases(limits)), "lora": lora,
        "samples": [s for s in (lora or {}).get("samples") or [] if isinstance(s, dict) and s.get("path")],
        "lora_form": LoraForm(initial={"revision": work.revision}),
        "description_form": DescriptionForm(initial={"revision": work.revision,
                                                     "description": document.get("description", "")}),
    }, status=status)  # fmt: skip


@login_required
def editor(request: AuthenticatedHttpRequest, entry_pk: int) -> HttpResponse:
    return _page(request, _work(request, entry_pk))


# ---------------------------------------------------------------- the training set


@login_required
def training_set(request: AuthenticatedHttpRequest, entry_pk: int) -> HttpResponse:
    work = _work(request, entry_pk)
    if request.method == "POST":
        images = (work.document or {}).get("images") or []
        captions = [request.POST.get(f"caption_{i}", "") for i in range(len(images))]
        try:
            services.save_set(request.user, work, revision=_revision(request), captions=captions,
                              declaration=request.POST.get("declaration") == "yes")  # fmt: skip
            messages.success(request, _("Saved."))
        except ServiceError as exc:
            messages.error(request, exc.message)
        return redirect("finetune-set", entry_pk=entry_pk)
    document = work.document or {}
    images = document.get("images") or []
    duplicates = selectors.duplicates_of(images)
    rows = [{"index": i, **image, "duplicate_of": duplicates.get(i)} for i, image in enumerate(images)]
    return render(request, "finetuning/training_set.html", {
        "entry": work.entry, "work": work, "document": document, "rows": rows, "duplicates": len(duplicates),
        "images_min": IMAGES_MIN, "images_max": IMAGES_MAX,
        "images_form": ImagesForm(initial={"revision": work.revision}),
        "zip_form": ZipForm(initial={"revision": work.revision}),
    })  # fmt: skip


def _report(request: HttpRequest, report: services.SetReport) -> None:
    messages.success(request, _("%(n)d pictures added.") % {"n": report.added})
    for new, earlier in report.duplicates:
        messages.warning(request, _("%(new)s looks almost the same as %(old)s. Keep both only if they really "
                                    "differ.") % {"new": new, "old": earlier})  # fmt: skip


@login_required
@require_POST
def add_images(request: AuthenticatedHttpRequest, entry_pk: int) -> HttpResponse:
    work = _work(request, entry_pk)
    form = ImagesForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ServiceError(_("Choose at least one picture."), "invalid")
        files = [(upload.name, _read(upload)) for upload in form.cleaned_data["images"]]
        _work_after, report = services.add_images(request.user, work, revision=form.cleaned_data["revision"],
                                                  files=files)  # fmt: skip
        _report(request, report)
    except ServiceError as exc:
        messages.error(request, exc.message)  # the set is as it was
    return redirect("finetune-set", entry_pk=entry_pk)


@login_required
@require_POST
def add_zip(request: AuthenticatedHttpRequest, entry_pk: int) -> HttpResponse:
    work = _work(request, entry_pk)
    form = ZipForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ServiceError(_("Choose a ZIP archive."), "invalid")
        _work_after, report = services.add_zip(request.user, work, revision=form.cleaned_data["revision"],
                                               data=_read(form.cleaned_data["archive"]))  # fmt: skip
        _report(request, report)
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("finetune-set", entry_pk=entry_pk)


@login_required
@require_POST
def remove_image(request: AuthenticatedHttpRequest, entry_pk: int, index: int) -> HttpResponse:
    work = _work(request, entry_pk)
    try:
        services.remove_image(request.user, work, revision=_revision(request), index=index)
        messages.success(request, _("Picture removed."))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("finetune-set", entry_pk=entry_pk)


@login_required
def image(request: AuthenticatedHttpRequest, entry_pk: int, index: int) -> HttpResponseBase:
    """One picture of the set, for the team and its teachers only."""
    entry = _entry(request, entry_pk, "finetuning.view_training_set")
    work = Work.objects.filter(entry=entry).first()
    images = ((work.document if work else None) or {}).get("images") or []
    if not 0 <= index < len(images):
        raise Http404
    path = images[index]["path"]
    response = FileResponse(default_storage.open(path, "rb"), content_type=_image_type(path))
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _lora_of(entry: Entry) -> dict[str, Any]:
    work = Work.objects.filter(entry=entry).first()
    lora = ((work.document if work else None) or {}).get("lora")
    if not isinstance(lora, dict) or not lora.get("path"):
        raise Http404
    return lora


def _image_type(path: str) -> str:
    return {"png": "image/png", "webp": "image/webp"}.get(path.rsplit(".", 1)[-1].lower(), "image/jpeg")


@login_required
def sample(request: AuthenticatedHttpRequest, entry_pk: int, index: int) -> HttpResponseBase:
    """One sample picture of the LoRA (screened when it was made), for the team and its teachers."""
    entry = _entry(request, entry_pk, "finetuning.view_training_set")
    samples = [s for s in _lora_of(entry).get("samples") or [] if isinstance(s, dict) and s.get("path")]
    if not 0 <= index < len(samples):
        raise Http404
    path = str(samples[index]["path"])
    response = FileResponse(default_storage.open(path, "rb"), content_type=_image_type(path))
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def download_lora(request: AuthenticatedHttpRequest, entry_pk: int, fmt: str) -> HttpResponseBase:
    """The team's LoRA as a .safetensors file in the diffusers or the Kohya key layout (converted here by
    `finetune.convert.export_lora` when the stored file is in the other layout)."""
    entry = _entry(request, entry_pk, "finetuning.view_training_set")
    if fmt not in ("diffusers", "kohya"):
        raise Http404
    lora = _lora_of(entry)
    filename = f"{slugify(entry.title) or 'lora'}-{fmt}.safetensors"
    try:
        data = services.lora_bytes(lora, fmt)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("finetune-editor", entry_pk=entry_pk)
    response = HttpResponse(data, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- recipe, training, LoRA, description, send


@login_required
@require_POST
def recipe(request: AuthenticatedHttpRequest, entry_pk: int) -> HttpResponse:
    work = _work(request, entry_pk)
    form = _recipe_form(work, request.POST)
    if not form.is_valid():
        return _page(request, work, recipe_form=form, status=400)
    try:
        services.save_recipe(request.user, work, revision=form.cleaned_data["revision"], recipe=form.recipe())
    except ServiceError as exc:
        form.add_error(None, exc.message)
        return _page(request, work, recipe_form=form, status=400)
    messages.success(request, _("Recipe saved."))
    return redirect("finetune-editor", entry_pk=entry_pk)


@login_required
@require_POST
def train(request: AuthenticatedHttpRequest, entry_pk: int) -> HttpResponse:
    work = _work(request, entry_pk)
    try:
        services.start_training(request.user, work)
        messages.success(request, _("Training is waiting for a free training computer."))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("finetune-editor", entry_pk=entry_pk)


@login_required
@require_POST
def cancel(request: AuthenticatedHttpRequest, entry_pk: int) -> HttpResponse:
    work = _work(request, entry_pk)
    try:
        services.cancel_training(request.user, work)
        messages.success(request, _("Training stopped. The steps it took count against your budget."))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("finetune-editor", entry_pk=entry_pk)


@login_required
@require_POST
def upload_lora(request: AuthenticatedHttpRequest, entry_pk: int) -> HttpResponse:
    work = _work(request, entry_pk)
    form = LoraForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ServiceError(_("Choose a LoRA file."), "invalid")
        upload = form.cleaned_data["lora"]
        services.upload_lora(request.user, work, revision=form.cleaned_data["revision"], filename=upload.name,
                             data=_read(upload))  # fmt: skip
        messages.success(request, _("LoRA added."))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("finetune-editor", entry_pk=entry_pk)


@login_required
@require_POST
def description(request: AuthenticatedHttpRequest, entry_pk: int) -> HttpResponse:
    work = _work(request, entry_pk)
    form = DescriptionForm(request.POST)
    try:
        if not form.is_valid():
            raise ServiceError(_("Describe the model in up to 4000 characters."), "invalid")
        services.save_description(request.user, work, revision=form.cleaned_data["revision"],
                                  description=form.cleaned_data["description"])  # fmt: skip
        messages.success(request, _("Saved."))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("finetune-editor", entry_pk=entry_pk)


@login_required
@require_POST
def submit(request: AuthenticatedHttpRequest, entry_pk: int) -> HttpResponse:
    return submit_confirmed(request, _work(request, entry_pk), editor="finetune-editor",
                            unconfirmed=_("Tick the box to confirm you want to send the model."), sent=_("Your fine-tuned model has been sent."))


# ---------------------------------------------------------------- the organiser's limits


@login_required
def limits(request: AuthenticatedHttpRequest, category_pk: int) -> HttpResponse:
    category = get_object_or_404(Category.objects.select_related("competition"), pk=category_pk)
    require_perm(request, "finetuning.set_limits", category)
    current = selectors.limits_for(category)
    form = LimitsForm(request.POST or None, instance=current, available=selectors.trainable_models())
    if request.method == "POST" and form.is_valid():
        try:
            services.save_limits(request.user, category, form.values())
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Fine-tuning limits saved."))
            return redirect("finetune-limits", category_pk=category_pk)
    teams = [(team, selectors.budget_of(team, current)) for team in category.teams.order_by("name")]
    return render(request, "finetuning/limits.html", {"category": category, "competition": category.competition,
                                                      "form": form, "step": "categories", "teams": teams},
                  status=400 if form.is_bound else 200)  # fmt: skip
