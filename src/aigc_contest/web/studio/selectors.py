"""Reads for studio works: the work an entry has, and what the validator says about a document."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.entries.models import Entry
from aigc_contest.web.studio.models import StudioJob, StudioWork
from aigc_contest.works.novel.model import Novel, NovelFormatError


def work_for_entry(entry: Entry) -> StudioWork | None:
    return StudioWork.objects.filter(entry=entry).first()


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
    }


def defects_of(novel: Novel) -> list[dict[str, Any]]:
    """The validator's defects as plain data for pages and JSON: code, node, message (translated), detail."""
    from aigc_contest.works.novel.validate import validate

    messages = _defect_messages()
    return [
        {"code": d.code, "node": d.node, "message": messages.get(d.code, d.message), "detail": d.message}
        for d in validate(novel)
    ]


def validate_document(document: Any) -> list[dict[str, Any]]:
    return defects_of(parse_document(document))


def text_model_available() -> bool:
    from aigc_contest.generation.registry import RegistryError, shared_registry

    try:
        return bool(shared_registry().names("text"))
    except RegistryError:
        return False


def image_model_available() -> bool:
    from aigc_contest.generation.registry import RegistryError, shared_registry

    try:
        return bool(shared_registry().names("image"))
    except RegistryError:
        return False


def is_test_model(name: Any) -> bool:
    from aigc_contest.generation.registry import RegistryError, shared_registry

    try:
        return bool(name) and bool(shared_registry().get(str(name)).test_model)
    except (RegistryError, KeyError, LookupError):
        return False


RECENT_JOBS = 12


def visible_jobs(entry: Entry) -> list[StudioJob]:
    """The AI helper cards of an open story: pictures (to pick from), and writing still under way or failed."""
    recent = (StudioJob.objects.filter(entry=entry, dismissed=False).exclude(step=StudioJob.Step.DRAFT)
              .select_related("job").prefetch_related("job__assets")[:RECENT_JOBS])  # fmt: skip
    return [item for item in recent
            if item.step == StudioJob.Step.PICTURE or not item.applied or item.note]  # fmt: skip


def finished_texts(entry: Entry) -> list[dict[str, Any]]:
    """Parts the AI wrote again, as an open page brings them in: which part, the text, and the revision the
    stored story reached by taking it (null when the part was not saved yet)."""
    rows = (StudioJob.objects.filter(entry=entry, step=StudioJob.Step.NODE_TEXT, applied=True, note="")
            .select_related("job")[:RECENT_JOBS])  # fmt: skip
    return [{"id": row.pk, "node": row.node_id, "text": str(row.job.result.get("text") or ""),
             "revision": row.applied_revision} for row in rows]  # fmt: skip


def applied_text_jobs(entry: Entry) -> list[int]:
    """Writing already in the story when the page was drawn (the page must not bring it in twice)."""
    return list(StudioJob.objects.filter(entry=entry, step=StudioJob.Step.NODE_TEXT, applied=True)
                .values_list("pk", flat=True)[:RECENT_JOBS])  # fmt: skip
