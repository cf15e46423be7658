"""Writes for studio works: start, save (with a revision check), the AI's writing and pictures as jobs, submit.

Every write asks `entries.edit_entry` on the work's entry (the team's members and teachers); submitting
also needs `entries.submit_entry`. A refused save changes nothing and says why.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from aigc_contest.web.accounts.models import User
from aigc_contest.web.core.errors import ServiceError, require
from aigc_contest.web.core.translation import product_language
from aigc_contest.web.entries import services as entry_services
from aigc_contest.web.entries.models import Entry, EntryVersion
from aigc_contest.web.jobs.kinds import SAFETY_POLICY_PARAM
from aigc_contest.web.jobs.models import FINAL_STATUSES, JobAsset, JobStatus
from aigc_contest.web.jobs.services import cancel_job, retry_job, submit_job
from aigc_contest.web.moderation.models import SafetyEvent
from aigc_contest.web.moderation.selectors import policy_for
from aigc_contest.web.moderation.services import job_policy_params, record_verdict
from aigc_contest.web.studio.jobs import TEXT_KIND
from aigc_contest.web.studio.models import StudioJob, StudioWork
from aigc_contest.web.studio.selectors import defects_of, parse_document
from aigc_contest.web.studio.starters import starter_novel

logger = logging.getLogger(__name__)
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
MAX_NODES = 300


class StaleRevision(ServiceError):
    """The save was based on an older revision: someone (or another tab) saved in between."""

    def __init__(self, current: int) -> None:
        super().__init__(
            _("Someone saved this story while you were editing (now version %(n)d). Your changes are still on "
              "this page: reload to see the newest version, then make your changes again.") % {"n": current},
            "stale",
        )  # fmt: skip
        self.current = current


def _check_novel_entry(entry: Entry) -> None:
    if entry.work_type != "novel":
        raise ServiceError(_("The studio writes interactive novels; this entry is another type of work."))


def _screen_text(actor: Any, novel: Any, where: str = "prompt") -> None:
    """Children's own words go through their school's safety settings and the audit log; the reason names
    the part by its number, never its words (a title may itself hold the refused word)."""
    from aigc_contest.safety import check_text

    policy = policy_for(actor)
    for number, node in enumerate(novel.nodes, 1):
        pieces = [node.title, node.text, *(c.label for c in node.choices)]
        text = "\n".join(p for p in pieces if p)
        verdict = check_text(text, policy)
        record_verdict(actor, where, verdict, text)
        if not verdict.allowed:
            raise ServiceError(
                _("Part %(number)d was not saved: %(reason)s") % {"number": number,
                                                                  "reason": verdict.message(_language())},
                "refused",
            )  # fmt: skip
    verdict = check_text(novel.title, policy)
    record_verdict(actor, where, verdict, novel.title)
    if not verdict.allowed:
        raise ServiceError(verdict.message(_language()), "refused")


def _language() -> str:
    return product_language()


def _checked(actor: Any, document: Any, where: str = "prompt") -> dict[str, Any]:
    """The document as the novel model writes it back (drops nothing the model keeps), or ServiceError."""
    import json

    if not isinstance(document, dict):
        raise ServiceError(_("The story could not be read."), "invalid")
    if len(json.dumps(document, ensure_ascii=False).encode()) > MAX_DOCUMENT_BYTES:
        raise ServiceError(_("The story is too long to save (the limit is 2 MB)."), "too_large")
    novel = parse_document(document)
    if len(novel.nodes) > MAX_NODES:
        raise ServiceError(_("A story can have at most %d parts.") % MAX_NODES, "too_large")
    _screen_text(actor, novel, where)
    return novel.model_dump(mode="json", exclude_none=True)


def start_work(actor: User, entry: Entry, *, document: dict[str, Any] | None = None) -> StudioWork:
    """The entry's studio work, created from `document` or the starter template if it has none yet."""
    require(actor, "entries.edit_entry", entry)
    _check_novel_entry(entry)
    existing = StudioWork.objects.filter(entry=entry).first()
    if existing is not None:
        return existing
    data = _checked(actor, document if document is not None else starter_novel(_language(), entry.title))
    return StudioWork.objects.create(entry=entry, kind=StudioWork.Kind.NOVEL, document=data, updated_by=actor)


