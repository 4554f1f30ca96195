"""Error presets, transport faults, rate limits, chaos, --strict and the journal on the Messages API,
through the ``anthropic`` SDK's own exception classes and retry logic."""

from __future__ import annotations

import json
import time

import anthropic
import httpx
import pytest

from mockllm.config import Settings
from mockllm.server import MockServer

MODEL = "claude-sonnet-4-6"
USER = [{"role": "user", "content": "Tell me something about rivers"}]
BODY = {"model": MODEL, "max_tokens": 300, "messages": USER}


def _client(server, **kwargs):
    return anthropic.Anthropic(base_url=server.root_url, api_key="sk-ant-test", **{"max_retries": 0, **kwargs})


def _fault(value):
    return {"extra_headers": {"x-mockllm-fault": value}}


@pytest.mark.parametrize(
    ("preset", "status", "error_type", "exception", "message"),
    [
        ("overloaded", 529, "overloaded_error", anthropic.OverloadedError, "Overloaded"),
        ("rate_limit", 429, "rate_limit_error", anthropic.RateLimitError, None),
        ("server_error", 500, "api_error", anthropic.InternalServerError, "Internal server error"),
        ("invalid_api_key", 401, "authentication_error", anthropic.AuthenticationError, "invalid x-api-key"),
        ("permission_denied", 403, "permission_error", anthropic.PermissionDeniedError, "Permission denied"),
        ("model_not_found", 404, "not_found_error", anthropic.NotFoundError, f"model: {MODEL}"),
        (
            "context_length_exceeded",
            400,
            "invalid_request_error",
            anthropic.BadRequestError,
            "prompt is too long: 1000001 tokens > 1000000 maximum",
        ),
        ("gateway_timeout", 504, "timeout_error", anthropic.InternalServerError, None),
    ],
)
def test_presets_in_anthropic_types_and_statuses(server, preset, status, error_type, exception, message):
    with pytest.raises(exception) as caught:
        _client(server).messages.create(**BODY, **_fault(preset))
    error = caught.value
    assert error.status_code == status and error.body["type"] == "error"
    assert error.body["error"]["type"] == error_type
    if message is not None:
        assert error.body["error"]["message"] == message
    assert error.request_id == error.body["request_id"] and error.request_id.startswith("req_011C")
    if status == 429:
        assert error.response.headers["retry-after"] == "1"
        assert "rate limit" in error.body["error"]["message"]


def test_preset_overrides_win(server):
    spec = json.dumps(
        {"error": {"preset": "overloaded", "message": "Busy, try later", "headers": {"retry-after": "2"}}}
    )
    with pytest.raises(anthropic.OverloadedError) as caught:
        _client(server).messages.create(**BODY, **_fault(spec))
    assert caught.value.body["error"]["message"] == "Busy, try later"
    assert caught.value.response.headers["retry-after"] == "2"


def test_sdk_retries_429_then_529_then_answers(server):
    started = time.monotonic()
    message = _client(server, max_retries=2).messages.create(**BODY, extra_headers={"x-test-case": "flaky"})
    assert message.content[0].text == "Third time lucky."
    assert time.monotonic() - started >= 0.9  # the 429's retry-after: 1 was honoured


def test_stream_error_event_raises_in_the_sdk(server):
    with pytest.raises(anthropic.APIStatusError) as caught:
        with _client(server).messages.stream(**BODY, **_fault("stream_error")) as stream:
            for _ in stream:
                pass
    assert caught.value.body["error"]["type"] == "overloaded_error"
    raw = httpx.post(
        server.root_url + "/v1/messages",
        json={**BODY, "stream": True},
        headers={"anthropic-version": "2023-06-01", "x-mockllm-fault": "stream_error"},
    )
    blocks = raw.text.strip().split("\n\n")
    assert raw.status_code == 200 and len(blocks) == 4
    assert blocks[-1].startswith("event: error\ndata: ") and "message_stop" not in raw.text
    data = json.loads(blocks[-1].split("data: ", 1)[1])
    assert data == {"type": "error", "error": {"details": None, "type": "overloaded_error", "message": "Overloaded"}}


def test_stream_error_with_a_preset(server):
    fault = json.dumps({"fault": {"kind": "stream_error", "after_chunks": 5, "error": {"preset": "server_error"}}})
    with pytest.raises(anthropic.APIStatusError) as caught:
        with _client(server).messages.stream(**BODY, **_fault(fault)) as stream:
            stream.until_done()
    assert caught.value.body["error"] == {"details": None, "type": "api_error", "message": "Internal server error"}


def test_disconnect_mid_stream_is_a_connection_error(server):
    fault = json.dumps({"fault": {"kind": "disconnect", "after_chunks": 4}})
    with pytest.raises((anthropic.APIConnectionError, httpx.RemoteProtocolError)):
        with _client(server).messages.stream(**BODY, **_fault(fault)) as stream:
            stream.until_done()


