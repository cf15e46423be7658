"""The interactive novel: a flat graph of nodes with ids, stored as versioned JSON.

```json
{"format": "aigc-contest/novel", "version": 1, "title": "...", "author": "...", "language": "en",
 "start": "gate", "variables": {"courage": {"type": "int", "initial": 0}},
 "nodes": [{"id": "gate", "title": "The gate", "text": "...",
            "choices": [{"label": "Knock", "target": "hall", "condition": "courage >= 1",
                         "sets": {"courage": "+1"}}]},
           {"id": "hall", "text": "...", "ending": "happy"}]}
```

Conditions and ``sets`` follow the language in :mod:`aigc_contest.works.novel.conditions`. Nodes never
nest: a choice names its target by id. ``raw`` keeps a passage imported from Twine exactly as written
when it used markup this model cannot express; ``twee_extras`` keeps the story's special passages.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from aigc_contest.works.novel.conditions import NAME_RE, VarType

FORMAT: Final = "aigc-contest/novel"
VERSION: Final = 1
EndingType = Literal["happy", "sad", "neutral", "bittersweet", "funny", "surprise", "open"]
ENDING_TYPES: tuple[str, ...] = EndingType.__args__  # type: ignore[attr-defined]
Language = Literal["en", "zh-Hant", "zh-Hans"]
DATA_URI_RE = re.compile(r"data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/]*={0,2}\Z")


class NovelFormatError(ValueError):
    """A file that is not a valid novel; ``details`` lists each problem."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or []


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Illustration(_Base):
    asset: str = Field(default="", max_length=500, description="asset reference (path or id)")
    data_uri: str | None = Field(default=None, description="inline raster image as a data: URI")
    alt: str = Field(default="", max_length=500)
    provenance: dict[str, Any] | None = None

    @field_validator("data_uri")
    @classmethod
    def _raster_data_uri(cls, value: str | None) -> str | None:
        if value is not None and not DATA_URI_RE.match(value):
            raise ValueError("must be a base64 data: URI of a PNG, JPEG, GIF or WebP image")
        return value


class Choice(_Base):
    label: str
    target: str
    condition: str | None = None
    sets: dict[str, bool | int | str] = Field(default_factory=dict)


class Node(_Base):
    id: str = Field(min_length=1)
    title: str = ""
    text: str = ""
    illustration: Illustration | None = None
    choices: list[Choice] = Field(default_factory=list)
    ending: EndingType | None = None
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(
        default_factory=dict, description="Twee passage metadata (position, size)"
    )
    raw: str | None = Field(default=None, description="passage source kept verbatim from an import")

    @field_validator("id")
    @classmethod
    def _one_line_id(cls, value: str) -> str:
        if value != value.strip() or any(ch in value for ch in "\r\n\t"):
            raise ValueError("node id must be one line without surrounding spaces")
        return value

    @property
    def is_ending(self) -> bool:
        return self.ending is not None


class Variable(_Base):
    type: VarType
    initial: bool | int | str | None = None

    @model_validator(mode="after")
    def _initial_matches_type(self) -> Variable:
        if self.initial is not None:
            actual = (
                "bool"
                if isinstance(self.initial, bool)
                else "int"
                if isinstance(self.initial, int)
                else "str"
            )
            if actual != self.type:
                raise ValueError(f"initial value {self.initial!r} is not a {self.type}")
        return self


class TweeExtras(_Base):
    """What a Twine story carries beyond the graph, kept for a faithful export back to Twine."""

    ifid: str | None = None
    story_format: str | None = None
    format_version: str | None = None
    story_data: dict[str, Any] = Field(default_factory=dict, description="other StoryData fields")
    special_passages: list[dict[str, Any]] = Field(
        default_factory=list,
        description="StoryInit, scripts, stylesheets, widgets: name, tags, metadata, text",
    )


class Novel(_Base):
    format: Literal["aigc-contest/novel"] = FORMAT
    version: Literal[1] = VERSION
    title: str = ""
    author: str = ""
    language: Language = "en"
    start: str
    variables: dict[str, Variable] = Field(default_factory=dict)
    nodes: list[Node]
    twee_extras: TweeExtras | None = None

    @field_validator("variables")
    @classmethod
    def _variable_names(cls, value: dict[str, Variable]) -> dict[str, Variable]:
        from aigc_contest.works.novel.conditions import KEYWORDS

        for name in value:
            if not NAME_RE.match(name) or name in KEYWORDS:
                raise ValueError(f"variable name {name!r} must be letters, digits and _ (not a keyword)")
        return value

    @field_validator("nodes")
    @classmethod
    def _unique_ids(cls, value: list[Node]) -> list[Node]:
        seen: set[str] = set()
        for node in value:
            if node.id in seen:
                raise ValueError(f"node id {node.id!r} is used twice")
            seen.add(node.id)
        return value

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, exclude_none=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Novel:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise NovelFormatError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
        return cls.from_data(data)

    @classmethod
    def from_data(cls, data: Any) -> Novel:
        if not isinstance(data, dict):
            raise NovelFormatError("a novel file must hold a JSON object")
        if data.get("format") != FORMAT:
            raise NovelFormatError(f'not a novel file: "format" must be "{FORMAT}"')
        if data.get("version") != VERSION:
            raise NovelFormatError(
                f"unsupported novel version {data.get('version')!r} (this program reads {VERSION})"
            )
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            details = [
                f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()
            ]
            raise NovelFormatError("the novel file is not valid", details) from None


def load_json(path: str | Path) -> Novel:
    return Novel.from_json(Path(path).read_text(encoding="utf-8"))