def save_document(actor: User, work: StudioWork, *, document: Any, revision: int) -> StudioWork:
    """Replace the document if `revision` is still the current one; otherwise StaleRevision, nothing written."""
    require(actor, "entries.edit_entry", work.entry)
    data = _checked(actor, document)
    with transaction.atomic():
        updated = StudioWork.objects.filter(pk=work.pk, revision=revision).update(
            document=data, revision=revision + 1, updated_by=actor, updated_at=_now()
        )
        if not updated:
            current = StudioWork.objects.values_list("revision", flat=True).get(pk=work.pk)
            raise StaleRevision(current)
    work.refresh_from_db()
    return work


def _now() -> datetime:
    from django.utils import timezone

    return timezone.now()


def generate_document(actor: User, entry: Entry, *, theme: str, nodes: int = 6, model: str | None = None) -> StudioWork:
    """Start the entry's work from a story the text model writes (graph, then passages), inside this call.

    For the command line and scripts; the web pages queue the same writing as a `novel.text` job
    (`request_draft`), so a class of 30 does not hold 30 web workers."""
    from aigc_contest.generation.registry import RegistryError, shared_registry
    from aigc_contest.generation.types import GenerationError
    from aigc_contest.safety import SafetyRefusal
    from aigc_contest.works.novel.generate import GenerationSettings, generate_novel

    require(actor, "entries.edit_entry", entry)
    _check_novel_entry(entry)
    if StudioWork.objects.filter(entry=entry).exists():
        raise ServiceError(_("This entry already has a story in the studio."), "exists")
    try:
        registry = shared_registry()
        name = registry.resolve(model, "text").name
        backend = registry.text_backend(name)
        report = generate_novel(backend, GenerationSettings(model=name, theme=theme, language=_language(),  # type: ignore[arg-type]
                                                            nodes=nodes))  # fmt: skip
    except SafetyRefusal as exc:
        raise ServiceError(exc.message(_language()), "refused") from exc
    except (RegistryError, GenerationError) as exc:
        raise ServiceError(_("The AI could not write a story just now. Start from the template instead."),
                           "generation_failed") from exc  # fmt: skip
    document = report.novel.model_dump(mode="json", exclude_none=True)
    document["title"] = document.get("title") or entry.title
    return start_work(actor, entry, document=document)


# ---------------------------------------------------------------- jobs: the AI's writing and pictures

DRAFT_NODES = 6
PICTURES_PER_REQUEST = 2
MAX_PICTURE_PROMPT = 1000
ASSET_REF = re.compile(r"job-asset:([0-9]{1,12})\Z")
Step = StudioJob.Step


def theme_of(entry: Entry) -> str:
    return entry.theme.tr("title") if entry.theme else entry.title


def _screen_words(actor: User, text: str) -> None:
    """A child's request to the AI (a theme, a picture description) under their school's safety settings."""
    from aigc_contest.safety import check_text

    verdict = check_text(text, policy_for(actor))
    record_verdict(actor, SafetyEvent.Where.PROMPT, verdict, text)
    if not verdict.allowed:
        raise ServiceError(verdict.message(_language()), "refused")


def _submit(actor: User, entry: Entry, kind: str, params: dict[str, Any], step: str, node_id: str = "") -> StudioJob:
    params = {**params, **job_policy_params(actor)}  # the school's safety settings travel with every job
    with transaction.atomic():
        job = submit_job(actor, kind, params)
        return StudioJob.objects.create(entry=entry, job=job, step=step, node_id=node_id)


def _unfinished(entry: Entry, step: str, node_id: str = "") -> StudioJob | None:
    return (StudioJob.objects.filter(entry=entry, step=step, node_id=node_id, applied=False)
            .exclude(job__status__in=FINAL_STATUSES).select_related("job").first())  # fmt: skip


def _new_seed() -> int:
    import secrets

    return secrets.randbelow(2**31)


