"""Writes for works, one path for every kind: start, save (with a revision check), writing steps and
pictures as jobs, applying finished jobs, picking a picture, and submitting.

Every write asks `entries.edit_entry` on the work's entry (the team's members and helping teachers);
submitting also needs `entries.submit_entry`. A child's words pass the safety layer under their school's
settings before anything is stored or queued, and every job carries those settings (attached once, here).
A finished job is applied by `sync` exactly once (its row is claimed atomically), from the worker as soon
as it stores the result (signals.py) and again, harmlessly, whenever the work is opened; `sync` then
queues what the kind needs next, so a pipeline resumes from wherever it stopped.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aigc_contest.web.accounts.models import User
from aigc_contest.web.core.errors import ServiceError, require
from aigc_contest.web.entries import services as entry_services
from aigc_contest.web.entries.models import Entry, EntryVersion
from aigc_contest.web.jobs.kinds import STORED_LORA
from aigc_contest.web.jobs.models import FINAL_STATUSES, JobAsset, JobStatus
from aigc_contest.web.jobs.services import cancel_job, retry_job, submit_job
from aigc_contest.web.moderation.models import SafetyEvent
from aigc_contest.web.moderation.selectors import policy_for
from aigc_contest.web.moderation.services import job_policy_params, record_verdict
from aigc_contest.web.works import pictures, selectors
from aigc_contest.web.works.base import (
    IMAGE_JOB,
    PICTURE,
    ImageModel,
    Next,
    Picture,
    StaleRevision,
    Words,
    WorkKindSpec,
    language,
    screen,
)
from aigc_contest.web.works.models import PictureLora, Work, WorkJob, WorkKind
from aigc_contest.web.works.registry import kind_of

logger = logging.getLogger(__name__)
WAITING = WorkJob.State.WAITING
__all__ = ["StaleRevision"]


def _cleaned(
    actor: Any, spec: WorkKindSpec, document: Any, where: str = SafetyEvent.Where.PROMPT
) -> dict[str, Any]:
    """The document as the kind stores it, its words screened (ServiceError otherwise)."""
    data = spec.clean(document)
    screen(actor, spec.texts(data), where)
    return data


def _store(locked: Work, document: dict[str, Any], actor: Any = None) -> int:
    """Put `document` into the locked work as its next revision (the first document is revision 1)."""
    if locked.document is not None:
        locked.revision += 1
    locked.document = document
    fields = ["document", "revision", "updated_at"]
    if actor is not None:
        locked.updated_by = actor
        fields.append("updated_by")
    locked.save(update_fields=fields)
    return locked.revision


def _owner_of(work: Work) -> User:
    owner = (
        work.updated_by
        or work.entry.team.members.order_by("pk").first()
        or work.entry.team.supervising_teacher
    )
    assert owner is not None, "a team has members"
    return owner


# ---------------------------------------------------------------- starting and saving


def start(actor: User, entry: Entry, kind: WorkKind, *, exists_ok: bool = True, **options: Any) -> Work:
    """The entry's work of `kind`, created from what the kind starts with (and its first jobs queued).

    An entry that has a work already gets it back (`exists_ok`), or ServiceError("exists")."""
    require(actor, "entries.edit_entry", entry)
    spec = kind_of(kind)
    if entry.work_type != kind:
        raise ServiceError(spec.wrong_entry(), "wrong_kind")
    existing = Work.objects.filter(entry=entry).first()
    if existing is not None and existing.document is not None:
        if exists_ok:
            return existing
        raise ServiceError(_("This entry already has a work in the studio."), "exists")
    document = spec.start(entry, options)
    if document is not None:
        document = _cleaned(actor, spec, document)  # before the transaction: a refusal stays in the audit log
    with transaction.atomic():
        if existing is None:
            work = Work.objects.create(entry=entry, kind=kind, document=document, updated_by=actor)
        else:
            work = Work.objects.select_for_update().get(pk=existing.pk)
            if work.document is None and document is not None:
                _store(work, document, actor)
        _queue_next(actor, work, spec.next_steps(work, pending(work)))
    return work


def save(actor: User, work: Work, *, document: Any, revision: int) -> Work:
    """Replace the document if `revision` is still the current one; otherwise StaleRevision, nothing written."""
    require(actor, "entries.edit_entry", work.entry)
    data = _cleaned(actor, kind_of(work), document)
    with transaction.atomic():
        updated = Work.objects.filter(pk=work.pk, revision=revision).update(
            document=data, revision=revision + 1, updated_by=actor, updated_at=timezone.now()
        )
        if not updated:
            raise StaleRevision(Work.objects.values_list("revision", flat=True).get(pk=work.pk))
    work.refresh_from_db()
    return work


def change(actor: User, work: Work, edit: Callable[[Work], dict[str, Any]], words: list[Words] = ()) -> Work:  # type: ignore[assignment]
    """One change made to the current document (never to a stale copy), atomically. `words` (what the
    child typed) are screened first, so a refusal stays in the audit log."""
    require(actor, "entries.edit_entry", work.entry)
    screen(actor, list(words))
    with transaction.atomic():
        locked = Work.objects.select_for_update().get(pk=work.pk)
        _store(locked, kind_of(locked).clean(edit(locked)), actor)
    work.refresh_from_db()
    return work


# ---------------------------------------------------------------- jobs


def pending(work: Work) -> list[WorkJob]:
    """Jobs whose result is not in the work yet: waiting, running, or failed (which a retry brings back)."""
    return list(work.jobs.filter(state=WAITING).select_related("job"))


def unfinished(work: Work, step: str, target: str = "") -> WorkJob | None:
    return (work.jobs.filter(step=step, target=target, state=WAITING).exclude(job__status__in=FINAL_STATUSES)
            .select_related("job").first())  # fmt: skip


def queue_job(
    actor: User, work: Work, job_kind: str, params: dict[str, Any], step: str, target: str = ""
) -> WorkJob:
    """Submit a job for the work. The school's safety settings travel with every job (attached here, once)."""
    params = {**params, **job_policy_params(actor)}
    with transaction.atomic():
        job = submit_job(actor, job_kind, params)
        return WorkJob.objects.create(work=work, job=job, step=step, target=target)