def test_no_done_and_truncate_end_the_stream_early(server):
    headers = {"anthropic-version": "2023-06-01"}
    for fault, last in (("no_done", "message_delta"), ("truncate", "ping")):
        raw = httpx.post(
            server.root_url + "/v1/messages",
            json={**BODY, "stream": True},
            headers={**headers, "x-mockllm-fault": fault},
        )
        names = [b.split("\n")[0][7:] for b in raw.text.strip().split("\n\n")]
        assert names[-1] == last and "message_stop" not in names
        assert fault == "no_done" or (len(names) == 3 and "message_delta" not in names)


def test_non_stream_faults(server):
    with pytest.raises((anthropic.APIConnectionError, anthropic.APIResponseValidationError, json.JSONDecodeError)):
        _client(server).messages.create(**BODY, **_fault("malformed_json"))
    filtered = _client(server).messages.create(**BODY, **_fault("content_filter"))
    assert filtered.stop_reason == "refusal"


@pytest.fixture(scope="module")
def limited():
    with MockServer(Settings(port=0, rpm=2)) as srv:
        yield srv


def test_rpm_limit_answers_rate_limit_error_with_headers(limited):
    client = _client(limited)
    first = client.messages.with_raw_response.create(**BODY)
    assert first.headers["anthropic-ratelimit-requests-limit"] == "2"
    assert first.headers["anthropic-ratelimit-requests-remaining"] == "1"
    client.messages.create(**BODY)
    with pytest.raises(anthropic.RateLimitError) as caught:
        client.messages.create(**BODY)
    error = caught.value
    assert error.body["error"]["type"] == "rate_limit_error"
    assert error.body["error"]["message"].startswith("Number of requests has exceeded your per-minute rate limit")
    headers = error.response.headers
    assert int(headers["retry-after"]) >= 1
    # The limiter's state in Anthropic's spelling only: no OpenAI header leaks into its 429.
    assert headers["anthropic-ratelimit-requests-remaining"] == "0"
    assert headers["anthropic-ratelimit-requests-limit"] == "2"
    assert not [name for name in headers if name.startswith("x-ratelimit") or name == "retry-after-ms"]


@pytest.fixture(scope="module")
def token_limited():
    with MockServer(Settings(port=0, tpm=1000)) as srv:
        yield srv


def test_tpm_counts_max_tokens_like_the_api(token_limited):
    with pytest.raises(anthropic.RateLimitError) as caught:
        _client(token_limited).messages.create(model=MODEL, max_tokens=5000, messages=USER)
    assert caught.value.body["error"]["message"].startswith("Number of request tokens has exceeded")
    ok = _client(token_limited).messages.with_raw_response.create(model=MODEL, max_tokens=50, messages=USER)
    assert int(ok.headers["anthropic-ratelimit-tokens-remaining"]) < 1000


def test_strict_miss_is_a_not_found_error(strict_server):
    with pytest.raises(anthropic.NotFoundError) as caught:
        _client(strict_server).messages.create(**BODY)
    assert caught.value.body["error"]["message"].startswith("No fixture matched this request")


@pytest.fixture(scope="module")
def chaotic():
    with MockServer(Settings(port=0, chaos="rate=1,kinds=overloaded")) as srv:
        yield srv


def test_chaos_draws_anthropic_errors(chaotic):
    with pytest.raises(anthropic.OverloadedError):
        _client(chaotic).messages.create(**BODY)


def test_journal_usage_and_cost(mockllm):
    mockllm.on(user="rivers").reply("Rivers flow.")
    client = mockllm.anthropic_client()
    message = client.messages.create(**BODY)
    recorded = mockllm.last_request
    assert recorded.path == "/v1/messages" and recorded.fixture is not None
    assert recorded.user == USER[0]["content"] and recorded.content == "Rivers flow."
    assert recorded.usage["prompt_tokens"] == message.usage.input_tokens
    assert recorded.usage["completion_tokens"] == message.usage.output_tokens
    assert recorded.cost_usd > 0


async def test_async_plugin_client(mockllm):
    mockllm.on(user="rivers").reply("Async rivers.")
    client = mockllm.async_anthropic_client()
    message = await client.messages.create(**BODY)
    assert message.content[0].text == "Async rivers."
    await client.close()


@pytest.fixture(scope="module")
def paced():
    with MockServer(Settings(port=0, ttft_ms=150, tokens_per_second=400)) as srv:
        yield srv


def test_paced_stream_waits_for_the_first_token_and_rebuilds_the_answer(paced):
    client = _client(paced)
    started = time.monotonic()
    with client.messages.stream(**BODY) as stream:
        pieces = []
        first = None
        for piece in stream.text_stream:
            first = first or time.monotonic()
            pieces.append(piece)
        final = stream.get_final_message()
    assert first is not None and first - started >= 0.14
    assert "".join(pieces) == final.content[0].text
    assert final.usage.output_tokens == client.messages.create(**BODY).usage.output_tokens
