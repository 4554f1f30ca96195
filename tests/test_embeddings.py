"""Issue #18: ``POST /v1/embeddings`` through the real server and openai-python (sync and async, base64
default and ``float``), raw HTTP for the wire details, every error rule of PROTOCOL-embeddings.md §4, the
official ``CreateEmbeddingResponse`` schema, the vectors' promises (§9) and the engine features
(fixtures, the plugin, faults, chaos, rate limits, journal, cost, profiles)."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import subprocess
import sys
from array import array
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from spec import validate

from mockllm.config import Settings
from mockllm.core import tokens
from mockllm.pytest_plugin import MockLLM
from mockllm.server import MockServer

SMALL = "text-embedding-3-small"
CAT = "The cat sat on the mat"
CAT2 = "A cat was sitting on the mat"
REVENUE = "Quarterly revenue grew by 8 percent"
ZH = "今天天气很好，我们去公园散步"
ZH2 = "今天天气不错，我们去公园散步吧"
ZH_OTHER = "公司第三季度收入增长了百分之八"
DOCS = [
    "How to reset a forgotten password in the account settings page",
    "Shipping takes three to five business days within Europe",
    "Refunds are issued to the original payment card within ten days",
    "Our office in Lisbon is closed on public holidays",
    "The mobile app supports dark mode on Android and iOS",
    "Invoices can be downloaded as PDF from the billing dashboard",
    "Two-factor authentication protects your account with a code",
    "Gift cards never expire and can be used online",
]


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(Settings(port=0, seed=11)) as srv:
        yield srv


@pytest.fixture
def client(server: MockServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)


def post(server: MockServer, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(
        f"{server.base_url}/embeddings",
        content=content,
        headers={"Content-Type": "application/json", "Authorization": "Bearer sk-test", **(headers or {})},
        timeout=60,
    )


def raw_vectors(server: MockServer, texts: Any, model: str = SMALL, **options: Any) -> list[list[float]]:
    response = post(server, {"model": model, "input": texts, "encoding_format": "float", **options})
    assert response.status_code == 200, response.text
    return [item["embedding"] for item in response.json()["data"]]


def one(server: MockServer, text: Any, model: str = SMALL, **options: Any) -> list[float]:
    return raw_vectors(server, text, model, **options)[0]


def cos(a: list[float], b: list[float]) -> float:
    dot = math.fsum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b)))


def norm(a: list[float]) -> float:
    return math.sqrt(math.fsum(x * x for x in a))


def f32(values: list[float]) -> bytes:
    return array("f", values).tobytes()


# ===== clients =========================================================================================


def test_python_sdk_default_base64_path(server: MockServer, client: openai.OpenAI) -> None:
    """openai-python asks for base64 unless told otherwise and decodes it: the numbers it hands back are
    the float answer's, bit for bit, and usage is the cl100k count."""
    raw = client.embeddings.with_raw_response.create(model=SMALL, input=[CAT, REVENUE])
    sent = json.loads(raw.http_request.content)
    assert sent["encoding_format"] == "base64"
    assert raw.headers["openai-model"] == SMALL and raw.headers["x-request-id"].startswith("req_")
    answer = raw.parse()
    assert [d.index for d in answer.data] == [0, 1] and answer.model == SMALL
    for item in answer.data:
        assert len(item.embedding) == 1536
        assert abs(norm(item.embedding) - 1) < 1e-5
    want = sum(tokens.count(t, "cl100k_base") for t in (CAT, REVENUE))
    assert answer.usage.prompt_tokens == answer.usage.total_tokens == want
    floats = raw_vectors(server, [CAT, REVENUE])
    assert [f32(d.embedding) for d in answer.data] == [f32(v) for v in floats]


def test_python_sdk_float_format(client: openai.OpenAI) -> None:
    answer = client.embeddings.create(model=SMALL, input=CAT, encoding_format="float", dimensions=256, user="u-1")
    assert len(answer.data) == 1 and len(answer.data[0].embedding) == 256
    assert abs(norm(answer.data[0].embedding) - 1) < 1e-5


