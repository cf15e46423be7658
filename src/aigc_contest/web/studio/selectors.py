"""Reads for studio works: the work an entry has, and what the validator says about a document."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.entries.models import Entry
from aigc_contest.web.studio.models import StudioWork
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
