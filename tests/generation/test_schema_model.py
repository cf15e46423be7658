"""JSON Schema files turned into pydantic models for `generate text --json-schema`."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from aigc_contest.generation.schema_model import SchemaFileError, load_schema_model, model_from_json_schema

SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 20},
        "age": {"type": "integer", "minimum": 6, "maximum": 18},
        "mood": {"enum": ["happy", "sad"], "type": "string"},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 5}, "maxItems": 2},
        "hero": {"$ref": "#/$defs/hero"},
        "score": {"type": ["number", "null"]},
    },
    "required": ["title", "age", "hero"],
    "additionalProperties": False,
    "$defs": {"hero": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}},
}


def test_valid_and_invalid_values() -> None:
    model = model_from_json_schema(SCHEMA)
    value = model.model_validate(
        {"title": "Moon", "age": 7, "mood": "happy", "tags": ["a"], "hero": {"name": "Mi"}}
    )
    assert value.model_dump(exclude_unset=True)["hero"]["name"] == "Mi"
    for bad in [
        {"title": "", "age": 7, "hero": {"name": "x"}},
        {"title": "t", "age": 5, "hero": {"name": "x"}},
        {"title": "t", "age": 7, "hero": {}},
        {"title": "t", "age": 7, "hero": {"name": "x"}, "tags": ["a", "b", "c"]},
        {"title": "t", "age": 7, "hero": {"name": "x"}, "mood": "angry"},
        {"title": "t", "age": 7, "hero": {"name": "x"}, "extra": 1},
    ]:
        with pytest.raises(ValidationError):
            model.model_validate(bad)


def test_generated_schema_keeps_the_bounds() -> None:
    schema = model_from_json_schema(SCHEMA).model_json_schema()
    text = json.dumps(schema)
    assert '"maxLength": 20' in text and '"maximum": 18' in text and '"maxItems": 2' in text
    assert schema["additionalProperties"] is False


def test_unsupported_and_unreadable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SchemaFileError, match="unsupported keyword.*patternProperties"):
        model_from_json_schema({"type": "object", "patternProperties": {}})
    with pytest.raises(SchemaFileError, match="top level"):
        model_from_json_schema({"type": "string"})
    with pytest.raises(SchemaFileError, match="does not exist"):
        load_schema_model(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{nope")
    with pytest.raises(SchemaFileError, match="not readable JSON"):
        load_schema_model(tmp_path / "bad.json")
