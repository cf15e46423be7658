"""Writes of the fine-tuning pages: the training set (pictures one by one or as a ZIP, captions, the
declaration), the recipe within the organiser's limits, training runs as jobs charged to the team's
compute budget, a LoRA trained elsewhere, the description, and the organiser's limits.

Every change to the work goes through the works services (one save path, one revision check); an upload
is checked completely before anything is stored, so a refused one leaves the draft as it was.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from aigc_contest.safety import check_image
from aigc_contest.web.accounts.models import User
from aigc_contest.web.contests.models import Category
from aigc_contest.web.core.errors import ServiceError, require
from aigc_contest.web.entries.models import Team
from aigc_contest.web.finetuning import selectors
from aigc_contest.web.finetuning.images import dhash
from aigc_contest.web.finetuning.models import FinetuneLimits, TrainingRun
from aigc_contest.web.jobs.models import FINAL_STATUSES, JobStatus
from aigc_contest.web.moderation.models import SafetyEvent
from aigc_contest.web.moderation.selectors import policy_for
from aigc_contest.web.moderation.services import record_verdict
from aigc_contest.web.works import services as work_services
from aigc_contest.web.works.base import Words, screen
from aigc_contest.web.works.kinds.finetune import CAPTION_MAX, IMAGES_MAX, IMAGES_MIN, TRAIN_STEP
from aigc_contest.web.works.models import Work
from aigc_contest.works.archives import ArchiveRejected, read_zip
from aigc_contest.works.uploads import UploadRejected, inspect_upload

TRAIN_JOB = "finetune.train"
IMAGE_MAX_BYTES = 8 * 1024 * 1024
IMAGE_MAX_PIXELS = 16_000_000
IMAGE_MIN_SIDE = 64
ZIP_MAX_BYTES = 200 * 1024 * 1024
ZIP_MAX_TOTAL_BYTES = 400 * 1024 * 1024
LORA_MAX_BYTES = 256 * 1024 * 1024
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
PICKLE_SUFFIXES = (".ckpt", ".pt", ".pth", ".bin", ".pkl", ".pickle")


def _document(work: Work) -> dict[str, Any]:
    return dict(work.document or {})


def _save(actor: User, work: Work, revision: int, **changes: Any) -> Work:
    return work_services.save(actor, work, document={**_document(work), **changes}, revision=revision)


# ---------------------------------------------------------------- the training set


@dataclass
class SetReport:
    added: int = 0
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (new picture, the one it resembles)


def _checked_image(actor: User, name: str, data: bytes) -> dict[str, Any]:
    """One picture of the set, checked like an upload and screened, or ServiceError naming the file."""
    label = PurePosixPath(name).name[:120] or _("a picture")
    try:
        info = inspect_upload(data, allowed={"png", "jpeg", "webp"}, max_bytes=IMAGE_MAX_BYTES,
                              max_pixels=IMAGE_MAX_PIXELS)  # fmt: skip
    except UploadRejected as exc:
        raise ServiceError(_("%(file)s was not added: %(reason)s") % {"file": label, "reason": exc.reason},
                           exc.code) from exc  # fmt: skip
    if min(info.width or 0, info.height or 0) < IMAGE_MIN_SIDE:
        raise ServiceError(_("%(file)s was not added: each side must be at least %(n)d pixels.")
                           % {"file": label, "n": IMAGE_MIN_SIDE}, "too_small")  # fmt: skip
    verdict = check_image(data, policy_for(actor))
    record_verdict(actor, SafetyEvent.Where.UPLOAD, verdict, label)
    if not verdict.allowed:
        raise ServiceError(_("%(file)s cannot be used for training. Please choose another picture.")
                           % {"file": label}, "refused")  # fmt: skip
    return {"name": label, "sha256": info.sha256, "width": info.width, "height": info.height,
            "extension": info.extension, "dhash": dhash(data), "data": data}  # fmt: skip


def add_images(
    actor: User, work: Work, *, revision: int, files: list[tuple[str, bytes]], captions: dict[str, str] | None = None
) -> tuple[Work, SetReport]:
    """Pictures join the set only all together: every one is checked first, and one refusal stores nothing."""
    require(actor, "finetuning.edit_model", work.entry)
    images = list(_document(work).get("images") or [])
    if not files:
        raise ServiceError(_("Choose at least one picture."), "empty")
    if len(images) + len(files) > IMAGES_MAX:
        raise ServiceError(_("A training set holds at most %(n)d pictures; this would make %(m)d.")
                           % {"n": IMAGES_MAX, "m": len(images) + len(files)}, "too_many")  # fmt: skip
    captions = captions or {}
    checked = [(name, _checked_image(actor, name, data)) for name, data in files]
    words = [Words(" ".join(text.split())[:CAPTION_MAX]) for text in captions.values()]
    screen(actor, words, SafetyEvent.Where.UPLOAD)
    known = {i.get("sha256") for i in images}
    report = SetReport()
    for name, item in checked:
        if item["sha256"] in known:
            continue  # the very same file again: once is enough
        known.add(item["sha256"])
        data = item.pop("data")
        extension = item.pop("extension")
        item["path"] = work_services.attach_file(actor, work, data=data, extension=extension.lstrip("."))
        item["caption"] = captions.get(name, "")
        images.append(item)
        report.added += 1
    duplicates = selectors.duplicates_of(images)
    for index, earlier in duplicates.items():
        if index >= len(images) - report.added:
            report.duplicates.append((images[index]["name"], images[earlier]["name"]))
    return _save(actor, work, revision, images=images), report


def add_zip(actor: User, work: Work, *, revision: int, data: bytes) -> tuple[Work, SetReport]:
    """A ZIP of pictures with optional captions (`cat.png` + `cat.txt`), checked member by member first
    (links, paths outside the folder, bombs, sizes), then each picture as an upload."""
    require(actor, "finetuning.edit_model", work.entry)
    if len(data) > ZIP_MAX_BYTES:
        raise ServiceError(_("The archive is larger than %(mb)d MB.") % {"mb": ZIP_MAX_BYTES // 2**20}, "too_large")
    try:
        contents = read_zip(data, suffixes=(*IMAGE_SUFFIXES, ".txt"), skip_other_kinds=True,
                            max_members=2 * IMAGES_MAX + 1, max_member_bytes=IMAGE_MAX_BYTES,
                            max_total_bytes=ZIP_MAX_TOTAL_BYTES)  # fmt: skip
    except ArchiveRejected as exc:
        raise ServiceError(_("The archive was not added: %(reason)s") % {"reason": exc.reason}, exc.code) from exc
    texts = {m.name.rsplit(".", 1)[0]: m.data for m in contents.members if m.name.lower().endswith(".txt")}
    files, captions = [], {}
    for member in contents.members:
        if not member.name.lower().endswith(IMAGE_SUFFIXES):
            continue
        files.append((member.name, member.data))
        caption = texts.get(member.name.rsplit(".", 1)[0])
        if caption is not None:
            captions[PurePosixPath(member.name).name[:120]] = caption.decode("utf-8", "replace").strip()
    if not files:
        raise ServiceError(_("The archive holds no PNG, JPEG or WebP pictures."), "empty")
    return add_images(actor, work, revision=revision, files=[(PurePosixPath(n).name[:120], d) for n, d in files],
                      captions=captions)  # fmt: skip


def save_set(actor: User, work: Work, *, revision: int, captions: list[str], declaration: bool) -> Work:
    """The captions typed on the page (one per picture, in order) and the declaration."""
    require(actor, "finetuning.edit_model", work.entry)
    images = [dict(i) for i in _document(work).get("images") or []]
    if len(captions) != len(images):
        raise ServiceError(_("The set changed while you were editing. Reload the page and try again."), "stale")
    for item, caption in zip(images, captions, strict=True):
        item["caption"] = " ".join(str(caption).split())[:CAPTION_MAX]
    return _save(actor, work, revision, images=images, declaration=bool(declaration))


def remove_image(actor: User, work: Work, *, revision: int, index: int) -> Work:
    require(actor, "finetuning.edit_model", work.entry)
    images = list(_document(work).get("images") or [])
    if not 0 <= index < len(images):
        raise ServiceError(_("That picture is not in the set."), "not_found")
    del images[index]
    return _save(actor, work, revision, images=images)


# ---------------------------------------------------------------- the recipe


def check_recipe(limits: FinetuneLimits, recipe: dict[str, Any]) -> dict[str, str]:
    """Field -> what is wrong with it under the organiser's limits (empty when the recipe fits)."""
    problems: dict[str, str] = {}
    bases = selectors.allowed_bases(limits)
    if recipe.get("base") not in bases:
        problems["base"] = (_("Choose one of the base models this category allows: %(names)s.")
                            % {"names": ", ".join(bases)}) if bases else _("This category allows no base model yet.")  # fmt: skip

    def bounded(key: str, low: float, high: float, label: str) -> None:
        value = recipe.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) \
                or not low <= value <= high:  # fmt: skip
            problems[key] = _("%(what)s must be between %(low)s and %(high)s.") % {"what": label, "low": low,
                                                                                   "high": high}  # fmt: skip

    bounded("rank", limits.rank_min, limits.rank_max, _("The rank"))
    bounded("steps", limits.steps_min, limits.steps_max, _("The number of steps"))
    bounded("resolution", limits.resolution_min, limits.resolution_max, _("The resolution"))
    bounded("learning_rate", limits.learning_rate_min, limits.learning_rate_max, _("The learning rate"))
    if "resolution" not in problems and int(recipe.get("resolution") or 0) % 8:
        problems["resolution"] = _("The resolution must be a multiple of 8.")
    return problems