def request_draft(actor: User, entry: Entry, *, theme: str, nodes: int = DRAFT_NODES) -> StudioJob:
    """Queue the AI's first draft of the entry's story; the studio opens on it once the job is done."""
    require(actor, "entries.edit_entry", entry)
    _check_novel_entry(entry)
    if StudioWork.objects.filter(entry=entry).exists():
        raise ServiceError(_("This entry already has a story in the studio."), "exists")
    pending = _unfinished(entry, Step.DRAFT)
    if pending is not None:
        return pending
    theme = " ".join(theme.split())[:200] or entry.title
    _screen_words(actor, theme)
    params = {"step": "draft", "theme": theme, "language": _language(), "nodes": nodes, "seed": _new_seed()}
    return _submit(actor, entry, TEXT_KIND, params, Step.DRAFT)


def draft_job(entry: Entry) -> StudioJob | None:
    """The entry's latest first-draft job, while there is no story yet (waiting, running or failed)."""
    return StudioJob.objects.filter(entry=entry, step=Step.DRAFT, dismissed=False).select_related("job").first()


def request_node_text(actor: User, work: StudioWork, *, document: Any, node_id: str) -> StudioJob:
    """Queue one part written again. `document` is the page's current story (saved or not): the AI reads it."""
    require(actor, "entries.edit_entry", work.entry)
    novel = parse_document(document)
    if node_id not in {n.id for n in novel.nodes}:
        raise ServiceError(_("That part does not exist."), "bad_request")
    _screen_text(actor, novel)
    pending = _unfinished(work.entry, Step.NODE_TEXT, node_id)
    if pending is not None:
        return pending
    for node in novel.nodes:  # the writer needs words, not pictures: job parameters stay small
        node.illustration = None
    params = {"step": "node_text", "theme": theme_of(work.entry), "node": node_id, "seed": _new_seed(),
              "document": novel.model_dump(mode="json", exclude_none=True)}  # fmt: skip
    return _submit(actor, work.entry, TEXT_KIND, params, Step.NODE_TEXT, node_id)


def suggested_picture_prompt(title: str, text: str, style: str = "") -> str:
    from aigc_contest.works.novel.generate import illustration_prompt

    return illustration_prompt(str(title)[:200], str(text)[:4000], str(style)[:200])


def request_picture(actor: User, work: StudioWork, *, node_id: str, prompt: str) -> StudioJob:
    """Queue pictures for one part from `prompt` (checked by the safety layer first); the student picks one."""
    from aigc_contest.generation.registry import RegistryError, shared_registry
    from aigc_contest.safety import DEFAULT_POLICY
    from aigc_contest.works.storybook.prompts import NEGATIVE_PROMPT

    require(actor, "entries.edit_entry", work.entry)
    if not re.fullmatch(r"[A-Za-z0-9_\-]{1,40}", node_id or ""):
        raise ServiceError(_("That part does not exist."), "bad_request")
    prompt = " ".join(str(prompt or "").split())[:MAX_PICTURE_PROMPT]
    if not prompt:
        raise ServiceError(_("Write what the picture should show."), "empty")
    _screen_words(actor, prompt)
    if _unfinished(work.entry, Step.PICTURE, node_id) is not None:
        raise ServiceError(_("A picture for this part is already being drawn."), "busy")
    try:
        model = shared_registry().resolve(None, "image")
    except RegistryError as exc:
        raise ServiceError(_("No picture maker is set up yet. Please ask your teacher."), "no_model") from exc
    width, height = model.defaults.size_tuple() or (512, 512)
    params: dict[str, Any] = {"model": model.name, "prompt": prompt, "negative_prompt": NEGATIVE_PROMPT,
                              "n": PICTURES_PER_REQUEST, "seed": _new_seed(), "width": width, "height": height}  # fmt: skip
    policy = policy_for(actor)
    if policy is not DEFAULT_POLICY:
        params[SAFETY_POLICY_PARAM] = policy.model_dump(mode="json", exclude_defaults=True)
    return _submit(actor, work.entry, "image", params, Step.PICTURE, node_id)


def studio_job(work_or_entry: StudioWork | Entry, pk: Any) -> StudioJob:
    entry = work_or_entry.entry if isinstance(work_or_entry, StudioWork) else work_or_entry
    found = StudioJob.objects.filter(entry=entry, pk=pk if isinstance(pk, int) else -1).select_related("job").first()
    if found is None:
        raise ServiceError(_("That job does not exist."), "not_found")
    return found