async def test_python_sdk_async(server: MockServer) -> None:
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0) as aclient:
        default = await aclient.embeddings.create(model=SMALL, input=[CAT])
        floats = await aclient.embeddings.create(model=SMALL, input=[CAT], encoding_format="float")
    assert f32(default.data[0].embedding) == f32(floats.data[0].embedding)


def test_base64_is_little_endian_float32_of_the_float_answer(server: MockServer) -> None:
    b64 = post(server, {"model": SMALL, "input": CAT, "encoding_format": "base64"}).json()
    text = b64["data"][0]["embedding"]
    assert isinstance(text, str) and len(text) == 8192  # 1536 float32 = 6144 bytes
    decoded = array("f")
    decoded.frombytes(base64.b64decode(text, validate=True))
    assert sys.byteorder == "little"
    assert decoded.tobytes() == f32(one(server, CAT))


def test_response_bodies_validate_against_the_official_schema(server: MockServer) -> None:
    inputs: list[Any] = [[CAT, REVENUE], [[4438, 656], [30]], [4438, 656], CAT]
    options_list: list[dict[str, Any]] = [{}, {"encoding_format": "float"}, {"dimensions": 64}, {"user": "u"}]
    for text, options in zip(inputs, options_list, strict=True):
        request = {"model": SMALL, "input": text, **options}
        validate("CreateEmbeddingRequest", request)
        body = post(server, request).json()
        validate("CreateEmbeddingResponse", body)
    body = post(server, {"model": SMALL, "input": CAT, "encoding_format": "base64"}).json()
    for item in body["data"]:  # the schema types the wire's base64 string as numbers: validate decoded
        item["embedding"] = list(array("f", base64.b64decode(item["embedding"])))
    validate("CreateEmbeddingResponse", body)


# ===== the four input forms and sizes =================================================================


def test_token_arrays_embed_like_their_text(server: MockServer) -> None:
    ids = tokens.encode(CAT, "cl100k_base")
    text_vector = one(server, CAT)
    body = post(server, {"model": SMALL, "input": ids, "encoding_format": "float"}).json()
    assert len(body["data"]) == 1 and body["usage"]["prompt_tokens"] == len(ids)
    assert f32(body["data"][0]["embedding"]) == f32(text_vector)
    other = tokens.encode(REVENUE, "cl100k_base")
    body = post(server, {"model": SMALL, "input": [ids, other], "encoding_format": "float"}).json()
    assert [f32(d["embedding"]) for d in body["data"]] == [f32(text_vector), f32(one(server, REVENUE))]
    assert body["usage"] == {"prompt_tokens": len(ids) + len(other), "total_tokens": len(ids) + len(other)}


def test_same_input_same_bytes_alone_or_anywhere_in_a_batch(server: MockServer) -> None:
    alone = f32(one(server, CAT))
    batch = raw_vectors(server, [REVENUE, CAT, ZH, CAT])
    assert f32(batch[1]) == alone == f32(batch[3])


def test_native_sizes_and_dimensions_truncate_then_normalise(server: MockServer) -> None:
    assert len(one(server, CAT, "text-embedding-3-large")) == 3072
    assert len(one(server, CAT, "text-embedding-ada-002")) == 1536
    assert len(one(server, CAT, "Qwen/Qwen3-Embedding-8B")) == 4096
    native = one(server, CAT2)
    for k in (1536, 512, 256, 7, 1):
        short = one(server, CAT2, dimensions=k)
        assert len(short) == k and abs(norm(short) - 1) < 1e-5
        head = native[:k]
        if norm(head) > 0:
            assert cos(short, head) > 0.99999


def test_whitespace_and_symbol_inputs_are_valid_and_never_zero(server: MockServer) -> None:
    for vector in raw_vectors(server, ["  \n  \t  ", "!!!", "🙂🙂", "x"]):
        assert abs(norm(vector) - 1) < 1e-5


# ===== errors (PROTOCOL-embeddings.md §4) ==============================================================

