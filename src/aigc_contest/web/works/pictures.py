"""The one way a work's document names a picture: `job-asset:N`, a candidate made by one of the work's own
picture jobs. Every kind writes references with `reference` and reads them back with `read` (or
`reader`), so a document never names a storage path and cannot pull in another work's files by naming
them. The services (`services.picture_asset`, `picture_bytes`, `pick_picture`) build on these reads."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aigc_contest.web.jobs.models import JobAsset, JobStatus
from aigc_contest.web.works.base import PICTURE
from aigc_contest.web.works.models import Work

PREFIX = "job-asset:"
REFERENCE = re.compile(r"job-asset:([0-9]{1,12})\Z")


def reference(asset_pk: int) -> str:
    """How a document names the picture `asset_pk`."""
    return f"{PREFIX}{int(asset_pk)}"


def asset_pk_of(ref: Any) -> int | None:
    """The picture a reference names, or None for anything that is not a reference."""
    match = REFERENCE.match(ref) if isinstance(ref, str) else None
    return int(match.group(1)) if match else None


def asset_of(work: Work, asset_pk: Any) -> JobAsset | None:
    """A candidate made by one of this work's own finished picture jobs, or None."""
    if not isinstance(asset_pk, int) or isinstance(asset_pk, bool):
        return None
    return (JobAsset.objects.select_related("job__owner")
            .filter(pk=asset_pk, job__work_job__work=work, job__work_job__step=PICTURE,
                    job__status=JobStatus.SUCCEEDED).first())  # fmt: skip


def read(work: Work, ref: Any) -> bytes | None:
    """The PNG a document's reference names, if it is one of this work's pictures and still stored."""
    return read_asset(asset_of(work, asset_pk_of(ref)))


def read_asset(asset: JobAsset | None) -> bytes | None:
    """A picture's stored bytes (None when there is none, or its file is gone)."""
    if asset is None:
        return None
    try:
        with asset.file.open("rb") as handle:
            return bytes(handle.read())
    except OSError:
        return None


def reader(work: Work) -> Callable[[str], bytes | None]:
    """`read` bound to the work, for exporters that resolve references themselves."""
    return lambda ref: read(work, ref)
