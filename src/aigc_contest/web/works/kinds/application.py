"""Applications (the Wukong-Huahua application track): a team presents an app built on a model.

The document:
    {"name", "description": {"en", "zh-Hant", "zh-Hans"}, "repository_url", "demo_url", "models_used": [...],
     "screenshots": [{"path", "sha256", "width", "height", "alt"}], "source": {"path", "sha256", "files",
     "bytes"} | null, "video": {"path", "sha256", "mime", "seconds", "bytes"} | null}
Screenshots and the source archive are stored by the services (`attach_file`) after their checks (a
screenshot is an image upload screened by the safety layer; the archive passes `works.archives.read_zip`:
zip slip, bombs, links; the short video, `works.video.inspect_video`: MP4 or WebM from its bytes, its length from
the container's header). Links are https only. Nothing is written by the AI: no writing or picture steps.

The submitted version is one self-contained HTML card: the name, the descriptions, the links (opened in a
new tab with `rel="noopener noreferrer"`), the models used and the screenshots as a gallery, with no script.
The source archive is recorded (hash, file count, size) but never put in the card or served as a runnable
file. The video is recorded in the version's metadata (the card says it comes with the application); judges
watch it beside the card, never played by itself.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.jobs.kinds import JobFailure, JobOutput, Progress
from aigc_contest.web.works.base import ImageModel, Next, Picture, VersionFile, Words
from aigc_contest.web.works.models import Work, WorkJob, WorkKind

NAME_MAX = 120
DESCRIPTION_MAX = 4000
URL_MAX = 300
MODELS_MAX = 10
SCREENSHOTS_MAX = 8
LANGUAGES = ("en", "zh-Hant", "zh-Hans")
VIDEO_MIMES = ("video/mp4", "video/webm")


def empty_document(name: str = "") -> dict[str, Any]:
    return {"name": name, "description": {code: "" for code in LANGUAGES}, "repository_url": "", "demo_url": "",
            "models_used": [], "screenshots": [], "source": None, "video": None}  # fmt: skip


def https_url(value: str, label: str) -> str:
    """An https address (or ""), refused with a sentence naming the field otherwise."""
    value = value.strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if (
        parts.scheme != "https"
        or not parts.netloc
        or len(value) > URL_MAX
        or any(c in value for c in " <>\"'")
    ):
        raise ServiceError(_("%(field)s must be an https:// address.") % {"field": label}, "invalid")
    return value


class ApplicationKind:
    kind = WorkKind.APPLICATION
    text_job = ""
    steps: dict[str, Any] = {}

    def wrong_entry(self) -> str:
        return _("This page presents applications; this entry is another type of work.")

    def start(self, entry: Any, options: dict[str, Any]) -> dict[str, Any] | None:
        return empty_document(entry.title)

    def texts(self, document: Any) -> list[Words]:
        document = document or {}
        words = [Words(str(document.get("name") or ""))]
        words += [Words(str(text)) for text in (document.get("description") or {}).values()]
        words += [Words(str(model)) for model in document.get("models_used") or []]
        words += [Words(str(shot.get("alt") or "")) for shot in document.get("screenshots") or []]
        return words

    def clean(self, document: Any) -> dict[str, Any]:
        if not isinstance(document, dict):
            raise ServiceError(_("That application cannot be saved."), "invalid")
        name = " ".join(str(document.get("name") or "").split())[:NAME_MAX]
        if not name:
            raise ServiceError(_("Give the application a name."), "invalid")
        described = document.get("description") or {}
        description = {code: str(described.get(code) or "").strip()[:DESCRIPTION_MAX] for code in LANGUAGES}
        models = [" ".join(str(m).split())[:80] for m in document.get("models_used") or [] if str(m).strip()]
        screenshots = [
            {"path": str(s["path"]), "sha256": str(s.get("sha256") or ""), "width": int(s.get("width") or 0),
             "height": int(s.get("height") or 0), "alt": " ".join(str(s.get("alt") or "").split())[:200]}
            for s in document.get("screenshots") or [] if isinstance(s, dict) and s.get("path")
        ]  # fmt: skip
        if len(screenshots) > SCREENSHOTS_MAX:
            raise ServiceError(_("At most %(n)d screenshots.") % {"n": SCREENSHOTS_MAX}, "invalid")
        source = document.get("source")
        video = document.get("video")
        if isinstance(video, dict) and video.get("path") and video.get("mime") in VIDEO_MIMES:
            video = {"path": str(video["path"]), "sha256": str(video.get("sha256") or ""), "mime": video["mime"],
                     "seconds": float(video.get("seconds") or 0), "bytes": int(video.get("bytes") or 0)}
        else:
            video = None
        return {
            "name": name,
            "description": description,
            "repository_url": https_url(
                str(document.get("repository_url") or ""), _("The repository address")
            ),
            "demo_url": https_url(str(document.get("demo_url") or ""), _("The demo address")),
            "models_used": models[:MODELS_MAX],
            "screenshots": screenshots,
            "source": dict(source) if isinstance(source, dict) and source.get("path") else None,
            "video": video,
        }

    def text_params(
        self, work: Work, step: str, target: str, document: Any, options: dict[str, Any]
    ) -> dict[str, Any]:
        raise ServiceError(_("Unknown change."), "bad_request")

    def prepare_text(self, params: dict[str, Any]) -> dict[str, Any]:
        raise JobFailure("applications have no writing steps")

    def run_text(self, params: dict[str, Any], progress: Progress) -> JobOutput:
        raise JobFailure("applications have no writing steps")

    def apply(
        self, work: Work, item: WorkJob, screen: Callable[[Any, dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any] | None:
        return None

    def next_steps(self, work: Work, pending: list[WorkJob]) -> Next:
        return Next()

    def picture_prompt(
        self, work: Work, target: str, model: ImageModel, options: dict[str, Any]
    ) -> dict[str, Any] | None:
        raise ServiceError(_("Applications show screenshots; they do not draw pictures."), "bad_request")

    def use_picture(self, work: Work, target: str, picture: Picture) -> dict[str, Any] | None:
        return None

    def version_file(self, work: Work) -> VersionFile:
        document = self.clean(work.document)
        if not document["screenshots"]:
            raise ServiceError(_("Add at least one screenshot before sending the application."), "no_picture")
        if not any(document["description"].values()):
            raise ServiceError(_("Describe the application in at least one language."), "invalid")
        return VersionFile(
            filename="application.html", data=render_card(document).encode("utf-8"), mime="text/html",
            meta={"application": {k: v for k, v in document.items() if k != "screenshots"},
                  "screenshots": [{k: s[k] for k in ("sha256", "width", "height")} for s in document["screenshots"]]},
        )  # fmt: skip


def _data_uri(path: str) -> str:
    with default_storage.open(path, "rb") as handle:
        data = handle.read()
    mime = (
        "image/png"
        if data.startswith(b"\x89PNG")
        else "image/webp"
        if data[8:12] == b"WEBP"
        else "image/jpeg"
    )
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def render_card(document: dict[str, Any]) -> str:
    """The application's card as one HTML file: no script, links open apart from the page."""
    esc = html.escape
    names = {"en": "English", "zh-Hant": "繁體中文", "zh-Hans": "简体中文"}
    parts = [
        "<!doctype html><html><head><meta charset=utf-8>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(document['name'])}</title>",
        "<style>body{font-family:system-ui,'Noto Sans CJK TC',sans-serif;max-width:60rem;margin:2rem auto;"
        "padding:0 1rem;line-height:1.5}.gallery{display:grid;grid-template-columns:repeat(auto-fill,"
        "minmax(16rem,1fr));gap:1rem}.gallery img{width:100%;height:auto;border:1px solid #ccc}"
        "figcaption{font-size:.9rem}</style></head><body>",
        f"<h1>{esc(document['name'])}</h1>",
    ]
    for code, text in document["description"].items():
        if text:
            paragraphs = "".join(f"<p>{esc(line)}</p>" for line in text.splitlines() if line.strip())
            parts.append(f'<section lang="{code}"><h2>{esc(names[code])}</h2>{paragraphs}</section>')
    links = [(label, document[key]) for key, label in (("demo_url", "Demo"), ("repository_url", "Source code"))
             if document[key]]  # fmt: skip
    if links:
        parts.append("<ul>" + "".join(
            f'<li>{esc(label)}: <a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(url)}</a></li>'
            for label, url in links) + "</ul>")  # fmt: skip
    if document["models_used"]:
        parts.append("<p>Models and APIs: " + esc(", ".join(document["models_used"])) + "</p>")
    if document.get("video"):
        whole = round(document["video"]["seconds"])
        parts.append(f"<p>A video ({whole // 60}:{whole % 60:02d}) comes with this application.</p>")
    parts.append('<div class="gallery">')
    for shot in document["screenshots"]:
        alt = esc(shot["alt"] or "Screenshot")
        parts.append(f'<figure><img src="{_data_uri(shot["path"])}" alt="{alt}" width="{shot["width"]}" '
                     f'height="{shot["height"]}"><figcaption>{esc(shot["alt"])}</figcaption></figure>')  # fmt: skip
    parts.append("</div></body></html>")
    return "".join(parts)


APPLICATION = ApplicationKind()