LONG = "hello " * 8200  # 8,201 cl100k tokens
ERRORS: list[tuple[str, Any, int, str, str, str | None, str | None]] = [
    ("unknown model", {"model": "text-embedding-4-ultra", "input": "x"}, 404,
     "The model `text-embedding-4-ultra` does not exist or you do not have access to it.",
     "invalid_request_error", None, "model_not_found"),
    ("chat model", {"model": "gpt-4o", "input": "x"}, 400,
     "The model `gpt-4o` is not an embedding model and thus not supported in the v1/embeddings endpoint.",
     "invalid_request_error", "model", None),
    ("dimensions on ada", {"model": "text-embedding-ada-002", "input": "x", "dimensions": 256}, 400,
     "This model does not support specifying dimensions.", "invalid_request_error", None, None),
    ("dimensions below 1", {"model": SMALL, "input": "x", "dimensions": -1, "encoding_format": "invalid_format"},
     400, "-1 is less than the minimum of 1 - 'dimensions'", "invalid_request_error", None, None),
    ("dimensions type", {"model": SMALL, "input": "x", "dimensions": "256"}, 400,
     "'256' is not of type 'integer' - 'dimensions'", "invalid_request_error", None, None),
    ("dimensions above native", {"model": SMALL, "input": "x", "dimensions": 1537}, 400,
     "Invalid value for 'dimensions' = 1537. Must be less than or equal to 1536.", "invalid_request_error",
     "dimensions", "invalid_value"),
    ("dimensions off the list", {"model": "Qwen/Qwen3-Embedding-0.6B", "input": "x", "dimensions": 100}, 400,
     "Invalid value for 'dimensions' = 100. Supported values: [64, 128, 256, 512, 768, 1024].",
     "invalid_request_error", "dimensions", "invalid_value"),
    ("encoding_format", {"model": SMALL, "input": "x", "encoding_format": "md5"}, 400,
     "Invalid value for 'encoding_format' = md5. Supported values: ['float', 'base64'].",
     "invalid_request_error", None, None),
    ("unknown key", {"model": SMALL, "input": "x", "truncate": True}, 400,
     "Unrecognized request argument supplied: truncate", "invalid_request_error", None, None),
    ("missing model", {"input": "x"}, 400, "you must provide a model parameter", "invalid_request_error", None, None),
    ("missing input", {"model": SMALL}, 400, "Missing required parameter: 'input'.", "invalid_request_error",
     "input", "missing_required_parameter"),
    ("user type", {"model": SMALL, "input": "x", "user": 5}, 400,
     "Invalid type for 'user': expected a string, but got an integer instead.", "invalid_request_error", "user",
     "invalid_type"),
    ("lone empty string", {"model": SMALL, "input": ""}, 400, "Invalid 'input': input cannot be an empty string.",
     "invalid_request_error", "input", "invalid_value"),
    ("empty string in array", {"model": SMALL, "input": ["a", ""]}, 400,
     "Invalid 'input[1]': input cannot be an empty string.", "invalid_request_error", "input[1]", "invalid_value"),
    ("empty array", {"model": SMALL, "input": []}, 400,
     "Invalid 'input': empty array. Expected an array with minimum length 1, but got an empty array instead.",
     "invalid_request_error", "input", "empty_array"),
    ("empty token array", {"model": SMALL, "input": [[1, 2], []]}, 400,
     "Invalid 'input[1]': empty array. Expected an array with minimum length 1, but got an empty array instead.",
     "invalid_request_error", "input[1]", "empty_array"),
    ("mixed types", {"model": SMALL, "input": ["a", 1]}, 400,
     "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
     "invalid_request_error", None, None),
    ("float token", {"model": SMALL, "input": [1, 2.5]}, 400,
     "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
     "invalid_request_error", None, None),
    ("object input", {"model": SMALL, "input": {"text": "x"}}, 400,
     "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
     "invalid_request_error", None, None),
    ("too many items", {"model": SMALL, "input": ["a"] * 2049}, 400,
     "Invalid 'input': array length must be 2048 or less.", "invalid_request_error", "input",
     "array_above_max_length"),
    ("lone input too long", {"model": SMALL, "input": LONG}, 400,
     "Invalid 'input': maximum context length is 8192 tokens.", "invalid_request_error", None, None),
    ("element too long", {"model": SMALL, "input": ["short", LONG]}, 400,
     "Invalid 'input[1]': maximum input length is 8192 tokens.", "invalid_request_error", "input[1]",
     "invalid_value"),
    ("gateway limit", {"model": "BAAI/bge-large-en-v1.5", "input": ["hello " * 600]}, 400,
     "Invalid 'input[0]': maximum input length is 512 tokens.", "invalid_request_error", "input[0]", "invalid_value"),
    ("body not an object", [1, 2], 400, "Invalid type for 'body': expected an object, but got an array instead.",
     "invalid_request_error", None, "invalid_type"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "status", "message", "type_", "param", "code"),
    [case[1:] for case in ERRORS],
    ids=[case[0] for case in ERRORS],
)
def test_errors_in_openai_shape(
    server: MockServer, body: Any, status: int, message: str, type_: str, param: str | None, code: str | None
) -> None:
    response = post(server, body)
    assert response.status_code == status
    assert response.json() == {"error": {"message": message, "type": type_, "param": param, "code": code}}
    assert response.headers["x-request-id"].startswith("req_")
    validate("ErrorResponse", response.json())