def request_text(
    actor: User, work: Work, step: str, target: str = "", *, document: Any = None, **options: Any
) -> WorkJob:
    """Queue a writing step. `document` is the page's current copy (saved or not), screened with the
    child's own words in `options` (a theme, an instruction); an unfinished same step is returned."""
    require(actor, "entries.edit_entry", work.entry)
    spec = kind_of(work)
    if not spec.text_job or step not in spec.steps:
        raise ServiceError(_("Unknown change."), "bad_request")
    params = spec.text_params(work, step, target, document, options)
    if document is not None:
        screen(actor, spec.texts(document))
    screen(actor, [Words(str(value)) for value in options.values() if isinstance(value, str)])
    waiting = unfinished(work, step, target)
    if waiting is not None:
        return waiting
    return queue_job(actor, work, spec.text_job, params, step, target)


def image_model(name: str | None = None) -> ImageModel:
    """The picture model (the site's default without a name), with the size it draws at."""
    from aigc_contest.generation.registry import RegistryError, shared_registry

    try:
        model = shared_registry().resolve(name or None, "image")
    except (RegistryError, KeyError, LookupError) as exc:
        raise ServiceError(_("No picture maker is set up yet. Please ask your teacher."), "no_model") from exc
    width, height = model.defaults.size_tuple() or (512, 512)
    return ImageModel(str(model.name), width, height)


def queue_pictures(
    actor: User, work: Work, targets: list[str], *, model: str | None = None, **options: Any
) -> list[WorkJob]:
    """Queue pictures for each target (a part, a page; "" for the whole work). A target already being
    drawn is skipped; the child's own description in `options["prompt"]` is screened first."""
    require(actor, "entries.edit_entry", work.entry)
    spec = kind_of(work)
    if options.get("prompt"):
        screen(actor, [Words(" ".join(str(options["prompt"]).split()))])
    busy = {
        item.target
        for item in pending(work)
        if item.step == PICTURE and item.job.status not in FINAL_STATUSES
    }
    chosen = image_model(model)
    loras = lora_params(actor, work, chosen.name)
    queued = []
    for target in targets:
        if target in busy:
            continue
        prompt = spec.picture_prompt(work, target, chosen, options)
        if prompt is None:
            continue
        params = {"model": chosen.name, "width": chosen.width, "height": chosen.height, **prompt}
        if loras:
            params["loras"] = loras
        queued.append(queue_job(actor, work, IMAGE_JOB, params, PICTURE, target))
    return queued


