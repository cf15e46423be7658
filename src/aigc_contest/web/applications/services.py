"""Writes of the application editor: details, screenshots and the source archive, each checked before it
touches the draft, through the works services (one save path, one revision check)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from aigc_contest.safety import check_image
from aigc_contest.web.accounts.models import User
from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.moderation.models import SafetyEvent
from aigc_contest.web.moderation.selectors import policy_for
from aigc_contest.web.moderation.services import record_verdict
from aigc_contest.web.works import services as work_services
from aigc_contest.web.works.kinds.application import SCREENSHOTS_MAX
from aigc_contest.web.works.models import Work
from aigc_contest.works.archives import ArchiveRejected, read_zip
from aigc_contest.works.uploads import UploadRejected, inspect_upload
from aigc_contest.works.video import inspect_video

SCREENSHOT_MAX_BYTES = 8 * 1024 * 1024
SOURCE_MAX_BYTES = 50 * 1024 * 1024
SOURCE_MAX_FILES = 2000
VIDEO_MAX_BYTES = 50 * 1024 * 1024
VIDEO_MAX_SECONDS = 180


def save_details(actor: User, work: Work, *, revision: int, values: dict[str, Any]) -> Work:
    document = {**(work.document or {}), **values}
    return work_services.save(actor, work, document=document, revision=revision)


def add_screenshot(actor: User, work: Work, *, revision: int, data: bytes, alt: str) -> Work:
    """A screenshot joins the gallery once it is a real picture and the safety layer lets it through."""
    shots = list((work.document or {}).get("screenshots") or [])
    if len(shots) >= SCREENSHOTS_MAX:
        raise ServiceError(_("At most %(n)d screenshots.") % {"n": SCREENSHOTS_MAX}, "invalid")
    try:
        info = inspect_upload(data, allowed={"png", "jpeg", "webp"}, max_bytes=SCREENSHOT_MAX_BYTES)
    except UploadRejected as exc:
        raise ServiceError(
            _("This screenshot cannot be used: %(reason)s") % {"reason": exc.reason}, exc.code
        ) from exc
    verdict = check_image(data, policy_for(actor))
    record_verdict(actor, SafetyEvent.Where.UPLOAD, verdict, alt or "screenshot")
    if not verdict.allowed:
        raise ServiceError(_("This screenshot cannot be shown here. Please choose another one."), "refused")
    path = work_services.attach_file(actor, work, data=data, extension=info.extension)
    shots.append(
        {"path": path, "sha256": info.sha256, "width": info.width, "height": info.height, "alt": alt}
    )
    return work_services.save(actor, work, document={**(work.document or {}), "screenshots": shots},
                              revision=revision)  # fmt: skip


def remove_screenshot(actor: User, work: Work, *, revision: int, index: int) -> Work:
    shots = list((work.document or {}).get("screenshots") or [])
    if not 0 <= index < len(shots):
        raise ServiceError(_("That screenshot is not in the application."), "not_found")
    del shots[index]
    return work_services.save(actor, work, document={**(work.document or {}), "screenshots": shots},
                              revision=revision)  # fmt: skip


def set_source_archive(actor: User, work: Work, *, revision: int, data: bytes) -> Work:
    """The source code as a ZIP, checked member by member (nothing unpacked, never served to run)."""
    if len(data) > SOURCE_MAX_BYTES:
        raise ServiceError(_("The archive is larger than %(mb)d MB.") % {"mb": SOURCE_MAX_BYTES // 2**20},
                           "too_large")  # fmt: skip
    try:
        contents = read_zip(data, max_members=SOURCE_MAX_FILES, max_total_bytes=4 * SOURCE_MAX_BYTES)
    except ArchiveRejected as exc:
        raise ServiceError(exc.reason, exc.code) from exc
    import hashlib

    path = work_services.attach_file(actor, work, data=data, extension="zip")
    source = {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "files": len(contents.members),
              "bytes": contents.total_bytes}  # fmt: skip
    return work_services.save(
        actor, work, document={**(work.document or {}), "source": source}, revision=revision
    )


def _minutes_seconds(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _video_message(exc: UploadRejected) -> str:
    """Why a video was refused, in the page's language."""
    params = exc.params
    messages = {
        "empty": _("The video file is empty."),
        "too_large": _("The video is %(size)s MB; the limit is %(limit)s MB. Please make a shorter or smaller "
                       "video.") % {"size": params.get("size_mb"), "limit": params.get("limit_mb")},
        "too_long": _("The video lasts %(length)s; the limit is %(limit)s minutes. Please cut it shorter.")
        % {"length": _minutes_seconds(float(params.get("seconds") or 0)),  # type: ignore[arg-type]
           "limit": round(float(params.get("limit_seconds") or 0) / 60)},  # type: ignore[arg-type]
        "wrong_type": _("Only MP4 and WebM videos are accepted. Please export the video as MP4 or WebM."),
        "no_duration": _("The video does not say how long it is (videos recorded in a browser often do not). "
                         "Please export it again from a video editor as MP4 or WebM."),
        "no_video": _("The file holds no pictures, only sound. Please choose a video."),
        "corrupt": _("The video could not be read; it may be damaged or cut short."),
    }
    return messages.get(exc.code, exc.reason)


def set_video(actor: User, work: Work, *, revision: int, data: bytes) -> Work:
    """A short video of the application: an MP4 or WebM (known from its bytes) of at most three minutes (read
    from the container's header) and 50 MB. A refused video leaves the application as it was."""
    if len(data) > VIDEO_MAX_BYTES:
        raise ServiceError(_video_message(UploadRejected(
            "too large", "too_large", size_mb=round(len(data) / 1_048_576, 1), limit_mb=VIDEO_MAX_BYTES // 2**20)),
            "too_large")  # fmt: skip
    try:
        info = inspect_video(data, max_bytes=VIDEO_MAX_BYTES, max_seconds=VIDEO_MAX_SECONDS)
    except UploadRejected as exc:
        raise ServiceError(_video_message(exc), exc.code) from exc
    path = work_services.attach_file(actor, work, data=data, extension=info.extension)
    video = {"path": path, "sha256": info.sha256, "mime": info.mime, "seconds": info.seconds, "bytes": info.size}
    return work_services.save(actor, work, document={**(work.document or {}), "video": video}, revision=revision)


def remove_video(actor: User, work: Work, *, revision: int) -> Work:
    return work_services.save(actor, work, document={**(work.document or {}), "video": None}, revision=revision)
