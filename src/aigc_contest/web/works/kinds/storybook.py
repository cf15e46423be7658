"""Storybooks: the document is `{"plan": StoryPlan JSON, "book": aigc-contest/storybook JSON or null,
"auto_pictures": bool}` (core: `aigc_contest.works.storybook`).

The pipeline's writing steps (`storybook.text`: outline, character sheet, page texts, one page again) run
as jobs one after another: each finished one queues the next (`next_steps`), so the book resumes from
wherever it stopped. Once the pages exist every page is drawn once; a page's pictures are candidates
named by their `job-asset:N` reference (`works.pictures`: the job's PNG files, read only for this work),
each with the provenance read from the PNG. A book holds no storage paths.

Submitting stores the exported PDF as the entry's file; the version's `meta["storybook"]` holds the book
JSON and `meta["book_archive"]` a content-addressed zip of `book.json` + `assets/` to re-export it from."""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.jobs.kinds import SAFETY_POLICY_PARAM, JobFailure, JobOutput, Progress, safety_policy_of
from aigc_contest.web.jobs.models import FINAL_STATUSES
from aigc_contest.web.works import pictures
from aigc_contest.web.works.base import (
    IMAGE_JOB,
    PICTURE,
    ImageModel,
    Next,
    Picture,
    Step,
    VersionFile,
    Words,
    language,
    new_seed,
)
from aigc_contest.web.works.models import Work, WorkJob, WorkKind
from aigc_contest.works.storybook.model import ImageAsset, Page, Storybook, StorybookError
from aigc_contest.works.storybook.pipeline import BookBrief, StoryPlan, next_step, pages_without_image

OUTLINE, CHARACTERS, PAGES, PAGE_TEXT = "outline", "characters", "pages", "page_text"
PIPELINE_STEPS = (OUTLINE, CHARACTERS, PAGES)
TEXT_STEPS = (*PIPELINE_STEPS, PAGE_TEXT)
EXPORT_TYPES = {"pdf": "application/pdf", "epub": "application/epub+zip", "html": "text/html"}


def plan_of(work: Work) -> StoryPlan:
    return StoryPlan.model_validate((work.document or {}).get("plan"))


def book_of(work: Work) -> Storybook | None:
    book = (work.document or {}).get("book")
    return None if book is None else Storybook.model_validate(book)


def auto_pictures(work: Work) -> bool:
    return bool((work.document or {}).get("auto_pictures", True))


def document_of(
    plan: StoryPlan | dict[str, Any], book: Storybook | dict[str, Any] | None, auto: bool
) -> dict[str, Any]:
    return {
        "plan": plan.model_dump(mode="json") if isinstance(plan, StoryPlan) else plan,
        "book": book.model_dump(mode="json") if isinstance(book, Storybook) else book,
        "auto_pictures": auto,
    }


def require_book(work: Work) -> Storybook:
    book = book_of(work)
    if book is None:
        raise ServiceError(_("The pages are not written yet."), "not_ready")
    return book


def page_of(book: Storybook, page_id: str) -> Page:
    try:
        return book.page(page_id)
    except StorybookError as exc:
        raise ServiceError(_("That page does not exist."), "bad_request") from exc


def without_pictures(book: Storybook) -> dict[str, Any]:
    """The book as a writing step needs it (job parameters stay small)."""
    data = book.model_dump(mode="json", exclude={"cover_image"})
    for page in data["pages"]:
        page["image"], page["candidates"] = None, []
    for character in data["characters"]:
        character["reference_image"] = None
    return data


def edited(book: Storybook, operation: str, args: dict[str, Any]) -> Storybook:
    """One edit of the book: text(page, text, scene) · title(title) · add(after) · delete(page) ·
    move(page, offset) · choose(page, index). The words were screened by the services first."""
    if operation == "text":
        page_of(book, args["page"])
        text, scene = str(args.get("text", "")).strip(), str(args.get("scene", "")).strip()
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
        page_of(book, args["page"])
        if len(book.pages) <= 1:
            raise ServiceError(_("A book needs at least one page."), "invalid")
        return book.delete_page(args["page"])
    if operation == "move":
        index = book.page_index(args["page"])
        return book.move_page(args["page"], max(0, index + int(args.get("offset", 0))))
    if operation == "choose":
        page_of(book, args["page"])
        return book.choose_candidate(args["page"], int(args["index"]))
    raise ServiceError(_("Unknown change."), "bad_request")


