"""Pictures: the document is `{"prompt", "picture", "caption"}`; `picture` is the chosen candidate
(`{"asset", "job", "provenance"}`, `asset` the `job-asset:N` reference of `works.pictures`: the job's
PNG as made, provenance chunks and all) or null.

The child describes a picture, a few are made as one `image` job, and the one they pick becomes the
entry's draft file; nothing is written by the AI, so there are no writing steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.jobs.kinds import JobFailure, JobOutput, Progress
from aigc_contest.web.works import pictures
from aigc_contest.web.works.base import PICTURE, ImageModel, Next, Picture, VersionFile, Words, new_seed
from aigc_contest.web.works.models import Work, WorkJob, WorkKind

PROMPT_MAX = 500
SEED_MAX = 2**32 - 1


def empty_document() -> dict[str, Any]:
    return {"prompt": "", "picture": None, "caption": ""}


class ImageKind:
    kind = WorkKind.IMAGE
    text_job = ""
    steps = {PICTURE: gettext_lazy("Drawing a picture")}

    def wrong_entry(self) -> str:
        return _("The image studio makes pictures; this entry is another type of work.")

    def start(self, entry: Any, options: dict[str, Any]) -> dict[str, Any] | None:
        return empty_document()

    def texts(self, document: Any) -> list[Words]:
        return [Words(str((document or {}).get("caption") or ""))]

    def clean(self, document: Any) -> dict[str, Any]:
        if not isinstance(document, dict):
            raise ServiceError(_("That picture cannot be used for this entry."), "invalid")
        return {
            **empty_document(),
            **{k: document[k] for k in ("prompt", "picture", "caption") if k in document},
        }

    def text_params(
        self, work: Work, step: str, target: str, document: Any, options: dict[str, Any]
    ) -> dict[str, Any]:
        raise ServiceError(_("Unknown change."), "bad_request")

    def prepare_text(self, params: dict[str, Any]) -> dict[str, Any]:
        raise JobFailure("pictures have no writing steps")

    def run_text(self, params: dict[str, Any], progress: Progress) -> JobOutput:
        raise JobFailure("pictures have no writing steps")

    def apply(
        self, work: Work, item: WorkJob, screen: Callable[[Any, dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any] | None:
        return None  # the candidates are ready to pick; the work changes when one is picked

    def next_steps(self, work: Work, pending: list[WorkJob]) -> Next:
        return Next()

    def picture_prompt(
        self, work: Work, target: str, model: ImageModel, options: dict[str, Any]
    ) -> dict[str, Any] | None:
        prompt = str(options.get("prompt") or "").strip()[:PROMPT_MAX]
        if not prompt:
            raise ServiceError(_("Please write what you would like to see."), "empty")
        seed = options.get("seed")
        return {"prompt": prompt, "negative_prompt": str(options.get("negative_prompt") or "")[:PROMPT_MAX],
                "n": int(options.get("n") or 2), "seed": seed if seed is not None else new_seed()}  # fmt: skip

    def use_picture(self, work: Work, target: str, picture: Picture) -> dict[str, Any] | None:
        return {**(work.document or empty_document()),
                "picture": {"asset": pictures.reference(picture.asset), "job": picture.job, "provenance": picture.provenance},
                "caption": picture.alt}  # fmt: skip

    def version_file(self, work: Work) -> VersionFile:
        from aigc_contest.generation.provenance import read_provenance

        chosen = (work.document or {}).get("picture") or {}
        asset = pictures.asset_of(work, pictures.asset_pk_of(chosen.get("asset")))
        data = pictures.read_asset(asset)
        if asset is None or data is None:
            raise ServiceError(_("Please choose one of your pictures."), "no_picture")
        try:
            info = read_provenance(data)
        except ValueError as exc:
            raise ServiceError(_("That picture cannot be used for this entry."), "invalid") from exc
        seed = info.seed if info.seed is not None else asset.index
        return VersionFile(
            filename=f"picture-seed{seed}.png", data=data, mime="image/png",
            meta={"width": info.width, "height": info.height, "job": asset.job_id,
                  "provenance": info.provenance.model_dump(mode="json") if info.provenance else None,
                  "aigc_label": info.aigc_label},
        )  # fmt: skip


IMAGE = ImageKind()