def try_again(actor: User, item: StudioJob) -> StudioJob:
    """A failed or stopped job again: the same job for its owner (and their teacher), a new one for a teammate."""
    require(actor, "entries.edit_entry", item.entry)
    if item.job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise ServiceError(_("Only a failed or cancelled job can be tried again."), "not_failed")
    if actor.has_perm("jobs.retry_job", item.job):
        retry_job(actor, item.job)
        StudioJob.objects.filter(pk=item.pk).update(applied=False, applied_revision=None, note="", dismissed=False)
        item.refresh_from_db()
        return item
    params = {k: v for k, v in item.job.params.items()}
    again = _submit(actor, item.entry, item.job.kind, params, item.step, item.node_id)
    StudioJob.objects.filter(pk=item.pk).update(dismissed=True)
    return again


def stop(actor: User, item: StudioJob) -> None:
    require(actor, "entries.edit_entry", item.entry)
    if not actor.has_perm("jobs.cancel_job", item.job):
        raise ServiceError(_("Only the person who asked for this can stop it."), "forbidden")
    cancel_job(actor, item.job)


def dismiss(actor: User, item: StudioJob) -> None:
    require(actor, "entries.edit_entry", item.entry)
    StudioJob.objects.filter(pk=item.pk).update(dismissed=True)


# ---------------------------------------------------------------- applying finished jobs


def sync_jobs(entry: Entry | int) -> StudioWork | None:
    """Put every finished job's result into the entry's story, each exactly once (the row is claimed
    atomically, so the worker's signal and an open page never both apply it). Returns the work."""
    entry_id = entry if isinstance(entry, int) else entry.pk
    ready = StudioJob.objects.filter(entry_id=entry_id, applied=False, job__status=JobStatus.SUCCEEDED)
    for item in ready.select_related("job", "entry"):
        with transaction.atomic():
            if not StudioJob.objects.filter(pk=item.pk, applied=False).update(applied=True):
                continue  # another process applied it
            try:
                revision, note = _apply(item)
            except ServiceError as exc:  # a result that can no longer be used (unsafe, or not a story)
                logger.info("studio job %s not applied: %s", item.pk, exc.message)
                revision, note = None, exc.code or "invalid"
            StudioJob.objects.filter(pk=item.pk).update(applied_revision=revision, note=note[:300])
    return StudioWork.objects.filter(entry_id=entry_id).first()


def _apply(item: StudioJob) -> tuple[int | None, str]:
    result = item.job.result or {}
    if item.step == Step.DRAFT:
        if StudioWork.objects.filter(entry_id=item.entry_id).exists():
            return None, "exists"  # the story was started another way meanwhile: never overwrite it
        document = dict(result.get("document") or {})
        document["title"] = document.get("title") or item.entry.title
        work = StudioWork.objects.create(entry_id=item.entry_id, kind=StudioWork.Kind.NOVEL,
                                         document=_checked(item.job.owner, document, "generated_text"), updated_by=item.job.owner)  # fmt: skip
        return work.revision, ""
    if item.step == Step.NODE_TEXT:
        text = str(result.get("text") or "")
        return _change_node(item.entry_id, item.node_id, lambda node: setattr(node, "text", text)), ""
    return None, ""  # pictures: the candidates are ready to pick; the story changes when one is picked


def _change_node(entry_id: int, node_id: str, change: Any) -> int | None:
    """Change one part of the stored story (new revision), or None when the stored story lacks that part
    (it may exist only in an open page, unsaved: the page makes the change there)."""
    locked = StudioWork.objects.select_for_update().filter(entry_id=entry_id).first()
    if locked is None:
        return None
    novel = parse_document(locked.document)
    if node_id not in {n.id for n in novel.nodes}:
        return None
    change(novel.node(node_id))
    locked.document = novel.model_dump(mode="json", exclude_none=True)
    locked.revision += 1
    locked.save(update_fields=["document", "revision", "updated_at"])
    return locked.revision


def _picture_asset(entry: Entry, asset_pk: Any) -> Any:
    """A picture made for this entry's story (by any of its studio jobs), or None."""
    if not isinstance(asset_pk, int) or isinstance(asset_pk, bool):
        return None
    return (JobAsset.objects.select_related("job__owner")
            .filter(pk=asset_pk, job__studio_job__entry=entry, job__studio_job__step=Step.PICTURE,
                    job__status=JobStatus.SUCCEEDED).first())  # fmt: skip


