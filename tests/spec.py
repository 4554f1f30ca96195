"""Validate responses against the official OpenAPI spec (../shared/reference/openai-openapi.yaml).

The spec is OpenAPI 3.1 but still marks nullability with ``nullable: true``; we rewrite those into
JSON Schema ``anyOf [..., null]`` once, then validate with jsonschema's Draft 2020-12 validator.
Unknown properties are tolerated (the spec is newer than most SDKs), as PROTOCOL.md advises.
"""

from __future__ import annotations

import functools
import json
import pickle
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SPEC_PATH = Path(__file__).resolve().parents[2] / "shared" / "reference" / "openai-openapi.yaml"
_CACHE = Path(__file__).resolve().parent / ".spec-cache.pickle"


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
    if _CACHE.exists() and _CACHE.stat().st_mtime >= SPEC_PATH.stat().st_mtime:
        return pickle.loads(_CACHE.read_bytes())
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec = yaml.load(SPEC_PATH.read_text(encoding="utf-8"), Loader=loader)
    schemas = _nullable(spec["components"]["schemas"])
    try:
        _CACHE.write_bytes(pickle.dumps(schemas))
    except OSError:
        pass
    return schemas


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
