"""Writes for studio storybooks: start, run the pipeline as jobs, apply finished jobs, edit, export, submit.

The pipeline's steps run as jobs (`storybook.text` for writing, `image` for pictures), so the page shows
live progress and a class of 30 shares the workers fairly. A finished job is applied to the book by
`sync_work`: exactly once (the step row is claimed atomically), from the worker as soon as it stores the
result (see signals.py) and again, harmlessly, whenever the book is opened. `sync_work` then starts the
next step that has work left, so the pipeline resumes from wherever it stopped.

Submitting stores the exported PDF as the entry's file. The version's `meta["storybook"]` holds the book
JSON (pictures by relative path, each with its provenance: model, prompt, seed, job, hash), and
`meta["book_archive"]` names a second stored file, a zip of `book.json` + `assets/`, content-addressed and
never overwritten, from which the book can be re-exported.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from aigc_contest.web.accounts.models import User
from aigc_contest.web.core.errors import ServiceError, require
from aigc_contest.web.core.translation import product_language
from aigc_contest.web.entries import services as entry_services
from aigc_contest.web.entries.models import Entry, EntryVersion
from aigc_contest.web.jobs.models import FINAL_STATUSES, Job, JobStatus
from aigc_contest.web.jobs.services import submit_job
from aigc_contest.web.moderation.selectors import policy_for
from aigc_contest.web.moderation.services import job_policy_params, screen_text
from aigc_contest.web.storybooks.jobs import TEXT_KIND
from aigc_contest.web.storybooks.models import StorybookStep, StorybookWork
from aigc_contest.works.storybook.model import ImageAsset, Page, Storybook, StorybookError
from aigc_contest.works.storybook.pipeline import BookBrief, StoryPlan, next_step, pages_without_image

logger = logging.getLogger(__name__)
Step = StorybookStep.Step
PIPELINE_STEPS = (Step.OUTLINE, Step.CHARACTERS, Step.PAGES)


def language() -> str:
    return product_language()


def plan_of(work: StorybookWork) -> StoryPlan:
    return StoryPlan.model_validate(work.plan)


def book_of(work: StorybookWork) -> Storybook | None:
    return None if work.document is None else Storybook.model_validate(work.document)


def _screen(actor: User, *texts: str) -> None:
    """Participants' own words go through their school's safety settings and the audit log; the reason never
    repeats the words."""
    screen_text(actor, "\n".join(t for t in texts if t))


# ---------------------------------------------------------------- starting


def new_seed() -> int:
    """Every new book samples its own story; the seed is kept in the plan so a step can be repeated."""
    import secrets

    return secrets.randbelow(2**31)


def start_book(actor: User, entry: Entry, *, theme: str, brief: str = "", pages: int = 6, age_band: str = "9-11",
               style: str = "", book_language: str | None = None, seed: int | None = None) -> StorybookWork:  # fmt: skip
    """Create the entry's storybook and queue its first step (the outline)."""
    require(actor, "entries.edit_entry", entry)
    if entry.work_type != "storybook":
        raise ServiceError(_("The storybook studio makes storybooks; this entry is another type of work."))
    if StorybookWork.objects.filter(entry=entry).exists():
        raise ServiceError(_("This entry already has a storybook in the studio."), "exists")
    _screen(actor, theme, brief, style)  # before the transaction, so a refusal stays in the audit log
    with transaction.atomic():
        return _start_book(actor, entry, theme=theme, brief=brief, pages=pages, age_band=age_band, style=style,
                           book_language=book_language, seed=seed)  # fmt: skip