def test_total_tokens_per_request(server: MockServer) -> None:
    piece = "hello " * 8000  # 8,001 tokens; 38 of them exceed 300,000
    count = tokens.count(piece, "cl100k_base")
    response = post(server, {"model": SMALL, "input": [piece] * 38})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": f"Requested {38 * count} tokens, max 300000 tokens per request",
        "type": "max_tokens_per_request",
        "param": None,
        "code": "max_tokens_per_request",
    }
    assert post(server, {"model": SMALL, "input": [piece] * 37, "dimensions": 8}).status_code == 200


def test_bad_json_and_auth(server: MockServer) -> None:
    response = post(server, b"{not json")
    assert response.status_code == 400 and "could not parse the JSON body" in response.json()["error"]["message"]
    with MockServer(Settings(port=0, api_keys=("sk-right",))) as keyed:
        wrong = openai.OpenAI(base_url=keyed.base_url, api_key="sk-wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            wrong.embeddings.create(model=SMALL, input="x")
        right = openai.OpenAI(base_url=keyed.base_url, api_key="sk-right", max_retries=0)
        assert len(right.embeddings.create(model=SMALL, input="x").data) == 1


def test_sdk_error_classes(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="text-embedding-4-ultra", input="x")
    with pytest.raises(openai.BadRequestError) as info:
        client.embeddings.create(model="text-embedding-ada-002", input="x", dimensions=8)
    assert info.value.message.endswith("This model does not support specifying dimensions.")


def test_chat_refuses_embedding_models(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model=SMALL, messages=[{"role": "user", "content": "hi"}])
    assert "This is not a chat model and thus not supported in the v1/chat/completions endpoint" in info.value.message
    assert info.value.param == "model"


def test_responses_refuses_embedding_models_in_its_own_words(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model=SMALL, input="hi")
    assert info.value.body["message"] == f"The requested model '{SMALL}' is not supported with the Responses API."  # type: ignore[index]
    assert (info.value.param, info.value.code) == ("model", "model_not_found")
    with pytest.raises(openai.BadRequestError):  # counting input tokens names the same model
        client.responses.input_tokens.count(model=SMALL, input="hi")


def test_messages_knows_no_embedding_model(server: MockServer) -> None:
    import anthropic

    client = anthropic.Anthropic(base_url=server.root_url, api_key="sk-ant-test", max_retries=0)
    with pytest.raises(anthropic.NotFoundError) as info:
        client.messages.create(model=SMALL, max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    assert info.value.body == {
        "type": "error",
        "error": {"type": "not_found_error", "message": f"model: {SMALL}"},
        "request_id": info.value.request_id,
    }


# ===== what the vectors promise (PROTOCOL-embeddings.md §9) ===========================================


@pytest.mark.parametrize("dimensions", [None, 256])
def test_near_duplicates_and_unrelated(server: MockServer, dimensions: int | None) -> None:
    options = {"dimensions": dimensions} if dimensions else {}
    cat, cat2, revenue, shout = raw_vectors(server, [CAT, CAT2, REVENUE, "  the CAT, sat on the MAT!  "], **options)
    assert cos(cat, cat2) >= max(cos(cat, revenue), cos(cat2, revenue)) + 0.2
    assert cos(cat, shout) > 0.9
    zh, zh2, zh_other = raw_vectors(server, [ZH, ZH2, ZH_OTHER], **options)
    assert cos(zh, zh2) > 0.7 and cos(zh, zh2) >= cos(zh, zh_other) + 0.2


def test_changed_word_and_word_order_stay_close(server: MockServer) -> None:
    base, changed, reordered = raw_vectors(
        server,
        ["refunds are issued to the original payment card", "refunds are issued to the original credit card",
         "to the original payment card refunds are issued"],
    )  # fmt: skip
    assert cos(base, changed) > 0.6 and cos(base, reordered) > 0.8


def test_shared_rare_words_beat_none(server: MockServer) -> None:
    query, sharing, none = raw_vectors(
        server, ["the zeppelin hangar", "a zeppelin hangar was rebuilt", "the weather was nice today"]
    )
    assert cos(query, sharing) > cos(query, none) + 0.2


def test_unrelated_documents_are_far_apart(server: MockServer) -> None:
    vectors = raw_vectors(server, DOCS)
    pairs = [abs(cos(a, b)) for i, a in enumerate(vectors) for b in vectors[i + 1 :]]
    assert sum(pairs) / len(pairs) < 0.25


@pytest.mark.parametrize("dimensions", [None, 256])
def test_keyword_queries_retrieve_the_right_document(server: MockServer, dimensions: int | None) -> None:
    options = {"dimensions": dimensions} if dimensions else {}
    docs = raw_vectors(server, DOCS, **options)
    queries = {
        "forgot my password, how do I reset it?": 0,
        "how long does shipping to Europe take": 1,
        "when will my refund reach my card": 2,
        "is the Lisbon office open on holidays": 3,
        "dark mode in the android app": 4,
        "download invoice pdf": 5,
        "set up two factor authentication code": 6,
        "do gift cards expire": 7,
    }
    for (query, right), vector in zip(queries.items(), raw_vectors(server, list(queries), **options), strict=True):
        ranked = sorted(range(len(docs)), key=lambda i: -cos(vector, docs[i]))
        assert ranked[0] == right, (query, [DOCS[i] for i in ranked[:2]])


def test_each_model_is_its_own_space(server: MockServer) -> None:
    small, ada = one(server, CAT), one(server, CAT, "text-embedding-ada-002")
    assert abs(cos(small, ada)) < 0.5
    large_1024 = one(server, CAT, "text-embedding-3-large", dimensions=1024)
    assert abs(cos(one(server, CAT, dimensions=1024), large_1024)) < 0.5


def test_another_seed_is_another_space_with_the_same_meaning(server: MockServer) -> None:
    with MockServer(Settings(port=0, seed=12)) as other:
        mine, theirs = raw_vectors(server, [CAT, CAT2]), raw_vectors(other, [CAT, CAT2])
    assert abs(cos(mine[0], theirs[0])) < 0.5
    assert cos(theirs[0], theirs[1]) > 0.4


_CHILD = """
import base64, hashlib, json, sys
from mockllm.config import Settings
from mockllm.core.pipeline import Pipeline
body = json.dumps({"model": "text-embedding-3-small", "input": sys.argv[1], "encoding_format": "base64"}).encode()
out = Pipeline(Settings(seed=11)).answer("embeddings", body, {})
print(hashlib.sha256(base64.b64decode(json.loads(out.body)["data"][0]["embedding"])).hexdigest())
"""


def test_identical_across_processes_for_one_seed(server: MockServer) -> None:
    """Two fresh interpreters (different hash salts) and the running server agree byte for byte."""
    digests = set()
    for salt in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, CAT],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PYTHONHASHSEED": salt, "PATH": "/usr/bin:/bin"},
            check=True,
        )
        digests.add(done.stdout.strip())
    body = post(server, {"model": SMALL, "input": CAT, "encoding_format": "base64"}).json()
    digests.add(hashlib.sha256(base64.b64decode(body["data"][0]["embedding"])).hexdigest())
    assert len(digests) == 1


