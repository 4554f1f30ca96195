"""Issue #8: error presets, overrides, retries, transport faults, rate limits, sessions, chaos and the
journal, all observed through the real ``openai`` SDK (PROTOCOL.md §2, §5, §6.1)."""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
import yaml

from mockllm.apis.openai_wire import rate_headers
from mockllm.config import Settings
from mockllm.core.ratelimit import RateLimiter, go_duration
from mockllm.journal import Entry
from mockllm.server import MockServer

MODEL = "gpt-4o"

#: How long stall faults hold a request: far beyond the 0.5 s client timeout, so a loaded machine that fires
#: the client's timer late still tells "the client gave up" from "the server let go".
STALL_S = 8
MSGS = [{"role": "user", "content": "Tell me a long story about a lighthouse keeper and a cat."}]
REQUEST_ID = re.compile(r"^req_[0-9a-f]{32}$")

# preset -> (exception class, status, type, code, param)
PRESETS: dict[str, tuple[type[openai.APIStatusError], int, str, str | None, str | None]] = {
    "rate_limit": (openai.RateLimitError, 429, "requests", "rate_limit_exceeded", None),
    "insufficient_quota": (openai.RateLimitError, 429, "insufficient_quota", "insufficient_quota", None),
    "invalid_api_key": (openai.AuthenticationError, 401, "invalid_request_error", "invalid_api_key", None),
    "permission_denied": (
        openai.PermissionDeniedError,
        403,
        "invalid_request_error",
        "unsupported_country_region_territory",
        None,
    ),
    "model_not_found": (openai.NotFoundError, 404, "invalid_request_error", "model_not_found", None),
    "context_length_exceeded": (
        openai.BadRequestError,
        400,
        "invalid_request_error",
        "context_length_exceeded",
        "messages",
    ),
    "server_error": (openai.InternalServerError, 500, "server_error", None, None),
    "bad_gateway": (openai.InternalServerError, 502, "server_error", None, None),
    "overloaded": (openai.InternalServerError, 503, "server_error", None, None),
    "gateway_timeout": (openai.InternalServerError, 504, "server_error", None, None),
}


def expected_message(preset: str, request_id: str) -> str | re.Pattern[str]:
    """OpenAI's wording (PROTOCOL.md §2) for a request to gpt-4o (context window 128,000)."""
    return {
        "rate_limit": re.compile(
            r"^Rate limit reached for gpt-4o in organization org-\S+ on requests per min \(RPM\): Limit \d+, "
            r"Used \d+, Requested 1\. Please try again in \S+\. Visit https://platform\.openai\.com/account/"
            r"rate-limits to learn more\.$"
        ),
        "insufficient_quota": "You exceeded your current quota, please check your plan and billing details. For "
        "more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
        "invalid_api_key": re.compile(
            r"^Incorrect API key provided: sk-\S+\*+\S{4}\. You can find your API key at "
            r"https://platform\.openai\.com/account/api-keys\.$"
        ),
        "permission_denied": "Country, region, or territory not supported",
        "model_not_found": "The model `gpt-4o` does not exist or you do not have access to it.",
        "context_length_exceeded": "This model's maximum context length is 128000 tokens. However, your messages "
        "resulted in 128001 tokens. Please reduce the length of the messages.",
        "server_error": "The server had an error while processing your request. Sorry about that!",
        "bad_gateway": "Bad gateway.",
        "overloaded": "That model is currently overloaded with other requests. You can retry your request, or "
        "contact us through our help center at help.openai.com if the error persists. (Please include the "
        f"request ID {request_id.removeprefix('req_')} in your message.)",
        "gateway_timeout": "Gateway timeout.",
    }[preset]


OVERRIDE = {
    "preset": "rate_limit",
    "status": 503,
    "type": "custom_type",
    "code": "custom_code",
    "message": "Custom message.",
    "param": "custom_param",
    "headers": {"retry-after": "7", "retry-after-ms": "7000", "x-should-retry": "false"},
}


def _case(name: str, **body: Any) -> dict[str, Any]:
    return {"name": name, "match": {"headers": {"x-test-case": name}}, **body}


FIXTURES: list[dict[str, Any]] = [
    *(_case(f"ft-preset-{p}", error=p) for p in PRESETS),
    _case("ft-override", error=OVERRIDE),
    _case(
        "ft-retry-ms",
        replies=[
            {"error": {"preset": "rate_limit", "headers": {"retry-after-ms": "200"}}, "times": 2},
            {"content": "Third time lucky."},
        ],
    ),
    _case(
        "ft-retry-after",
        replies=[
            # No preset: the only delay hint is `retry-after: 1` (the rate_limit preset also sends retry-after-ms).
            {
                "error": {
                    "status": 429,
                    "type": "requests",
                    "code": "rate_limit_exceeded",
                    "headers": {"retry-after": "1"},
                }
            },
            {"content": "Second time lucky."},
        ],
    ),
    _case(
        "ft-429-429-ok",
        replies=[
            {"error": {"preset": "rate_limit", "headers": {"retry-after-ms": "100"}}},
            {"error": {"preset": "rate_limit", "headers": {"retry-after-ms": "100"}}},
            {"content": "Third time lucky."},
        ],
    ),
    _case("ft-no-retry-500", error={"preset": "server_error", "headers": {"x-should-retry": "false"}}),
    _case("ft-flaky", replies=[{"error": "rate_limit"}, {"error": "overloaded"}, {"content": "Third time lucky."}]),
    _case("ft-stall", fault={"kind": "stall", "seconds": STALL_S}),
    _case("ft-disconnect", fault={"kind": "disconnect", "after_chunks": 2}),
    _case(
        "ft-content-filter",
        reply={"content": "The quick brown fox jumps over the lazy dog.", "fault": "content_filter"},
    ),
]


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    path: Path = tmp_path_factory.mktemp("faults") / "faults.yaml"
    path.write_text(yaml.safe_dump({"fixtures": FIXTURES}, sort_keys=False), encoding="utf-8")
    with MockServer(Settings(port=0, fixtures=(str(path),), seed=11)) as server:
        yield server


