"""What the engine does for every API, on ``/v1/responses``: fixtures, error presets and transport faults
(fixture file and ``x-mockllm-fault``), rate limits, chaos, the journal and usage ledger, ``--strict``
near misses, seeded determinism across processes, and the pytest plugin's view of the requests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import yaml
from responses_support import TOOLS, error_of, parse_sse, post, valid_response
from test_inspector import chromium  # noqa: F401 - a fixture (a Chromium binary, installed if need be)

from mockllm.config import Settings
from mockllm.server import MockServer

ROOT = Path(__file__).resolve().parents[1]
MODEL = "gpt-4o-mini"
ASK = "Tell me about the history of Rome."

FIXTURES: list[dict[str, Any]] = [
    {"name": "rx-flaky", "match": {"headers": {"x-test-case": "flaky"}},
     "replies": [{"error": {"preset": "rate_limit", "headers": {"retry-after-ms": "10"}}, "times": 2},
                 {"content": "Third time lucky."}]},
    {"name": "rx-quota", "match": {"headers": {"x-test-case": "quota"}}, "error": "insufficient_quota"},
    {"name": "rx-disconnect", "match": {"headers": {"x-test-case": "disconnect"}},
     "fault": {"kind": "disconnect", "after_chunks": 4}},
    {"name": "rx-filter", "match": {"headers": {"x-test-case": "filter"}},
     "reply": {"content": "The quick brown fox jumps over the lazy dog.", "fault": "content_filter"}},
    {"name": "rx-reasoning", "match": {"user": "which is larger"},
     "reply": {"reasoning_content": "0.9 is more than 0.11.", "content": "9.9 is larger."}},
    {"name": "rx-two-calls", "match": {"user": "two calls"},
     "reply": {"tool_calls": [{"name": "get_time", "arguments": {"tz": "UTC"}},
                              {"name": "get_time", "arguments": {"tz": "CET"}}]}},
]  # fmt: skip


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    folder = tmp_path_factory.mktemp("rx")
    (folder / "rx.yaml").write_text(yaml.safe_dump({"fixtures": FIXTURES}, sort_keys=False), encoding="utf-8")
    fixtures = (str(folder / "rx.yaml"), str(ROOT / "fixtures"))
    with MockServer(Settings(port=0, fixtures=fixtures, seed=5)) as server:
        yield server


def session() -> str:
    return "rx-" + uuid.uuid4().hex[:10]


def client_for(server: MockServer, retries: int = 0, **headers: str) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=server.base_url, api_key="sk-test", max_retries=retries, timeout=10, default_headers=headers
    )


def journal(server: MockServer, sid: str, count: int) -> list[Any]:
    """A session's journal entries (a stream is journaled after its last byte: wait for it)."""
    deadline = time.monotonic() + 10
    while True:
        found = server.pipeline.journal.query(session=sid)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.01)


# ----- fixtures ---------------------------------------------------------------------------------------


def test_bundled_fixture_answers_streamed_too(srv: MockServer) -> None:
    client = client_for(srv)
    with client.responses.stream(model=MODEL, input="What is the capital of France?") as stream:
        final = stream.get_final_response()
    assert final.output_text == "The capital of France is Paris."


def test_fixture_reasoning_content_is_the_summary(srv: MockServer) -> None:
    client = client_for(srv)
    asked = client.responses.create(
        model="o4-mini", input="9.11 or 9.9, which is larger?", reasoning={"summary": "auto"}
    )
    reasoning, message = asked.output
    assert reasoning.summary[0].text == "0.9 is more than 0.11."
    assert message.content[0].text == "9.9 is larger."
    from mockllm.core.tokens import count

    assert asked.usage.output_tokens_details.reasoning_tokens == count("0.9 is more than 0.11.", "o200k_base")
    hidden = client.responses.create(model="o4-mini", input="9.11 or 9.9, which is larger?")
    assert hidden.output[0].summary == []  # no summary asked: the text stays hidden, its tokens still count
    assert hidden.usage.output_tokens_details.reasoning_tokens == asked.usage.output_tokens_details.reasoning_tokens


