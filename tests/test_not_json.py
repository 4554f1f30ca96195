"""Bodies Python's ``json`` reads but JSON forbids (issue 15 §1): ``NaN``/``Infinity`` literals,
pathological nesting, invalid Unicode in any string or key. Each gets OpenAI's unparsable-body 400
through the real server, never a 500 or a hang, and the server keeps answering.

The openai SDK refuses to encode these bodies itself, so the SDK tests send a placeholder and a
transport under the SDK rewrites it on the wire: what is tested is how the SDK meets the answer.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

import httpx
import openai
import pytest
import spec
from conftest import asyncio_gc_noise

from mockllm.core.jsonbody import MAX_DEPTH, NotJson, loads_strict

BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP "
    "library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have "
    "trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)"
)
HEAD = b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]'


def nested(depth: int, bracket: str) -> bytes:
    return b"[" * depth + b"]" * depth if bracket == "[" else b'{"a":' * depth + b"1" + b"}" * depth


BODIES = {
    "nan": HEAD + b', "temperature": NaN}',
    "infinity": HEAD + b', "temperature": Infinity}',
    "minus-infinity": HEAD + b', "top_p": -Infinity}',
    "nan-deep-inside": HEAD + b', "tools": [{"type": "function", "function": {"name": "f", "parameters": '
    b'{"type": "object", "properties": {"x": {"type": "number", "maximum": NaN}}}}}]}',
    "nan-in-metadata": HEAD + b', "metadata": {"k": [NaN]}}',
    "array-100k": nested(100_000, "["),
    "object-100k": nested(100_000, "{"),
    "array-100k-in-metadata": HEAD + b', "metadata": ' + nested(100_000, "[") + b"}",
    "object-100k-in-content": b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": '
    + nested(100_000, "{")
    + b"}]}",
    "just-over-the-bound": HEAD + b', "metadata": ' + nested(MAX_DEPTH, "{") + b"}",
    "lone-high-surrogate": b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi \\ud800"}]}',
    "lone-low-surrogate": b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "\\udc00 there"}]}',
    "reversed-pair": b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "\\ude00\\ud83d"}]}',
    "surrogate-in-key": HEAD + b', "metadata": {"\\ud800": "v"}}',
    "surrogate-in-top-key": HEAD + b', "\\udfff": 1}',
    "surrogate-in-model": b'{"model": "gpt-4o\\ud800", "messages": [{"role": "user", "content": "hi"}]}',
    "surrogate-in-role": b'{"model": "gpt-4o-mini", "messages": [{"role": "us\\ud800er", "content": "hi"}]}',
    "surrogate-as-utf8-bytes": b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x\xed\xa0\x80"}]}',
    "surrogate-utf8-in-key": HEAD + b', "service_tier\xed\xb0\x80": "auto"}',
    "invalid-utf8": b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "\xff"}]}',
    "surrogate-streaming": b'{"model": "gpt-4o-mini", "stream": true, '
    b'"messages": [{"role": "user", "content": "\\ud800"}]}',
}


@pytest.fixture
def errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.WARNING)
    yield
    bad = [
        r.getMessage() for r in caplog.records if (r.levelno >= logging.ERROR or r.exc_info) and not asyncio_gc_noise(r)
    ]
    assert not bad, bad


@pytest.mark.parametrize("name", list(BODIES))
def test_not_json_gets_openais_400(server, errors_logged, name):
    started = time.monotonic()
    r = httpx.post(
        server.base_url + "/chat/completions",
        content=BODIES[name],
        headers={"Content-Type": "application/json", "Authorization": "Bearer sk-test"},
        timeout=30,
    )
    assert time.monotonic() - started < 10, "a body that is not JSON must be refused at once"
    assert r.status_code == 400, r.text
    payload = r.json()
    spec.validate("ErrorResponse", payload)
    assert payload == {"error": {"message": BAD_JSON, "type": "invalid_request_error", "param": None, "code": None}}
    assert r.headers["x-request-id"].startswith("req_")
    ok = httpx.post(server.base_url + "/chat/completions", content=HEAD + b"}", timeout=30)
    assert ok.status_code == 200, ok.text


#: Every other route that reads a JSON body: the same strict parser must guard it.
OTHER_ROUTES = (
    "/embeddings", "/responses", "/responses/input_tokens", "/messages", "/messages/count_tokens"
)  # fmt: skip


@pytest.mark.parametrize("route", OTHER_ROUTES)
@pytest.mark.parametrize("name", ["nan", "array-100k", "object-100k-in-content", "lone-high-surrogate", "invalid-utf8"])
def test_not_json_is_a_400_on_every_api(server, errors_logged, route, name):
    """Embeddings, Responses and Messages bodies go through the same strict parser as chat's: a 400 in
    the API's own envelope, never a 500 (a 100,000-deep array once crashed the embeddings route)."""
    headers = {"Content-Type": "application/json", "Authorization": "Bearer sk-test", "anthropic-version": "2023-06-01"}
    r = httpx.post(server.base_url + route, content=BODIES[name], headers=headers, timeout=30)
    assert r.status_code == 400, r.text
    assert "error" in r.json()