# ===== fixtures, the plugin, faults, limits, journal ==================================================


def test_plugin_pins_a_vector_resized_and_normalised(mockllm: MockLLM) -> None:
    route = mockllm.on(api="embeddings", input="pinned text").reply(embedding=[3, 4, 0, 0, 0])
    client = mockllm.client()
    full = client.embeddings.create(model=SMALL, input=["pinned text", "other"], encoding_format="float")
    pinned = full.data[0].embedding
    assert len(pinned) == 1536 and pinned[:3] == [pytest.approx(0.6), pytest.approx(0.8), 0.0]
    assert abs(norm(full.data[1].embedding) - 1) < 1e-5
    short = client.embeddings.create(model=SMALL, input="pinned text", dimensions=1)
    assert short.data[0].embedding == [pytest.approx(1.0)]
    assert route.call_count == 2
    # An embeddings fixture never answers chat.
    chat = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "pinned text"}])
    assert mockllm.last_request is not None and mockllm.last_request.source == "generator"
    assert chat.choices[0].message.content


def test_like_makes_a_near_twin(mockllm: MockLLM) -> None:
    mockllm.on(api="embeddings", input="my twin").reply(like=DOCS[2])
    client = mockllm.client()
    vectors = [d.embedding for d in client.embeddings.create(model=SMALL, input=["my twin", *DOCS]).data]
    scores = [cos(vectors[0], v) for v in vectors[1:]]
    assert scores[2] > 0.95 and scores[2] < 0.99999
    assert max(s for i, s in enumerate(scores) if i != 2) < 0.5
    again = client.embeddings.create(model=SMALL, input="my twin").data[0].embedding
    assert f32(again) == f32(vectors[0])