def test_fixture_tool_calls_with_parallel_false(srv: MockServer) -> None:
    client = client_for(srv)
    both = client.responses.create(model=MODEL, input="make two calls", tools=TOOLS)
    assert [json.loads(i.arguments)["tz"] for i in both.output] == ["UTC", "CET"]
    one = client.responses.create(model=MODEL, input="make two calls", tools=TOOLS, parallel_tool_calls=False)
    assert [json.loads(i.arguments)["tz"] for i in one.output] == ["UTC"]


# ----- error presets and faults -----------------------------------------------------------------------


def test_scripted_429s_are_retried_by_the_sdk(srv: MockServer) -> None:
    sid = session()
    client = client_for(srv, retries=2, **{"x-mockllm-session": sid, "x-test-case": "flaky"})
    assert client.responses.create(model=MODEL, input=ASK).output_text == "Third time lucky."
    assert [e.status for e in journal(srv, sid, 3)] == [429, 429, 200]


def test_fault_header_rate_limit_with_retry_after(srv: MockServer) -> None:
    sid = session()
    fault = json.dumps({"error": {"preset": "rate_limit", "headers": {"retry-after": "1", "retry-after-ms": "20"}}})
    client = client_for(srv, **{"x-mockllm-session": sid, "x-mockllm-fault": fault})
    with pytest.raises(openai.RateLimitError) as caught:
        client.responses.create(model=MODEL, input=ASK)
    assert caught.value.response.headers["retry-after"] == "1"
    assert caught.value.code == "rate_limit_exceeded" and caught.value.body["message"].startswith("Rate limit")
    retrying = client_for(srv, retries=2, **{"x-mockllm-session": sid, "x-mockllm-fault": fault})
    with pytest.raises(openai.RateLimitError):
        retrying.responses.create(model=MODEL, input=ASK)
    assert len(journal(srv, sid, 4)) == 4  # one, then one and two retries
    assert int(caught.value.response.headers["x-request-id"].startswith("req_"))


def test_error_preset_from_a_fixture(srv: MockServer) -> None:
    with pytest.raises(openai.RateLimitError) as caught:
        client_for(srv, **{"x-test-case": "quota"}).responses.create(model=MODEL, input=ASK)
    assert caught.value.code == "insufficient_quota"


def test_disconnect_mid_stream_is_a_connection_error(srv: MockServer) -> None:
    client = client_for(srv, **{"x-test-case": "disconnect"})
    got: list[Any] = []
    with pytest.raises(openai.APIConnectionError):
        for event in client.responses.create(model=MODEL, input=ASK, stream=True):
            got.append(event)
    assert [e.type for e in got][:2] == ["response.created", "response.in_progress"]
    assert len(got) == 4 and [e.sequence_number for e in got] == [0, 1, 2, 3]


def test_stream_error_event_is_flat_and_nested(srv: MockServer) -> None:
    fault = json.dumps({"fault": {"kind": "stream_error", "after_chunks": 5}})
    raw = post(srv.base_url, {"model": MODEL, "input": ASK, "stream": True}, **{"x-mockllm-fault": fault})
    assert raw.status_code == 200
    events = parse_sse(raw.text)  # the error event validates as the spec's ResponseErrorEvent
    error = events[-1]
    assert error["type"] == "error" and error["sequence_number"] == 5 and len(events) == 6
    assert error["message"] == error["error"]["message"] and error["code"] == error["error"]["code"]
    assert error["param"] is None and error["error"]["type"]

    client = client_for(srv, **{"x-mockllm-fault": fault})
    with pytest.raises(openai.APIError) as caught:
        for _ in client.responses.create(model=MODEL, input=ASK, stream=True):
            pass
    assert type(caught.value) is openai.APIError and caught.value.message == error["message"]
    with pytest.raises(openai.APIError):
        with client.responses.stream(model=MODEL, input=ASK) as stream:
            stream.get_final_response()


def test_stream_error_with_a_preset(srv: MockServer) -> None:
    fault = json.dumps({"fault": {"kind": "stream_error", "error": "rate_limit"}})
    events = parse_sse(
        post(srv.base_url, {"model": MODEL, "input": ASK, "stream": True}, **{"x-mockllm-fault": fault}).text
    )
    assert events[-1]["code"] == "rate_limit_exceeded" and events[-1]["error"]["code"] == "rate_limit_exceeded"
    assert len(events) == 4  # after_chunks defaults to 3


