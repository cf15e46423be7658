"""A pydantic model built from a JSON Schema file (for `generate text --json-schema FILE`).

Answers are validated by pydantic like every other structured answer, so no second validator is needed.
The supported subset covers what chat answers use: objects (properties, required, additionalProperties
false), arrays (items, minItems, maxItems), strings (minLength, maxLength, pattern, enum), integers and
numbers (minimum, maximum, exclusive bounds), booleans, null, `anyOf` / type lists, local `$ref` into
`$defs` / `definitions`, `const`. Anything else is refused with a message naming it, rather than silently
ignored. Bound every string, array and integer so that even a small model's answer terminates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

_IGNORED = {
    "title",
    "description",
    "examples",
    "default",
    "$schema",
    "$id",
    "$comment",
    "$defs",
    "definitions",
}
_KEYWORDS = {
    "object": {"type", "properties", "required", "additionalProperties"},
    "array": {"type", "items", "minItems", "maxItems"},
    "string": {"type", "minLength", "maxLength", "pattern", "enum", "format"},
    "integer": {"type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"},
    "number": {"type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"},
    "boolean": {"type"},
    "null": {"type"},
}
_SCALARS: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "null": type(None),
}


class SchemaFileError(ValueError):
    """The schema file cannot be read or uses JSON Schema features this reader does not support."""


class _Builder:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.count = 0

    def model(self, schema: dict[str, Any], name: str) -> type[BaseModel]:
        annotation = self.annotation(schema, name, "$")
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation
        raise SchemaFileError('the top level of the schema must be an object ("type": "object")')

    def _resolve(self, schema: dict[str, Any], where: str) -> dict[str, Any]:
        ref = schema.get("$ref")
        if ref is None:
            return schema
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise SchemaFileError(f"{where}: only local $ref ('#/$defs/...') is supported, not {ref!r}")
        target: Any = self.root
        for part in ref[2:].split("/"):
            if not isinstance(target, dict) or part not in target:
                raise SchemaFileError(f"{where}: $ref {ref!r} points nowhere")
            target = target[part]
        return target

    def annotation(self, schema: Any, name: str, where: str) -> Any:
        if schema is True or schema == {}:
            return Any
        if not isinstance(schema, dict):
            raise SchemaFileError(f"{where}: a schema must be an object")
        schema = self._resolve(schema, where)
        if "const" in schema:
            return Literal[schema["const"]]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [
                    self.annotation(s, f"{name}{i}", f"{where}.{key}[{i}]") for i, s in enumerate(schema[key])
                ]
                return Union[tuple(options)]  # noqa: UP007 - built at run time
        kind = schema.get("type")
        if isinstance(kind, list):
            options = [self.annotation({**schema, "type": k}, name, where) for k in kind]
            return Union[tuple(options)]  # noqa: UP007
        if kind not in _KEYWORDS:
            raise SchemaFileError(f"{where}: unsupported or missing type {kind!r}")
        unknown = set(schema) - _KEYWORDS[kind] - _IGNORED
        if unknown:
            raise SchemaFileError(f"{where}: unsupported keyword(s) for {kind}: {', '.join(sorted(unknown))}")
        if kind == "object":
            return self._object(schema, name, where)
        if kind == "array":
            item = self.annotation(schema.get("items", {}), f"{name}Item", f"{where}[]")
            # the item type is built at run time, so list[item] is a dynamic type
            return Annotated[
                list[item], Field(min_length=schema.get("minItems"), max_length=schema.get("maxItems"))  # type: ignore[valid-type]
            ]
        if "enum" in schema:
            return Literal[tuple(schema["enum"])]
        constraints: dict[str, Any] = {}
        if kind == "string":
            constraints = {
                "min_length": schema.get("minLength"),
                "max_length": schema.get("maxLength"),
                "pattern": schema.get("pattern"),
            }
        elif kind in ("integer", "number"):
            constraints = {
                "ge": schema.get("minimum"),
                "le": schema.get("maximum"),
                "gt": schema.get("exclusiveMinimum"),
                "lt": schema.get("exclusiveMaximum"),
            }
        constraints = {k: v for k, v in constraints.items() if v is not None}
        base = _SCALARS[kind]
        return Annotated[base, Field(**constraints)] if constraints else base

    def _object(self, schema: dict[str, Any], name: str, where: str) -> type[BaseModel]:
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        missing = required - set(properties)
        if missing:
            raise SchemaFileError(f"{where}: required names no property: {', '.join(sorted(missing))}")
        fields: dict[str, Any] = {}
        for key, sub in properties.items():
            annotation = self.annotation(sub, f"{name}_{key}".title().replace("_", ""), f"{where}.{key}")
            fields[key] = (annotation, ...) if key in required else (annotation | None, None)
        extra: Literal["forbid", "allow"] = "forbid" if schema.get("additionalProperties") is False else "allow"
        self.count += 1
        title = schema.get("title") or (name if self.count > 1 else name)
        return create_model(str(title).replace(" ", ""), __config__=ConfigDict(extra=extra), **fields)


def model_from_json_schema(schema: dict[str, Any], name: str = "Answer") -> type[BaseModel]:
    """A pydantic model accepting exactly the JSON the schema describes (within the supported subset)."""
    return _Builder(schema).model(schema, name)


def load_schema_model(path: str | Path) -> type[BaseModel]:
    path = Path(path)
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SchemaFileError(f"schema file {path} does not exist") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SchemaFileError(f"schema file {path} is not readable JSON: {exc}") from exc
    return model_from_json_schema(schema)
