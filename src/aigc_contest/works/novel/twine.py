"""Novel ⇄ Twine passages (the story-level mapping shared by Twee 3 and Twine 2 archive HTML).

Export: ``StoryTitle``, ``StoryData`` (IFID, story format and version, start), the special passages kept
from an import, a variable set-up passage (``StoryInit`` for SugarCube, a ``startup``-tagged passage for
Harlowe) for initial values not already set there, then one passage per node: its text, a blank line and
one line per choice (see :mod:`.harlowe` / :mod:`.sugarcube`). An ending carries the tag ``ending-<type>``.
The passage name is the node's id (links name it); the node's title goes in the passage metadata as
``"title"`` (in an archive, the ``data-title`` attribute), and comes back from there on import.

Import: special passages (StoryTitle, StoryData, StoryInit, Story JavaScript, Story Stylesheet, SugarCube's
Story*/Passage* passages, and passages tagged script, stylesheet, widget, startup, header, footer …) are
kept verbatim in ``twee_extras``. Every other passage becomes a node; its trailing choice lines become
choices with their conditions and updates. A passage written otherwise (links inside prose, macros) keeps
its source in ``node.raw`` (used again when exporting to the same story format) and its links and go-tos
become unconditional choices; each such case is listed in the import notes. A passage with no links is
an ending (``neutral`` unless tagged).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import Any, cast

from pydantic import ValidationError

from aigc_contest.works.novel.conditions import (
    KEYWORDS,
    NAME_RE,
    ConditionError,
    SetOp,
    VarType,
    check_types,
    parse_condition,
    parse_set,
    type_of,
)
from aigc_contest.works.novel.harlowe import HARLOWE
from aigc_contest.works.novel.model import ENDING_TYPES, Choice, EndingType, Node, Novel, TweeExtras, Variable
from aigc_contest.works.novel.storyformat import LINK_RE, RISKY_RE, ParsedChoice, StoryFormat, find_links
from aigc_contest.works.novel.sugarcube import SUGARCUBE
from aigc_contest.works.novel.twee import Passage, TweeSyntaxError

FORMATS: dict[str, StoryFormat] = {"harlowe": HARLOWE, "sugarcube": SUGARCUBE}
SPECIAL_NAMES = frozenset(
    {
        "StoryTitle", "StoryData", "StoryInit", "Story JavaScript", "Story Stylesheet", "StoryCaption",
        "StoryMenu", "StoryBanner", "StorySubtitle", "StoryAuthor", "StoryInterface", "StoryShare",
        "StoryDisplayTitle", "PassageReady", "PassageDone", "PassageHeader", "PassageFooter",
    }
)  # fmt: skip
SPECIAL_TAGS = frozenset(
    {"script", "stylesheet", "widget", "startup", "header", "footer", "debug-startup", "debug-header",
     "debug-footer", "Twine.private", "annotation"}
)  # fmt: skip
ENDING_TAG = "ending-"
# A node's title, kept in its passage's metadata (Twee 3 allows more keys than position and size).
TITLE_KEY = "title"
_MACRO_RE = re.compile(r"<<|\([A-Za-z][\w-]*:")


def story_format(name: str | None) -> StoryFormat:
    key = (name or "harlowe").lower()
    for fmt_key, fmt in FORMATS.items():
        if fmt_key in key:
            return fmt
    raise ValueError(f"unknown story format {name!r} (use harlowe or sugarcube)")


def stable_ifid(novel: Novel) -> str:
    """An uppercase UUID v4-form IFID derived from the story, so repeated exports agree."""
    seed = json.dumps([novel.title, novel.author, novel.start, [n.id for n in novel.nodes[:50]]])
    digest = hashlib.sha256(seed.encode("utf-8")).digest()[:16]
    return str(uuid.UUID(bytes=digest, version=4)).upper()


# --- export ---------------------------------------------------------------------------------------------
def node_source(
    node: Node, fmt: StoryFormat, types: dict[str, VarType], notes: list[str] | None = None
) -> str:
    """The passage text for a node written in ``fmt``."""
    body = node.text
    if RISKY_RE.search(body):
        body = fmt.verbatim(body)
    lines = []
    for number, choice in enumerate(node.choices, start=1):
        tree = None
        if choice.condition is not None:
            try:
                tree = parse_condition(choice.condition)
                check_types(tree, types)
            except ConditionError as exc:
                tree = None
                if notes is not None:
                    notes.append(f"{node.id}: choice {number} condition dropped ({exc})")
        ops: list[SetOp] = []
        for var, value in choice.sets.items():
            try:
                ops.append(parse_set(var, value, types.get(var)))
            except ConditionError as exc:
                if notes is not None:
                    notes.append(f"{node.id}: choice {number} update dropped ({exc})")
        lines.append(fmt.choice_line(choice, tree, ops))
    if body and lines:
        return body + "\n\n" + "\n".join(lines)
    return body or "\n".join(lines)


def novel_to_passages(
    novel: Novel, fmt: StoryFormat, notes: list[str] | None = None
) -> tuple[list[Passage], dict[str, Any]]:
    """Passages (story passages last) and the StoryData object for ``novel`` in story format ``fmt``."""
    extras = novel.twee_extras or TweeExtras()
    same_format = (extras.story_format or "").lower() == fmt.twine_name.lower()
    types = {name: var.type for name, var in novel.variables.items()}
    story_data: dict[str, Any] = {
        "ifid": extras.ifid or stable_ifid(novel),
        "format": fmt.twine_name,
        "format-version": extras.format_version if same_format and extras.format_version else fmt.version,
        "start": novel.start,
    }
    story_data.update({k: v for k, v in extras.story_data.items() if k not in story_data})
    passages = [
        Passage("StoryTitle", text=novel.title or "Untitled"),
        Passage("StoryData", text=json.dumps(story_data, indent=2, ensure_ascii=False)),
    ]
    specials = [
        Passage(p["name"], list(p.get("tags", [])), dict(p.get("metadata", {})), p.get("text", ""))
        for p in extras.special_passages
    ]
    if specials and not same_format and notes is not None:
        notes.append(
            f"special passages were written for {extras.story_format or 'another format'} and are kept as they are"
        )
    already: set[str] = set()
    for passage in specials:
        if fmt.is_init_passage(passage.name, passage.tags):
            already |= set(fmt.init_values(passage.text))
    missing = {
        name: var.initial
        for name, var in novel.variables.items()
        if var.initial is not None and name not in already
    }
    if missing:
        init_name, init_tags = ("StoryInit", []) if fmt is SUGARCUBE else ("Startup", ["startup"])
        existing = next((p for p in specials if p.name == init_name), None)
        if existing is not None:
            existing.text = (existing.text + "\n" + fmt.init_text(missing)).strip()
        else:
            specials.append(Passage(init_name, init_tags, {}, fmt.init_text(missing)))
    passages += specials
    for i, node in enumerate(novel.nodes):
        tags = list(node.tags)
        if node.ending is not None and f"{ENDING_TAG}{node.ending}" not in tags:
            tags.append(f"{ENDING_TAG}{node.ending}")
        metadata = dict(node.metadata) or {
            "position": f"{100 + (i % 8) * 150},{100 + (i // 8) * 150}",
            "size": "100,100",
        }
        if node.title:
            metadata[TITLE_KEY] = node.title  # the passage name is the node's id; its title rides along
        else:
            metadata.pop(TITLE_KEY, None)
        text = node.raw if node.raw is not None and same_format else node_source(node, fmt, types, notes)
        passages.append(Passage(node.id, tags, metadata, text))
    return passages, story_data


# --- import ---------------------------------------------------------------------------------------------
def passages_to_novel(
    passages: list[Passage], story_data: dict[str, Any] | None = None
) -> tuple[Novel, list[str]]:
    """A novel and the import notes for Twine passages (``story_data`` overrides a StoryData passage)."""
    notes: list[str] = []
    by_name = {p.name: p for p in passages}
    title = by_name["StoryTitle"].text.strip() if "StoryTitle" in by_name else ""
    if story_data is None:
        story_data = {}
        if "StoryData" in by_name:
            data_passage = by_name["StoryData"]
            try:
                story_data = json.loads(data_passage.text or "{}")
            except (json.JSONDecodeError, RecursionError):
                raise TweeSyntaxError("StoryData is not valid JSON", data_passage.line or 1) from None
            if not isinstance(story_data, dict):
                raise TweeSyntaxError("StoryData must be a JSON object", data_passage.line or 1)
    format_name = str(story_data.get("format") or "Harlowe")
    try:
        fmt = story_format(format_name)
    except ValueError:
        fmt = HARLOWE
        notes.append(f"story format {format_name!r} is not modelled; passages were read as Harlowe")
    specials = [p for p in passages if p.name in SPECIAL_NAMES or SPECIAL_TAGS.intersection(p.tags)]
    special_names = {p.name for p in specials}
    story = [p for p in passages if p.name not in special_names]
    if not story:
        raise TweeSyntaxError("the story has no passages besides special ones", passages[0].line or 1)

    variables: dict[str, Variable] = {}
    for passage in specials:
        if fmt.is_init_passage(passage.name, passage.tags):
            for name, value in fmt.init_values(passage.text).items():
                if NAME_RE.match(name) and name not in KEYWORDS:
                    variables[name] = Variable(type=type_of(value), initial=value)

    nodes: list[Node] = []
    for passage in story:
        nodes.append(_passage_to_node(passage, fmt, notes))
    for node in nodes:  # variables used but never given a starting value
        for choice in node.choices:
            for var, value in choice.sets.items():
                if var not in variables and NAME_RE.match(var) and var not in KEYWORDS:
                    is_delta = isinstance(value, str) and re.fullmatch(r"[+-][0-9]+", value)
                    variables[var] = Variable(type="int" if is_delta else type_of(value))
                    notes.append(f"variable ${var} has no starting value; declared as {variables[var].type}")

    types = {name: var.type for name, var in variables.items()}
    for passage, node in zip(story, nodes, strict=True):
        if node_source(node, fmt, types) != passage.text:
            node.raw = passage.text  # written in a way our exporter would not reproduce: keep it exactly

    start = str(story_data.get("start") or "")
    names = {node.id for node in nodes}
    if start not in names:
        fallback = "Start" if "Start" in names else nodes[0].id
        if start:
            notes.append(f"start passage {start!r} does not exist; starting at {fallback!r}")
        start = fallback
    extras = TweeExtras(
        ifid=str(story_data["ifid"]) if story_data.get("ifid") else None,
        story_format=format_name,
        format_version=str(story_data.get("format-version") or "") or None,
        story_data={
            k: v for k, v in story_data.items() if k not in ("ifid", "format", "format-version", "start")
        },
        special_passages=[
            {"name": p.name, "tags": p.tags, "metadata": p.metadata, "text": p.text}
            for p in specials
            if p.name not in ("StoryTitle", "StoryData")
        ],
    )
    try:
        novel = Novel(title=title, start=start, variables=variables, nodes=nodes, twee_extras=extras)
    except ValidationError as exc:
        raise TweeSyntaxError(f"the story cannot be represented: {exc.errors()[0]['msg']}", 1) from None
    return novel, notes


def _passage_to_node(passage: Passage, fmt: StoryFormat, notes: list[str]) -> Node:
    lines = passage.text.split("\n")
    parsed: list[ParsedChoice] = []
    j = len(lines)
    while j > 0:
        line = lines[j - 1].strip()
        if line:
            choice = fmt.parse_choice_line(line)
            if choice is None:
                break
            parsed.insert(0, choice)
        j -= 1
    body = "\n".join(lines[:j]).rstrip()
    plain = fmt.unverbatim(body)
    tags = [
        t for t in passage.tags if not (t.startswith(ENDING_TAG) and t[len(ENDING_TAG) :] in ENDING_TYPES)
    ]
    ending_tags = [t[len(ENDING_TAG) :] for t in passage.tags if t not in tags]
    if plain is None and (LINK_RE.search(body) or fmt.goto_choices(body)):
        choices = [
            Choice(label=label, target=target)
            for label, target in find_links(passage.text) + fmt.goto_choices(passage.text)
        ]
        text = fmt.strip_markup(passage.text)
        if _MACRO_RE.search(passage.text):
            notes.append(
                f"{passage.name}: macros kept as written; its choices are read without conditions or updates"
            )
        else:
            notes.append(f"{passage.name}: links inside the text kept as written")
    else:
        choices = [c.to_choice() for c in parsed]
        text = plain if plain is not None else body
        if plain is None and _MACRO_RE.search(body):
            text = fmt.strip_markup(body)
            notes.append(f"{passage.name}: macros in the text kept as written (shown without them elsewhere)")
    # ending_tags holds only tags found in ENDING_TYPES
    ending: EndingType | None = cast(EndingType, ending_tags[0]) if ending_tags else None
    if ending is None and not choices:
        ending = "neutral"
    metadata = dict(passage.metadata)
    title = metadata.pop(TITLE_KEY, "")
    try:
        return Node(
            id=passage.name,
            title=title if isinstance(title, str) else "",
            text=text,
            choices=choices,
            ending=ending,
            tags=tags,
            metadata=metadata,
        )
    except ValidationError as exc:
        message = exc.errors()[0]["msg"]
        raise TweeSyntaxError(
            f"passage {passage.name!r} cannot be read: {message}", passage.line or 1
        ) from None