def test_content_filter_is_incomplete(srv: MockServer) -> None:
    client = client_for(srv, **{"x-test-case": "filter"})
    raw = client.responses.with_raw_response.create(model=MODEL, input=ASK)
    valid_response(json.loads(raw.text))
    answer = raw.parse()
    assert answer.status == "incomplete" and answer.incomplete_details.reason == "content_filter"
    assert answer.output_text and "The quick brown fox jumps over the lazy dog.".startswith(answer.output_text)
    assert answer.output_text != "The quick brown fox jumps over the lazy dog."
    events = parse_sse(
        post(srv.base_url, {"model": MODEL, "input": ASK, "stream": True}, **{"x-test-case": "filter"}).text
    )
    assert events[-1]["type"] == "response.incomplete"
    assert events[-1]["response"]["incomplete_details"] == {"reason": "content_filter"}


@pytest.mark.parametrize("kind", ["no_done", "truncate", "malformed_chunk"])
def test_other_stream_faults(srv: MockServer, kind: str) -> None:
    raw = post(srv.base_url, {"model": MODEL, "input": ASK, "stream": True}, **{"x-mockllm-fault": kind})
    blocks = [b for b in raw.text.split("\n\n") if b.strip()]
    if kind == "malformed_chunk":
        with pytest.raises(ValueError):
            parse_sse(raw.text)
        with pytest.raises(ValueError):
            list(client_for(srv, **{"x-mockllm-fault": kind}).responses.create(model=MODEL, input=ASK, stream=True))
        return
    events = parse_sse(raw.text)
    assert events[-1]["type"] not in ("response.completed", "response.incomplete") and len(events) == len(blocks)
    with pytest.raises(RuntimeError):
        with client_for(srv, **{"x-mockllm-fault": kind}).responses.stream(model=MODEL, input=ASK) as stream:
            stream.get_final_response()


def test_connection_faults_on_a_json_answer(srv: MockServer) -> None:
    with pytest.raises(openai.APIConnectionError):
        client_for(srv, **{"x-mockllm-fault": "reset"}).responses.create(model=MODEL, input=ASK)


def test_bad_fault_header_is_a_400(srv: MockServer) -> None:
    answer = post(srv.base_url, {"model": MODEL, "input": ASK}, **{"x-mockllm-fault": "ratelimit"})
    assert answer.status_code == 400 and error_of(answer)["param"] == "x-mockllm-fault"


# ----- rate limits and chaos --------------------------------------------------------------------------


def test_rpm_and_tpm_on_responses() -> None:
    with MockServer(Settings(port=0, seed=3, rpm=2, tpm=100_000)) as server:
        client = client_for(server)
        raw = client.responses.with_raw_response.create(model=MODEL, input="hi")
        assert raw.headers["x-ratelimit-limit-requests"] == "2"
        assert raw.headers["x-ratelimit-remaining-requests"] == "1"
        client.responses.create(model=MODEL, input="hi")
        with pytest.raises(openai.RateLimitError) as caught:
            client.responses.create(model=MODEL, input="hi")
        assert caught.value.code == "rate_limit_exceeded" and "(RPM)" in caught.value.message
    with MockServer(Settings(port=0, seed=3, rpm=1000, tpm=50)) as server:
        with pytest.raises(openai.RateLimitError) as caught:
            client_for(server).responses.create(model=MODEL, input=ASK, max_output_tokens=100)
        assert "(TPM)" in caught.value.message


def _chaos_run(seed: int) -> list[tuple[Any, ...]]:
    chaos = "rate=0.4,kinds=rate_limit|server_error|disconnect|stream_error|content_filter"
    outcomes: list[tuple[Any, ...]] = []
    with MockServer(Settings(port=0, seed=seed, chaos=chaos)) as server:
        client = client_for(server)
        for i in range(24):
            ask = f"Question {i}: what is {i} squared?"
            try:
                if i % 2:
                    with client.responses.stream(model=MODEL, input=ask) as stream:
                        final = stream.get_final_response()
                else:
                    final = client.responses.create(model=MODEL, input=ask)
                outcomes.append(("ok", final.status, final.output_text))
            except openai.APIStatusError as e:
                outcomes.append((type(e).__name__, e.status_code, e.code))
            except (openai.APIError, RuntimeError) as e:
                outcomes.append((type(e).__name__,))
    return outcomes


