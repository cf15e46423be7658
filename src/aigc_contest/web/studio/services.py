"""Writes for studio works: start, save (with a revision check), write with the text model, submit.

Every write asks `entries.edit_entry` on the work's entry (the team's members and teachers); submitting
also needs `entries.submit_entry`. A refused save changes nothing and says why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from aigc_contest.web.accounts.models import User
from aigc_contest.web.core.errors import ServiceError, require
from aigc_contest.web.entries.models import Entry, EntryVersion
from aigc_contest.web.studio.models import StudioWork
from aigc_contest.web.studio.selectors import defects_of, parse_document
from aigc_contest.web.studio.starters import starter_novel

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


def _screen_text(novel: Any) -> None:
    """Children's own words go through the safety layer too; the reason names where, not what."""
    from aigc_contest.safety import check_text

    for node in novel.nodes:
        pieces = [node.title, node.text, *(c.label for c in node.choices)]
        verdict = check_text("\n".join(p for p in pieces if p))
        if not verdict.allowed:
            raise ServiceError(
                _("The part “%(node)s” was not saved: %(reason)s") % {"node": node.title or node.id,
                                                                       "reason": verdict.message(_language())},
                "refused",
            )  # fmt: skip
    verdict = check_text(novel.title)
    if not verdict.allowed:
        raise ServiceError(verdict.message(_language()), "refused")


def _language() -> str:
    from django.utils.translation import get_language

    code = (get_language() or "en").lower()
    return {"zh-hant": "zh-Hant", "zh-hans": "zh-Hans"}.get(code, "en")


def _checked(document: Any) -> dict[str, Any]:
    """The document as the novel model writes it back (drops nothing the model keeps), or ServiceError."""
    import json

    if not isinstance(document, dict):
        raise ServiceError(_("The story could not be read."), "invalid")
    if len(json.dumps(document, ensure_ascii=False).encode()) > MAX_DOCUMENT_BYTES:
        raise ServiceError(_("The story is too long to save (the limit is 2 MB)."), "too_large")
    novel = parse_document(document)
    if len(novel.nodes) > MAX_NODES:
        raise ServiceError(_("A story can have at most %d parts.") % MAX_NODES, "too_large")
    _screen_text(novel)
    return novel.model_dump(mode="json", exclude_none=True)


@transaction.atomic
def start_work(actor: User, entry: Entry, *, document: dict[str, Any] | None = None) -> StudioWork:
    """The entry's studio work, created from `document` or the starter template if it has none yet."""
    require(actor, "entries.edit_entry", entry)
    _check_novel_entry(entry)
    existing = StudioWork.objects.filter(entry=entry).first()
    if existing is not None:
        return existing
    data = _checked(document if document is not None else starter_novel(_language(), entry.title))
    return StudioWork.objects.create(entry=entry, kind=StudioWork.Kind.NOVEL, document=data, updated_by=actor)


def save_document(actor: User, work: StudioWork, *, document: Any, revision: int) -> StudioWork:
    """Replace the document if `revision` is still the current one; otherwise StaleRevision, nothing written."""
    require(actor, "entries.edit_entry", work.entry)
    data = _checked(document)
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
    """Start the entry's work from a story the text model writes (graph, then passages).

    TODO(jobs): run this as a job of the jobs app once it exposes an enqueue service, so a class of 30 does
    not hold 30 web workers; today it runs in the request, which suits small and remote models."""
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


# TODO(jobs): illustrations. The jobs app's `submit_job(user, "image", params)` can draw a part's picture;
# what is missing is attaching the finished job's asset to the node (`Illustration(asset=..., data_uri=...)`)
# with the document's size limit in mind, and a button plus job polling in the editor.


def playable_html(work: StudioWork) -> str:
    from aigc_contest.works.novel.html_player import write_html

    return write_html(parse_document(work.document))


def submit_work(actor: User, work: StudioWork, now: datetime | None = None) -> EntryVersion:
    """Export the playable HTML, make it the entry's draft file, and submit the entry.

    A story with defects is not submitted: each defect is listed for the student to fix."""
    from aigc_contest.web.entries import services as entry_services

    entry = work.entry
    require(actor, "entries.submit_entry", entry)
    novel = parse_document(work.document)
    defects = defects_of(novel)
    if defects:
        raise ServiceError(
            _("Fix these problems before submitting: %s") % "; ".join(d["message"] for d in defects[:5]), "defects"
        )
    _screen_text(novel)
    html = playable_html(work)
    entry_services.set_draft_from_work(
        actor,
        entry,
        filename="novel.html",
        data=html.encode("utf-8"),
        mime="text/html",
        meta={"studio_revision": work.revision, "nodes": len(novel.nodes),
              "endings": sum(1 for n in novel.nodes if n.is_ending)},
    )  # fmt: skip
    return entry_services.submit_entry(actor, entry, now)