def picture_bytes(entry: Entry, asset_pk: Any) -> bytes:
    asset = _picture_asset(entry, asset_pk)
    if asset is None:
        raise ServiceError(_("That picture does not exist."), "not_found")
    with asset.file.open("rb") as handle:
        return bytes(handle.read())


def pick_illustration(actor: User, work: StudioWork, *, node_id: str, asset_pk: Any, alt: str = "") -> tuple[dict[str, Any], int | None]:
    """One of a picture job's candidates becomes the part's illustration: a reference to the stored PNG with
    its provenance (the exports put the picture itself inline). Returns the illustration as JSON and the
    new revision of the stored story (None when the part is not saved yet: the page keeps it until saved)."""
    from aigc_contest.safety import check_image
    from aigc_contest.works.novel.model import Illustration
    from aigc_contest.works.storybook.pipeline import provenance_of

    require(actor, "entries.edit_entry", work.entry)
    asset = _picture_asset(work.entry, asset_pk)
    if asset is None:
        raise ServiceError(_("That picture cannot be used for this story."), "not_found")
    png = picture_bytes(work.entry, asset_pk)
    verdict = check_image(png, policy_for(asset.job.owner))  # the school's own settings may be stricter
    record_verdict(actor, SafetyEvent.Where.GENERATED_IMAGE, verdict, data=png, job=asset.job)
    if not verdict.allowed:
        raise ServiceError(verdict.message(_language()), "refused")
    alt = " ".join(str(alt or "").split())[:200]
    if alt:
        _screen_words(actor, alt)
    try:
        provenance = provenance_of(png, job=asset.job_id, asset=asset.pk, node=node_id)
    except ValueError as exc:
        raise ServiceError(_("That picture cannot be used for this story."), "not_found") from exc
    illustration = Illustration(asset=f"job-asset:{asset.pk}", alt=alt, provenance=provenance)
    with transaction.atomic():
        revision = _change_node(work.entry_id, node_id, lambda node: setattr(node, "illustration", illustration))
    work.refresh_from_db()
    return illustration.model_dump(mode="json", exclude_none=True), revision


def asset_reader(entry: Entry) -> Any:
    """Reads `job-asset:N` illustration references, for this entry's own pictures only (a story cannot
    pull in another entry's files by naming them)."""

    def read(reference: str) -> bytes | None:
        match = ASSET_REF.match(reference)
        if match is None:
            return None
        try:
            return picture_bytes(entry, int(match.group(1)))
        except (ServiceError, OSError):
            return None

    return read


def playable_html(work: StudioWork, document: Any = None) -> str:
    """The saved story (or `document`, the page's current one) as one playable page, pictures inline."""
    from aigc_contest.works.novel.html_player import write_html

    novel = parse_document(work.document if document is None else document)
    return write_html(novel, asset_reader(work.entry))


def submit_work(actor: User, work: StudioWork, now: datetime | None = None) -> EntryVersion:
    """Export the playable HTML, make it the entry's draft file, and submit the entry.

    A story with defects is not submitted: each defect is listed for the student to fix."""
    entry = work.entry
    require(actor, "entries.submit_entry", entry)
    novel = parse_document(work.document)
    defects = defects_of(novel)
    if defects:
        raise ServiceError(
            _("Fix these problems before submitting: %s") % "; ".join(d["message"] for d in defects[:5]), "defects"
        )
    _screen_text(actor, novel)
    html = playable_html(work)
    entry_services.set_draft_from_work(
        actor,
        entry,
        filename="novel.html",
        data=html.encode("utf-8"),
        mime="text/html",
        meta={"studio_revision": work.revision, "nodes": len(novel.nodes),
              "endings": sum(1 for n in novel.nodes if n.is_ending),
              "illustrations": [{"node": n.id, "asset": n.illustration.asset, "provenance": n.illustration.provenance}
                                for n in novel.nodes if n.illustration is not None]},
    )  # fmt: skip
    return entry_services.submit_entry(actor, entry, now)