def test_chaos_is_seeded_on_responses() -> None:
    first = _chaos_run(42)
    assert first == _chaos_run(42)
    assert 3 <= sum(1 for o in first if o[0] != "ok" or o[1] != "completed") <= 20, first
    assert first != _chaos_run(43)


# ----- journal, usage, strict -------------------------------------------------------------------------


def test_journal_and_usage_ledger(srv: MockServer) -> None:
    sid = session()
    client = client_for(srv, **{"x-mockllm-session": sid})
    answer = client.responses.create(model=MODEL, input="What is the capital of France?")
    with client.responses.stream(model=MODEL, input=ASK) as stream:
        streamed = stream.get_final_response()
    first, second = journal(srv, sid, 2)
    assert (first.path, first.status, first.outcome, first.source) == (
        "/v1/responses",
        200,
        "fixture",
        "capital-of-france",
    )
    assert first.usage["prompt_tokens"] == answer.usage.input_tokens
    assert first.usage["completion_tokens"] == answer.usage.output_tokens
    assert first.cost_usd > 0 and first.response["id"] == answer.id
    assert (
        second.stream and second.outcome == "generator" and second.usage["total_tokens"] == streamed.usage.total_tokens
    )
    admin = httpx.get(f"{srv.root_url}/_mockllm/journal", params={"session": sid}).json()
    assert [e["path"] for e in admin["data"]] == ["/v1/responses"] * 2
    assert admin["data"][0]["request"]["input"] == "What is the capital of France?"
    usage = httpx.get(f"{srv.root_url}/_mockllm/usage").json()
    assert any(row["model"] == MODEL and row["cost_usd"] > 0 for row in usage["rows"])


def test_strict_near_misses_on_responses(strict_server: MockServer) -> None:
    answer = post(strict_server.base_url, {"model": MODEL, "input": "What is the capital of Spain?"})
    assert answer.status_code == 404
    error = error_of(answer)
    assert error["code"] == "fixture_not_found" and "'capital-of-france' failed" in error["message"]
    fine = post(strict_server.base_url, {"model": MODEL, "input": "What is the capital of France?"})
    assert (
        fine.status_code == 200 and fine.json()["output"][0]["content"][0]["text"] == "The capital of France is Paris."
    )


def test_store_size_evicts_oldest_and_counts() -> None:
    with MockServer(Settings(port=0, seed=1, store_size=2)) as server:
        client = client_for(server)
        ids = [client.responses.create(model=MODEL, input=f"hi {k}").id for k in range(3)]
        with pytest.raises(openai.NotFoundError):
            client.responses.retrieve(ids[0])
        assert client.responses.retrieve(ids[2]).id == ids[2]
        stats = httpx.get(f"{server.root_url}/_mockllm/stats").json()
        assert stats["evictions"]["stored_responses"] == 1
        httpx.post(f"{server.root_url}/_mockllm/reset")
        with pytest.raises(openai.NotFoundError):
            client.responses.retrieve(ids[2])


# ----- seeded determinism across processes ------------------------------------------------------------

DETERMINISM_SCRIPT = """
import json, sys, openai
client = openai.OpenAI(base_url=sys.argv[1], api_key="sk", max_retries=0)
tools = json.loads(sys.argv[2])
out = []
for body in (
    {"model": "gpt-4o-mini", "input": "Tell me about Kyoto."},
    {"model": "gpt-4o-mini", "input": "What time is it in Lima?", "tools": tools},
    {"model": "o4-mini", "input": "Explain tides.", "reasoning": {"summary": "auto"}},
):
    r = client.responses.create(**body)
    items = [(i.type, getattr(i, "name", None), getattr(i, "arguments", None), getattr(i, "call_id", None))
             for i in r.output]
    out.append([r.output_text, items, r.usage.model_dump(), r.id])
with client.responses.stream(model="gpt-4o-mini", input="Tell me about Kyoto.") as s:
    out.append(s.get_final_response().output_text)
print(json.dumps(out))
"""