def make_client(
    server: MockServer, *, max_retries: int = 0, timeout: float = 10.0, key: str = "sk-test"
) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=key, max_retries=max_retries, timeout=timeout)


def new_session() -> str:
    return "s-" + uuid.uuid4().hex[:12]


def hdrs(session: str, case: str | None = None, fault: str | dict[str, Any] | None = None) -> dict[str, str]:
    out = {"x-mockllm-session": session}
    if case is not None:
        out["x-test-case"] = case
    if fault is not None:
        out["x-mockllm-fault"] = fault if isinstance(fault, str) else json.dumps(fault)
    return out


def entries(server: MockServer, session: str | None, count: int | None = None, wait: float = 10.0) -> list[Entry]:
    """The journal entries of one session; waits for ``count`` of them (a stream is journaled after its last
    byte is written, so the client can finish a moment before the entry lands)."""
    deadline = time.monotonic() + wait
    while True:
        found = server.pipeline.journal.query(session=session)
        if count is None or len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.01)


def retry_counts(found: list[Entry]) -> list[str | None]:
    return [e.info["headers"].get("x-stainless-retry-count") for e in found]


def collect(stream: Any, got: list[Any]) -> None:
    for chunk in stream:
        got.append(chunk)


def text_of(chunks: list[Any]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def finishes(chunks: list[Any]) -> list[str]:
    return [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]


# ===== presets ========================================================================================


@pytest.mark.parametrize("via", ["header", "fixture"])
@pytest.mark.parametrize("preset", list(PRESETS))
def test_preset_raises_the_sdk_exception_with_openai_fields(srv: MockServer, preset: str, via: str) -> None:
    cls, status, type_, code, param = PRESETS[preset]
    session = new_session()
    headers = hdrs(session, fault=preset) if via == "header" else hdrs(session, case=f"ft-preset-{preset}")
    with pytest.raises(openai.APIStatusError) as info:
        make_client(srv).chat.completions.create(model=MODEL, messages=MSGS, extra_headers=headers)
    e = info.value
    assert type(e) is cls
    assert e.status_code == status
    assert (e.type, e.code, e.param) == (type_, code, param)
    assert isinstance(e.body, dict) and set(e.body) == {"message", "type", "param", "code"}
    assert e.request_id is not None and REQUEST_ID.match(e.request_id)
    assert e.response.headers["x-request-id"] == e.request_id
    assert e.response.headers["content-type"].startswith("application/json")
    want = expected_message(preset, e.request_id)
    if isinstance(want, re.Pattern):
        assert want.match(e.body["message"]), e.body["message"]
    else:
        assert e.body["message"] == want
    assert e.message.endswith(e.body["message"])
    if preset == "rate_limit":
        assert e.response.headers["retry-after"] == "1"
        assert e.response.headers["retry-after-ms"] == "1000"
    (entry,) = entries(srv, session, 1)
    assert entry.status == status
    assert entry.error == e.body
    assert entry.source == ("header" if via == "header" else f"ft-preset-{preset}")


@pytest.mark.parametrize("via", ["header", "fixture"])
def test_overrides_replace_every_field_and_header(srv: MockServer, via: str) -> None:
    session = new_session()
    headers = hdrs(session, fault={"error": OVERRIDE}) if via == "header" else hdrs(session, case="ft-override")
    with pytest.raises(openai.InternalServerError) as info:
        # x-should-retry: false must beat the SDK's "retry every 5xx" rule.
        make_client(srv, max_retries=2).chat.completions.create(model=MODEL, messages=MSGS, extra_headers=headers)
    e = info.value
    assert e.status_code == 503
    assert (e.type, e.code, e.param) == ("custom_type", "custom_code", "custom_param")
    assert e.body == {
        "message": "Custom message.",
        "type": "custom_type",
        "param": "custom_param",
        "code": "custom_code",
    }
    assert e.response.headers["retry-after"] == "7"
    assert e.response.headers["retry-after-ms"] == "7000"
    assert e.response.headers["x-should-retry"] == "false"
    assert REQUEST_ID.match(e.request_id or "")
    assert len(entries(srv, session, 1, wait=0.3)) == 1


def test_error_on_a_stream_request_raises_before_iteration(srv: MockServer) -> None:
    with pytest.raises(openai.RateLimitError) as info:
        make_client(srv).chat.completions.create(
            model=MODEL, messages=MSGS, stream=True, extra_headers=hdrs(new_session(), fault="rate_limit")
        )
    assert info.value.response.headers["content-type"].startswith("application/json")


def test_header_overrides_are_case_insensitive(srv: MockServer) -> None:
    """HTTP header names are case-insensitive: ``Retry-After-Ms`` replaces the preset's ``retry-after-ms``
    instead of sending both (which the SDK reads as "1000, 150", cannot parse and ignores)."""
    session = new_session()
    fault = {"error": {"preset": "rate_limit", "headers": {"Retry-After": "2", "Retry-After-Ms": "150"}}}
    with pytest.raises(openai.RateLimitError) as info:
        make_client(srv).chat.completions.create(model=MODEL, messages=MSGS, extra_headers=hdrs(session, fault=fault))
    headers = info.value.response.headers
    assert headers.get_list("retry-after-ms") == ["150"]
    assert headers.get_list("retry-after") == ["2"]


def test_bare_status_override_gives_the_generic_status_error(srv: MockServer) -> None:
    with pytest.raises(openai.APIStatusError) as info:
        make_client(srv).chat.completions.create(
            model=MODEL, messages=MSGS, extra_headers=hdrs(new_session(), fault={"error": {"status": 418}})
        )
    assert type(info.value) is openai.APIStatusError
    assert info.value.status_code == 418


def test_unknown_fault_header_is_a_400_naming_the_vocabulary(srv: MockServer) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        make_client(srv).chat.completions.create(
            model=MODEL, messages=MSGS, extra_headers=hdrs(new_session(), fault="rate_limited")
        )
    assert info.value.param == "x-mockllm-fault"
    assert info.value.code == "invalid_fault"
    assert "rate_limit" in info.value.body["message"]  # type: ignore[index]


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("via", ["header", "fixture"])
def test_content_filter_is_a_200_with_finish_reason_content_filter(srv: MockServer, via: str, stream: bool) -> None:
    session = new_session()
    headers = hdrs(session, fault="content_filter") if via == "header" else hdrs(session, case="ft-content-filter")
    client = make_client(srv)
    if stream:
        chunks = list(client.chat.completions.create(model=MODEL, messages=MSGS, stream=True, extra_headers=headers))
        assert finishes(chunks) == ["content_filter"]
        content = text_of(chunks)
    else:
        raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=MSGS, extra_headers=headers)
        assert raw.status_code == 200
        choice = raw.parse().choices[0]
        assert choice.finish_reason == "content_filter"
        content = choice.message.content or ""
    assert content
    if via == "fixture":
        full = "The quick brown fox jumps over the lazy dog."
        assert full.startswith(content) and len(content) < len(full)
    (entry,) = entries(srv, session, 1)
    assert (entry.status, entry.fault) == (200, "content_filter")