def _start_book(actor: User, entry: Entry, *, theme: str, brief: str, pages: int, age_band: str, style: str,
                book_language: str | None, seed: int | None) -> StorybookWork:  # fmt: skip
    from pydantic import ValidationError

    try:
        plan = StoryPlan(brief=BookBrief(
            theme=theme.strip(), brief=brief.strip(), language=book_language or language(),  # type: ignore[arg-type]
            age_band=age_band, pages=pages, style=style.strip(), author=entry.team.name[:200],  # type: ignore[arg-type]
            competition=entry.category.competition.tr("name")[:200], seed=new_seed() if seed is None else seed,
        ))  # fmt: skip
    except ValidationError as exc:
        raise ServiceError(_("These storybook settings cannot be used: %s") % "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from exc  # fmt: skip
    work = StorybookWork.objects.create(entry=entry, plan=plan.model_dump(mode="json"), updated_by=actor)
    advance(work, actor)
    return work


# ---------------------------------------------------------------- jobs


def _submit(actor: User, work: StorybookWork, step: str, params: dict[str, Any], page_id: str = "") -> StorybookStep:
    # The school's safety settings travel with every step, writing and pictures alike.
    params = {**params, **job_policy_params(actor)}
    job = submit_job(actor, TEXT_KIND if step != Step.PICTURE else "image", params)
    return StorybookStep.objects.create(work=work, job=job, step=step, page_id=page_id)


def pending_steps(work: StorybookWork) -> list[StorybookStep]:
    """Steps not yet in the book: waiting, running, or failed (which a retry brings back)."""
    return list(work.steps.filter(applied=False).select_related("job"))


def advance(work: StorybookWork, actor: User | None = None) -> list[StorybookStep]:
    """Queue the next pipeline step with work left, unless one is already under way (or failed: the
    student decides whether to try again). Returns the steps queued."""
    actor = actor or work.updated_by or _owner_of(work)
    pending = pending_steps(work)
    book = book_of(work)
    if book is None:
        if any(s.step in PIPELINE_STEPS for s in pending):
            return []
        step = next_step(plan_of(work), None)
        assert step in PIPELINE_STEPS
        return [_submit(actor, work, step, {"step": step, "plan": work.plan})]
    if not work.auto_pictures:
        return []
    queued = request_pictures(actor, work, pages_without_image(book))
    StorybookWork.objects.filter(pk=work.pk).update(auto_pictures=False)
    work.auto_pictures = False
    return queued


def _owner_of(work: StorybookWork) -> User:
    return work.entry.team.members.order_by("pk").first() or work.entry.team.supervising_teacher  # type: ignore[return-value]


def request_pictures(actor: User, work: StorybookWork, page_ids: list[str]) -> list[StorybookStep]:
    """Queue a new picture for each page (a page already being drawn is skipped)."""
    from aigc_contest.generation.registry import RegistryError
    from aigc_contest.works.storybook.pipeline import Generator, illustration_request

    book = book_of(work)
    if book is None:
        raise ServiceError(_("The pages are not written yet."), "not_ready")
    busy = {s.page_id for s in pending_steps(work) if s.step == Step.PICTURE and s.job.status not in FINAL_STATUSES}
    generator = Generator(policy=policy_for(actor))
    try:
        model = generator.model_name(plan_of(work).brief.image_model, "image")
        size = generator.image_size(model)
    except RegistryError as exc:
        raise ServiceError(_("No picture model is set up on this site. Ask your teacher."), "no_model") from exc
    queued = []
    for page_id in page_ids:
        if page_id in busy:
            continue
        try:
            request = illustration_request(book, page_id, model, size=size)
        except StorybookError:
            continue  # an empty page has nothing to draw yet
        queued.append(_submit(actor, work, Step.PICTURE, request.model_dump(mode="json"), page_id))
    return queued


def rewrite_page(actor: User, work: StorybookWork, page_id: str, instruction: str = "") -> StorybookStep:
    require(actor, "entries.edit_entry", work.entry)
    book = _require_book(work)
    _page(book, page_id)
    _screen(actor, instruction)
    seed = hashlib.sha256(f"{page_id}:{work.revision}".encode()).digest()[0]
    return _submit(actor, work, Step.PAGE_TEXT, {"step": "page_text", "plan": work.plan, "page_id": page_id,
                                                 "book": _without_pictures(book), "instruction": instruction[:300],
                                                 "seed": seed}, page_id)  # fmt: skip


def new_picture(actor: User, work: StorybookWork, page_id: str) -> StorybookStep:
    require(actor, "entries.edit_entry", work.entry)
    _page(_require_book(work), page_id)
    queued = request_pictures(actor, work, [page_id])
    if not queued:
        raise ServiceError(_("This page is already being drawn, or has no words to draw yet."), "busy")
    return queued[0]


def _without_pictures(book: Storybook) -> dict[str, Any]:
    """The book as a writing step needs it (job parameters stay small)."""
    data = book.model_dump(mode="json", exclude={"cover_image"})
    for page in data["pages"]:
        page["image"], page["candidates"] = None, []
    for character in data["characters"]:
        character["reference_image"] = None
    return data


# ---------------------------------------------------------------- applying finished jobs


def sync_work(work: StorybookWork) -> StorybookWork:
    """Put every finished step's result into the book (each once), then queue what comes next."""
    changed = False
    for step in work.steps.filter(applied=False, job__status=JobStatus.SUCCEEDED).select_related("job"):
        with transaction.atomic():
            if not StorybookStep.objects.filter(pk=step.pk, applied=False).update(applied=True):
                continue  # another request applied it
            locked = StorybookWork.objects.select_for_update().get(pk=work.pk)
            try:
                _apply(locked, step)
            except (StorybookError, ValueError) as exc:  # a result that no longer fits (e.g. page deleted)
                logger.info("storybook step %s not applied: %s", step.pk, exc)
                continue
            locked.revision += 1
            locked.save(update_fields=["plan", "document", "revision", "updated_at"])
            changed = True
    work.refresh_from_db()
    if changed or not pending_steps(work):
        try:
            advance(work)
        except ServiceError as exc:  # no picture model, a quota: the page says so when the student asks
            logger.info("storybook %s not advanced: %s", work.pk, exc.message)
        work.refresh_from_db()
    return work


def _apply(work: StorybookWork, step: StorybookStep) -> None:
    result = step.job.result or {}
    if step.step in (Step.OUTLINE, Step.CHARACTERS):
        work.plan = StoryPlan.model_validate(result["plan"]).model_dump(mode="json")
    elif step.step == Step.PAGES:
        if work.document is not None:
            return  # the pages were written already; never overwrite the student's edits
        plan = StoryPlan.model_validate(result["plan"])
        work.plan = plan.model_dump(mode="json")
        work.document = Storybook.model_validate(result["book"]).model_dump(mode="json")
    elif step.step == Step.PAGE_TEXT:
        book = _require_book(work)
        page = Page.model_validate({**result["page"], "image": None, "candidates": []})
        work.document = book.edit_page(step.page_id, text=page.text, illustration_prompt=page.illustration_prompt,
                                       characters=page.characters).model_dump(mode="json")  # fmt: skip
    elif step.step == Step.PICTURE:
        work.document = _attach_job_pictures(_require_book(work), step).model_dump(mode="json")


def _attach_job_pictures(book: Storybook, step: StorybookStep) -> Storybook:
    """The job's PNGs become candidates of the page (the first one chosen if the page has none)."""
    from aigc_contest.works.storybook.pipeline import attach_candidates, provenance_of

    assets = []
    for asset in step.job.assets.order_by("index"):
        with asset.file.open("rb") as handle:
            png = handle.read()
        provenance = provenance_of(png, job=step.job_id, asset=asset.pk, page=step.page_id)
        assets.append(ImageAsset(path=asset.file.name, media_type="image/png", provenance=provenance))
    return attach_candidates(book, step.page_id, assets)


# ---------------------------------------------------------------- edits


def _require_book(work: StorybookWork) -> Storybook:
    book = book_of(work)
    if book is None:
        raise ServiceError(_("The pages are not written yet."), "not_ready")
    return book


def _page(book: Storybook, page_id: str) -> Page:
    try:
        return book.page(page_id)
    except StorybookError as exc:
        raise ServiceError(_("That page does not exist."), "bad_request") from exc


def edit_book(actor: User, work: StorybookWork, operation: str, **args: Any) -> StorybookWork:
    """One edit of the book, applied to the current document atomically (never to a stale copy).

    Operations: text(page, text, scene) · title(title) · add(after) · delete(page) · move(page, offset)
    · choose(page, index)."""
    require(actor, "entries.edit_entry", work.entry)
    # The child's words are screened before the transaction, so a refusal stays in the audit log.
    if operation == "text":
        _screen(actor, str(args.get("text", "")).strip(), str(args.get("scene", "")).strip())
    elif operation == "title":
        _screen(actor, str(args.get("title", "")).strip())
    with transaction.atomic():
        locked = StorybookWork.objects.select_for_update().get(pk=work.pk)
        book = _require_book(locked)
        try:
            book = _edit(book, operation, args)
        except StorybookError as exc:
            raise ServiceError(_("This change cannot be made: %s") % "; ".join([exc.message, *exc.details[:3]]),
                               "invalid") from exc  # fmt: skip
        locked.document = book.model_dump(mode="json")
        locked.revision += 1
        locked.updated_by = actor
        locked.save(update_fields=["document", "revision", "updated_by", "updated_at"])
    work.refresh_from_db()
    return work


def _edit(book: Storybook, operation: str, args: dict[str, Any]) -> Storybook:
    if operation == "text":
        _page(book, args["page"])
        text, scene = str(args.get("text", "")).strip(), str(args.get("scene", "")).strip()  # screened by edit_book
        return book.edit_page(args["page"], text=text, illustration_prompt=scene)
    if operation == "title":
        title = str(args.get("title", "")).strip()
        if not title:
            raise ServiceError(_("The book needs a title."), "invalid")
        return Storybook.model_validate({**book.model_dump(), "title": title[:200]})
    if operation == "add":
        after = str(args.get("after") or "")
        position = book.page_index(after) + 1 if after else len(book.pages)
        return book.add_page(Page(id=book.new_page_id()), position)
    if operation == "delete":
        _page(book, args["page"])
        if len(book.pages) <= 1:
            raise ServiceError(_("A book needs at least one page."), "invalid")
        return book.delete_page(args["page"])
    if operation == "move":
        index = book.page_index(args["page"])
        return book.move_page(args["page"], max(0, index + int(args.get("offset", 0))))
    if operation == "choose":
        _page(book, args["page"])
        return book.choose_candidate(args["page"], int(args["index"]))
    raise ServiceError(_("Unknown change."), "bad_request")


# ---------------------------------------------------------------- pictures and exports


def materialized(book: Storybook) -> Storybook:
    """The book with every picture's bytes inline (read from storage), ready for an exporter."""

    def inline(asset: ImageAsset | None) -> ImageAsset | None:
        if asset is None or asset.data is not None:
            return asset
        assert asset.path is not None
        try:
            with default_storage.open(asset.path, "rb") as handle:
                data = handle.read()
        except (OSError, FileNotFoundError) as exc:
            raise ServiceError(_("A picture of this book is missing from storage."), "missing_file") from exc
        return ImageAsset(data=data, media_type=asset.media_type, provenance=asset.provenance)

    data = book.model_copy(deep=True)
    data.cover_image = inline(data.cover_image)
    for page in data.pages:
        page.image = inline(page.image)
        page.candidates = []  # exports show the chosen pictures only
    for character in data.characters:
        character.reference_image = inline(character.reference_image)
    return data


def picture_bytes(book: Storybook, page_id: str, index: int | None) -> bytes:
    """A page's chosen picture (index None) or candidate `index`, read from storage."""
    page = _page(book, page_id)
    asset = page.image if index is None else (page.candidates[index] if 0 <= index < len(page.candidates) else None)
    if asset is None:
        raise ServiceError(_("That picture does not exist."), "not_found")
    if asset.data is not None:
        return asset.data
    with default_storage.open(str(asset.path), "rb") as handle:
        return handle.read()


EXPORT_TYPES = {"pdf": "application/pdf", "epub": "application/epub+zip", "html": "text/html"}


def export(work: StorybookWork, fmt: str, *, anonymous: bool = False) -> bytes:
    """The book in `fmt`; `anonymous` leaves the author (the team's name) off the cover and out of the
    file's metadata, as the copy judges read must be."""
    from aigc_contest.works.storybook.export import export_book

    if fmt not in EXPORT_TYPES:
        raise ServiceError(_("Unknown export format."), "bad_request")
    book = materialized(_require_book(work))
    if anonymous:
        book = book.model_copy(update={"author": ""})
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"book.{fmt}"
        try:
            export_book(book, None, fmt, out)  # type: ignore[arg-type]
        except StorybookError as exc:
            raise ServiceError(_("The book could not be exported: %s") % exc.message, "export_failed") from exc
        return out.read_bytes()


def archive(book: Storybook) -> tuple[bytes, dict[str, Any]]:
    """A zip of book.json + assets/ (chosen pictures only), and the book JSON it holds."""
    from aigc_contest.works.storybook.model import BOOK_FILE_NAME, save_book

    with tempfile.TemporaryDirectory() as folder:
        save_book(materialized(book), folder)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
            for path in sorted(Path(folder).rglob("*")):
                if path.is_file():
                    zipped.write(path, path.relative_to(folder).as_posix())
        book_json = json.loads((Path(folder) / BOOK_FILE_NAME).read_text(encoding="utf-8"))
    return buffer.getvalue(), book_json


def submit_work(actor: User, work: StorybookWork, now: Any = None) -> EntryVersion:
    """Export the PDF, store it (and the book archive) as the entry's draft, and submit the entry."""
    entry = work.entry
    require(actor, "entries.submit_entry", entry)
    work = sync_work(work)
    book = _require_book(work)
    empty = [str(number) for number, page in enumerate(book.pages, 1) if not page.text.strip()]
    if empty:
        raise ServiceError(_("Write something on every page before submitting (empty: page %s).") % ", ".join(empty),
                           "empty_pages")  # fmt: skip
    _screen(actor, book.title, *(page.text for page in book.pages))
    pdf = export(work, "pdf", anonymous=True)  # judging is blind: no team name on the cover or in the metadata
    zipped, book_json = archive(book)
    sha256 = hashlib.sha256(zipped).hexdigest()
    archive_path = f"storybooks/{entry.pk}/{sha256[:32]}.zip"
    if not default_storage.exists(archive_path):
        archive_path = default_storage.save(archive_path, ContentFile(zipped))
    entry_services.set_draft_from_work(
        actor, entry, filename="storybook.pdf", data=pdf, mime="application/pdf",
        meta={"studio_revision": work.revision, "pages": len(book.pages),
              "pictures": sum(1 for p in book.pages if p.image is not None),
              "storybook": book_json,
              "book_archive": {"path": archive_path, "sha256": sha256, "size": len(zipped)}},
    )  # fmt: skip
    return entry_services.submit_entry(actor, entry, now)


def is_busy(work: StorybookWork) -> bool:
    return Job.objects.filter(storybook_step__work=work, storybook_step__applied=False).exclude(
        status__in=FINAL_STATUSES).exists()  # fmt: skip