def _serve_and_ask(seed: int) -> list[Any]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockllm", "serve", "--port", "0", "--seed", str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        base_url = line.strip().rsplit(" ", 1)[-1]
        assert base_url.startswith("http://"), line
        done = subprocess.run(
            [sys.executable, "-c", DETERMINISM_SCRIPT, base_url, json.dumps(TOOLS)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return list(json.loads(done.stdout))
    finally:
        proc.terminate()
        proc.wait(15)


def test_same_seed_same_answers_across_processes() -> None:
    first, second, other = _serve_and_ask(9), _serve_and_ask(9), _serve_and_ask(10)
    assert first == second  # text, tool calls (names, arguments, call ids), usage and even the ids
    assert first[0][0] != other[0][0] and first[-1] == first[0][0]
    assert first[1][1][0][1] == "get_time"


# ----- the pytest plugin ------------------------------------------------------------------------------


def test_plugin_routes_and_assertions_on_responses(mockllm: Any) -> None:
    mockllm.on(user="capital of Peru").reply("Lima.")
    mockllm.on(tool="get_time").reply(tool_calls=[{"name": "get_time", "arguments": {"tz": "UTC"}}])
    mockllm.on(user="flaky").fail("rate_limit", times=1)
    client = mockllm.client(max_retries=1)

    answer = client.responses.create(model=MODEL, input="What is the capital of Peru?", instructions="Be brief.")
    assert answer.output_text == "Lima."
    asked = client.responses.create(model=MODEL, input="time please", tools=TOOLS)
    call = asked.output[0]
    chained = client.responses.create(
        model=MODEL,
        previous_response_id=asked.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "12:00"}],
    )
    assert chained.output_text
    assert client.responses.create(model=MODEL, input="flaky one").output_text

    first = mockllm.assert_called_once(user="capital of peru", system="be brief", model="gpt-4o-*")
    assert first.content == "Lima." and first.path == "/v1/responses"
    assert first.usage["prompt_tokens"] == answer.usage.input_tokens
    assert mockllm.requests[1].content is None  # tool calls only: no message
    assert mockllm.requests[2].messages[-1] == {"role": "tool", "content": "12:00", "tool_call_id": call.call_id}
    assert mockllm.requests[2].user == "time please"  # the chain's newest user message
    mockllm.assert_called(user="flaky", times=2)
    assert [r.status for r in mockllm.calls(user="flaky")] == [429, 200]
    assert mockllm.usage["requests"] == 5


def test_a_fixture_answer_on_a_reasoning_model_still_reasons(srv: MockServer) -> None:
    client = client_for(srv)
    answer = client.responses.create(model="o4-mini", input="What is the capital of France?")
    assert answer.output_text == "The capital of France is Paris."
    hidden = answer.usage.output_tokens_details.reasoning_tokens
    assert hidden > 0 and answer.usage.output_tokens == hidden + 7
    again = client.responses.create(model="o4-mini", input="What is the capital of France?")
    assert again.usage == answer.usage  # drawn from the request's content: the same every time
    low = client.responses.create(model="o4-mini", input="What is the capital of France?", reasoning={"effort": "low"})
    assert low.usage.output_tokens_details.reasoning_tokens < hidden


@pytest.mark.parametrize("kind", ["empty", "malformed_json"])
def test_unparseable_json_answers(srv: MockServer, kind: str) -> None:
    raw = client_for(srv, **{"x-mockllm-fault": kind}).responses.with_raw_response.create(model=MODEL, input=ASK)
    assert raw.status_code == 200 and raw.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        raw.parse()


def test_slow_first_byte_then_the_stream(srv: MockServer) -> None:
    fault = json.dumps({"fault": {"kind": "slow_first_byte", "seconds": 0.2}})
    started = time.monotonic()
    with client_for(srv, **{"x-mockllm-fault": fault}).responses.stream(model=MODEL, input=ASK) as stream:
        final = stream.get_final_response()
    assert time.monotonic() - started >= 0.2 and final.status == "completed"


def test_paced_stream_waits_ttft_then_a_token_per_interval() -> None:
    with MockServer(Settings(port=0, seed=2, ttft_ms=300, tokens_per_second=100)) as server:
        client = client_for(server)
        client.responses.create(model=MODEL, input="warm up")  # the first request waits for the tokenizer
        started = time.monotonic()
        arrivals: list[tuple[str, float]] = []
        with client.responses.stream(model=MODEL, input="hi there") as stream:
            for event in stream:
                arrivals.append((event.type, time.monotonic() - started))
            final = stream.get_final_response()
    deltas = [t for kind, t in arrivals if kind == "response.output_text.delta"]
    assert len(deltas) == final.usage.output_tokens
    assert 0.28 <= deltas[0] < 10  # the first token comes with the time to first token
    # then one token every 10 ms (measured to the last: the SDK parses its first events slowly, so the
    # early ones can arrive bunched)
    assert deltas[-1] >= 0.3 + (len(deltas) - 1) / 100 * 0.9
    assert arrivals[0][1] >= 0.28 and arrivals[-1][0] == "response.completed"