def save_recipe(actor: User, work: Work, *, revision: int, recipe: dict[str, Any]) -> Work:
    require(actor, "finetuning.edit_model", work.entry)
    problems = check_recipe(selectors.limits_for(work.entry.category), recipe)
    if problems:
        raise ServiceError(" ".join(problems.values()), "invalid")
    return _save(actor, work, revision, recipe=recipe)


# ---------------------------------------------------------------- training runs


def training_params(work: Work, recipe: dict[str, Any], limits: FinetuneLimits) -> dict[str, Any]:
    """The job's parameters: plain data the worker needs (where the pictures are, the recipe, the base, and
    the organiser's fixed sample prompts)."""
    images = [{"path": i["path"], "caption": i.get("caption") or "", "name": i.get("name") or ""}
              for i in (work.document or {}).get("images") or []]  # fmt: skip
    return {"work": work.pk, "base": recipe["base"], "base_source": selectors.base_source(recipe["base"]),
            "recipe": recipe, "images": images, "sample_prompts": limits.prompts()}  # fmt: skip


def start_training(actor: User, work: Work) -> TrainingRun:
    """Queue a training run on the training queue once the set, the declaration and the recipe are ready
    and the team's budget holds the run's steps (set aside at once, so two runs cannot overdraw it)."""
    require(actor, "finetuning.edit_model", work.entry)
    document = kind_document(work)
    images = document["images"]
    if not IMAGES_MIN <= len(images) <= IMAGES_MAX:
        raise ServiceError(_("A training set needs %(min)d to %(max)d pictures; this one has %(n)d.")
                           % {"min": IMAGES_MIN, "max": IMAGES_MAX, "n": len(images)}, "set_size")  # fmt: skip
    if missing := sum(1 for i in images if not i.get("caption")):
        raise ServiceError(_("%(n)d pictures have no caption yet. Describe every picture.") % {"n": missing},
                           "captions")  # fmt: skip
    if not document["declaration"]:
        raise ServiceError(_("Tick the declaration that your team may use every picture in the set."), "declaration")
    recipe = document["recipe"]
    if not recipe:
        raise ServiceError(_("Choose a recipe first."), "no_recipe")
    limits = selectors.limits_for(work.entry.category)
    if problems := check_recipe(limits, recipe):
        raise ServiceError(" ".join(problems.values()), "invalid")
    params = training_params(work, recipe, limits)
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=work.entry.team_id)
        going = TrainingRun.objects.filter(work=work, charged_steps__isnull=True).exclude(
            job__status__in=FINAL_STATUSES).exists()  # fmt: skip
        if going:
            raise ServiceError(_("A training run is already going. Wait for it or stop it first."), "busy")
        budget = selectors.budget_of(team, limits)
        if recipe["steps"] > budget.left:
            raise ServiceError(_("This run needs %(steps)d steps but your team has %(left)d of %(total)d left.")
                               % {"steps": recipe["steps"], "left": budget.left, "total": budget.total},
                               "budget")  # fmt: skip
        item = work_services.queue_job(actor, work, TRAIN_JOB, params, TRAIN_STEP)
        return TrainingRun.objects.create(work=work, team=team, job=item.job, recipe=recipe,
                                          steps_planned=recipe["steps"])  # fmt: skip


