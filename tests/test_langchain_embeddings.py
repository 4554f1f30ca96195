"""Issue #18: LangChain's ``OpenAIEmbeddings`` against mockllm, with its defaults
(``check_embedding_ctx_length=True``: texts are tokenized with tiktoken and sent as token arrays).

The vectors must equal what openai-python gets for the raw strings (token arrays embed like their text),
long texts are split and averaged by LangChain and still come back unit length, and a small retrieval
ranks the right document first. tiktoken is fed the installed ``bpe-openai`` rank files through a private
``TIKTOKEN_CACHE_DIR`` with network reads patched to fail, so nothing is downloaded.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import math
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
import tiktoken.load

from mockllm.pytest_plugin import MockLLM

langchain_openai = pytest.importorskip("langchain_openai")

MODEL = "text-embedding-3-small"
DOCS = [
    "How to reset a forgotten password in the account settings page",
    "Shipping takes three to five business days within Europe",
    "Refunds are issued to the original payment card within ten days",
    "Invoices can be downloaded as PDF from the billing dashboard",
]


@pytest.fixture(autouse=True)
def offline_tiktoken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    cache = tmp_path_factory.mktemp("tiktoken-cache")
    spec = importlib.util.find_spec("bpe_openai")
    assert spec is not None and spec.origin is not None
    url = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
    raw = gzip.decompress((Path(spec.origin).parent / "data" / "cl100k_base.tiktoken.gz").read_bytes())
    (cache / hashlib.sha1(url.encode()).hexdigest()).write_bytes(raw)

    def no_network(blobpath: str) -> bytes:
        raise AssertionError(f"tiktoken tried to fetch {blobpath}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
        patch.setattr(tiktoken.load, "read_file", no_network)
        yield


def embeddings(mockllm: MockLLM, **kw: object) -> object:
    return langchain_openai.OpenAIEmbeddings(
        model=MODEL, base_url=mockllm.base_url, api_key="sk-test", max_retries=0, **kw
    )


def cos(a: list[float], b: list[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=True))


def test_token_arrays_give_the_raw_string_vectors(mockllm: MockLLM) -> None:
    vectors = embeddings(mockllm).embed_documents(DOCS)  # type: ignore[attr-defined]
    sent = mockllm.requests[-1].body
    assert isinstance(sent["input"][0], list) and all(isinstance(t, int) for t in sent["input"][0])
    direct = mockllm.client().embeddings.create(model=MODEL, input=DOCS, encoding_format="float")
    for mine, theirs in zip(vectors, direct.data, strict=True):
        assert len(mine) == 1536
        assert max(abs(x - y) for x, y in zip(mine, theirs.embedding, strict=True)) < 1e-6


def test_raw_strings_when_ctx_check_is_off(mockllm: MockLLM) -> None:
    vector = embeddings(mockllm, check_embedding_ctx_length=False).embed_query(DOCS[0])
    assert mockllm.requests[-1].body["input"] == [DOCS[0]]
    assert abs(math.sqrt(cos(vector, vector)) - 1) < 1e-5


def test_retrieval_and_dimensions(mockllm: MockLLM) -> None:
    store = embeddings(mockllm, dimensions=256)
    docs = store.embed_documents(DOCS)  # type: ignore[attr-defined]
    query = store.embed_query("I want my refund on my card")  # type: ignore[attr-defined]
    assert len(query) == 256
    assert max(range(len(DOCS)), key=lambda i: cos(query, docs[i])) == 2


def test_long_text_split_and_averaged(mockllm: MockLLM) -> None:
    long_text = "zeppelin hangar maintenance " * 3000  # > 8,191 tokens: LangChain sends pieces
    vector = embeddings(mockllm).embed_query(long_text)  # type: ignore[attr-defined]
    sent = mockllm.requests[-1].body["input"]
    assert len(sent) >= 2 and max(len(piece) for piece in sent) <= 8191
    assert abs(math.sqrt(cos(vector, vector)) - 1) < 1e-5


def test_errors_surface_as_openai_errors(mockllm: MockLLM) -> None:
    with pytest.raises(openai.NotFoundError):
        langchain_openai.OpenAIEmbeddings(
            model="text-embedding-4-ultra", base_url=mockllm.base_url, api_key="sk-test", max_retries=0
        ).embed_query("x")
