"""``mockllm record`` in front of an Anthropic-style API: Messages exchanges (JSON and streamed, text,
thinking, tool use, an error) become fixtures that a replay server, started with another seed, answers
identically through the ``anthropic`` SDK; the key is never written."""

from __future__ import annotations

from pathlib import Path

import anthropic
import pytest
from test_record import RecordingProxy

from mockllm.config import Settings
from mockllm.server import MockServer

SECRET = "sk-ant-recording-secret-0123456789"
MODEL = "claude-sonnet-4-6"
TOOL = {"name": "get_stock", "input_schema": {"type": "object", "properties": {"ticker": {"type": "string"}}}}


def _exchanges(client):
    """The session: plain text, a system prompt, a stream with thinking, a tool-use loop, an unknown model."""
    out = []
    out.append(
        client.messages.create(
            model=MODEL, max_tokens=300, messages=[{"role": "user", "content": "Tell me about owls"}]
        )
    )
    out.append(
        client.messages.create(
            model="claude-haiku-4-5",
            max_tokens=300,
            system="You are terse.",
            messages=[{"role": "user", "content": "Tell me about owls"}],
        )
    )
    with client.messages.stream(
        model=MODEL,
        max_tokens=3000,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[{"role": "user", "content": "Why do owls hoot?"}],
    ) as stream:
        out.append(stream.get_final_message())
    ask = [{"role": "user", "content": "the stock of ACME"}]
    first = client.messages.create(model=MODEL, max_tokens=300, messages=ask, tools=[TOOL])
    call = next(b for b in first.content if b.type == "tool_use")
    result = {"type": "tool_result", "tool_use_id": call.id, "content": "12 USD"}
    follow = [*ask, {"role": "assistant", "content": first.content}, {"role": "user", "content": [result]}]
    second = client.messages.create(model=MODEL, max_tokens=300, messages=follow, tools=[TOOL])
    out += [first, second]
    with pytest.raises(anthropic.NotFoundError):
        client.messages.create(model="claude-unknown-1", max_tokens=10, messages=ask)
    return out


def _blocks(message):
    return [b.model_dump(exclude={"signature"}, exclude_none=True) for b in message.content]


def test_record_then_replay_messages(tmp_path: Path):
    out = tmp_path / "session"
    with MockServer(Settings(port=0, seed=11)) as upstream:
        with RecordingProxy(upstream.base_url, out) as proxy:
            root = proxy.base_url.removesuffix("/v1")
            recorded = _exchanges(anthropic.Anthropic(base_url=root, api_key=SECRET, max_retries=0))
    text = "".join(p.read_text() for p in out.iterdir())
    assert SECRET not in text and "tool_calls" in text and "reasoning_content" in text
    with MockServer(Settings(port=0, seed=999, strict=True, fixtures=(str(out),))) as replay:
        replayed = _exchanges(anthropic.Anthropic(base_url=replay.root_url, api_key="other", max_retries=0))
    assert [_blocks(m) for m in replayed] == [_blocks(m) for m in recorded]
    assert [m.stop_reason for m in replayed] == [m.stop_reason for m in recorded]
    assert [m.usage.output_tokens for m in replayed] == [m.usage.output_tokens for m in recorded]
