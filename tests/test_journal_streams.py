"""The journal shows what a stream said (issue 15 §6): the text sent, all of it or up to a fault's cut,
in the admin journal and the plugin's ``RecordedRequest.content``, compared with what the openai SDK
actually received through the real server.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from mockllm.config import Settings
from mockllm.core.pipeline import STREAMED_TEXT_LIMIT
from mockllm.server import MockServer

LONG = " ".join(f"word{i}" for i in range(60))


@pytest.fixture(scope="module")
def srv() -> Iterator[MockServer]:
    with MockServer(Settings(port=0, seed=9)) as server:
        yield server


def received(stream: Any) -> tuple[dict[int, str], BaseException | None]:
    """The text of each choice as the SDK received it, and the error that ended the stream, if any."""
    texts: dict[int, str] = {}
    try:
        for chunk in stream:
            for choice in chunk.choices:
                texts[choice.index] = texts.get(choice.index, "") + (choice.delta.content or "")
    except (openai.APIError, httpx.HTTPError, ValueError) as exc:  # a malformed chunk: the SDK's JSON error
        return texts, exc
    return texts, None


def last_entry(server: MockServer, session: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # a cut stream is journaled when its handler ends
        entries = httpx.get(server.root_url + "/_mockllm/journal", params={"session": session}, timeout=10).json()
        if entries["data"]:
            return entries["data"][-1]
        time.sleep(0.05)
    raise AssertionError(f"no journal entry for session {session}")


def stream(server: MockServer, session: str, fault: str | None = None, **kw: Any) -> Any:
    headers = {"x-mockllm-session": session}
    if fault:
        headers["x-mockllm-fault"] = fault
    sdk = openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)
    return sdk.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": kw.pop("prompt", "tell me a story")}],
        stream=True,
        extra_headers=headers,
        **kw,
    )


def test_a_whole_stream_is_journaled_as_sent(srv: MockServer) -> None:
    texts, error = received(stream(srv, "whole"))
    assert error is None and texts[0]
    entry = last_entry(srv, "whole")
    assert entry["response"]["cut"] is False
    assert entry["response"]["sent"] == entry["response"]["chunks"]
    assert entry["response"]["streamed"] == [{"index": 0, "content": texts[0]}]


@pytest.mark.parametrize(
    "fault",
    [
        '{"fault": "disconnect", "after_chunks": 4}',
        '{"fault": "stream_error", "after_chunks": 3}',
        '{"fault": "truncate", "after_chunks": 5}',
        '{"fault": "malformed_chunk", "after_chunks": 2}',
    ],
)
def test_a_faulted_stream_is_journaled_up_to_the_cut(srv: MockServer, fault: str) -> None:
    session = "cut-" + fault.split('"')[3]
    texts, _ = received(stream(srv, session, fault))
    entry = last_entry(srv, session)
    assert entry["response"]["cut"] is True
    [said] = entry["response"]["streamed"]
    full = entry["response"]["chunks"]
    assert said["index"] == 0
    if "malformed_chunk" in fault:
        # the SDK stops at the broken chunk; the journal has every well-formed event the server sent
        assert said["content"].startswith(texts.get(0, ""))
    else:
        assert said["content"] == texts.get(0, ""), (said, texts)
        assert entry["response"]["sent"] < full
    # and it is a true prefix of the healthy answer to the same request
    healthy, _ = received(stream(srv, session + "-healthy"))
    if "malformed_chunk" not in fault:
        assert healthy[0].startswith(said["content"]) and len(said["content"]) < len(healthy[0])


def test_several_choices_are_each_journaled(srv: MockServer) -> None:
    texts, error = received(stream(srv, "two-choices", n=2))
    assert error is None and set(texts) == {0, 1}
    said = last_entry(srv, "two-choices")["response"]["streamed"]
    assert said == [{"index": 0, "content": texts[0]}, {"index": 1, "content": texts[1]}]


def test_a_client_that_goes_away_mid_stream_is_journaled_to_where_it_went(srv: MockServer) -> None:
    script = {
        "name": "slow-long",
        "match": {"user": "slow long story"},
        "reply": {"content": LONG, "pacing": {"ttft_ms": 0, "tokens_per_second": 40}},
    }
    assert httpx.post(srv.root_url + "/_mockllm/fixtures", json=script, timeout=10).status_code == 201
    try:
        body = json.dumps(
            {"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": "slow long story"}]}
        ).encode()
        assert srv.port is not None
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
            sock.sendall(
                b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"x-mockllm-session: gone\r\nContent-Length: %d\r\n\r\n" % len(body) + body
            )
            got = b""
            while got.count(b"data: ") < 8:  # hang up after a few words
                got += sock.recv(4096)
        entry = last_entry(srv, "gone")
        [said] = entry["response"]["streamed"]
        assert entry["response"]["cut"] is True, entry
        assert said["content"].startswith("word0")
        assert LONG.startswith(said["content"]) and len(said["content"]) < len(LONG)
    finally:
        httpx.delete(srv.root_url + "/_mockllm/fixtures/slow-long", timeout=10)


def test_long_streamed_text_is_capped(srv: MockServer) -> None:
    text = "x" * (STREAMED_TEXT_LIMIT + 5000)
    script = {"name": "huge", "match": {"user": "huge answer"}, "reply": {"content": text}}
    assert httpx.post(srv.root_url + "/_mockllm/fixtures", json=script, timeout=10).status_code == 201
    try:
        texts, error = received(stream(srv, "huge", prompt="huge answer"))
        assert error is None and texts[0] == text
        said = last_entry(srv, "huge")["response"]["streamed"][0]["content"]
        assert said == text[:STREAMED_TEXT_LIMIT] + f"…[{len(text)} chars]"
    finally:
        httpx.delete(srv.root_url + "/_mockllm/fixtures/huge", timeout=10)


def test_recorded_request_content_of_streams(mockllm: Any) -> None:
    mockllm.on(user="whole").reply("The whole answer, streamed to the end.")
    mockllm.on(user="cut").fault("disconnect", after_chunks=4, content="one two three four five six seven eight")
    sdk = mockllm.client()
    texts, _ = received(
        sdk.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "whole"}], stream=True)
    )
    cut, error = received(
        sdk.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "cut"}], stream=True)
    )
    assert isinstance(error, openai.APIConnectionError)
    whole_request, cut_request = mockllm.requests
    assert whole_request.content == texts[0] == "The whole answer, streamed to the end."
    assert cut_request.content == cut[0] and "one two three four five six seven eight".startswith(cut[0])
    assert cut_request.content != "one two three four five six seven eight"
