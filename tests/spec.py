"""Validate responses against the official OpenAPI spec's schemas.

The schemas come from ``tests/reference/openai-chat-schemas.json`` and ``openai-responses-schemas.json``:
the chat-completion and Responses-API schemas of ``../shared/reference/openai-openapi.yaml`` and
everything they reference, copied unchanged
(``tests/reference/extract.py``; ``test_spec_copy.py`` checks the copy whenever the official file is
present), so a clean clone validates without the 3 MB spec. The spec is OpenAPI 3.1 but still marks
nullability with ``nullable: true``; we rewrite those into JSON Schema ``anyOf [..., null]`` once, then
validate with jsonschema's Draft 2020-12 validator. Unknown properties are tolerated (the spec is newer
than most SDKs), as PROTOCOL.md advises. The Responses schemas are relaxed only where real traffic
differs from the spec (PROTOCOL-responses.md §11; see :data:`TOLERATED`), so mockllm may answer as the API
really does and still validate.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema

REFERENCE = Path(__file__).resolve().parent / "reference"
SCHEMAS_PATH = REFERENCE / "openai-chat-schemas.json"
RESPONSES_SCHEMAS_PATH = REFERENCE / "openai-responses-schemas.json"


def _nullable(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _nullable(v) for k, v in node.items()}
        if node.pop("nullable", False):
            return {"anyOf": [node, {"type": "null"}]}
        return node
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    return node


@functools.cache
def components() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for path in (SCHEMAS_PATH, RESPONSES_SCHEMAS_PATH):
        schemas.update(json.loads(path.read_text(encoding="utf-8")))  # shared names are the same schema
    return _tolerate(_nullable(schemas))


@functools.cache
def validator(name: str) -> jsonschema.Draft202012Validator:
    root = {"components": {"schemas": components()}, "$ref": f"#/components/schemas/{name}"}
    return jsonschema.Draft202012Validator(root)


def validate(name: str, instance: Any) -> None:
    """Raise AssertionError listing every spec violation of ``instance`` against schema ``name``."""
    errors = sorted(validator(name).iter_errors(instance), key=lambda e: list(e.path))
    if errors:
        lines = [f"{list(e.path)}: {e.message[:300]}" for e in errors[:10]]
        raise AssertionError(f"{name} violations:\n" + "\n".join(lines) + "\n" + json.dumps(instance)[:2000])


#: (schema, property path, relaxation, what real traffic does that the spec does not allow), from
#: PROTOCOL-responses.md §11. "optional" drops the property from ``required``; "nullable" lets it be null.
#: Each is applied to the vendored copy at load time, and must still be needed (else loading fails).
TOLERATED: tuple[tuple[str, str, str, str], ...] = (
    ("ResponseUsage", "input_tokens_details.cache_write_tokens", "optional", "absent in every recording"),
    ("ResponseFunctionCallArgumentsDoneEvent", "name", "optional", "absent in every recording"),
    ("ModelResponseProperties", "user", "nullable", '"user": null when not sent'),
    ("Response", "usage", "nullable", '"usage": null in response.created / response.in_progress'),
    ("TextResponseFormatJsonSchema", "description", "nullable", '"description": null in the echo'),
)


def _holder(schema: dict[str, Any], name: str) -> dict[str, Any]:
    """The (sub)schema whose ``properties`` define ``name``: the schema itself or one of its allOf parts."""
    for part in [schema, *schema.get("allOf", ())]:
        if name in part.get("properties", {}):
            return part
    raise KeyError(name)


def _tolerate(schemas: dict[str, Any]) -> dict[str, Any]:
    for schema_name, path, relaxation, _why in TOLERATED:
        node = schemas[schema_name]
        *parents, leaf = path.split(".")
        for part in parents:
            node = _holder(node, part)["properties"][part]
        node = _holder(node, leaf)
        if relaxation == "optional":
            assert leaf in node.get("required", ()), f"{schema_name}.{path} is not required: drop its tolerance"
            node["required"] = [r for r in node["required"] if r != leaf]
        else:
            prop = node["properties"][leaf]
            assert "anyOf" not in prop, f"{schema_name}.{path} is nullable already: drop its tolerance"
            node["properties"][leaf] = {"anyOf": [prop, {"type": "null"}]}
    return schemas


@functools.cache
def _event_schemas() -> dict[str, str]:
    """Stream event type → the ``ResponseStreamEvent`` member that describes it."""
    out: dict[str, str] = {}
    for member in components()["ResponseStreamEvent"]["anyOf"]:
        name = member["$ref"].rsplit("/", 1)[1]
        for kind in components()[name]["properties"]["type"].get("enum", ()):
            out[kind] = name
    return out


def validate_stream_event(event: dict[str, Any]) -> str:
    """Validate one Responses stream event against its own schema and the ``ResponseStreamEvent`` union;
    return the schema's name. An event type the spec does not list is an error."""
    name = _event_schemas().get(event.get("type"))  # type: ignore[arg-type]
    assert name is not None, f"stream event type {event.get('type')!r} is not in the spec's ResponseStreamEvent"
    validate(name, event)
    validate("ResponseStreamEvent", event)
    return name
