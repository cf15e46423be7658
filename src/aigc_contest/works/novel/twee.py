"""Twee 3 source: passages with headers ``:: Name [tag1 tag2] {"position":"x,y","size":"w,h"}``.

This module reads and writes the passage layer only (names, tags, metadata, text); what the text means
(links, macros of Harlowe or SugarCube) is :mod:`aigc_contest.works.novel.twine`'s business.

Rules followed (Twee 3 specification): in a passage name ``[ ] { }`` and ``\\`` are escaped with a
backslash; tags are separated by spaces; the metadata is a JSON object on the header line; a content line
that begins with ``::`` is escaped as ``\\::``; trailing whitespace of a passage's text is dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

MAX_SOURCE_CHARS = 20_000_000


class TweeSyntaxError(ValueError):
    """Twee source that cannot be read; ``line`` is 1-based."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.message = message
        self.line = line


@dataclass
class Passage:
    name: str
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    line: int = 0  # where the header was (0 when not read from a file)


def parse_twee(source: str) -> list[Passage]:
    """The passages of a Twee 3 file; raises TweeSyntaxError."""
    if len(source) > MAX_SOURCE_CHARS:
        raise TweeSyntaxError("the file is too large", 1)
    passages: list[Passage] = []
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    body: list[str] = []
    current: Passage | None = None
    for number, line in enumerate(lines, start=1):
        if line.startswith("::"):
            if current is not None:
                current.text = "\n".join(body).rstrip()
            current = _parse_header(line, number)
            passages.append(current)
            body = []
        elif current is None:
            if line.strip():
                raise TweeSyntaxError(
                    "text before the first passage header (a line starting with '::')", number
                )
        else:
            body.append(line[1:] if line.startswith("\\::") else line)
    if current is None:
        raise TweeSyntaxError(
            "no passages found (a passage starts with a line ':: Name')", max(1, len(lines))
        )
    current.text = "\n".join(body).rstrip()
    seen: dict[str, int] = {}
    for passage in passages:
        if passage.name in seen:
            raise TweeSyntaxError(
                f"passage name {passage.name!r} is used twice (first on line {seen[passage.name]})",
                passage.line,
            )
        seen[passage.name] = passage.line
    return passages


def _parse_header(line: str, number: int) -> Passage:
    name_chars: list[str] = []
    i = 2
    while i < len(line):
        char = line[i]
        if char == "\\":
            if i + 1 >= len(line):
                raise TweeSyntaxError("a passage name cannot end with a lone backslash", number)
            name_chars.append(line[i + 1])
            i += 2
            continue
        if char in "[{":
            break
        if char in "]}":
            raise TweeSyntaxError(f"unescaped {char!r} in a passage name (write \\{char})", number)
        name_chars.append(char)
        i += 1
    name = "".join(name_chars).strip()
    if not name:
        raise TweeSyntaxError("a passage header needs a name after '::'", number)
    rest = line[i:].strip()
    tags: list[str] = []
    metadata: dict[str, Any] = {}
    if rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            raise TweeSyntaxError("the tag list '[' is not closed with ']'", number)
        tags = rest[1:end].split()
        rest = rest[end + 1 :].strip()
    if rest.startswith("{"):
        try:
            metadata = json.loads(rest)
        except (json.JSONDecodeError, RecursionError):
            raise TweeSyntaxError("the passage metadata is not a valid JSON object", number) from None
        if not isinstance(metadata, dict):
            raise TweeSyntaxError("the passage metadata must be a JSON object", number)
        rest = ""
    if rest:
        raise TweeSyntaxError(f"unexpected {rest[:20]!r} after the passage name, tags and metadata", number)
    return Passage(name=name, tags=tags, metadata=metadata, text="", line=number)


def escape_name(name: str) -> str:
    return "".join("\\" + char if char in "\\[]{}" else char for char in name)


def format_twee(passages: list[Passage]) -> str:
    """Twee 3 source for ``passages``."""
    chunks: list[str] = []
    for passage in passages:
        header = f":: {escape_name(passage.name)}"
        if passage.tags:
            header += f" [{' '.join(passage.tags)}]"
        if passage.metadata:
            header += " " + json.dumps(passage.metadata, ensure_ascii=False, separators=(",", ":"))
        text = "\n".join("\\" + line if line.startswith("::") else line for line in passage.text.split("\n"))
        chunks.append(f"{header}\n{text}\n")
    return "\n".join(chunks)