def edit_words(operation: str, args: dict[str, Any]) -> list[Words]:
    """The child's words an edit brings in (screened before the edit is made)."""
    if operation == "text":
        return [
            Words(
                "\n".join(
                    t for t in (str(args.get("text", "")).strip(), str(args.get("scene", "")).strip()) if t
                )
            )
        ]
    if operation == "title":
        return [Words(str(args.get("title", "")).strip())]
    return []


# ---------------------------------------------------------------- pictures and exports


Reader = Callable[[str], bytes | None]


def materialized(book: Storybook, read: Reader) -> Storybook:
    """The book with every picture's bytes inline (its references read by `read`), ready for an exporter."""

    def inline(asset: ImageAsset | None) -> ImageAsset | None:
        if asset is None or asset.data is not None:
            return asset
        data = read(str(asset.path))
        if data is None:
            raise ServiceError(_("A picture of this book is missing from storage."), "missing_file")
        return ImageAsset(data=data, media_type=asset.media_type, provenance=asset.provenance)

    data = book.model_copy(deep=True)
    data.cover_image = inline(data.cover_image)
    for page in data.pages:
        page.image = inline(page.image)
        page.candidates = []  # exports show the chosen pictures only
    for character in data.characters:
        character.reference_image = inline(character.reference_image)
    return data


def picture_bytes(work: Work, book: Storybook, page_id: str, index: int | None) -> bytes:
    """A page's chosen picture (index None) or candidate `index`: one of the work's own pictures."""
    page = page_of(book, page_id)
    asset = (
        page.image
        if index is None
        else (page.candidates[index] if 0 <= index < len(page.candidates) else None)
    )
    if asset is None:
        raise ServiceError(_("That picture does not exist."), "not_found")
    data = asset.data if asset.data is not None else pictures.read(work, asset.path)
    if data is None:
        raise ServiceError(_("That picture does not exist."), "not_found")
    return data


def export(work: Work, fmt: str, *, anonymous: bool = False) -> bytes:
    """The book in `fmt`; `anonymous` leaves the author (the team's name) off the cover and out of the
    file's metadata, as the copy judges read must be."""
    from aigc_contest.works.storybook.export import export_book

    if fmt not in EXPORT_TYPES:
        raise ServiceError(_("Unknown export format."), "bad_request")
    book = materialized(require_book(work), pictures.reader(work))
    if anonymous:
        book = book.model_copy(update={"author": ""})
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"book.{fmt}"
        try:
            export_book(book, None, fmt, out)  # type: ignore[arg-type]
        except StorybookError as exc:
            raise ServiceError(
                _("The book could not be exported: %s") % exc.message, "export_failed"
            ) from exc
        return out.read_bytes()


def archive(book: Storybook, read: Reader) -> tuple[bytes, dict[str, Any]]:
    """A zip of book.json + assets/ (chosen pictures only, their references read by `read`), and the book
    JSON it holds."""
    from aigc_contest.works.storybook.model import BOOK_FILE_NAME, save_book

    with tempfile.TemporaryDirectory() as folder:
        save_book(materialized(book, read), folder)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
            for path in sorted(Path(folder).rglob("*")):
                if path.is_file():
                    zipped.write(path, path.relative_to(folder).as_posix())
        book_json = json.loads((Path(folder) / BOOK_FILE_NAME).read_text(encoding="utf-8"))
    return buffer.getvalue(), book_json


