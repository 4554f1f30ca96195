"""LangChain's ``ChatAnthropic`` against mockllm's Messages API, unchanged: invoke, stream, bound tools."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field

from mockllm.server import MockServer

langchain_anthropic = pytest.importorskip("langchain_anthropic")
from langchain_core.messages import AIMessageChunk, HumanMessage, ToolMessage  # noqa: E402

MODEL = "claude-sonnet-4-6"
ASK = [HumanMessage("Tell me something about mountains")]


def chat(server: MockServer, **kw: Any) -> Any:
    return langchain_anthropic.ChatAnthropic(
        model=kw.pop("model", MODEL), base_url=server.root_url, api_key="sk-ant-test", max_retries=0, **kw
    )


class GetStock(BaseModel):
    """Look up the price of a stock."""

    symbol: str = Field(description="The ticker symbol")


def test_invoke_maps_usage_and_stop_reason(server):
    answer = chat(server).invoke(ASK)  # LangChain's own default max_tokens for the model (128000)
    assert isinstance(answer.content, str) and answer.content
    assert answer.response_metadata["stop_reason"] == "end_turn"
    assert answer.response_metadata["model"] == MODEL
    usage = answer.usage_metadata
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def test_stream_adds_up_to_invoke(server):
    model = chat(server, max_tokens=500)
    whole = model.invoke(ASK)
    chunks = list(model.stream(ASK))
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    text = total.content if isinstance(total.content, str) else "".join(b.get("text", "") for b in total.content)
    assert text == whole.content
    assert total.usage_metadata["output_tokens"] == whole.usage_metadata["output_tokens"]
    assert total.usage_metadata["input_tokens"] == whole.usage_metadata["input_tokens"]


def test_bound_tools_and_a_tool_round_trip(server):
    model = chat(server, max_tokens=500).bind_tools([GetStock], tool_choice="GetStock")
    first = model.invoke([HumanMessage("How is ACME doing?")])
    assert first.response_metadata["stop_reason"] == "tool_use"
    [call] = first.tool_calls
    assert call["name"] == "GetStock" and isinstance(call["args"]["symbol"], str)
    assert call["id"].startswith("toolu_01")
    follow_up = (
        chat(server, max_tokens=500)
        .bind_tools([GetStock])
        .invoke([HumanMessage("How is ACME doing?"), first, ToolMessage("ACME: 12.5 USD", tool_call_id=call["id"])])
    )
    assert follow_up.response_metadata["stop_reason"] == "end_turn" and follow_up.content


def test_streamed_tool_call(server):
    model = chat(server, max_tokens=500).bind_tools([GetStock], tool_choice="any")
    chunks = list(model.stream([HumanMessage("How is ACME doing?")]))
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert [c["name"] for c in total.tool_calls] == ["GetStock"]
    assert isinstance(total.tool_calls[0]["args"]["symbol"], str)


def test_fixture_answers_langchain(mockllm):
    mockllm.on(user="mountains").reply("Mountains are tall.")
    model = langchain_anthropic.ChatAnthropic(
        model="claude-haiku-4-5", base_url=mockllm.root_url, api_key=mockllm.api_key, max_retries=0
    )
    answer = model.invoke(ASK)
    assert answer.content == "Mountains are tall."
    assert answer.response_metadata["model"] == "claude-haiku-4-5-20251001"