# ===== retries ========================================================================================


def test_retry_after_ms_script_succeeds_on_third_attempt(srv: MockServer) -> None:
    client = make_client(srv, max_retries=2)
    times = []
    # Two waits of retry-after-ms 200; the SDK's own backoff would be >= 0.375 + 0.75 s. The margin between
    # them is small, so a busy machine gets up to three tries (fresh sessions): the best one must show it.
    for _ in range(3):
        session = new_session()
        started = time.monotonic()
        answer = client.chat.completions.create(model=MODEL, messages=MSGS, extra_headers=hdrs(session, "ft-retry-ms"))
        times.append(time.monotonic() - started)
        assert answer.choices[0].message.content == "Third time lucky."
        found = entries(srv, session, 3)
        assert [e.status for e in found] == [429, 429, 200]
        assert retry_counts(found) == ["0", "1", "2"]
        assert [e.source for e in found] == ["ft-retry-ms"] * 3
        assert times[-1] >= 0.4, times
        if times[-1] < 1.1:
            break
    assert min(times) < 1.1, times


def test_scripted_429_429_answer_with_explicit_entries(srv: MockServer) -> None:
    session = new_session()
    answer = make_client(srv, max_retries=2).chat.completions.create(
        model=MODEL, messages=MSGS, extra_headers=hdrs(session, "ft-429-429-ok")
    )
    assert answer.choices[0].message.content == "Third time lucky."
    found = entries(srv, session, 3)
    assert [e.status for e in found] == [429, 429, 200]
    assert retry_counts(found) == ["0", "1", "2"]


def test_retry_after_seconds_is_honoured(srv: MockServer) -> None:
    session = new_session()
    started = time.monotonic()
    answer = make_client(srv, max_retries=1).chat.completions.create(
        model=MODEL, messages=MSGS, extra_headers=hdrs(session, "ft-retry-after")
    )
    elapsed = time.monotonic() - started
    assert answer.choices[0].message.content == "Second time lucky."
    found = entries(srv, session, 2)
    assert [e.status for e in found] == [429, 200]
    assert found[0].error is not None and found[0].error["code"] == "rate_limit_exceeded"
    assert retry_counts(found) == ["0", "1"]
    assert 1.0 <= elapsed < 10.0, elapsed  # the default backoff would be ~0.5 s
    assert found[1].time - found[0].time >= 0.95  # the server saw the retry a second later


def test_retries_exhausted_raise_the_last_error(srv: MockServer) -> None:
    session = new_session()
    fault = {"error": {"preset": "server_error", "headers": {"retry-after-ms": "20"}}}
    with pytest.raises(openai.InternalServerError):
        make_client(srv, max_retries=2).chat.completions.create(
            model=MODEL, messages=MSGS, extra_headers=hdrs(session, fault=fault)
        )
    found = entries(srv, session, 3)
    assert [e.status for e in found] == [500, 500, 500]
    assert retry_counts(found) == ["0", "1", "2"]


def test_x_should_retry_false_stops_retries_on_500(srv: MockServer) -> None:
    session = new_session()
    with pytest.raises(openai.InternalServerError):
        make_client(srv, max_retries=2).chat.completions.create(
            model=MODEL, messages=MSGS, extra_headers=hdrs(session, "ft-no-retry-500")
        )
    assert len(entries(srv, session)) == 1  # the SDK raises only after its last attempt


def test_x_should_retry_true_retries_even_a_400(srv: MockServer) -> None:
    session = new_session()
    fault = {
        "error": {"preset": "context_length_exceeded", "headers": {"x-should-retry": "true", "retry-after-ms": "10"}}
    }
    with pytest.raises(openai.BadRequestError):
        make_client(srv, max_retries=2).chat.completions.create(
            model=MODEL, messages=MSGS, extra_headers=hdrs(session, fault=fault)
        )
    assert len(entries(srv, session, 3)) == 3


def test_a_400_is_not_retried(srv: MockServer) -> None:
    session = new_session()
    with pytest.raises(openai.BadRequestError):
        make_client(srv, max_retries=2).chat.completions.create(
            model=MODEL, messages=MSGS, extra_headers=hdrs(session, fault="context_length_exceeded")
        )
    assert len(entries(srv, session)) == 1  # the SDK raises only after its last attempt


async def test_async_client_retries_and_reports_async(srv: MockServer) -> None:
    session = new_session()
    client = openai.AsyncOpenAI(base_url=srv.base_url, api_key="sk-test", max_retries=2)
    answer = await client.chat.completions.create(
        model=MODEL, messages=MSGS, extra_headers=hdrs(session, "ft-retry-ms")
    )
    await client.close()
    assert answer.choices[0].message.content == "Third time lucky."
    found = entries(srv, session, 3)
    assert retry_counts(found) == ["0", "1", "2"]
    assert {e.info["headers"].get("x-stainless-async") for e in found} == {"async:asyncio"}


# ===== sessions =======================================================================================


