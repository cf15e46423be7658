"""Every kind of work, by its `WorkKind`: the one place a new kind is listed."""

from __future__ import annotations

from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.works.base import WorkKindSpec
from aigc_contest.web.works.kinds.application import APPLICATION
from aigc_contest.web.works.kinds.finetune import FINETUNE
from aigc_contest.web.works.kinds.image import IMAGE
from aigc_contest.web.works.kinds.novel import NOVEL
from aigc_contest.web.works.kinds.storybook import STORYBOOK
from aigc_contest.web.works.models import Work, WorkKind

KINDS: dict[WorkKind, WorkKindSpec] = {
    WorkKind.IMAGE: IMAGE,
    WorkKind.STORYBOOK: STORYBOOK,
    WorkKind.NOVEL: NOVEL,
    WorkKind.APPLICATION: APPLICATION,
    WorkKind.FINETUNE: FINETUNE,
}


def kind_of(work: Work | WorkKind | str) -> WorkKindSpec:
    name = work.kind if isinstance(work, Work) else work
    try:
        return KINDS[WorkKind(name)]
    except ValueError as exc:
        raise ServiceError("unknown kind of work", "bad_request") from exc


def text_kinds() -> dict[str, WorkKindSpec]:
    """Job kind -> the kind of work whose writing it does."""
    return {spec.text_job: spec for spec in KINDS.values() if spec.text_job}
