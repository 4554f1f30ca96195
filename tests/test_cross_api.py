"""One fixture format and one set of conditions for every API: ``api:`` narrows a fixture to one API,
and the agent-loop conditions (``turn``, ``tool_result``) read Anthropic's ``tool_use`` / ``tool_result``
blocks as they read chat's tool calls and tool messages (the Responses side is in
``test_record_responses.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest
from test_agent_loops import LOOP_FIXTURES, QUESTION, SUNNY

from mockllm.config import Settings
from mockllm.server import MockServer

CLAUDE = "claude-sonnet-4-5"
NARROWED = """
fixtures:
  - name: greeting-on-messages
    match: {api: messages, user: hello}
    reply: {content: "Hello from the Messages API."}
  - name: greeting-on-responses
    match: {api: responses, user: hello}
    reply: {content: "Hello from the Responses API."}
"""
TOOLS = [
    {"name": "get_weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}},
    {"name": "get_time", "input_schema": {"type": "object", "properties": {"tz": {"type": "string"}}}},
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder: Path = tmp_path_factory.mktemp("cross")
    (folder / "narrowed.yaml").write_text(NARROWED)
    (folder / "loop.yaml").write_text(LOOP_FIXTURES)
    with MockServer(Settings(port=0, fixtures=(str(folder),))) as srv:
        yield srv


def test_api_narrows_a_fixture_to_one_api(server: MockServer) -> None:
    base = server.base_url
    claude = anthropic.Anthropic(base_url=base.removesuffix("/v1"), api_key="k", max_retries=0)
    said = claude.messages.create(model=CLAUDE, max_tokens=100, messages=[{"role": "user", "content": "hello"}])
    assert said.content[0].text == "Hello from the Messages API."  # type: ignore[union-attr]
    client = openai.OpenAI(base_url=base, api_key="k", max_retries=0)
    assert client.responses.create(model="gpt-4o-mini", input="hello").output_text == "Hello from the Responses API."
    chat = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])
    assert chat.choices[0].message.content not in ("Hello from the Messages API.", "Hello from the Responses API.")
    sources = [(e["path"], e["source"]) for e in _journal(server)]
    assert ("/v1/messages", "greeting-on-messages") in sources
    assert ("/v1/responses", "greeting-on-responses") in sources
    assert ("/v1/chat/completions", "generator") in sources


def _journal(server: MockServer) -> list[dict[str, Any]]:
    import httpx

    return httpx.get(server.base_url.removesuffix("/v1") + "/_mockllm/journal", params={"limit": 1000}).json()["data"]


@pytest.mark.parametrize("stream", [False, True])
def test_turn_conditions_script_a_messages_tool_loop(server: MockServer, stream: bool) -> None:
    """The chat loop's fixtures (``turn: 0`` → get_weather, ``tool_result: get_weather`` → get_time,
    ``tool_result: get_time`` → the answer) drive a Claude tool-use loop unchanged."""
    claude = anthropic.Anthropic(base_url=server.base_url.removesuffix("/v1"), api_key="k", max_retries=0)
    messages: list[dict[str, Any]] = [{"role": "user", "content": QUESTION}]
    names: list[str] = []
    for _ in range(5):
        if stream:
            with claude.messages.stream(model=CLAUDE, max_tokens=500, tools=TOOLS, messages=messages) as events:
                message = events.get_final_message()
        else:
            message = claude.messages.create(model=CLAUDE, max_tokens=500, tools=TOOLS, messages=messages)
        uses = [b for b in message.content if b.type == "tool_use"]
        if not uses:
            text = "".join(b.text for b in message.content if b.type == "text")
            assert text == "Sunny, 21 °C, and it is 14:00 in Paris."
            assert names == ["get_weather", "get_time"]
            return
        names += [u.name for u in uses]
        messages.append({"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in message.content]})
        messages.append(
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": u.id, "content": json.dumps(SUNNY[u.name](dict(u.input)))}  # type: ignore[arg-type]
                    for u in uses
                ],
            }
        )
    raise AssertionError(f"the loop did not end: {names}")


def test_a_refused_stream_is_spelt_by_its_api() -> None:
    """``--max-streams``: the 503 for a Messages stream is an Anthropic error body, a chat one OpenAI's.

    The only slot is held by a stream whose first token is a minute away, opened on a raw socket that
    the test closes at the end: nothing here depends on how fast the machine is."""
    import socket
    import time

    import httpx

    with MockServer(Settings(port=0, max_streams=1, ttft_ms=60_000)) as srv:
        root = srv.base_url.removesuffix("/v1")
        body = {"model": CLAUDE, "max_tokens": 50, "stream": True, "messages": [{"role": "user", "content": "hi"}]}
        headers = {"anthropic-version": "2023-06-01", "x-api-key": "k"}
        payload = json.dumps(body).encode()
        host, port = root.removeprefix("http://").split(":")
        held = socket.create_connection((host, int(port)))
        try:
            held.sendall(
                b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"anthropic-version: 2023-06-01\r\nx-api-key: k\r\n"
                + f"Content-Length: {len(payload)}\r\n\r\n".encode()
                + payload
            )
            deadline = time.monotonic() + 30
            while httpx.get(root + "/_mockllm/stats").json()["streams"] < 1:  # the held stream has the slot
                assert time.monotonic() < deadline
                time.sleep(0.02)
            refused = httpx.post(root + "/v1/messages", json=body, headers=headers, timeout=30)
            assert refused.status_code == 503
            error = refused.json()
            assert error["type"] == "error" and "max-streams" in error["error"]["message"], error
            assert refused.headers["request-id"]
            chat = {"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
            refused = httpx.post(root + "/v1/chat/completions", json=chat, timeout=30)
            assert refused.status_code == 503 and set(refused.json()["error"]) == {"message", "type", "param", "code"}
        finally:
            held.close()


def test_every_listed_api_is_routed_and_answers_in_its_envelope() -> None:
    """``mockllm.apis`` is the one list of APIs: the pipeline takes its surfaces and endpoints from it and
    the HTTP layer routes each create path it names, without a route of its own for any API."""
    import httpx

    from mockllm.core.pipeline import Pipeline

    paths = Pipeline(Settings()).paths()
    assert paths == {
        "chat": "/v1/chat/completions",
        "responses": "/v1/responses",
        "messages": "/v1/messages",
        "embeddings": "/v1/embeddings",
    }
    with MockServer(Settings(port=0)) as srv:
        for name, path in paths.items():
            r = httpx.post(srv.root_url + path, json={}, headers={"anthropic-version": "2023-06-01"}, timeout=30)
            assert r.status_code == 400, (name, r.text)
            body = r.json()
            if name == "messages":
                assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
                assert r.headers["request-id"].startswith("req_011C")
            else:
                assert set(body["error"]) == {"message", "type", "param", "code"}
                assert r.headers["x-request-id"].startswith("req_")
