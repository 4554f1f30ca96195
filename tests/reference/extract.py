"""Extract the schemas the tests validate against from OpenAI's official OpenAPI spec.

The suite must run on a clean clone, where the 3 MB spec in ``../shared/reference`` may be absent, so the
closure of the schemas we use (every ``$ref`` they reach) is kept here as JSON, unchanged but for key
order: one file for chat completions and the models routes, one for the Responses API. Regenerate after
the spec changes::

    .venv/bin/python tests/reference/extract.py ../shared/reference/openai-openapi.yaml

``tests/test_spec_copy.py`` checks the copy against the official file whenever that file is present.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
OUT = HERE / "openai-chat-schemas.json"
OUT_RESPONSES = HERE / "openai-responses-schemas.json"
OFFICIAL = HERE.parents[2] / "shared" / "reference" / "openai-openapi.yaml"
ROOTS = (
    "CreateChatCompletionRequest",
    "CreateChatCompletionResponse",
    "CreateChatCompletionStreamResponse",
    "CreateEmbeddingRequest",
    "CreateEmbeddingResponse",
    "ErrorResponse",
    "ListModelsResponse",
    "Model",
)
#: The Responses API's answers: the response object, every stream event, the companion routes' bodies.
RESPONSES_ROOTS = (
    "ErrorResponse",
    "Response",
    "ResponseItemList",
    "ResponseStreamEvent",
    "TokenCountsResource",
)
#: Each vendored file and the roots whose closure it holds.
OUTPUTS = {OUT: ROOTS, OUT_RESPONSES: RESPONSES_ROOTS}


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def closure(schemas: dict[str, Any], roots: tuple[str, ...] = ROOTS) -> dict[str, Any]:
    """``roots`` and every schema they reference, transitively."""
    keep: dict[str, Any] = {}
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep[name] = schemas[name]
        found: set[str] = set()
        _refs(schemas[name], found)
        todo.extend(sorted(found - keep.keys()))
    return dict(sorted(keep.items()))


def load_official(path: Path = OFFICIAL) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)["components"]["schemas"]


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else OFFICIAL
    schemas = load_official(source)
    for out, roots in OUTPUTS.items():
        out.write_text(json.dumps(closure(schemas, roots), indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {out} from {source}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