def test_chat_fixtures_do_not_answer_embeddings_and_api_chat_narrows(mockllm: MockLLM) -> None:
    mockllm.on(user="hello").reply("chat answer")
    mockllm.on(api="chat").fail("rate_limit", retry_after=None)
    client = mockllm.client()
    assert len(client.embeddings.create(model=SMALL, input="hello").data) == 1  # neither fixture applies
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])


def test_fixture_errors_and_faults_apply(mockllm: MockLLM) -> None:
    mockllm.on(api="embeddings", input="boom").fail("overloaded", retry_after=None)
    mockllm.on(api="embeddings", input="cut").fault("disconnect")
    client = mockllm.client()
    with pytest.raises(openai.InternalServerError) as info:
        client.embeddings.create(model=SMALL, input=["fine", "boom"])
    assert info.value.status_code == 503
    with pytest.raises(openai.APIConnectionError):
        client.embeddings.create(model=SMALL, input="cut")
    assert mockllm.requests[-1].fault == "disconnect"


def test_fixture_file_validation() -> None:
    from mockllm.core.fixtures import FixtureError, parse_fixture_document

    def problems(fixture: dict[str, Any]) -> str:
        with pytest.raises(FixtureError) as info:
            parse_fixture_document([fixture], "t.yaml")
        return str(info.value)

    assert "cannot answer embeddings requests" in problems({"match": {"api": "embeddings"}, "reply": {"content": "x"}})
    assert "cannot answer chat requests" in problems({"match": {"api": "chat"}, "reply": {"embedding": [1]}})
    assert "never holds with api: chat" in problems({"match": {"api": "chat", "input": "x"}, "error": "rate_limit"})
    assert "cannot be combined with content" in problems({"reply": {"embedding": [1], "content": "x"}})
    assert "mutually exclusive" in problems({"reply": {"embedding": [1], "like": "x"}})
    assert "vector of zeros" in problems({"reply": {"embedding": [0, 0]}})
    assert "mix chat answers and embeddings" in problems({"replies": [{"content": "x"}, {"like": "y"}]})
    assert "Input should be 'chat'" in problems({"match": {"api": "embedding"}, "error": "rate_limit"})
    loaded = parse_fixture_document([{"match": {"input": "x"}, "reply": {"like": "y"}}], "t.yaml")
    assert loaded.fixtures[0].apis == frozenset({"embeddings"})


