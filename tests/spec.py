"""Validate responses against the official OpenAPI spec's schemas.

The schemas come from ``tests/reference/openai-chat-schemas.json``: the chat-completion schemas of
``../shared/reference/openai-openapi.yaml`` and everything they reference, copied unchanged
(``tests/reference/extract.py``; ``test_spec_copy.py`` checks the copy whenever the official file is
present), so a clean clone validates without the 3 MB spec. The spec is OpenAPI 3.1 but still marks
nullability with ``nullable: true``; we rewrite those into JSON Schema ``anyOf [..., null]`` once, then
validate with jsonschema's Draft 2020-12 validator. Unknown properties are tolerated (the spec is newer
than most SDKs), as PROTOCOL.md advises.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema

SCHEMAS_PATH = Path(__file__).resolve().parent / "reference" / "openai-chat-schemas.json"


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
    return _nullable(json.loads(SCHEMAS_PATH.read_text(encoding="utf-8")))


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