def test_inspector_lists_responses_requests(mockllm: Any, chromium: str, tmp_path: Path) -> None:  # noqa: F811
    from test_inspector import Dom, run_chromium

    mockllm.on(user="capital of Peru").reply("Lima.")
    client = mockllm.client()
    client.responses.create(model=MODEL, input="What is the capital of Peru?", instructions="Be brief.")
    client.responses.create(model=MODEL, input="What time is it in Lima?", tools=TOOLS, tool_choice="required")
    first, second = mockllm.requests
    dom = Dom()
    dom.feed(run_chromium(chromium, tmp_path / "p1", "--dump-dom", f"{mockllm.inspector_url}#seq={first.seq}").stdout)
    detail = " ".join(dom.detail_text)
    assert "What is the capital of Peru?" in detail and "Be brief." in detail and "Lima." in detail
    assert len(dom.rows) == 2
    dom = Dom()
    dom.feed(run_chromium(chromium, tmp_path / "p2", "--dump-dom", f"{mockllm.inspector_url}#seq={second.seq}").stdout)
    assert "get_time(" in " ".join(dom.detail_text)


PNG = (  # a 1x1 red PNG
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def test_images_and_json_fixtures_on_responses(srv: MockServer) -> None:
    client = client_for(srv)
    ask = [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "What is in this image?"},
                {"type": "input_image", "image_url": PNG, "detail": "low"},
            ],
        }
    ]
    seen = client.responses.create(model="gpt-4o", input=ask)
    assert seen.output_text == "A single test image; this answer comes from the image-question fixture."
    text_only = client.responses.input_tokens.count(model="gpt-4o", input="What is in this image?").input_tokens
    assert seen.usage.input_tokens == client.responses.input_tokens.count(model="gpt-4o", input=ask).input_tokens
    assert seen.usage.input_tokens == text_only + 85  # a low-detail image costs 85 tokens on gpt-4o
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="gpt-3.5-turbo", input=ask)
    assert caught.value.param == "input[0].content"

    table = client.responses.create(
        model=MODEL, input="Who won table tennis? Answer in JSON.", text={"format": {"type": "json_object"}}
    )
    assert json.loads(table.output_text)["men_singles"] == "Ma Long"


def test_api_keys_guard_every_route() -> None:
    with MockServer(Settings(port=0, seed=1, api_keys=("sk-good",))) as server:
        good = openai.OpenAI(base_url=server.base_url, api_key="sk-good", max_retries=0)
        bad = openai.OpenAI(base_url=server.base_url, api_key="sk-bad", max_retries=0)
        answer = good.responses.create(model=MODEL, input="hi")
        calls = [
            lambda: bad.responses.create(model=MODEL, input="hi"),
            lambda: bad.responses.retrieve(answer.id),
            lambda: bad.responses.input_items.list(answer.id),
            lambda: bad.responses.input_tokens.count(model=MODEL, input="hi"),
            lambda: bad.responses.delete(answer.id),
        ]
        for call in calls:
            with pytest.raises(openai.AuthenticationError) as caught:
                call()
            assert caught.value.code == "invalid_api_key"
            assert caught.value.response.headers["x-request-id"].startswith("req_")
        assert good.responses.retrieve(answer.id).id == answer.id


def test_chunk_tokens_groups_deltas() -> None:
    with MockServer(Settings(port=0, seed=2, chunk_tokens=4)) as server:
        body = {"model": MODEL, "input": ASK, "include": ["message.output_text.logprobs"]}
        answer = post(server.base_url, body).json()
        events = parse_sse(post(server.base_url, {**body, "stream": True}).text)
    deltas = [e for e in events if e["type"] == "response.output_text.delta"]
    tokens = answer["usage"]["output_tokens"]
    assert len(deltas) == -(-tokens // 4)  # four tokens a delta, the last one shorter
    assert "".join(e["delta"] for e in deltas) == answer["output"][0]["content"][0]["text"]
    assert [len(e["logprobs"]) for e in deltas[:-1]] == [4] * (len(deltas) - 1)