def test_fault_header_chaos_and_strict(server: MockServer) -> None:
    response = post(server, {"model": SMALL, "input": "x"}, {"x-mockllm-fault": "rate_limit"})
    assert response.status_code == 429 and response.headers["retry-after"] == "1"
    with MockServer(Settings(port=0, chaos="rate=1,kinds=server_error")) as chaotic:
        assert post(chaotic, {"model": SMALL, "input": "x"}).status_code == 500
    with MockServer(Settings(port=0, strict=True)) as strict:
        response = post(strict, {"model": SMALL, "input": "x"})
        assert response.status_code == 404 and response.json()["error"]["code"] == "fixture_not_found"


def test_rate_limits_count_input_tokens() -> None:
    with MockServer(Settings(port=0, tpm=40)) as limited:
        client = openai.OpenAI(base_url=limited.base_url, api_key="sk-test", max_retries=0)
        with pytest.raises(openai.RateLimitError) as info:
            client.embeddings.create(model=SMALL, input="word " * 50)
        assert f"Requested {tokens.count('word ' * 50, 'cl100k_base')}." in info.value.message
        ok = client.embeddings.with_raw_response.create(model=SMALL, input="word " * 30)
        spent = tokens.count("word " * 30, "cl100k_base")
        assert ok.headers["x-ratelimit-remaining-tokens"] == str(40 - spent)
    with MockServer(Settings(port=0, rpm=1)) as limited:
        client = openai.OpenAI(base_url=limited.base_url, api_key="sk-test", max_retries=0)
        client.embeddings.create(model=SMALL, input="a")
        with pytest.raises(openai.RateLimitError):
            client.embeddings.create(model=SMALL, input="a")


def test_journal_usage_and_cost(mockllm: MockLLM) -> None:
    client = mockllm.client()
    client.embeddings.create(model="text-embedding-3-large", input=["alpha beta", "gamma"], dimensions=32)
    record = mockllm.requests[-1]
    assert record.path == "/v1/embeddings" and record.model == "text-embedding-3-large"
    assert record.body["input"] == ["alpha beta", "gamma"] and record.outcome == "generator"
    assert record.response["embeddings"] == 2 and record.response["dimensions"] == 32
    prompt = tokens.count("alpha beta", "cl100k_base") + tokens.count("gamma", "cl100k_base")
    assert record.usage == {"prompt_tokens": prompt, "total_tokens": prompt}
    assert record.cost_usd == pytest.approx(prompt * 0.13 / 1_000_000)
    assert mockllm.usage["prompt_tokens"] == prompt


def test_models_listed_and_profiles(server: MockServer, client: openai.OpenAI) -> None:
    listed = {m.id: m for m in client.models.list()}
    for model in (SMALL, "text-embedding-3-large", "text-embedding-ada-002", "BAAI/bge-m3", "Qwen/Qwen3-Embedding-8B"):
        assert model in listed
    assert listed[SMALL].owned_by == "system"
    with MockServer(Settings(port=0, profile="siliconflow")) as sf:
        sf_client = openai.OpenAI(base_url=sf.base_url, api_key="sk-test", max_retries=0)
        ids = {m.id for m in sf_client.models.list()}
        assert {"BAAI/bge-m3", "Qwen/Qwen3-Embedding-4B"} <= ids and SMALL not in ids
        response = post(sf, {"model": "Qwen/Qwen3-Embedding-4B", "input": ["a b"], "dimensions": 64})
        body = response.json()
        assert "object" not in body and body["usage"]["completion_tokens"] == 0
        assert len(response.headers["x-siliconcloud-trace-id"]) == 32 and len(body["data"][0]["embedding"]) == 64
        assert post(sf, {"model": SMALL, "input": "a"}).status_code == 404
        decoded = sf_client.embeddings.create(model="BAAI/bge-m3", input="hello").data[0].embedding
        assert len(decoded) == 1024 and abs(norm(decoded) - 1) < 1e-5
