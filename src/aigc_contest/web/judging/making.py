"""How an entry was made, from the studio's own records (advisory, for "use of AI models").

Feeds :func:`aigc_contest.judging.signals.making.making_timeline` with the work's jobs (every text and
picture the studio generated for it, with its prompt, model and LoRAs) and each part's AI draft beside the
text that was submitted. Entries made outside the studio have no history: for those the file's own
metadata speaks (``file_evidence``). Reads only.
"""

from __future__ import annotations

import json
from typing import Any

from aigc_contest.judging.signals.making import Generation, MakingTimeline, PartText, making_timeline
from aigc_contest.web.entries.models import Entry
from aigc_contest.web.jobs.models import JobStatus
from aigc_contest.web.works import pictures
from aigc_contest.web.works.base import PICTURE
from aigc_contest.web.works.models import Work, WorkJob, WorkKind


def _loras(params: dict[str, Any]) -> tuple[str, ...]:
    """LoRAs by their file hash, never their name: a team's LoRA name may give the team away to a judge."""
    found = []
    for lora in params.get("loras") or []:
        digest = str(lora.get("sha256") or lora.get("hash") or "")[:12] if isinstance(lora, dict) else ""
        found.append(f"sha256 {digest}" if digest else "unnamed")
    return tuple(found)


def _part_names(work: Work) -> dict[str, str]:
    """Part ids as a judge reads them: "page 3", "the part “At the harbour”"."""
    document = work.document or {}
    if work.kind == WorkKind.STORYBOOK:
        pages = ((document.get("book") or {}).get("pages")) or []
        return {str(p.get("id")): f"page {n}" for n, p in enumerate(pages, start=1) if isinstance(p, dict)}
    if work.kind == WorkKind.NOVEL:
        nodes = document.get("nodes") or []
        return {str(n.get("id")): f"the part “{n.get('title') or n.get('id')}”" for n in nodes if isinstance(n, dict)}
    return {"": "the picture"}


def _final_texts(work: Work) -> dict[str, str]:
    document = work.document or {}
    if work.kind == WorkKind.STORYBOOK:
        pages = ((document.get("book") or {}).get("pages")) or []
        return {str(p.get("id")): str(p.get("text") or "") for p in pages if isinstance(p, dict)}
    if work.kind == WorkKind.NOVEL:
        return {str(n.get("id")): str(n.get("text") or "") for n in document.get("nodes") or [] if isinstance(n, dict)}
    return {}


def _ai_texts(item: WorkJob) -> dict[str, str]:
    """What a finished text job wrote, part by part."""
    result = item.job.result or {}
    if item.target and isinstance(result.get("page"), dict):
        return {item.target: str(result["page"].get("text") or "")}
    if item.target and "text" in result:
        return {item.target: str(result.get("text") or "")}
    pages = ((result.get("book") or {}).get("pages")) if isinstance(result.get("book"), dict) else None
    if pages:
        return {str(p.get("id")): str(p.get("text") or "") for p in pages if isinstance(p, dict)}
    nodes = (result.get("document") or {}).get("nodes") if isinstance(result.get("document"), dict) else None
    if nodes:
        return {str(n.get("id")): str(n.get("text") or "") for n in nodes if isinstance(n, dict)}
    return {}


def making_of(entry: Entry) -> MakingTimeline | None:
    """The entry's making, or None when it was not made in the studio."""
    work = Work.objects.filter(entry=entry).first()
    if work is None:
        return None
    names = _part_names(work)
    document_text = json.dumps(work.document or {}) + json.dumps(entry.draft_meta or {})
    generations: list[Generation] = []
    drafts: dict[str, str] = {}
    items = WorkJob.objects.filter(work=work).select_related("job").prefetch_related("job__assets").order_by("created_at", "pk")
    for item in items:
        job, params = item.job, item.job.params or {}
        where = names.get(item.target, item.target or names.get("", "the work"))
        if item.step == PICTURE:
            for asset in job.assets.all():  # each picture made is a candidate; kept if the work uses it
                kept = f'"{pictures.reference(asset.pk)}"' in document_text
                generations.append(Generation("picture", where, str(params.get("prompt") or ""),
                                              params.get("model"), _loras(params), job.created_at, kept))  # fmt: skip
            continue
        if job.status != JobStatus.SUCCEEDED:
            continue
        prompt = str(params.get("prompt") or params.get("theme") or params.get("idea") or "")
        generations.append(Generation("text", where, prompt, params.get("model"), (), job.created_at))
        drafts.update(_ai_texts(item))
    finals = _final_texts(work)
    texts = [PartText(names.get(part, part), drafts.get(part, ""), final) for part, final in finals.items()]
    return making_timeline(generations, texts)