class StorybookKind:
    kind = WorkKind.STORYBOOK
    text_job = "storybook.text"
    steps = {
        OUTLINE: gettext_lazy("Planning the story"),
        CHARACTERS: gettext_lazy("Designing the characters"),
        PAGES: gettext_lazy("Writing the pages"),
        PAGE_TEXT: gettext_lazy("Rewriting a page"),
        PICTURE: gettext_lazy("Drawing a picture"),
    }

    def wrong_entry(self) -> str:
        return _("The storybook studio makes storybooks; this entry is another type of work.")

    def start(self, entry: Any, options: dict[str, Any]) -> dict[str, Any] | None:
        from pydantic import ValidationError

        seed = options.get("seed")
        try:
            plan = StoryPlan(brief=BookBrief(
                theme=str(options.get("theme") or "").strip(), brief=str(options.get("brief") or "").strip(),
                language=options.get("book_language") or language(),  # type: ignore[arg-type]
                age_band=options.get("age_band") or "9-11",
                pages=options.get("pages") or 6, style=str(options.get("style") or "").strip(),
                author=entry.team.name[:200], competition=entry.category.competition.tr("name")[:200],
                seed=new_seed() if seed is None else seed,
            ))  # fmt: skip
        except ValidationError as exc:
            raise ServiceError(_("These storybook settings cannot be used: %s") % "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from exc  # fmt: skip
        return document_of(plan, None, True)

    def texts(self, document: Any) -> list[Words]:
        book = (document or {}).get("book")
        if book is None:
            brief = StoryPlan.model_validate(document["plan"]).brief
            return [Words("\n".join(t for t in (brief.theme, brief.brief, brief.style) if t))]
        story = Storybook.model_validate(book)
        return [Words("\n".join(t for t in (story.title, *(page.text for page in story.pages)) if t))]

    def clean(self, document: Any) -> dict[str, Any]:
        try:
            plan = StoryPlan.model_validate(document["plan"])
            book = None if document.get("book") is None else Storybook.model_validate(document["book"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ServiceError(_("This change cannot be made."), "invalid") from exc
        return document_of(plan, book, bool(document.get("auto_pictures", True)))

    # ---------------------------------------------------------------- writing jobs

    def text_params(
        self, work: Work, step: str, target: str, document: Any, options: dict[str, Any]
    ) -> dict[str, Any]:
        plan = (work.document or {})["plan"]
        if step in PIPELINE_STEPS:
            return {"step": step, "plan": plan}
        book = require_book(work)
        page_of(book, target)
        seed = hashlib.sha256(f"{target}:{work.revision}".encode()).digest()[0]
        return {"step": PAGE_TEXT, "plan": plan, "page_id": target, "book": without_pictures(book),
                "instruction": str(options.get("instruction") or "")[:300], "seed": seed}  # fmt: skip

    def prepare_text(self, params: dict[str, Any]) -> dict[str, Any]:
        from pydantic import ValidationError

        step = params.get("step")
        if step not in TEXT_STEPS:
            raise JobFailure(f"unknown storybook step {step!r}")
        try:
            StoryPlan.model_validate(params.get("plan"))
            if step == PAGE_TEXT:
                Storybook.model_validate(params.get("book")).page(str(params.get("page_id")))
            if params.get(SAFETY_POLICY_PARAM):
                safety_policy_of(params)
        except (ValidationError, ValueError) as exc:
            raise JobFailure("This storybook step cannot be started.", detail=str(exc)) from exc
        return dict(params)

    def run_text(self, params: dict[str, Any], progress: Progress) -> JobOutput:
        from aigc_contest.works.storybook import pipeline

        plan = pipeline.StoryPlan.model_validate(params["plan"])
        generator = pipeline.Generator(
            policy=safety_policy_of(params)
        )  # the school's settings, None for the default
        step = params["step"]
        progress(0.05, "writing")
        if step == OUTLINE:
            return JobOutput(result={"plan": pipeline.make_outline(plan, generator).model_dump(mode="json")})
        if step == CHARACTERS:
            return JobOutput(
                result={"plan": pipeline.make_character_sheet(plan, generator).model_dump(mode="json")}
            )
        if step == PAGES:
            plan, book = pipeline.make_page_texts(plan, generator)
            return JobOutput(
                result={"plan": plan.model_dump(mode="json"), "book": book.model_dump(mode="json")}
            )
        book = Storybook.model_validate(params["book"])
        page_id = str(params["page_id"])
        rewritten = pipeline.regenerate_page_text(book, page_id, generator, model=plan.brief.text_model,
                                                  instruction=str(params.get("instruction") or "")[:300],
                                                  seed=params.get("seed"))  # fmt: skip
        return JobOutput(
            result={"page": rewritten.page(page_id).model_dump(mode="json", exclude={"image", "candidates"})}
        )

    # ---------------------------------------------------------------- results

    def apply(
        self, work: Work, item: WorkJob, screen: Callable[[Any, dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any] | None:
        result = item.job.result or {}
        plan, book, auto = (work.document or {}).get("plan"), book_of(work), auto_pictures(work)
        try:
            if item.step in (OUTLINE, CHARACTERS):
                plan = StoryPlan.model_validate(result["plan"]).model_dump(mode="json")
            elif item.step == PAGES:
                if book is not None:
                    return None  # the pages were written already; never overwrite the student's edits
                plan = StoryPlan.model_validate(result["plan"]).model_dump(mode="json")
                book = Storybook.model_validate(result["book"])
            elif item.step == PAGE_TEXT:
                page = Page.model_validate({**result["page"], "image": None, "candidates": []})
                book = require_book(work).edit_page(item.target, text=page.text,
                                                    illustration_prompt=page.illustration_prompt,
                                                    characters=page.characters)  # fmt: skip
            elif item.step == PICTURE:
                book = self._attach_job_pictures(require_book(work), item)
        except (
            StorybookError,
            ValueError,
            KeyError,
        ) as exc:  # a result that no longer fits (e.g. page deleted)
            raise ServiceError(str(exc)[:200], "invalid") from exc
        return document_of(plan, book, auto)  # type: ignore[arg-type]

    @staticmethod
    def _attach_job_pictures(book: Storybook, item: WorkJob) -> Storybook:
        """The job's PNGs become candidates of the page (the first one chosen if the page has none)."""
        from aigc_contest.works.storybook.pipeline import attach_candidates, provenance_of

        assets = []
        for asset in item.job.assets.order_by("index"):
            with asset.file.open("rb") as handle:
                png = handle.read()
            provenance = provenance_of(png, job=item.job_id, asset=asset.pk, page=item.target)
            assets.append(ImageAsset(path=pictures.reference(asset.pk), media_type="image/png",
                                     provenance=provenance))
        return attach_candidates(book, item.target, assets)

    def next_steps(self, work: Work, pending: list[WorkJob]) -> Next:
        """The next pipeline step with work left, unless one is under way (or failed: the student decides
        whether to try again); once the pages exist, every page without a picture is drawn, once."""
        book = book_of(work)
        if book is None:
            if any(item.step in PIPELINE_STEPS for item in pending):
                return Next()
            step = next_step(plan_of(work), None)
            assert step in PIPELINE_STEPS
            return Next([Step(step, self.text_job, {})])
        if not auto_pictures(work):
            return Next()
        steps = [Step(PICTURE, IMAGE_JOB, {}, page_id) for page_id in pages_without_image(book)]
        return Next(steps, document_of(work.document["plan"], work.document["book"], False))  # type: ignore[index]

    # ---------------------------------------------------------------- pictures

    def picture_prompt(
        self, work: Work, target: str, model: ImageModel, options: dict[str, Any]
    ) -> dict[str, Any] | None:
        from aigc_contest.works.storybook.pipeline import illustration_request

        try:
            request = illustration_request(
                require_book(work), target, model.name, size=(model.width, model.height)
            )
        except StorybookError:
            return None  # an empty page has nothing to draw yet
        return request.model_dump(mode="json")

    def use_picture(self, work: Work, target: str, picture: Picture) -> dict[str, Any] | None:
        book = require_book(work)
        page = page_of(book, target)
        for index, candidate in enumerate(page.candidates):
            if candidate.provenance.get("asset") == picture.asset:
                plan = (work.document or {})["plan"]
                return document_of(plan, book.choose_candidate(target, index), auto_pictures(work))
        return None

    # ---------------------------------------------------------------- the submitted file

    def version_file(self, work: Work) -> VersionFile:
        book = require_book(work)
        empty = [str(number) for number, page in enumerate(book.pages, 1) if not page.text.strip()]
        if empty:
            raise ServiceError(_("Write something on every page before submitting (empty: page %s).")
                               % ", ".join(empty), "empty_pages")  # fmt: skip
        pdf = export(
            work, "pdf", anonymous=True
        )  # judging is blind: no team name on the cover or in the metadata
        zipped, book_json = archive(book, pictures.reader(work))
        sha256 = hashlib.sha256(zipped).hexdigest()
        archive_path = f"storybooks/{work.entry_id}/{sha256[:32]}.zip"
        if not default_storage.exists(archive_path):
            archive_path = default_storage.save(archive_path, ContentFile(zipped))
        return VersionFile(
            filename="storybook.pdf", data=pdf, mime="application/pdf",
            meta={"studio_revision": work.revision, "pages": len(book.pages),
                  "pictures": sum(1 for p in book.pages if p.image is not None),
                  "storybook": book_json,
                  "book_archive": {"path": archive_path, "sha256": sha256, "size": len(zipped)}},
        )  # fmt: skip


def busy_pages(pending: list[WorkJob], step: str = PICTURE) -> set[str]:
    """Pages with a `step` job still waiting or running (a failed one does not count)."""
    return {item.target for item in pending if item.step == step and item.job.status not in FINAL_STATUSES}


STORYBOOK = StorybookKind()