def test_sessions_walk_their_own_script(srv: MockServer) -> None:
    a, b = new_session(), new_session()
    client = make_client(srv)

    def step(session: str) -> int | str:
        try:
            answer = client.chat.completions.create(model=MODEL, messages=MSGS, extra_headers=hdrs(session, "ft-flaky"))
        except openai.APIStatusError as e:
            return e.status_code
        return answer.choices[0].message.content or ""

    seen = [(s, step(s)) for s in (a, b, a, b, b, a, a)]
    assert seen == [
        (a, 429),
        (b, 429),
        (a, 503),
        (b, 503),
        (b, "Third time lucky."),
        (a, "Third time lucky."),
        (a, "Third time lucky."),  # the last entry repeats
    ]
    assert srv.pipeline.fixtures.calls("ft-flaky", a) == 4
    assert srv.pipeline.fixtures.calls("ft-flaky", b) == 3


# ===== transport faults ===============================================================================


def test_stall_times_the_client_out(srv: MockServer) -> None:
    client = make_client(srv, timeout=0.5)
    for headers in (
        hdrs(new_session(), fault={"fault": {"kind": "stall", "seconds": STALL_S}}),
        hdrs(new_session(), "ft-stall"),
    ):
        started = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            client.chat.completions.create(model=MODEL, messages=MSGS, extra_headers=headers)
        assert time.monotonic() - started < STALL_S - 1  # the server holds it STALL_S seconds


@pytest.mark.parametrize("stream", [False, True])
def test_slow_first_byte_delays_then_answers(srv: MockServer, stream: bool) -> None:
    fault = {"fault": {"kind": "slow_first_byte", "seconds": 0.3}}
    client = make_client(srv, timeout=5)
    started = time.monotonic()
    if stream:
        chunks = list(
            client.chat.completions.create(
                model=MODEL, messages=MSGS, stream=True, extra_headers=hdrs(new_session(), fault=fault)
            )
        )
        assert finishes(chunks) == ["stop"] and text_of(chunks)
    else:
        answer = client.chat.completions.create(
            model=MODEL, messages=MSGS, extra_headers=hdrs(new_session(), fault=fault)
        )
        assert answer.choices[0].finish_reason == "stop"
    assert time.monotonic() - started >= 0.3
    with pytest.raises(openai.APITimeoutError):
        make_client(srv, timeout=0.1).chat.completions.create(
            model=MODEL, messages=MSGS, stream=stream, extra_headers=hdrs(new_session(), fault=fault)
        )