# ---------------------------------------------------------------- the team's fine-tuned model (LoRA)

LORA_WEIGHT_MIN, LORA_WEIGHT_MAX, LORA_WEIGHT_DEFAULT = 0.0, 1.5, 0.8  # as works.forms


def _offered(actor: User, work: Work, source_pk: int, model: str | None) -> selectors.OfferedLora:
    for lora in selectors.loras_for(actor, work.entry, model):
        if lora.source == source_pk:
            return lora
    raise ServiceError(_("That fine-tuned model cannot be used here. It must be your own team's, finished, "
                         "and trained on the picture maker you chose."), "lora")  # fmt: skip


def set_lora(actor: User, work: Work, source_pk: int | None, weight: float = LORA_WEIGHT_DEFAULT, *,
             model: str | None = None) -> PictureLora | None:  # fmt: skip
    """Draw the work's pictures with the team's own LoRA `source_pk` (a fine-tuning work) at `weight`, or
    without one (None). The LoRA must be offered for `model` (the site's default picture model without one)."""
    require(actor, "entries.edit_entry", work.entry)
    if source_pk is None:
        PictureLora.objects.filter(work=work).delete()
        return None
    if not LORA_WEIGHT_MIN <= float(weight) <= LORA_WEIGHT_MAX:
        raise ServiceError(_("The strength must be between %(low)s and %(high)s.")
                           % {"low": LORA_WEIGHT_MIN, "high": LORA_WEIGHT_MAX}, "invalid")  # fmt: skip
    lora = _offered(actor, work, int(source_pk), image_model(model).name)
    chosen, _created = PictureLora.objects.update_or_create(
        work=work, defaults={"source_id": lora.source, "weight": round(float(weight), 3)})  # fmt: skip
    return chosen


COMPARE = "compare"  # the step of the judges' side-by-side pictures of a fine-tuning work
COMPARE_SEED = 0  # prompt i is drawn with seed COMPARE_SEED + i, through the base model and through base + LoRA


def compare_target(index: int, side: str, sha256: str) -> str:
    return f"{index}:{side}:{sha256[:16]}"


def queue_comparison(work: Work, prompts: list[str], actor: User | None = None) -> list[WorkJob]:
    """The judges' side-by-side sheet of a fine-tuning work: each of the organiser's prompts drawn with the
    same seed through the LoRA's base model and through base + LoRA (weight 1), as picture jobs on the gpu
    queue. Idempotent: pictures already asked for this LoRA (by its hash) are not asked again. The jobs
    carry `actor`'s safety settings (the work's owner without one); the worker screens every picture."""
    lora = selectors.lora_of(work)
    prompts = [" ".join(p.split())[:300] for p in prompts if p and p.strip()]
    if lora is None or not prompts or not lora.base_model:  # a LoRA that names no base: nothing to compare with
        return []
    chosen = image_model(lora.base_model)
    actor = actor or _owner_of(work)
    queued = []
    with transaction.atomic():
        Work.objects.select_for_update().filter(pk=work.pk).first()  # one sheet at a time per work
        asked = set(work.jobs.filter(step=COMPARE).values_list("target", flat=True))
        for index, prompt in enumerate(prompts):
            for side in ("base", "lora"):
                target = compare_target(index, side, lora.sha256)
                if target in asked:
                    continue
                params: dict[str, Any] = {"model": chosen.name, "width": chosen.width, "height": chosen.height,
                                          "prompt": prompt, "seed": COMPARE_SEED + index, "n": 1}  # fmt: skip
                if side == "lora":
                    params["loras"] = [{"name": STORED_LORA + lora.path, "scale": 1.0, "sha256": lora.sha256}]
                queued.append(queue_job(actor, work, IMAGE_JOB, params, COMPARE, target))
    return queued