def kind_document(work: Work) -> dict[str, Any]:
    from aigc_contest.web.works.kinds.finetune import FINETUNE

    return FINETUNE.clean(work.document or {})


def settle(run_pk: int) -> bool:
    """Charge an ended run its steps done, once (a second call, or a retried job, charges nothing)."""
    return bool(TrainingRun.objects.filter(pk=run_pk, charged_steps__isnull=True).update(charged_steps=F("steps_done")))


def cancel_training(actor: User, work: Work) -> TrainingRun:
    require(actor, "finetuning.edit_model", work.entry)
    run = selectors.latest_run(work)
    if run is None or run.job.status in FINAL_STATUSES:
        raise ServiceError(_("No training run is going."), "finished")
    was = run.job.status
    work_services.stop(actor, run.job.work_job)
    if was == JobStatus.QUEUED:  # it never started; a running one is settled by its worker as it stops
        settle(run.pk)
    run.refresh_from_db()
    return run


# ---------------------------------------------------------------- a LoRA trained elsewhere


def upload_lora(actor: User, work: Work, *, revision: int, filename: str, data: bytes) -> Work:
    """A `.safetensors` LoRA, inspected before it is accepted; pickle checkpoints are never opened."""
    import hashlib

    from aigc_contest.finetune.inspect import LoraFileError, inspect_lora_bytes

    require(actor, "finetuning.edit_model", work.entry)
    name = (filename or "").lower()
    if name.endswith(PICKLE_SUFFIXES):
        raise ServiceError(_("Files like .ckpt, .pt and .bin can run hidden code when opened, so they are "
                             "never accepted. Convert the LoRA to .safetensors and upload that."), "pickle")  # fmt: skip
    if not name.endswith(".safetensors"):
        raise ServiceError(_("Upload the LoRA as a .safetensors file."), "wrong_type")
    if len(data) > LORA_MAX_BYTES:
        raise ServiceError(_("The LoRA is larger than %(mb)d MB.") % {"mb": LORA_MAX_BYTES // 2**20}, "too_large")
    try:
        info = inspect_lora_bytes(data)
    except LoraFileError as exc:
        raise ServiceError(_("This file is not a LoRA we can accept: %(reason)s") % {"reason": str(exc)},
                           "not_lora") from exc  # fmt: skip
    if info.format == "mixed":
        raise ServiceError(_("This LoRA mixes key layouts; export it in one layout (diffusers or kohya)."), "mixed")
    if "unet" not in info.components or {"text_encoder_2", "transformer"} & set(info.components):
        raise ServiceError(_("This LoRA was made for another family of models; this competition uses Stable "
                             "Diffusion-style models (one text encoder and a UNet)."), "family")  # fmt: skip
    limits = selectors.limits_for(work.entry.category)
    if info.rank is None or not limits.rank_min <= info.rank <= limits.rank_max:
        raise ServiceError(_("The LoRA's rank is %(rank)s; this category allows %(low)d to %(high)d.")
                           % {"rank": info.rank, "low": limits.rank_min, "high": limits.rank_max}, "rank")  # fmt: skip
    path = work_services.attach_file(actor, work, data=data, extension="safetensors")
    meta = info.metadata
    lora = {"origin": "uploaded", "path": path, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
            "format": info.format, "rank": info.rank, "components": info.components,
            "base_model": meta.get("aigc_contest.base_model") or meta.get("ss_sd_model_name") or "",
            "base_hash": meta.get("aigc_contest.base_model_hash") or "",
            "steps": int(meta.get("aigc_contest.steps") or 0) if str(meta.get("aigc_contest.steps", "")).isdigit() else 0,
            "losses": [], "dataset_hash": meta.get("aigc_contest.dataset_hash") or "", "images": 0,
            "recipe": {}, "job": None, "seconds": 0, "samples": []}  # fmt: skip
    return _save(actor, work, revision, lora=lora)


def lora_bytes(lora: dict[str, Any], layout: str) -> bytes:
    """The stored LoRA file in `layout` ("diffusers" or "kohya"): as stored when it is in that layout
    already, else converted (`finetune.convert.export_lora`) in a scratch folder."""
    import tempfile
    from pathlib import Path

    from django.core.files.storage import default_storage

    with default_storage.open(str(lora["path"]), "rb") as handle:
        data = bytes(handle.read())
    if lora.get("format") == layout:
        return data
    try:
        from aigc_contest.finetune.convert import export_lora
        from aigc_contest.finetune.inspect import LoraFileError
    except ImportError as exc:  # the converter needs safetensors (the ml extra)
        raise ServiceError(_("This site cannot convert LoRA files."), "unavailable") from exc
    with tempfile.TemporaryDirectory(prefix="aigc-lora-") as scratch:
        source, target = Path(scratch) / "in.safetensors", Path(scratch) / "out.safetensors"
        source.write_bytes(data)
        try:
            export_lora(source, layout, target)  # type: ignore[arg-type]
        except (LoraFileError, ImportError) as exc:
            raise ServiceError(_("This LoRA could not be converted."), "not_converted") from exc
        return target.read_bytes()


# ---------------------------------------------------------------- the judges' side-by-side sheet


def comparison_prompts(work: Work) -> list[str]:
    """The organiser's sample prompts of the entry's category (those the LoRA's samples used where the
    organiser has since removed them)."""
    prompts = selectors.limits_for(work.entry.category).prompts()
    if prompts:
        return prompts
    lora = (work.document or {}).get("lora") or {}
    return [str(s["prompt"]) for s in lora.get("samples") or [] if isinstance(s, dict) and s.get("prompt")]


def start_comparison(work: Work, actor: User | None = None) -> int:
    """Queue the judges' side-by-side sheet of a submitted fine-tuning work (idempotent); how many picture
    jobs were queued. Nothing is queued (and the reason logged) where there is no LoRA, no prompt, or no
    picture model for the LoRA's base: the judge's page then has no sheet."""
    import logging

    try:
        return len(work_services.queue_comparison(work, comparison_prompts(work), actor))
    except ServiceError as exc:
        logging.getLogger(__name__).warning("no side-by-side sheet for work %s: %s", work.pk, exc.message)
        return 0


def start_comparisons(competition: Any, actor: User | None = None) -> int:
    """The sheets of every submitted fine-tuning entry of the competition (when the organiser opens judging)."""
    from aigc_contest.web.entries.models import Entry
    from aigc_contest.web.works.models import WorkKind

    works = Work.objects.filter(kind=WorkKind.FINETUNE, entry__category__competition=competition,
                                entry__status=Entry.Status.SUBMITTED).select_related("entry__category")  # fmt: skip
    return sum(start_comparison(work, actor) for work in works)


# ---------------------------------------------------------------- the description


def save_description(actor: User, work: Work, *, revision: int, description: str) -> Work:
    require(actor, "finetuning.edit_model", work.entry)
    return _save(actor, work, revision, description=description)


# ---------------------------------------------------------------- the organiser's limits


def save_limits(actor: User, category: Category, values: dict[str, Any]) -> FinetuneLimits:
    require(actor, "finetuning.set_limits", category)
    if values.get("sample_prompts"):
        screen(actor, [Words(line) for line in str(values["sample_prompts"]).splitlines()])
    for low, high in (("rank_min", "rank_max"), ("steps_min", "steps_max"), ("resolution_min", "resolution_max"),
                      ("learning_rate_min", "learning_rate_max")):  # fmt: skip
        if values[low] > values[high]:
            raise ServiceError(_("Each smallest value must not be larger than its largest."), "invalid")
    limits, _created = FinetuneLimits.objects.update_or_create(category=category, defaults=values)
    return limits