def test_valid_json_near_the_bounds_is_still_accepted(server):
    """Escaped surrogate pairs are one character, and nesting within the bound is JSON like any other."""
    pair = HEAD.replace(b'"hi"', b'"smile \\ud83d\\ude00 \xf0\x9f\x98\x80"') + b"}"
    r = httpx.post(server.base_url + "/chat/completions", content=pair, timeout=30)
    assert r.status_code == 200, r.text
    deep = HEAD + b', "metadata": {"k": "v"}, "user": "u", "seed": 1, "x_pad": ' + nested(MAX_DEPTH - 1, "[") + b"}"
    r = httpx.post(server.base_url + "/chat/completions", content=deep, timeout=30)
    # accepted by the parser: the answer is about the unknown field, not about JSON
    assert r.status_code == 400 and r.json()["error"]["message"] == "Unrecognized request argument supplied: x_pad"
    for value in (b"1e308", b"-0.0", b"1.5E-300"):  # big, negative-zero and tiny numbers are JSON
        r = httpx.post(server.base_url + "/chat/completions", content=HEAD + b', "seed": 1, "top_p": ' + value + b"}")
        assert r.status_code in (200, 400) and "could not parse" not in r.text, r.text


class _Rewrite(httpx.BaseTransport):
    """Under the SDK: replaces a JSON placeholder with raw bytes no encoder would write."""

    def __init__(self, placeholder: str, raw: bytes) -> None:
        self.inner = httpx.HTTPTransport()
        self.placeholder, self.raw = json.dumps(placeholder).encode(), raw

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read().replace(self.placeholder, self.raw)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        rewritten = httpx.Request(request.method, request.url, headers=headers, content=body)
        return self.inner.handle_request(rewritten)

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize(
    ("field", "raw"),
    [("temperature", b"NaN"), ("top_p", b"Infinity"), ("user", b'"\\ud800"'), ("metadata", nested(100_000, "["))],
)
def test_sdk_sees_a_bad_request_error(server, field, raw):
    transport = _Rewrite("__raw__", raw)
    with openai.OpenAI(
        base_url=server.base_url, api_key="sk-test", max_retries=0, http_client=httpx.Client(transport=transport)
    ) as client:
        with pytest.raises(openai.BadRequestError) as caught:
            client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], extra_body={field: "__raw__"}
            )
        assert caught.value.status_code == 400
        assert caught.value.body == {
            "message": BAD_JSON,
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
        assert caught.value.request_id and caught.value.request_id.startswith("req_")
        done = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        assert done.choices[0].message.content


def test_admin_fixture_documents_that_are_not_json_get_400(server, errors_logged):
    url = server.base_url.removesuffix("/v1") + "/_mockllm/fixtures"
    for body, kind in [
        (b'{"fixtures": [{"match": {"last_user": "x"}, "reply": {"content": "y", "n": NaN}}]}', "json"),
        (nested(100_000, "["), "json"),
        (b"[" * 100_000, "yaml"),
        (b'{"fixtures": [{"match": {"last_user": "\\ud800"}, "reply": {"content": "y"}}]}', "json"),
    ]:
        r = httpx.post(url, content=body, headers={"Content-Type": f"application/{kind}"}, timeout=30)
        assert r.status_code == 400, r.text
        assert r.json()["error"]["code"] == "invalid_fixture"


def test_fault_header_json_that_is_not_json_gets_400(server):
    r = httpx.post(
        server.base_url + "/chat/completions",
        content=HEAD + b"}",
        headers={"x-mockllm-fault": '{"fault": {"kind": "disconnect", "after_chunks": NaN}}'},
    )
    assert r.status_code == 400 and r.json()["error"]["param"] == "x-mockllm-fault", r.text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("NaN", "NaN"),
        ('{"a": -Infinity}', "-Infinity"),
        ("[" * 5000 + "]" * 5000, "nesting"),
        ('["\\ud800"]', "surrogate"),
        ('{"\\udc00": 1}', "surrogate"),
    ],
)
def test_loads_strict_refuses_with_a_reason(text, why):
    with pytest.raises(NotJson, match=why):
        loads_strict(text.encode())