def lora_params(actor: User, work: Work, model: str) -> list[dict[str, Any]]:
    """The picture job's `loras`: the work's chosen LoRA as it is now (its current file and hash), checked
    again (still the team's own, finished, on this model), or ServiceError; [] when none is chosen."""
    chosen = PictureLora.objects.filter(work=work).first()
    if chosen is None:
        return []
    lora = _offered(actor, work, chosen.source_id, model)
    return [{"name": STORED_LORA + lora.path, "scale": chosen.weight, "sha256": lora.sha256}]


def _queue_next(actor: User | None, work: Work, nxt: Next) -> None:
    if nxt.document is not None:
        Work.objects.filter(pk=work.pk).update(document=nxt.document)  # bookkeeping: no new revision
        work.document = nxt.document
    actor = actor or _owner_of(work)
    pictures = [step.target for step in nxt.steps if step.step == PICTURE]
    for step in nxt.steps:
        if step.step != PICTURE:
            queue_job(actor, work, step.job_kind, kind_of(work).text_params(work, step.step, step.target, None, {}),
                      step.step, step.target)  # fmt: skip
    if pictures:
        queue_pictures(actor, work, pictures)


def work_job(work: Work, pk: Any) -> WorkJob:
    found = work.jobs.filter(pk=pk if isinstance(pk, int) else -1).select_related("job").first()
    if found is None:
        raise ServiceError(_("That job does not exist."), "not_found")
    return found


def try_again(actor: User, item: WorkJob) -> WorkJob:
    """A failed or stopped job again: the same job for its owner (and their teacher), a new one for a teammate."""
    require(actor, "entries.edit_entry", item.work.entry)
    if item.job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise ServiceError(_("Only a failed or cancelled job can be tried again."), "not_failed")
    if actor.has_perm("jobs.retry_job", item.job):
        retry_job(actor, item.job)
        WorkJob.objects.filter(pk=item.pk).update(
            state=WAITING, applied_revision=None, note="", dismissed=False
        )
        item.refresh_from_db()
        return item
    again = queue_job(actor, item.work, item.job.kind, dict(item.job.params), item.step, item.target)
    WorkJob.objects.filter(pk=item.pk).update(dismissed=True)
    return again


def stop(actor: User, item: WorkJob) -> None:
    require(actor, "entries.edit_entry", item.work.entry)
    if not actor.has_perm("jobs.cancel_job", item.job):
        raise ServiceError(_("Only the person who asked for this can stop it."), "forbidden")
    cancel_job(actor, item.job)


def dismiss(actor: User, item: WorkJob) -> None:
    require(actor, "entries.edit_entry", item.work.entry)
    WorkJob.objects.filter(pk=item.pk).update(dismissed=True)


# ---------------------------------------------------------------- applying finished jobs


def sync(work: Work) -> Work:
    """Put every finished job's result into the work, each exactly once, then queue what comes next."""
    spec = kind_of(work)
    changed = False
    ready = work.jobs.filter(state=WAITING, job__status=JobStatus.SUCCEEDED).select_related("job__owner")
    for item in ready.order_by("id"):
        with transaction.atomic():
            if not WorkJob.objects.filter(pk=item.pk, state=WAITING).update(state=WorkJob.State.APPLIED):
                continue  # another process applied it
            locked = Work.objects.select_for_update().select_related("entry").get(pk=work.pk)
            try:
                document = spec.apply(locked, item, lambda owner, doc: _cleaned(owner, spec, doc,
                                                                                 SafetyEvent.Where.GENERATED_TEXT))  # fmt: skip
            except ServiceError as exc:  # a result that can no longer be used (unsafe, or it no longer fits)
                logger.info("work job %s not applied: %s", item.pk, exc.message)
                WorkJob.objects.filter(pk=item.pk).update(
                    state=WorkJob.State.UNUSED, note=(exc.code or "invalid")[:300]
                )
                continue
            revision = _store(locked, document) if document is not None else None
            WorkJob.objects.filter(pk=item.pk).update(applied_revision=revision)
            changed = True
    work.refresh_from_db()
    waiting = pending(work)
    if changed or not waiting:
        try:
            _queue_next(None, work, spec.next_steps(work, waiting))
        except ServiceError as exc:  # no picture model, a quota: the page says so when the student asks
            logger.info("work %s not moved on: %s", work.pk, exc.message)
        work.refresh_from_db()
    return work


