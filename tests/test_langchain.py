"""Issue #5: LangChain's ChatOpenAI streams from mockllm (``stream_usage=True``, as a custom base URL needs).

The streamed chunks must add up to the non-streamed answer, and the usage chunk must become the same
``usage_metadata`` the non-streamed call reports.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockllm.server import MockServer

langchain_openai = pytest.importorskip("langchain_openai")
from langchain_core.messages import AIMessageChunk, HumanMessage  # noqa: E402

MODEL = "gpt-4o-mini"


def chat(server: MockServer, **kw: Any) -> Any:
    return langchain_openai.ChatOpenAI(
        model=kw.pop("model", MODEL),
        base_url=server.base_url,
        api_key="sk-test",
        max_retries=0,
        stream_usage=True,
        **kw,
    )


def _sum(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    assert chunks, "no chunks"
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


def _usage(message: Any) -> dict[str, int]:
    meta = message.usage_metadata
    assert meta is not None, "no usage_metadata"
    return {k: meta[k] for k in ("input_tokens", "output_tokens", "total_tokens")}


@pytest.mark.parametrize(
    "prompt",
    ["What is the capital of France?", "Tell me about the history of Rome.", "请介绍一下长城的历史。"],
)
def test_stream_concatenates_to_invoke(server: MockServer, prompt: str) -> None:
    llm = chat(server)
    full = llm.invoke([HumanMessage(prompt)])
    chunks = list(llm.stream([HumanMessage(prompt)]))
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    text_chunks = [c for c in chunks if c.content]
    assert len(text_chunks) > 1, "streamed in several pieces"
    total = _sum(chunks)
    assert total.content == "".join(c.content for c in chunks) == full.content
    # Exactly one chunk carries usage (the usage chunk with choices: []), and it matches the non-streamed call.
    assert sum(1 for c in chunks if c.usage_metadata) == 1
    assert _usage(total) == _usage(full)
    usage = full.response_metadata["token_usage"]
    assert _usage(full) == {
        "input_tokens": usage["prompt_tokens"],
        "output_tokens": usage["completion_tokens"],
        "total_tokens": usage["total_tokens"],
    }
    assert total.response_metadata.get("finish_reason") == "stop"
    assert total.response_metadata.get("model_name") == full.response_metadata["model_name"]
    assert total.id == chunks[0].id


async def test_astream_matches_ainvoke(server: MockServer) -> None:
    llm = chat(server)
    prompt = [HumanMessage("Describe a sunset over the sea.")]
    full = await llm.ainvoke(prompt)
    chunks = [c async for c in llm.astream(prompt)]
    total = _sum(chunks)
    assert total.content == full.content
    assert _usage(total) == _usage(full)


def test_stream_reasoning_model_usage(server: MockServer) -> None:
    """ChatOpenAI drops reasoning_content (PROTOCOL §6.3) but the content and usage still agree."""
    llm = chat(server, model="deepseek-ai/DeepSeek-R1")
    full = llm.invoke([HumanMessage("9.11 or 9.9?")])
    total = _sum(list(llm.stream([HumanMessage("9.11 or 9.9?")])))
    assert total.content == full.content == "9.9 is larger than 9.11."
    assert _usage(total) == _usage(full)
    details = total.usage_metadata.get("output_token_details") or {}
    assert details.get("reasoning", 0) == full.usage_metadata.get("output_token_details", {}).get("reasoning", 0) > 0


def test_stream_tool_calls(server: MockServer) -> None:
    def get_weather(city: str, unit: str = "celsius") -> str:
        """Get the weather for a city."""
        return "sunny"

    def get_time(city: str) -> str:
        """Get the local time in a city."""
        return "noon"

    llm = chat(server).bind_tools([get_weather, get_time])
    prompt = [HumanMessage("What's the weather like in Paris?")]
    full = llm.invoke(prompt)
    chunks = list(llm.stream(prompt))
    total = _sum(chunks)
    assert [(c["name"], c["args"]) for c in total.tool_calls] == [(c["name"], c["args"]) for c in full.tool_calls]
    assert total.tool_calls[0]["name"] == "get_weather"
    assert total.tool_calls[0]["args"] == {"city": "Paris", "unit": "celsius"}
    # Arguments arrived in fragments: the first chunk names the call, the rest only add argument text.
    fragments = [tc for c in chunks for tc in c.tool_call_chunks]
    assert len(fragments) > 2 and fragments[0]["name"] == "get_weather" and fragments[0]["id"].startswith("call_")
    assert all(f["name"] is None and f["id"] is None for f in fragments[1:])
    assert json.loads("".join(f["args"] or "" for f in fragments)) == total.tool_calls[0]["args"]
    assert _usage(total) == _usage(full)
    assert total.response_metadata.get("finish_reason") == "tool_calls"


def test_stream_max_tokens_cut(server: MockServer) -> None:
    llm = chat(server, max_tokens=7)
    full = llm.invoke([HumanMessage("Tell me about the history of Rome.")])
    total = _sum(list(llm.stream([HumanMessage("Tell me about the history of Rome.")])))
    assert total.content == full.content
    assert _usage(total) == _usage(full) and total.usage_metadata["output_tokens"] == 7
    assert total.response_metadata.get("finish_reason") == "length"
