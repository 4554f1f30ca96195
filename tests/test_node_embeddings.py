"""Issue #18: the official openai Node SDK's ``embeddings.create`` against mockllm (its default base64 path,
decoded by the SDK, and ``encoding_format: float``) returns exactly the numbers openai-python gets."""

from __future__ import annotations

from array import array
from pathlib import Path

import openai
import pytest
from test_node_sdk import node_sdk, run_script  # noqa: F401 - the fixture is used by name

from mockllm.server import MockServer

SCRIPT = Path(__file__).resolve().parent / "node" / "embeddings.mjs"
TEXTS = ["The cat sat on the mat", "今天天气很好"]


def f32(values: list[float]) -> bytes:
    return array("f", values).tobytes()


@pytest.mark.parametrize("options", [{}, {"encoding_format": "float"}, {"dimensions": 256}])
def test_node_embeddings_match_python(node_sdk: Path, server: MockServer, options: dict[str, object]) -> None:  # noqa: F811
    import json

    request = {"model": "text-embedding-3-small", "input": TEXTS, **options}
    node = run_script(node_sdk, SCRIPT, server.base_url, json.dumps(request))
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)
    python = client.embeddings.create(**request)  # type: ignore[arg-type]
    assert node["indexes"] == [0, 1] and node["types"] == ["object", "object"]
    assert node["usage"] == python.usage.model_dump()
    assert [f32(v) for v in node["vectors"]] == [f32(d.embedding) for d in python.data]
    assert len(node["vectors"][0]) == options.get("dimensions", 1536)


def test_node_sees_openai_errors(node_sdk: Path, server: MockServer) -> None:  # noqa: F811
    import json

    request = {"model": "text-embedding-ada-002", "input": "x", "dimensions": 8}
    node = run_script(node_sdk, SCRIPT, server.base_url, json.dumps(request))
    assert node["status"] == 400 and node["name"] == "BadRequestError"
    assert node["error"]["message"] == "This model does not support specifying dimensions."