def sync_entry(entry: Entry) -> Work | None:
    work = Work.objects.filter(entry=entry).first()
    return sync(work) if work is not None else None


# ---------------------------------------------------------------- pictures


def picture_asset(work: Work, asset_pk: Any) -> JobAsset | None:
    """A candidate made by one of this work's own picture jobs, or None."""
    return pictures.asset_of(work, asset_pk)


def picture_bytes(work: Work, asset_pk: Any) -> bytes:
    data = pictures.read_asset(pictures.asset_of(work, asset_pk))
    if data is None:
        raise ServiceError(_("That picture does not exist."), "not_found")
    return data


def pick_picture(
    actor: User, work: Work, *, target: str, asset_pk: Any, alt: str = ""
) -> tuple[Picture, int | None]:
    """One of the work's candidates becomes the picture of `target`, checked again under the maker's school
    settings (which may be stricter than the worker's) with its provenance read from the PNG. Returns the
    picture and the new revision (None when the stored document lacks the target: the page keeps it)."""
    from aigc_contest.safety import check_image
    from aigc_contest.works.storybook.pipeline import provenance_of

    require(actor, "entries.edit_entry", work.entry)
    asset = picture_asset(work, asset_pk)
    if asset is None:
        raise ServiceError(_("That picture cannot be used for this entry."), "not_found")
    alt = " ".join(str(alt or "").split())[:300]
    screen(actor, [Words(alt)])
    png = picture_bytes(work, asset.pk)
    verdict = check_image(png, policy_for(asset.job.owner))
    record_verdict(actor, SafetyEvent.Where.GENERATED_IMAGE, verdict, data=png, job=asset.job)
    if not verdict.allowed:
        raise ServiceError(verdict.message(language()), "refused")
    try:
        extra: dict[str, Any] = {"part": target} if target else {}
        provenance = provenance_of(png, job=asset.job_id, asset=asset.pk, **extra)
    except ValueError as exc:
        raise ServiceError(_("That picture cannot be used for this entry."), "not_found") from exc
    picture = Picture(asset.pk, asset.job_id, png, provenance, alt)
    with transaction.atomic():
        locked = Work.objects.select_for_update().get(pk=work.pk)
        document = kind_of(locked).use_picture(locked, target, picture)
        revision = _store(locked, document, actor) if document is not None else None
    work.refresh_from_db()
    return picture, revision


# ---------------------------------------------------------------- the entry's file and submitting


def store_draft(actor: User, work: Work) -> Entry:
    """The kind's version file becomes the entry's draft file (with the record of how it was made)."""
    spec = kind_of(work)
    version = spec.version_file(work)
    screen(actor, spec.texts(work.document))
    return entry_services.set_draft_from_work(actor, work.entry, filename=version.filename, data=version.data,
                                              mime=version.mime, meta=version.meta)  # fmt: skip


def submit(actor: User, work: Work, now: datetime | None = None) -> EntryVersion:
    """Export the version file (with its provenance record), make it the entry's draft, submit the entry."""
    require(actor, "entries.submit_entry", work.entry)
    work = sync(work)
    store_draft(actor, work)
    return entry_services.submit_entry(actor, work.entry, now)


def is_busy(work: Work) -> bool:
    return work.jobs.filter(state=WAITING).exclude(job__status__in=FINAL_STATUSES).exists()


def attach_file(actor: User, work: Work, *, data: bytes, extension: str) -> str:
    """Store a checked file a work refers to (a screenshot, a source archive) by its content; the storage
    name to put in the document. The same bytes are stored once; nothing is ever overwritten."""
    require(actor, "entries.edit_entry", work.entry)
    digest = hashlib.sha256(data).hexdigest()
    name = f"works/{work.pk}/{digest[:2]}/{digest}.{extension}"
    if not default_storage.exists(name):
        stored = default_storage.save(name, ContentFile(data))
        if stored != name:  # a storage that renames on a race: keep what it stored
            return stored
    return name
