"""Read and write novels by file extension: .json, .twee/.tw, .twine.html, .html (playable), .ink."""

from __future__ import annotations

from pathlib import Path

from aigc_contest.works.novel.html_player import folder_assets, write_html
from aigc_contest.works.novel.ink import write_ink
from aigc_contest.works.novel.model import Novel
from aigc_contest.works.novel.twee import format_twee, parse_twee
from aigc_contest.works.novel.twine import novel_to_passages, passages_to_novel, story_format
from aigc_contest.works.novel.twine_html import read_twine_html, write_twine_html

READABLE = (".json", ".twee", ".tw", ".twine.html", ".html")
WRITABLE = (".json", ".twee", ".tw", ".twine.html", ".html", ".ink")


def kind_of(path: str | Path) -> str:
    name = Path(path).name.lower()
    for suffix in (".twine.html", ".json", ".twee", ".tw", ".html", ".htm", ".ink"):
        if name.endswith(suffix):
            return {".tw": ".twee", ".htm": ".html"}.get(suffix, suffix)
    raise ValueError(f"unknown file type {Path(path).name!r}: use .json, .twee, .ink, .html or .twine.html")


def read_twee(source: str) -> tuple[Novel, list[str]]:
    return passages_to_novel(parse_twee(source))


def write_twee(novel: Novel, fmt_name: str | None = None, notes: list[str] | None = None) -> str:
    fmt = story_format(fmt_name or (novel.twee_extras.story_format if novel.twee_extras else None))
    passages, _ = novel_to_passages(novel, fmt, notes)
    return format_twee(passages)


MAX_IMPORT_BYTES = 2_000_000
IMPORT_TYPES = (".twee", ".tw", ".html", ".htm")


class StoryImportError(ValueError):
    """A file sent to be imported that is not a Twine story; `code` says why (for a translated message),
    `detail` is the reader's own words about where it went wrong (a line number), if any."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def read_story_upload(filename: str, data: bytes) -> tuple[Novel, list[str]]:
    """A `.twee` / `.tw` file or a Twine 2 HTML archive (a browser's upload): the novel and notes on what
    could not be modelled. Story scripts and stylesheets are never kept (the player runs none), and said so
    in the notes. StoryImportError codes: too_large, wrong_type, not_text, unreadable (with the detail)."""
    name = filename.lower().strip()
    if not name.endswith(IMPORT_TYPES):
        raise StoryImportError("wrong_type")
    if len(data) > MAX_IMPORT_BYTES:
        raise StoryImportError("too_large")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise StoryImportError("not_text") from None
    if "\x00" in text:
        raise StoryImportError("not_text")
    try:
        if name.endswith((".html", ".htm")):
            novel, notes = read_twine_html(text)
        else:
            novel, notes = read_twee(text)
    except RecursionError:
        raise StoryImportError("unreadable", "the file is nested too deeply") from None
    except ValueError as exc:  # TweeSyntaxError, NovelFormatError, a passage the model refuses
        detail = str(exc).splitlines()[0][:300] if str(exc) else ""
        raise StoryImportError("unreadable", detail) from None
    extras = novel.twee_extras
    if extras is not None and extras.special_passages:
        kept = [p for p in extras.special_passages if not {"script", "stylesheet"} & set(p.get("tags") or [])
                and p.get("name") not in ("Story JavaScript", "Story Stylesheet")]  # fmt: skip
        if len(kept) != len(extras.special_passages):
            notes.append("the story's scripts and stylesheets were left out (the player runs none)")
            novel = novel.model_copy(update={"twee_extras": extras.model_copy(update={"special_passages": kept})})
    return novel, notes


def read_novel(path: str | Path) -> tuple[Novel, list[str]]:
    """The novel in ``path`` and notes on what an import could not model."""
    kind = kind_of(path)
    text = Path(path).read_text(encoding="utf-8-sig")
    if kind == ".json":
        return Novel.from_json(text), []
    if kind == ".twee":
        return read_twee(text)
    if kind in (".twine.html", ".html"):
        return read_twine_html(text)
    raise ValueError(f"{kind} files can be written but not read")


def write_novel(
    novel: Novel, path: str | Path, fmt_name: str | None = None, asset_folder: str | Path | None = None
) -> list[str]:
    """Write ``novel`` to ``path`` in the format its extension names; returns notes on what was lost."""
    kind = kind_of(path)
    notes: list[str] = []
    if kind == ".json":
        text = novel.to_json()
    elif kind == ".twee":
        text = write_twee(novel, fmt_name, notes)
    elif kind == ".twine.html":
        fmt = story_format(fmt_name or (novel.twee_extras.story_format if novel.twee_extras else None))
        text = write_twine_html(novel, fmt, notes)
    elif kind == ".html":
        text = write_html(novel, folder_assets(asset_folder) if asset_folder else None, notes)
    else:
        text = write_ink(novel, notes)
    Path(path).write_text(text, encoding="utf-8")
    return notes
