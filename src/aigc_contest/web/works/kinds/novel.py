"""Interactive novels: the document is the `aigc-contest/novel` JSON (core: `aigc_contest.works.novel`).

Writing jobs (`novel.text`): the AI's first draft (graph, then passages) and one part written again.
Pictures illustrate a part; the chosen one is a `job-asset:N` reference (`works.pictures`) with its
provenance, and the
exported player carries it inline."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.jobs.kinds import JobFailure, JobOutput, Progress, safety_policy_of
from aigc_contest.web.works import pictures
from aigc_contest.web.works.base import (
    PICTURE,
    ImageModel,
    Next,
    Picture,
    ResultUnused,
    VersionFile,
    Words,
    language,
    new_seed,
)
from aigc_contest.web.works.kinds.novel_starter import starter_novel
from aigc_contest.web.works.models import Work, WorkJob, WorkKind
from aigc_contest.works.novel.model import Novel, NovelFormatError

MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
MAX_NODES = 300
DRAFT_NODES = 6
PICTURES_PER_REQUEST = 2
MAX_PICTURE_PROMPT = 1000
DRAFT, NODE_TEXT = "draft", "node_text"


def parse_document(document: Any) -> Novel:
    try:
        return Novel.from_data(document)
    except NovelFormatError as exc:
        raise ServiceError(
            _("The story could not be saved: %s") % "; ".join([str(exc), *exc.details[:5]]), "invalid"
        ) from exc


# Messages for the validator's codes, in the page's language; the core's English message is the fallback.
def _defect_messages() -> dict[str, str]:
    return {
        "missing-start": _("The story's start part does not exist."),
        "missing-target": _("A choice leads to a part that does not exist."),
        "unreachable": _("No choice leads to this part, so readers can never see it."),
        "dead-end": _("This part has no choices and is not an ending. Add a choice or make it an ending."),
        "trap": _("From here, readers can never reach an ending."),
        "too-few-endings": _("A story needs at least two endings."),
        "text-too-long": _("This part's text is too long."),
        "label-too-long": _("A choice's words are too long."),
        "title-too-long": _("This part's title is too long."),
        "read-before-set": _("A choice here reads a variable that may have no value yet. Give the variable a "
                             "starting value, or set it on every way to this part."),
        "undeclared-variable": _("A choice here uses a variable that is not in the list of variables."),
        "condition-syntax": _("A choice's condition cannot be read. Check the spelling, the brackets and "
                              "the quotes."),
        "condition-type": _("A choice's condition compares things of different types (a number and words, "
                            "for example)."),
        "bad-set": _("A choice gives a variable a value of the wrong type."),
        "condition-never-true": _("A choice here can never be taken: its condition is false on every way of "
                                  "getting here."),
    }  # fmt: skip


# Which field of a part's form each defect is about (the editor marks it: aria-invalid and an outline).
_DEFECT_FIELDS = {"text-too-long": "text", "title-too-long": "title", "dead-end": "ending", "trap": "choices",
                  "label-too-long": "label", "missing-target": "target", "condition-syntax": "condition",
                  "condition-type": "condition", "condition-never-true": "condition",
                  "undeclared-variable": "condition", "read-before-set": "condition", "bad-set": "sets"}  # fmt: skip
_CHOICE_NUMBER = re.compile(r"^choice (\d+)\b")


def defect_field(code: str, detail: str) -> tuple[str, int | None]:
    """The field a defect is about and, for a choice's field, the choice's index (0 for the first)."""
    field = _DEFECT_FIELDS.get(code, "")
    match = _CHOICE_NUMBER.match(detail)
    choice = int(match.group(1)) - 1 if match else None
    if field in ("condition", "sets") and code == "undeclared-variable" and " sets " in detail:
        field = "sets"
    if field in ("label", "target", "condition", "sets") and choice is None:
        field = "choices"
    return field, choice


def defects_of(novel: Novel) -> list[dict[str, Any]]:
    """The validator's defects as plain data for pages and JSON: code, node, message (translated), detail,
    and the field of the part's form it is about (`field`, with `choice` for a choice's field)."""
    from aigc_contest.works.novel.validate import validate

    messages = _defect_messages()
    found = []
    for d in validate(novel):
        field, choice = defect_field(d.code, d.message)
        found.append({"code": d.code, "node": d.node, "message": messages.get(d.code, d.message),
                      "detail": d.message, "field": field if d.node else "", "choice": choice})  # fmt: skip
    return found


def imported_document(filename: str, data: bytes) -> tuple[dict[str, Any], list[str]]:
    """A `.twee` file or Twine 2 archive as a novel document, and notes on what could not be kept;
    ServiceError("import_failed") in words a child can act on. The words are screened when it is started."""
    from aigc_contest.works.novel.convert import MAX_IMPORT_BYTES, StoryImportError, read_story_upload

    try:
        novel, notes = read_story_upload(filename, data)
    except StoryImportError as exc:
        reason = {
            "wrong_type": _("Choose a Twee file (.twee or .tw) or a story archive saved from Twine 2 (.html)."),
            "too_large": _("The file is too big (the limit is %d MB).") % (MAX_IMPORT_BYTES // 1_000_000),
            "not_text": _("The file is not a text file. Choose a Twee file or a Twine 2 archive."),
        }.get(exc.code, _("The file could not be read as a Twine story."))
        if exc.detail:
            reason = _("%(reason)s (What went wrong: %(detail)s)") % {"reason": reason, "detail": exc.detail}
        raise ServiceError(reason, "import_failed") from exc
    if not novel.title:
        novel = novel.model_copy(update={"title": filename.rsplit(".", 1)[0][:200]})
    return json.loads(novel.model_dump_json(exclude_none=True)), notes


def validate_document(document: Any) -> list[dict[str, Any]]:
    return defects_of(parse_document(document))


def theme_of(work: Work) -> str:
    entry = work.entry
    return entry.theme.tr("title") if entry.theme else entry.title


def suggested_picture_prompt(title: str, text: str, style: str = "") -> str:
    from aigc_contest.works.novel.generate import illustration_prompt

    return illustration_prompt(str(title)[:200], str(text)[:4000], str(style)[:200])


def playable_html(work: Work, document: Any = None) -> str:
    """The saved story (or `document`, the page's current one) as one playable page, pictures inline."""
    from aigc_contest.works.novel.html_player import write_html

    novel = parse_document(work.document if document is None else document)
    return write_html(novel, pictures.reader(work))


class NovelKind:
    kind = WorkKind.NOVEL
    text_job = "novel.text"
    steps = {
        DRAFT: gettext_lazy("Writing a first draft"),
        NODE_TEXT: gettext_lazy("Writing a part again"),
        PICTURE: gettext_lazy("Drawing a picture"),
    }

    def wrong_entry(self) -> str:
        return _("The studio writes interactive novels; this entry is another type of work.")

    def start(self, entry: Any, options: dict[str, Any]) -> dict[str, Any] | None:
        if options.get("draft"):
            return None  # the AI writes the first draft; the document arrives with its job
        if options.get("generate"):
            return self._generated(entry, **options["generate"])
        document = options.get("document")
        return document if document is not None else starter_novel(language(), entry.title)

    @staticmethod
    def _generated(
        entry: Any, *, theme: str, nodes: int = DRAFT_NODES, model: str | None = None
    ) -> dict[str, Any]:
        """A story the text model writes inside this call (graph, then passages): for the command line and
        scripts; the web pages queue the same writing as a `novel.text` job, so a class of 30 does not
        hold 30 web workers."""
        from aigc_contest.generation.registry import RegistryError, shared_registry
        from aigc_contest.generation.types import GenerationError
        from aigc_contest.safety import SafetyRefusal
        from aigc_contest.works.novel.generate import GenerationSettings, generate_novel

        try:
            registry = shared_registry()
            name = registry.resolve(model, "text").name
            backend = registry.text_backend(name)
            report = generate_novel(backend, GenerationSettings(model=name, theme=theme, language=language(),  # type: ignore[arg-type]
                                                                nodes=nodes))  # fmt: skip
        except SafetyRefusal as exc:
            raise ServiceError(exc.message(language()), "refused") from exc
        except (RegistryError, GenerationError) as exc:
            raise ServiceError(_("The AI could not write a story just now. Start from the template instead."),
                               "generation_failed") from exc  # fmt: skip
        document = report.novel.model_dump(mode="json", exclude_none=True)
        document["title"] = document.get("title") or entry.title
        return document

    def texts(self, document: Any) -> list[Words]:
        novel = parse_document(document)
        words = [Words("\n".join(p for p in [node.title, node.text, *(c.label for c in node.choices)] if p), number)
                 for number, node in enumerate(novel.nodes, 1)]  # fmt: skip
        return [*words, Words(novel.title)]

    def clean(self, document: Any) -> dict[str, Any]:
        if not isinstance(document, dict):
            raise ServiceError(_("The story could not be read."), "invalid")
        if len(json.dumps(document, ensure_ascii=False).encode()) > MAX_DOCUMENT_BYTES:
            raise ServiceError(_("The story is too long to save (the limit is 2 MB)."), "too_large")
        novel = parse_document(document)
        if len(novel.nodes) > MAX_NODES:
            raise ServiceError(_("A story can have at most %d parts.") % MAX_NODES, "too_large")
        return novel.model_dump(mode="json", exclude_none=True)

    # ---------------------------------------------------------------- writing jobs

    def text_params(
        self, work: Work, step: str, target: str, document: Any, options: dict[str, Any]
    ) -> dict[str, Any]:
        if step == DRAFT:
            theme = " ".join(str(options.get("theme") or "").split())[:200] or work.entry.title
            return {"step": DRAFT, "theme": theme, "language": language(),
                    "nodes": int(options.get("nodes") or DRAFT_NODES), "seed": new_seed()}  # fmt: skip
        novel = parse_document(document)
        if target not in {n.id for n in novel.nodes}:
            raise ServiceError(_("That part does not exist."), "bad_request")
        for node in novel.nodes:  # the writer needs words, not pictures: job parameters stay small
            node.illustration = None
        return {"step": NODE_TEXT, "theme": theme_of(work), "node": target, "seed": new_seed(),
                "document": novel.model_dump(mode="json", exclude_none=True)}  # fmt: skip

    def prepare_text(self, params: dict[str, Any]) -> dict[str, Any]:
        from aigc_contest.generation.registry import RegistryError, shared_registry
        from aigc_contest.works.novel.generate import MAX_NODES as MOST
        from aigc_contest.works.novel.generate import MIN_NODES as FEWEST

        params = dict(params)
        step = params.get("step")
        if step not in (DRAFT, NODE_TEXT):
            raise JobFailure(f"unknown novel step {step!r}")
        if not isinstance(params.get("theme"), str):
            raise JobFailure("This writing step cannot be started.", detail="theme must be text")
        try:
            params["model"] = shared_registry().resolve(params.get("model") or None, "text").name
        except RegistryError as exc:
            raise JobFailure("No writing model is set up on this site.", detail=str(exc)) from exc
        if step == DRAFT:
            nodes = params.get("nodes")
            if not isinstance(nodes, int) or isinstance(nodes, bool) or not FEWEST <= nodes <= MOST:
                raise JobFailure(
                    "This writing step cannot be started.", detail=f"nodes must be {FEWEST}..{MOST}"
                )
        else:
            try:
                Novel.from_data(params.get("document")).node(str(params.get("node")))
            except (NovelFormatError, KeyError) as exc:
                raise JobFailure("This writing step cannot be started.", detail=str(exc)) from exc
        return params

    def run_text(self, params: dict[str, Any], progress: Progress) -> JobOutput:
        from aigc_contest.generation.registry import shared_registry
        from aigc_contest.works.novel.generate import (
            GenerationSettings,
            generate_novel,
            regenerate_node,
            settings_for_document,
        )

        backend = shared_registry().text_backend(params["model"])
        seed = params.get("seed")
        progress(0.02, "writing")
        if params["step"] == DRAFT:
            settings = GenerationSettings(model=params["model"], theme=params["theme"],
                                          language=params.get("language", "en"), nodes=params["nodes"], seed=seed,
                                          policy=safety_policy_of(params))  # fmt: skip

            def on_progress(done: int, total: int, what: str) -> None:
                progress(done / max(total, 1), what)

            report = generate_novel(backend, settings, on_progress)
            return JobOutput(result={"document": report.novel.model_dump(mode="json", exclude_none=True),
                                     "report": report.to_dict()})  # fmt: skip
        novel = Novel.from_data(params["document"])
        node_id = str(params["node"])
        settings = settings_for_document(
            params["model"], params["theme"], novel, seed, safety_policy_of(params)
        )
        story = regenerate_node(backend, settings, novel, node_id)
        return JobOutput(result={"node": node_id, "text": story.node(node_id).text})

    # ---------------------------------------------------------------- results

    def apply(
        self, work: Work, item: WorkJob, screen: Callable[[Any, dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any] | None:
        result = item.job.result or {}
        if item.step == DRAFT:
            if work.document is not None:
                raise ResultUnused(
                    "", "exists"
                )  # the story was started another way meanwhile: never overwrite it
            document = dict(result.get("document") or {})
            document["title"] = document.get("title") or work.entry.title
            return screen(item.job.owner, document)
        if item.step == NODE_TEXT:
            text = str(result.get("text") or "")
            return self._change_node(work, item.target, lambda node: setattr(node, "text", text))
        return None  # pictures: the candidates are ready to pick; the story changes when one is picked

    def _change_node(self, work: Work, node_id: str, change: Callable[[Any], None]) -> dict[str, Any] | None:
        """The stored story with one part changed, or None when it lacks that part (it may exist only in an
        open page, unsaved: the page makes the change there)."""
        if work.document is None:
            return None
        novel = parse_document(work.document)
        if node_id not in {n.id for n in novel.nodes}:
            return None
        change(novel.node(node_id))
        return novel.model_dump(mode="json", exclude_none=True)

    def next_steps(self, work: Work, pending: list[WorkJob]) -> Next:
        return Next()

    # ---------------------------------------------------------------- pictures

    def picture_prompt(
        self, work: Work, target: str, model: ImageModel, options: dict[str, Any]
    ) -> dict[str, Any] | None:
        from aigc_contest.works.storybook.prompts import NEGATIVE_PROMPT

        if not re.fullmatch(r"[A-Za-z0-9_\-]{1,40}", target or ""):
            raise ServiceError(_("That part does not exist."), "bad_request")
        prompt = " ".join(str(options.get("prompt") or "").split())[:MAX_PICTURE_PROMPT]
        if not prompt:
            raise ServiceError(_("Write what the picture should show."), "empty")
        return {
            "prompt": prompt,
            "negative_prompt": NEGATIVE_PROMPT,
            "n": PICTURES_PER_REQUEST,
            "seed": new_seed(),
        }

    def use_picture(self, work: Work, target: str, picture: Picture) -> dict[str, Any] | None:
        from aigc_contest.works.novel.model import Illustration

        illustration = Illustration(
            asset=pictures.reference(picture.asset), alt=picture.alt, provenance=picture.provenance
        )
        return self._change_node(work, target, lambda node: setattr(node, "illustration", illustration))

    @staticmethod
    def illustration(picture: Picture) -> dict[str, Any]:
        """The illustration JSON an open page puts into its copy of the part."""
        from aigc_contest.works.novel.model import Illustration

        return Illustration(asset=pictures.reference(picture.asset), alt=picture.alt,
                            provenance=picture.provenance).model_dump(mode="json", exclude_none=True)  # fmt: skip

    # ---------------------------------------------------------------- the submitted file

    def version_file(self, work: Work) -> VersionFile:
        novel = parse_document(work.document)
        defects = defects_of(novel)
        if defects:
            raise ServiceError(
                _("Fix these problems before submitting: %s") % "; ".join(d["message"] for d in defects[:5]),
                "defects",
            )
        return VersionFile(
            filename="novel.html",
            data=playable_html(work).encode("utf-8"),
            mime="text/html",
            meta={"studio_revision": work.revision, "nodes": len(novel.nodes),
                  "endings": sum(1 for n in novel.nodes if n.is_ending),
                  "illustrations": [{"node": n.id, "asset": n.illustration.asset,
                                     "provenance": n.illustration.provenance}
                                    for n in novel.nodes if n.illustration is not None]},
        )  # fmt: skip


NOVEL = NovelKind()
