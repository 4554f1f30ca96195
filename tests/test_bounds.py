"""Bounded resources and contained failures (issue 11 §3 and §4).

Streams beyond ``--max-streams`` get OpenAI's 503 with ``retry-after``; the journal, sequence counters,
usage rows and rate buckets evict oldest first and count it; user regexes run under a time bound; the
admin API reads no file it was not started with; and an exception inside one request is a 500 in
OpenAI's shape, logged once, with the next request served normally.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import spec

from mockllm.config import Settings
from mockllm.http import limits
from mockllm.server import MockServer


def chat(content: str = "hi", **extra: object) -> dict[str, object]:
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}], **extra}


def figures(server: MockServer) -> dict[str, object]:
    assert server.app is not None
    return server.call(lambda: limits.stats(server.app))


def openai_error(response: httpx.Response) -> dict[str, object]:
    payload = response.json()
    spec.validate("ErrorResponse", payload)
    assert set(payload["error"]) >= {"message", "type", "param", "code"}
    return payload["error"]


# ----- --max-streams ---------------------------------------------------------------------------------


def test_streams_beyond_the_limit_get_503_with_retry_after():
    with MockServer(Settings(port=0, max_streams=2)) as srv:
        slow = {
            "name": "slow-stream",
            "match": {"user": "slow stream"},
            "reply": {"content": "tick " * 12, "pacing": {"ttft_ms": 0, "tokens_per_second": 10}},
        }
        assert httpx.post(srv.root_url + "/_mockllm/fixtures", json=slow).status_code == 201
        started = threading.Barrier(3)
        done: list[int] = []

        def hold() -> None:
            with httpx.stream("POST", srv.base_url + "/chat/completions", json=chat("slow stream", stream=True)) as r:
                first = True
                for _ in r.iter_raw():
                    if first:
                        started.wait(10)
                        first = False
                done.append(r.status_code)

        holders = [threading.Thread(target=hold) for _ in range(2)]
        for t in holders:
            t.start()
        started.wait(10)
        assert figures(srv)["streams"] == 2
        refused = httpx.post(srv.base_url + "/chat/completions", json=chat("other", stream=True))
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        assert re.fullmatch(r"req_[0-9a-f]{32}", refused.headers["x-request-id"])
        error = openai_error(refused)
        assert error["type"] == "server_error" and "--max-streams" in str(error["message"])
        # a non-streamed request is not a stream: it is served while the streams are full
        assert httpx.post(srv.base_url + "/chat/completions", json=chat("other")).status_code == 200
        for t in holders:
            t.join(20)
        assert done == [200, 200]
        after = figures(srv)
        assert after["streams"] == 0 and after["streams_refused"] == 1
        assert httpx.post(srv.base_url + "/chat/completions", json=chat("again", stream=True)).status_code == 200
        journal = httpx.get(srv.root_url + "/_mockllm/journal").json()["data"]
        assert [e["status"] for e in journal if e["stream"]].count(503) == 1


# ----- bounded state, evicted oldest first, counted ------------------------------------------------------


def test_bounded_state_is_evicted_oldest_first_and_counted():
    with MockServer(Settings(port=0, journal_size=5)) as srv:
        pipeline = srv.pipeline

        def shrink() -> None:
            pipeline.fixtures.max_counter_keys = 3
            pipeline.limiter.max_keys = 3
            pipeline.ledger.max_rows = 3

        srv.call(shrink)
        script = {"name": "counted", "match": {"user": "count me"}, "replies": [{"content": "one"}, {"content": "two"}]}
        assert httpx.post(srv.root_url + "/_mockllm/fixtures", json=script).status_code == 201
        with httpx.Client() as client:
            for i in range(8):
                headers = {"x-mockllm-session": f"s{i}", "Authorization": f"Bearer sk-key-number-{i:04d}"}
                r = client.post(srv.base_url + "/chat/completions", json=chat("count me"), headers=headers)
                assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "one"
            # session s7 still has its counter (newest), s0 was evicted first: it starts over
            again = client.post(
                srv.base_url + "/chat/completions", json=chat("count me"), headers={"x-mockllm-session": "s7"}
            )
            assert again.json()["choices"][0]["message"]["content"] == "two"
        evictions = figures(srv)["evictions"]
        assert evictions["journal"] == 4  # 9 requests, 5 kept
        assert evictions["sequence_counters"] == 5  # 8 sessions, 3 kept (s7 was touched again, not added)
        assert evictions["rate_buckets"] == 6  # 9 keys ("" for the keyless one), 3 kept
        assert evictions["usage_rows"] == 6
        journal = httpx.get(srv.root_url + "/_mockllm/journal").json()
        assert journal["evicted"] == 4 and journal["data"][0]["session"] == "s4"


# ----- regexes under a time bound; no file outside the started folders ------------------------------------


def test_catastrophic_regexes_cannot_freeze_the_server(server):
    exponential = {"name": "redos-exp", "match": {"user_regex": "^(a+)+$"}, "reply": {"content": "never"}}
    refused = httpx.post(server.root_url + "/_mockllm/fixtures", json=exponential)
    assert refused.status_code == 400 and "unsafe regex" in openai_error(refused)["message"]
    # polynomial backtracking passes the static check; the time bound makes it a quick "no match"
    polynomial = {
        "name": "redos-poly",
        "match": {"user_regex": "a*a*a*a*a*a*a*a*b"},
        "reply": {"content": "matched"},
    }
    assert httpx.post(server.root_url + "/_mockllm/fixtures", json=polynomial).status_code == 201
    try:
        started = time.monotonic()
        r = httpx.post(server.base_url + "/chat/completions", json=chat("a" * 20_000), timeout=30)
        assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] != "matched"
        assert time.monotonic() - started < 20  # unbounded, this regex would run for ages; 20 s: a busy machine
    finally:
        httpx.delete(server.root_url + "/_mockllm/fixtures/redos-poly")


@pytest.mark.parametrize(
    "path",
    [
        "/_mockllm/ui/..%2F..%2Fconfig.py",
        "/_mockllm/ui/%2Fetc%2Fpasswd",
        "/_mockllm/ui/../../../../etc/passwd",
        "/_mockllm/ui/..%5C..%5Cconfig.py",
        "/_mockllm/fixtures/..%2F..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_admin_api_reads_no_file_outside_its_folders(server, path):
    r = httpx.get(server.root_url + path)
    assert r.status_code in (404, 405), r.text[:200]
    assert "root:" not in r.text and "Settings" not in r.text
    if r.content:
        openai_error(r)


def test_admin_documents_cannot_pull_in_files(server):
    """A posted document is data only: no include/path key can make the server open a file."""
    for doc in (
        {"include": "/etc/passwd"},
        {"name": "f", "match": {"user": "x"}, "reply": {"content_file": "/etc/passwd"}},
        {"fixtures": "/etc/passwd"},
    ):
        r = httpx.post(server.root_url + "/_mockllm/fixtures", json=doc)
        assert r.status_code == 400, r.text
        assert "root:" not in r.text
        openai_error(r)


# ----- an internal failure is contained ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def hooked() -> Iterator[MockServer]:
    with MockServer(Settings(port=0, test_hooks=True)) as srv:
        yield srv


def test_internal_failure_is_a_500_logged_once_and_the_next_request_is_served(hooked, caplog):
    caplog.set_level(logging.INFO)
    with httpx.Client(base_url=hooked.base_url) as client:  # one keep-alive connection throughout
        failed = client.post("/chat/completions", json=chat(), headers={"x-mockllm-test-raise": "1"})
        assert failed.status_code == 500
        error = openai_error(failed)
        assert error["type"] == "server_error"
        request_id = failed.headers["x-request-id"]
        assert request_id.startswith("req_") and request_id in str(error["message"])
        tracebacks = [r for r in caplog.records if r.exc_info is not None]
        assert len(tracebacks) == 1, [r.getMessage() for r in tracebacks]
        assert request_id in tracebacks[0].getMessage()
        assert "x-mockllm-test-raise" in str(tracebacks[0].exc_info[1])
        served = client.post("/chat/completions", json=chat())
        assert served.status_code == 200
        spec.validate("CreateChatCompletionResponse", served.json())
        streamed = client.post("/chat/completions", json=chat(stream=True))
        assert streamed.status_code == 200 and streamed.text.rstrip().endswith("data: [DONE]")
    assert figures(hooked)["internal_errors"] == 1
    assert len([r for r in caplog.records if r.exc_info is not None]) == 1


def test_test_hook_is_off_by_default(server):
    r = httpx.post(server.base_url + "/chat/completions", json=chat(), headers={"x-mockllm-test-raise": "1"})
    assert r.status_code == 200


def test_models_routes_need_the_key_when_keys_are_set():
    with MockServer(Settings(port=0, api_keys=("sk-good-0123456789",))) as srv:
        for path in ("/models", "/models/gpt-4o"):
            assert httpx.get(srv.base_url + path).status_code == 401
            ok = httpx.get(srv.base_url + path, headers={"Authorization": "Bearer sk-good-0123456789"})
            assert ok.status_code == 200, ok.text
        assert json.loads(httpx.get(srv.base_url + "/models").text)["error"]["type"] == "invalid_request_error"
