"""Issue #18: LiteLLM's ``embedding()`` against mockllm (it sends no ``encoding_format``, so the server's
default, float, applies), and its error classes for the endpoint's errors.

Optional: skipped unless ``litellm`` is installed (see tests/test_litellm.py).
"""

from __future__ import annotations

import math
import os
from array import array
from collections.abc import Iterator

import openai
import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network fetch of the price map on import
litellm = pytest.importorskip("litellm")

from mockllm.config import Settings  # noqa: E402
from mockllm.server import MockServer  # noqa: E402

TEXTS = ["The cat sat on the mat", "Quarterly revenue grew by 8 percent"]


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(Settings(port=0, seed=5)) as srv:
        yield srv


def embed(server: MockServer, **kw: object) -> object:
    kw.setdefault("model", "openai/text-embedding-3-small")
    return litellm.embedding(api_base=server.base_url, api_key="sk-test", max_retries=0, **kw)


def test_litellm_embedding_matches_the_sdk(server: MockServer) -> None:
    answer = embed(server, input=TEXTS)
    vectors = [item["embedding"] for item in answer.data]  # type: ignore[attr-defined]
    assert [len(v) for v in vectors] == [1536, 1536]
    assert all(abs(math.sqrt(math.fsum(x * x for x in v)) - 1) < 1e-5 for v in vectors)
    direct = openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0).embeddings.create(
        model="text-embedding-3-small", input=TEXTS
    )
    assert [array("f", v).tobytes() for v in vectors] == [array("f", d.embedding).tobytes() for d in direct.data]
    assert answer.usage.prompt_tokens == direct.usage.prompt_tokens  # type: ignore[attr-defined]


def test_litellm_dimensions(server: MockServer) -> None:
    answer = embed(server, input="hello", dimensions=256)
    assert len(answer.data[0]["embedding"]) == 256  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kw", "cls"),
    [
        ({"model": "openai/text-embedding-4-ultra", "input": "x"}, "NotFoundError"),
        ({"model": "openai/text-embedding-ada-002", "input": "x", "dimensions": 8}, "BadRequestError"),
        ({"input": ["a", ""]}, "BadRequestError"),
    ],
)
def test_litellm_error_classes(server: MockServer, kw: dict[str, object], cls: str) -> None:
    with pytest.raises(getattr(litellm, cls)):
        embed(server, **kw)


def test_litellm_rate_limit(server: MockServer) -> None:
    with pytest.raises(litellm.RateLimitError):
        embed(server, input="x", extra_headers={"x-mockllm-fault": "rate_limit"})
