"""What every kind of work shares below the services: the kind protocol, the plain data a kind hands the
services, the safety screen of a child's words, and the stale-edit error.

A kind (`kinds/`) only reads and returns documents and plain data; the services (`services.py`) do the
writes, the jobs, the locking and the safety checks around it, once for every kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from django.utils.translation import gettext as _

from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.core.translation import product_language
from aigc_contest.web.moderation.models import SafetyEvent
from aigc_contest.web.moderation.selectors import policy_for
from aigc_contest.web.moderation.services import record_verdict
from aigc_contest.web.works.models import WorkKind

if TYPE_CHECKING:
    from aigc_contest.web.entries.models import Entry
    from aigc_contest.web.jobs.kinds import JobOutput, Progress
    from aigc_contest.web.works.models import Work, WorkJob

PICTURE = "picture"  # the step of every picture job, whatever the kind
IMAGE_JOB = "image"  # the jobs app's picture job kind


@dataclass(frozen=True)
class Words:
    """A child's (or the AI's) words to screen; `part` numbers the part of the work they come from."""

    text: str
    part: int | None = None


@dataclass(frozen=True)
class Step:
    """A job a kind asks for: its step name, the job kind, its parameters and the part it is for."""

    step: str
    job_kind: str
    params: dict[str, Any]
    target: str = ""


@dataclass(frozen=True)
class Next:
    """The jobs a work needs next (a picture step names only its target: the services build the picture
    job), and the document to store with them (bookkeeping only: no new revision), if it changed."""

    steps: list[Step] = field(default_factory=list)
    document: dict[str, Any] | None = None


@dataclass(frozen=True)
class ImageModel:
    name: str
    width: int
    height: int


@dataclass(frozen=True)
class Picture:
    """A finished picture job's candidate, already checked against the school's settings."""

    asset: int
    job: int
    png: bytes
    provenance: dict[str, Any]
    alt: str = ""


@dataclass(frozen=True)
class VersionFile:
    """What a submitted version stores: the file and the record of how it was made (provenance)."""

    filename: str
    data: bytes
    mime: str
    meta: dict[str, Any] = field(default_factory=dict)


class WorkKindSpec(Protocol):
    """One kind of work. Add a kind: a module in `kinds/` with an object like this, listed in `registry`."""

    kind: WorkKind
    text_job: str  # the job kind of its writing steps ("" for a kind that writes nothing)
    steps: dict[str, Any]  # step name -> its label in a child's words (lazy translation)

    def wrong_entry(self) -> str:
        """What a child reads when an entry of another type is opened with this kind's studio."""
        ...

    def start(self, entry: Entry, options: dict[str, Any]) -> dict[str, Any] | None:
        """The first document of a new work (None while the AI writes it)."""
        ...

    def texts(self, document: Any) -> list[Words]:
        """Every piece of the document's words that must pass the safety layer."""
        ...

    def clean(self, document: Any) -> dict[str, Any]:
        """The document as the kind stores it, or ServiceError when it cannot be read."""
        ...

    def prepare_text(self, params: dict[str, Any]) -> dict[str, Any]:
        """A writing job's parameters checked when it is queued (JobFailure when unusable)."""
        ...

    def run_text(self, params: dict[str, Any], progress: Progress) -> JobOutput:
        """One writing step, inside the worker: plain data in, plain data out."""
        ...

    def apply(
        self, work: Work, item: WorkJob, screen: Callable[[Any, dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any] | None:
        """The document with a finished job's result in it, or None when the stored document is unchanged.
        `screen(owner, document)` cleans and screens a document the AI wrote."""
        ...

    def text_params(
        self, work: Work, step: str, target: str, document: Any, options: dict[str, Any]
    ) -> dict[str, Any]:
        """A writing job's parameters: `document` is the page's current copy (saved or not)."""
        ...

    def next_steps(self, work: Work, pending: list[WorkJob]) -> Next:
        """What to queue now that the work has moved on (`pending`: its jobs still waiting)."""
        ...

    def picture_prompt(
        self, work: Work, target: str, model: ImageModel, options: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The picture job's parameters for `target` (None: nothing to draw there yet)."""
        ...

    def use_picture(self, work: Work, target: str, picture: Picture) -> dict[str, Any] | None:
        """The document with `picture` chosen for `target` (None: the stored document lacks it)."""
        ...

    def version_file(self, work: Work) -> VersionFile:
        """The file a submitted version holds, with its provenance record."""
        ...


class ResultUnused(ServiceError):
    """A finished job's result that can no longer go into the work (the code says why, for its card)."""


class StaleRevision(ServiceError):
    """The save was based on an older revision: someone (or another tab) saved in between."""

    def __init__(self, current: int) -> None:
        super().__init__(
            _("Someone saved this story while you were editing (now version %(n)d). Your changes are still on "
              "this page: reload to see the newest version, then make your changes again.") % {"n": current},
            "stale",
        )  # fmt: skip
        self.current = current


def language() -> str:
    return product_language()


def screen(
    actor: Any, words: list[Words], where: str = SafetyEvent.Where.PROMPT, *, policy_of: Any = None
) -> None:
    """Words through the safety layer under the school's settings of `policy_of` (default: the actor's),
    each verdict in the audit log; a refusal raises ServiceError("refused") with the kind message, naming
    the part by its number, never the words (a title may itself hold the refused word)."""
    from aigc_contest.safety import check_text

    policy = policy_for(policy_of if policy_of is not None else actor)
    for piece in words:
        if not piece.text.strip():
            continue
        verdict = check_text(piece.text, policy)
        record_verdict(actor, where, verdict, piece.text)
        if not verdict.allowed:
            reason = verdict.message(language())
            if piece.part is not None:
                reason = _("Part %(number)d was not saved: %(reason)s") % {
                    "number": piece.part,
                    "reason": reason,
                }
            raise ServiceError(reason, "refused")


def new_seed() -> int:
    import secrets

    return secrets.randbelow(2**31)