@pytest.mark.parametrize("kind", ["stall", "slow_first_byte"])
def test_client_giving_up_on_a_held_stream_is_not_a_server_error(
    srv: MockServer, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    session = new_session()
    fault = {"fault": {"kind": kind, "seconds": 0.3}}
    with pytest.raises(openai.APITimeoutError):
        make_client(srv, timeout=0.1).chat.completions.create(
            model=MODEL, messages=MSGS, stream=True, extra_headers=hdrs(session, fault=fault)
        )
    (entry,) = entries(srv, session, 1)
    time.sleep(0.05)
    errors = [r for r in caplog.records if r.levelno >= 40 and r.name.startswith(("aiohttp", "mockllm"))]
    assert errors == [], [r.getMessage() for r in errors]
    assert entry.fault == kind


def healthy_stream(srv: MockServer) -> list[Any]:
    return list(
        make_client(srv).chat.completions.create(
            model=MODEL, messages=MSGS, stream=True, extra_headers=hdrs(new_session())
        )
    )


def test_stream_error_raises_api_error_mid_iteration(srv: MockServer) -> None:
    got: list[Any] = []
    fault = {"fault": {"kind": "stream_error", "after_chunks": 2}}
    stream = make_client(srv).chat.completions.create(
        model=MODEL, messages=MSGS, stream=True, extra_headers=hdrs(new_session(), fault=fault)
    )
    with pytest.raises(openai.APIError) as info:
        collect(stream, got)
    assert type(info.value) is openai.APIError  # not a status error: the status was 200
    assert len(got) == 2
    assert info.value.type == "server_error"
    assert info.value.message.startswith("The server experienced an error while processing your request.")


def test_stream_error_with_a_custom_error_body(srv: MockServer) -> None:
    got: list[Any] = []
    fault = {"fault": {"kind": "stream_error", "error": {"status": 500, "message": "boom", "code": "boom_code"}}}
    stream = make_client(srv).chat.completions.create(
        model=MODEL, messages=MSGS, stream=True, extra_headers=hdrs(new_session(), fault=fault)
    )
    with pytest.raises(openai.APIError) as info:
        collect(stream, got)
    assert (info.value.message, info.value.code, info.value.type) == ("boom", "boom_code", "server_error")
    assert len(got) == 3  # after_chunks defaults to 3


def test_stream_error_with_a_preset_uses_the_preset_body(srv: MockServer) -> None:
    fault = {"fault": {"kind": "stream_error", "error": "rate_limit"}}
    stream = make_client(srv).chat.completions.create(
        model=MODEL, messages=MSGS, stream=True, extra_headers=hdrs(new_session(), fault=fault)
    )
    with pytest.raises(openai.APIError) as info:
        collect(stream, [])
    assert info.value.code == "rate_limit_exceeded"
    assert info.value.type == "requests"
    assert info.value.message.startswith("Rate limit reached for gpt-4o")


@pytest.mark.parametrize("via", ["header", "fixture"])
def test_disconnect_raises_connection_error_after_some_chunks(srv: MockServer, via: str) -> None:
    session = new_session()
    headers = (
        hdrs(session, fault={"fault": {"kind": "disconnect", "after_chunks": 2}})
        if via == "header"
        else hdrs(session, "ft-disconnect")
    )
    got: list[Any] = []
    stream = make_client(srv).chat.completions.create(model=MODEL, messages=MSGS, stream=True, extra_headers=headers)
    with pytest.raises(openai.APIConnectionError) as info:
        collect(stream, got)
    # openai-python wraps httpx's RemoteProtocolError ("incomplete chunked read"); not a timeout.
    assert type(info.value) is openai.APIConnectionError
    assert isinstance(info.value.__cause__, httpx2.RemoteProtocolError)
    assert len(got) == 2
    assert text_of(got) and not finishes(got)
    (entry,) = entries(srv, session, 1)
    assert entry.fault == "disconnect" and entry.info.get("events_sent") == 2


async def test_async_disconnect_raises_connection_error(srv: MockServer) -> None:
    client = openai.AsyncOpenAI(base_url=srv.base_url, api_key="sk-test", max_retries=0)
    fault = {"fault": {"kind": "disconnect", "after_chunks": 4}}
    got: list[Any] = []
    stream = await client.chat.completions.create(
        model=MODEL, messages=MSGS, stream=True, extra_headers=hdrs(new_session(), fault=fault)
    )
    with pytest.raises(openai.APIConnectionError):
        async for chunk in stream:
            got.append(chunk)
    await client.close()
    assert len(got) == 4


def test_reset_is_retried_by_the_sdk(srv: MockServer) -> None:
    session = new_session()
    with pytest.raises(openai.APIConnectionError):
        make_client(srv, max_retries=1).chat.completions.create(
            model=MODEL, messages=MSGS, extra_headers=hdrs(session, fault="reset")
        )
    found = entries(srv, session, 2)
    assert retry_counts(found) == ["0", "1"]
    assert {e.fault for e in found} == {"reset"}


def test_disconnect_without_stream_is_a_connection_error(srv: MockServer) -> None:
    with pytest.raises(openai.APIConnectionError):
        make_client(srv).chat.completions.create(
            model=MODEL, messages=MSGS, extra_headers=hdrs(new_session(), fault="disconnect")
        )


def test_malformed_chunk_raises_json_error(srv: MockServer) -> None:
    got: list[Any] = []
    stream = make_client(srv).chat.completions.create(
        model=MODEL, messages=MSGS, stream=True, extra_headers=hdrs(new_session(), fault="malformed_chunk")
    )
    with pytest.raises(json.JSONDecodeError):
        collect(stream, got)
    assert len(got) == 3


def test_no_done_ends_silently_with_all_content(srv: MockServer) -> None:
    healthy = healthy_stream(srv)
    chunks = list(
        make_client(srv).chat.completions.create(
            model=MODEL, messages=MSGS, stream=True, extra_headers=hdrs(new_session(), fault="no_done")
        )
    )
    assert text_of(chunks) == text_of(healthy) != ""
    assert finishes(chunks) == ["stop"]


def test_truncate_ends_without_a_finish_chunk(srv: MockServer) -> None:
    healthy = healthy_stream(srv)
    fault = {"fault": {"kind": "truncate", "after_chunks": 4}}
    chunks = list(
        make_client(srv).chat.completions.create(
            model=MODEL, messages=MSGS, stream=True, extra_headers=hdrs(new_session(), fault=fault)
        )
    )
    assert len(chunks) == 4
    assert finishes(chunks) == []
    assert text_of(healthy).startswith(text_of(chunks))
    assert len(text_of(chunks)) < len(text_of(healthy))


@pytest.mark.parametrize("stream", [False, True])
def test_reset_is_a_connection_error_with_no_response(srv: MockServer, stream: bool) -> None:
    got: list[Any] = []
    with pytest.raises(openai.APIConnectionError) as info:
        result = make_client(srv).chat.completions.create(
            model=MODEL, messages=MSGS, stream=stream, extra_headers=hdrs(new_session(), fault="reset")
        )
        if stream:
            collect(result, got)
    assert type(info.value) is openai.APIConnectionError
    assert got == []


@pytest.mark.parametrize("kind", ["empty", "malformed_json"])
def test_unparseable_200_body_raises_json_error(srv: MockServer, kind: str) -> None:
    session = new_session()
    raw = make_client(srv).chat.completions.with_raw_response.create(
        model=MODEL, messages=MSGS, extra_headers=hdrs(session, fault=kind)
    )
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("application/json")
    assert REQUEST_ID.match(raw.headers["x-request-id"])
    with pytest.raises(json.JSONDecodeError):
        raw.parse()
    if kind == "empty":
        assert raw.http_response.content == b""
    else:
        body = raw.http_response.content
        assert body.startswith(b"{") and len(body) > 10


# ===== rate limits ====================================================================================


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def limited() -> Iterator[MockServer]:
    with MockServer(Settings(port=0, seed=3, rpm=60, tpm=2000)) as server:
        yield server


@pytest.fixture
def frozen() -> Iterator[tuple[MockServer, FakeClock]]:
    with MockServer(Settings(port=0, seed=3, rpm=3, tpm=100_000)) as server:
        clock = FakeClock()
        server.pipeline.clock = clock
        yield server, clock


def raw_create(client: openai.OpenAI, **kw: Any) -> Any:
    return client.chat.completions.with_raw_response.create(model=MODEL, messages=MSGS, **kw)


def test_rpm_headers_refusal_and_admission_with_a_frozen_clock(frozen: tuple[MockServer, FakeClock]) -> None:
    server, clock = frozen
    client = make_client(server)
    seen = []
    for _ in range(3):
        raw = raw_create(client, max_tokens=10)
        seen.append((raw.headers["x-ratelimit-remaining-requests"], raw.headers["x-ratelimit-reset-requests"]))
        assert raw.headers["x-ratelimit-limit-requests"] == "3"
        assert raw.headers["x-ratelimit-limit-tokens"] == "100000"
    # 3 RPM refills one request every 20 s.
    assert seen == [("2", "20s"), ("1", "40s"), ("0", "1m0s")]
    with pytest.raises(openai.RateLimitError) as info:
        raw_create(client, max_tokens=10)
    e = info.value
    assert (e.type, e.code, e.param) == ("requests", "rate_limit_exceeded", None)
    assert e.body["message"] == (  # type: ignore[index]
        "Rate limit reached for gpt-4o in organization org-mockllm on requests per min (RPM): Limit 3, Used 3, "
        "Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more."
    )
    assert e.response.headers["retry-after"] == "20"
    assert e.response.headers["retry-after-ms"] == "20000"
    clock.now += 19.5
    with pytest.raises(openai.RateLimitError) as info:
        raw_create(client, max_tokens=10)
    assert info.value.response.headers["retry-after"] == "1"  # ceil(0.5 s)
    assert info.value.response.headers["retry-after-ms"] == "500"
    assert "Please try again in 500ms." in info.value.body["message"]  # type: ignore[index]
    clock.now += 0.5
    raw = raw_create(client, max_tokens=10)
    assert raw.status_code == 200
    assert raw.headers["x-ratelimit-remaining-requests"] == "0"
    # Buckets are per API key.
    assert raw_create(make_client(server, key="sk-other")).headers["x-ratelimit-remaining-requests"] == "2"


def test_rate_limit_refusals_carry_the_ratelimit_headers(frozen: tuple[MockServer, FakeClock]) -> None:
    """A 429 from --rpm/--tpm carries the x-ratelimit-* headers every other answer does, read from the
    buckets as they stand: 0 requests remaining and the true time until the request bucket is full."""
    server, clock = frozen
    client = make_client(server, key="sk-headers-429")
    for _ in range(3):
        last = raw_create(client, max_tokens=10)
    tokens_left = int(last.headers["x-ratelimit-remaining-tokens"])
    with pytest.raises(openai.RateLimitError) as info:
        raw_create(client, max_tokens=10)
    headers = info.value.response.headers
    assert headers["x-ratelimit-limit-requests"] == "3"
    assert headers["x-ratelimit-limit-tokens"] == "100000"
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert headers["x-ratelimit-reset-requests"] == "1m0s"  # 3 missing, one refilled per 20 s
    # nothing was taken for the refused request: the token bucket shows what the last answer left
    assert headers["x-ratelimit-remaining-tokens"] == str(tokens_left)
    assert headers["x-ratelimit-reset-tokens"] == last.headers["x-ratelimit-reset-tokens"]
    clock.now += 5
    with pytest.raises(openai.RateLimitError) as info:
        raw_create(client, max_tokens=10)
    assert info.value.response.headers["x-ratelimit-reset-requests"] == "55s"  # a quarter refilled
    assert info.value.response.headers["retry-after"] == "15"
    assert re.fullmatch(r"req_[0-9a-f]{32}", headers["x-request-id"])


def test_tpm_refusal_carries_the_ratelimit_headers() -> None:
    with MockServer(Settings(port=0, seed=3, tpm=1000)) as server:
        clock = FakeClock()
        server.pipeline.clock = clock
        client = make_client(server)
        raw_create(client, max_tokens=900)  # reserves prompt + 900, then settles the real completion
        with pytest.raises(openai.RateLimitError) as info:
            raw_create(client, max_tokens=990)
        headers = info.value.response.headers
        assert info.value.type == "tokens"
        remaining = int(headers["x-ratelimit-remaining-tokens"])
        assert 0 <= remaining < 1000
        assert headers["x-ratelimit-limit-tokens"] == "1000"
        assert headers["x-ratelimit-reset-tokens"] == go_duration((1000 - remaining) / (1000 / 60))
        assert headers["x-ratelimit-remaining-requests"] == str(10_000 - 1)  # nominal RPM bucket, one taken
        # a request larger than the whole limit: the same headers
        with pytest.raises(openai.RateLimitError) as info:
            raw_create(client, max_tokens=5000)
        assert "Request too large" in info.value.body["message"]  # type: ignore[index]
        assert info.value.response.headers["x-ratelimit-remaining-tokens"] == str(remaining)


def test_refusal_message_used_plus_requested_exceeds_the_limit(frozen: tuple[MockServer, FakeClock]) -> None:
    server, clock = frozen
    client = make_client(server)
    for _ in range(3):
        raw_create(client)
    clock.now += 10  # half a request refilled: still refused
    with pytest.raises(openai.RateLimitError) as info:
        raw_create(client)
    message = info.value.body["message"]  # type: ignore[index]
    found = re.search(r"Limit (\d+), Used (\d+), Requested (\d+)\. Please try again in (\S+)\.", message)
    assert found, message
    limit, used, requested = (int(g) for g in found.groups()[:3])
    assert used + requested > limit, message
    assert found.group(4) == "10s"
    assert info.value.response.headers["retry-after"] == "10"


def test_tpm_remaining_tokens_are_true_counts(frozen: tuple[MockServer, FakeClock]) -> None:
    server, clock = frozen
    client = make_client(server)
    first = raw_create(client)
    usage1 = first.parse().usage
    assert int(first.headers["x-ratelimit-remaining-tokens"]) == 100_000 - usage1.prompt_tokens
    clock.now += 30  # refill the request bucket; the token bucket refills too, by 50,000 (full again)
    second = raw_create(client)
    assert int(second.headers["x-ratelimit-remaining-tokens"]) == 100_000 - usage1.prompt_tokens
    third = raw_create(client)
    usage2 = second.parse().usage
    assert int(third.headers["x-ratelimit-remaining-tokens"]) == (100_000 - usage1.prompt_tokens - usage2.total_tokens)
    # reset-tokens is the time to refill what is missing at 100,000/60 tokens per second.
    missing = usage1.prompt_tokens + usage2.total_tokens
    assert third.headers["x-ratelimit-reset-tokens"] == go_duration(missing / (100_000 / 60))


def test_max_tokens_is_not_charged_on_top_of_the_completion(frozen: tuple[MockServer, FakeClock]) -> None:
    """A request's charge is either reserved (prompt + max_tokens) or actual (prompt + completion), never
    prompt + max_tokens + completion."""
    server, _ = frozen
    client = make_client(server)
    first = raw_create(client, max_tokens=400)
    usage = first.parse().usage
    assert int(first.headers["x-ratelimit-remaining-tokens"]) == 100_000 - usage.prompt_tokens - 400
    second = raw_create(client, max_tokens=400)
    charged = 100_000 - int(second.headers["x-ratelimit-remaining-tokens"]) - (usage.prompt_tokens + 400)
    assert charged in (usage.prompt_tokens + usage.completion_tokens, usage.prompt_tokens + 400), (charged, usage)


def test_rpm_refuses_then_admits_after_the_advertised_wait(limited: MockServer) -> None:
    client = make_client(limited, key="sk-rpm-" + uuid.uuid4().hex[:8])
    started = time.monotonic()
    admitted = 0
    with pytest.raises(openai.RateLimitError) as info:
        for _ in range(200):
            raw_create(client, max_tokens=5)
            admitted += 1
    elapsed = time.monotonic() - started
    # 60 RPM: capacity 60, refilled one per second while the burst ran.
    assert 60 <= admitted <= 60 + math.ceil(elapsed)
    e = info.value
    assert re.match(
        r"^Rate limit reached for gpt-4o in organization org-mockllm on requests per min \(RPM\): Limit 60, "
        r"Used \d+, Requested 1\. Please try again in \d+ms\. Visit https://platform\.openai\.com/account/"
        r"rate-limits to learn more\.$",
        e.body["message"],  # type: ignore[index]
    )
    retry_ms = int(e.response.headers["retry-after-ms"])
    assert 1 <= retry_ms <= 1000
    assert e.response.headers["retry-after"] == str(max(1, math.ceil(retry_ms / 1000)))
    time.sleep(retry_ms / 1000 + 0.02)
    assert raw_create(client, max_tokens=5).status_code == 200


def test_sdk_retry_waits_out_the_rpm_refusal(limited: MockServer) -> None:
    key = "sk-rpm-" + uuid.uuid4().hex[:8]
    burst = make_client(limited, key=key)
    for _ in range(60):
        raw_create(burst, max_tokens=5)
    started = time.monotonic()
    answer = make_client(limited, key=key, max_retries=3).chat.completions.create(
        model=MODEL, messages=MSGS, max_tokens=5
    )
    assert answer.choices
    assert time.monotonic() - started < 8.0  # one wait of at most the advertised second, plus a loaded machine


def test_tpm_refusal_wording(limited: MockServer) -> None:
    client = make_client(limited, key="sk-tpm-" + uuid.uuid4().hex[:8])
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "word " * 3000}])
    assert (info.value.type, info.value.code) == ("tokens", "rate_limit_exceeded")
    assert re.match(
        r"^Request too large for gpt-4o in organization org-\S+ on tokens per min \(TPM\): Limit 2000, Requested \d+\. "
        r"The input or output tokens must be reduced in order to run successfully\. Visit "
        r"https://platform\.openai\.com/account/rate-limits to learn more\.$",
        info.value.body["message"],  # type: ignore[index]
    )
    big = [{"role": "user", "content": "word " * 1200}]
    client.chat.completions.create(model=MODEL, messages=big, max_tokens=5)
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model=MODEL, messages=big, max_tokens=5)
    message = info.value.body["message"]  # type: ignore[index]
    assert re.match(
        r"^Rate limit reached for gpt-4o in organization org-\S+ on tokens per min \(TPM\): Limit 2000, Used \d+, "
        r"Requested \d+\. Please try again in \S+\. Visit https://platform\.openai\.com/account/rate-limits to "
        r"learn more\.$",
        message,
    )
    assert info.value.type == "tokens"
    headers = info.value.response.headers
    assert headers["retry-after"] == str(max(1, math.ceil(int(headers["retry-after-ms"]) / 1000)))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (-1, "0s"),
        (0.0004, "1ms"),
        (0.017, "17ms"),
        (0.12, "120ms"),
        (1, "1s"),
        (2.572, "2.572s"),
        (6.5, "6.5s"),
        (60, "1m0s"),
        (360, "6m0s"),
        (3723, "1h2m3s"),
    ],
)
def test_go_duration(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text


@pytest.mark.parametrize(("seconds", "text"), [(0.9996, "1s"), (59.9996, "1m0s")])
def test_go_duration_rounding_never_overflows_a_unit(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text


def test_rate_limiter_unit_arithmetic() -> None:
    limiter = RateLimiter(rpm=120, tpm=1000)
    headers = rate_headers(limiter.admit("k", 100, MODEL, now=0.0))
    assert headers["x-ratelimit-remaining-requests"] == "119"
    assert headers["x-ratelimit-remaining-tokens"] == "900"
    assert headers["x-ratelimit-reset-requests"] == "500ms"  # 1 request at 2/s
    assert headers["x-ratelimit-reset-tokens"] == "6s"  # 100 tokens at 16.67/s
    limiter.debit("k", 850, now=0.0)
    with pytest.raises(Exception) as info:
        limiter.admit("k", 100, MODEL, now=0.0)
    err: Any = info.value
    # 50 left, 100 needed: 50 tokens at 1000/60 per s = 3 s.
    spelt = rate_headers(err.rate)
    assert (err.status, err.type, spelt["retry-after"], spelt["retry-after-ms"]) == (
        429,
        "tokens",
        "3",
        "3000",
    )
    assert "Used 950, Requested 100. Please try again in 3s." in err.message
    assert spelt["x-ratelimit-remaining-tokens"] == "50" and err.rate.wait_s == pytest.approx(3.0)
    assert limiter.admit("k", 100, MODEL, now=3.0).tokens_left == 0


def test_rate_limiter_settles_the_reservation_with_the_actual_completion() -> None:
    """admit() reserves prompt + max_tokens; debit(reserved=max_tokens) swaps that for the completion."""
    limiter = RateLimiter(rpm=None, tpm=1000)
    assert limiter.admit("k", 10 + 400, MODEL, now=0.0).tokens_left == 590
    limiter.debit("k", 7, now=0.0, reserved=400)  # answered with 7 tokens: 10 + 7 spent in all
    assert limiter.admit("k", 10, MODEL, now=0.0).tokens_left == 1000 - 17 - 10
    limiter.debit("k", 5, now=0.0)  # no max_tokens: nothing reserved, the completion is charged
    assert limiter.admit("k", 0, MODEL, now=0.0).tokens_left == 1000 - 17 - 15
    limiter.debit("k", 0, now=0.0, reserved=5000)  # never refunds past a full bucket
    assert limiter.admit("k", 0, MODEL, now=0.0).tokens_left == 1000


def test_unenforced_limits_report_nominal_buckets(srv: MockServer) -> None:
    raw = raw_create(make_client(srv, key="sk-nominal-" + uuid.uuid4().hex[:6]))
    assert raw.headers["x-ratelimit-limit-requests"] == "10000"
    assert raw.headers["x-ratelimit-limit-tokens"] == "30000000"
    assert raw.headers["x-ratelimit-remaining-requests"] == "9999"
    assert re.fullmatch(r"\d+(ms|s)", raw.headers["x-ratelimit-reset-requests"])


# ===== chaos ==========================================================================================

CHAOS = "rate=0.35,kinds=rate_limit|server_error|overloaded|disconnect|stream_error|content_filter|truncate"


def chaos_run(seed: int) -> tuple[list[Any], list[tuple[Any, ...]]]:
    outcomes: list[Any] = []
    with MockServer(Settings(port=0, seed=seed, chaos=CHAOS)) as server:
        client = make_client(server)
        for i in range(50):
            messages = [{"role": "user", "content": f"Question number {i}: what is {i} squared?"}]
            stream = i % 2 == 1
            try:
                if stream:
                    chunks: list[Any] = []
                    collect(client.chat.completions.create(model=MODEL, messages=messages, stream=True), chunks)
                    outcomes.append(("ok", finishes(chunks), text_of(chunks)))
                else:
                    answer = client.chat.completions.create(model=MODEL, messages=messages)
                    outcomes.append(("ok", answer.choices[0].finish_reason, answer.choices[0].message.content))
            except openai.APIStatusError as e:
                outcomes.append((type(e).__name__, e.status_code, e.code))
            except openai.APIError as e:
                outcomes.append((type(e).__name__,))
        found = entries(server, None, 50)
        journal = [(e.status, e.outcome, e.source, e.fault) for e in found]
    return outcomes, journal


def test_chaos_is_reproducible_per_seed() -> None:
    first, journal1 = chaos_run(42)
    second, journal2 = chaos_run(42)
    assert first == second
    assert journal1 == journal2
    failed = [o for o in first if o[0] != "ok" or o[1] in ("content_filter", [], ["content_filter"])]
    assert 5 <= len(failed) <= 35, first
    chaos = [j for j in journal1 if j[1] == "chaos"]
    assert chaos and all(j[2].startswith("chaos:") for j in chaos)
    assert all(j[3] == j[2].removeprefix("chaos:") for j in chaos if j[0] == 200)
    other, _ = chaos_run(43)
    assert other != first


# ===== the journal ====================================================================================


FAULT_HEADERS: list[tuple[str, dict[str, Any], bool]] = [
    ("reset", {"fault": {"kind": "reset"}}, False),
    ("empty", {"fault": {"kind": "empty"}}, False),
    ("malformed_json", {"fault": {"kind": "malformed_json"}}, False),
    ("stall", {"fault": {"kind": "stall", "seconds": 0.05}}, False),
    ("slow_first_byte", {"fault": {"kind": "slow_first_byte", "seconds": 0.05}}, True),
    ("disconnect", {"fault": {"kind": "disconnect"}}, True),
    ("stream_error", {"fault": {"kind": "stream_error"}}, True),
    ("malformed_chunk", {"fault": {"kind": "malformed_chunk"}}, True),
    ("no_done", {"fault": {"kind": "no_done"}}, True),
    ("truncate", {"fault": {"kind": "truncate"}}, True),
    ("content_filter", {"fault": {"kind": "content_filter"}}, True),
]


def _swallow(fn: Callable[[], Any]) -> None:
    try:
        result = fn()
        if isinstance(result, openai.Stream):
            collect(result, [])
    except (openai.APIError, ValueError):
        pass


@pytest.mark.parametrize(("kind", "fault", "stream"), FAULT_HEADERS, ids=[f[0] for f in FAULT_HEADERS])
def test_every_header_fault_is_journaled_with_its_cause(srv: MockServer, kind: str, fault: Any, stream: bool) -> None:
    session = new_session()
    client = make_client(srv)
    _swallow(
        lambda: client.chat.completions.create(
            model=MODEL, messages=MSGS, stream=stream, extra_headers=hdrs(session, fault=fault)
        )
    )
    (entry,) = entries(srv, session, 1)
    assert (entry.outcome, entry.source, entry.fault) == ("fault", "header", kind)
    assert entry.info["headers"]["x-mockllm-fault"] == json.dumps(fault)
    assert entry.info["headers"]["x-stainless-retry-count"] == "0"
    assert entry.to_json()["fault"] == kind


def test_fixture_errors_and_faults_are_journaled_with_the_fixture_name(srv: MockServer) -> None:
    session = new_session()
    client = make_client(srv)
    _swallow(
        lambda: client.chat.completions.create(model=MODEL, messages=MSGS, extra_headers=hdrs(session, "ft-flaky"))
    )
    _swallow(
        lambda: client.chat.completions.create(
            model=MODEL, messages=MSGS, stream=True, extra_headers=hdrs(session, "ft-disconnect")
        )
    )
    _swallow(
        lambda: client.chat.completions.create(model=MODEL, messages=MSGS, extra_headers=hdrs(session, "ft-flaky"))
    )
    found = entries(srv, session, 3)
    summary = [(e.status, e.outcome, e.source, e.fault, (e.error or {}).get("code")) for e in found]
    assert summary == [
        (429, "error", "ft-flaky", None, "rate_limit_exceeded"),
        (200, "fault", "ft-disconnect", "disconnect", None),
        (503, "error", "ft-flaky", None, None),
    ]


def test_header_error_is_journaled_with_its_body(srv: MockServer) -> None:
    session = new_session()
    _swallow(
        lambda: make_client(srv).chat.completions.create(
            model=MODEL, messages=MSGS, extra_headers=hdrs(session, fault="overloaded")
        )
    )
    (entry,) = entries(srv, session, 1)
    assert entry.status == 503 and entry.source == "header"
    assert entry.error is not None and entry.error["message"].startswith("That model is currently overloaded")
    assert entry.info["headers"]["x-mockllm-fault"] == "overloaded"
