"""Twine 2 archive HTML: ``<tw-storydata>`` with one ``<tw-passagedata>`` per passage (HTML-escaped).

Story JavaScript and stylesheet passages go in ``<script role="script" id="twine-user-script"
type="text/twine-javascript">`` and ``<style role="stylesheet" id="twine-user-stylesheet"
type="text/twine-css">``, as the Twine 2 editor writes them. Reading accepts the same, from an archive
or a published story file.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from typing import Any

from aigc_contest import __version__
from aigc_contest.works.novel.model import Novel
from aigc_contest.works.novel.storyformat import StoryFormat
from aigc_contest.works.novel.twee import Passage, TweeSyntaxError
from aigc_contest.works.novel.twine import TITLE_KEY, novel_to_passages, passages_to_novel

CREATOR = "aigc-contest"


def _attr(value: Any) -> str:
    return html.escape(str(value), quote=True)


def write_twine_html(novel: Novel, fmt: StoryFormat, notes: list[str] | None = None) -> str:
    passages, story_data = novel_to_passages(novel, fmt, notes)
    scripts = [p.text for p in passages if p.name == "Story JavaScript" or "script" in p.tags]
    styles = [p.text for p in passages if p.name == "Story Stylesheet" or "stylesheet" in p.tags]
    story = [
        p
        for p in passages
        if p.name not in ("StoryTitle", "StoryData", "Story JavaScript", "Story Stylesheet")
        and not {"script", "stylesheet"}.intersection(p.tags)
    ]
    pids = {p.name: pid for pid, p in enumerate(story, start=1)}
    title = next(p.text for p in passages if p.name == "StoryTitle")
    out = [
        f'<tw-storydata name="{_attr(title)}" startnode="{pids.get(novel.start, 1)}" creator="{CREATOR}" '
        f'creator-version="{__version__}" ifid="{_attr(story_data["ifid"])}" zoom="{_attr(story_data.get("zoom", 1))}" '
        f'format="{_attr(story_data["format"])}" format-version="{_attr(story_data["format-version"])}" '
        f'options="" tags="" hidden>',
        '<style role="stylesheet" id="twine-user-stylesheet" type="text/twine-css">'
        + "\n".join(styles).replace("</", "<\\/")
        + "</style>",
        '<script role="script" id="twine-user-script" type="text/twine-javascript">'
        + "\n".join(scripts).replace("</", "<\\/")
        + "</script>",
    ]
    for passage in story:
        meta = passage.metadata
        out.append(
            f'<tw-passagedata pid="{pids[passage.name]}" name="{_attr(passage.name)}" '
            f'tags="{_attr(" ".join(passage.tags))}" position="{_attr(meta.get("position", "100,100"))}" '
            f'size="{_attr(meta.get("size", "100,100"))}"'
            + (f' data-title="{_attr(meta[TITLE_KEY])}"' if meta.get(TITLE_KEY) else "")
            + f">{html.escape(passage.text, quote=True)}</tw-passagedata>"
        )
    out.append("</tw-storydata>")
    return "\n".join(out) + "\n"


class _ArchiveReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.story: dict[str, str] | None = None
        self.passages: list[tuple[dict[str, str], list[str]]] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._sink: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "tw-storydata" and self.story is None:
            self.story = values
        elif tag == "tw-passagedata" and self.story is not None:
            self.passages.append((values, []))
            self._sink = self.passages[-1][1]
        elif tag == "script" and values.get("type") == "text/twine-javascript":
            self._sink = self.scripts
        elif tag == "style" and values.get("type") == "text/twine-css":
            self._sink = self.styles

    def handle_endtag(self, tag: str) -> None:
        if tag in ("tw-passagedata", "script", "style"):
            self._sink = None

    def handle_data(self, data: str) -> None:
        if self._sink is not None:
            self._sink.append(data)


def read_twine_html(source: str) -> tuple[Novel, list[str]]:
    reader = _ArchiveReader()
    reader.feed(source)
    reader.close()
    if reader.story is None:
        raise TweeSyntaxError("no <tw-storydata> element found (is this a Twine 2 archive?)", 1)
    if not reader.passages:
        raise TweeSyntaxError("the <tw-storydata> element has no <tw-passagedata> passages", 1)
    story = reader.story
    passages: list[Passage] = []
    start_name = ""
    seen: set[str] = set()
    for number, (attrs, chunks) in enumerate(reader.passages, start=1):
        name = attrs.get("name", "").strip()
        if not name or name in seen:
            raise TweeSyntaxError(f"passage {number} has an empty or repeated name {name!r}", 1)
        seen.add(name)
        meta: dict[str, Any] = {k: attrs[k] for k in ("position", "size") if attrs.get(k)}
        if attrs.get("data-title"):
            meta[TITLE_KEY] = attrs["data-title"]
        passages.append(Passage(name, attrs.get("tags", "").split(), meta, "".join(chunks).rstrip()))
        if attrs.get("pid") == story.get("startnode"):
            start_name = name
    passages.insert(0, Passage("StoryTitle", text=story.get("name", "")))
    script, style = "".join(reader.scripts).strip(), "".join(reader.styles).strip()
    if script:
        passages.append(Passage("Story JavaScript", ["script"], {}, script))
    if style:
        passages.append(Passage("Story Stylesheet", ["stylesheet"], {}, style))
    story_data: dict[str, Any] = {
        "ifid": story.get("ifid") or None,
        "format": story.get("format") or "Harlowe",
        "format-version": story.get("format-version") or None,
        "start": start_name,
    }
    return passages_to_novel(passages, story_data)
