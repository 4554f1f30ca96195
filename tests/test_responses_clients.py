"""Real clients of the Responses API against mockllm, unchanged: openai-node (``responses.create`` with
``stream``), the openai-agents SDK (``Runner`` with a ``@function_tool``, scripted and generated) and
LangChain's ``ChatOpenAI(use_responses_api=True)`` (invoke, stream, bind_tools)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest
from responses_support import TOOLS
from test_node_sdk import NODE_DIR, node_sdk, run_script  # noqa: F401 - node_sdk is a fixture

from mockllm.config import Settings
from mockllm.server import MockServer

NODE_SCRIPT = NODE_DIR / "responses.mjs"


@pytest.fixture(scope="module")
def bare_server() -> Any:
    """No fixture files: every answer comes from the seeded generator."""
    with MockServer(Settings(port=0, seed=21)) as server:
        yield server


# ----- openai-node ------------------------------------------------------------------------------------

NODE_CASES: dict[str, dict[str, Any]] = {
    "text": {"model": "gpt-4o-mini", "input": "Tell me about the history of Rome."},
    "fixture": {"model": "gpt-4o", "input": "What is the capital of France?", "instructions": "Be brief."},
    "tools": {"model": "gpt-4o-mini", "input": "What is the date and the time in Oslo?",
              "tools": [TOOLS[1], {**TOOLS[1], "name": "get_date"}]},
    "reasoning": {"model": "o4-mini", "input": "Explain tides.", "reasoning": {"summary": "auto"}},
    "incomplete": {"model": "gpt-4o-mini", "input": "Tell me about the history of Rome.", "max_output_tokens": 16},
}  # fmt: skip


@pytest.mark.parametrize("case", list(NODE_CASES))
def test_node_sdk_streams_what_python_gets(node_sdk: Path, server: MockServer, case: str) -> None:  # noqa: F811
    request = NODE_CASES[case]
    node = run_script(node_sdk, NODE_SCRIPT, server.base_url, json.dumps(request))
    assert node["error"] is None
    assert node["sequence"] == list(range(len(node["types"])))
    assert node["types"][:2] == ["response.created", "response.in_progress"]
    python = openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0).responses.create(**request)
    assert node["text"] == node["output_text"] == python.output_text
    assert node["usage"] == python.usage.model_dump(exclude_none=True)
    assert node["status"] == python.status
    assert node["types"][-1] == ("response.completed" if python.status == "completed" else "response.incomplete")
    assert node["output"] == [
        {"type": i.type, "name": getattr(i, "name", None), "arguments": getattr(i, "arguments", None)}
        for i in python.output
    ]
    assert node["calls"] == [i.arguments for i in python.output if i.type == "function_call"]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"fault": {"kind": "stream_error", "after_chunks": 4}}, "APIError"),
        ({"fault": {"kind": "disconnect", "after_chunks": 4}}, "TypeError"),  # undici's "terminated"
    ],
)
def test_node_sdk_sees_mid_stream_failures(
    node_sdk: Path,  # noqa: F811
    server: MockServer,
    fault: dict[str, Any],
    error: str,
) -> None:
    request = {"model": "gpt-4o-mini", "input": "Tell me about the history of Rome."}
    node = run_script(
        node_sdk, NODE_SCRIPT, server.base_url, json.dumps(request), json.dumps({"x-mockllm-fault": json.dumps(fault)})
    )
    assert len(node["types"]) == 4 and node["status"] is None  # four events, then the failure
    assert node["error"]["name"] == error
    if error == "APIError":
        assert node["error"]["message"].startswith("The server experienced an error")


# ----- openai-agents ----------------------------------------------------------------------------------


def _agent(base_url: str, model: str = "gpt-4o-mini") -> Any:
    from agents import Agent, OpenAIResponsesModel, function_tool, set_tracing_disabled

    set_tracing_disabled(True)  # no trace export: nothing may leave the machine

    @function_tool
    def get_weather(city: str) -> str:
        """The current weather in a city."""
        return f"It is 21 degrees and sunny in {city}."

    # No keep-alive: the Runner never closes its client, and a pooled connection left for the garbage
    # collector would be closed on a later test's event loop (see MockLLM.async_client).
    limits = type(openai.DEFAULT_CONNECTION_LIMITS)(max_connections=100, max_keepalive_connections=0)
    http_client = openai.DefaultAsyncHttpxClient(limits=limits)
    client = openai.AsyncOpenAI(base_url=base_url, api_key="sk-test", max_retries=0, http_client=http_client)
    return Agent(
        name="weather",
        instructions="You answer questions about the weather. Use the tool.",
        tools=[get_weather],
        model=OpenAIResponsesModel(model=model, openai_client=client),
    )


async def test_agents_runner_scripted_by_fixtures(mockllm: Any) -> None:
    from agents import Runner

    route = mockllm.on(tool="get_weather").replies(
        [
            {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]},
            "Oslo is sunny, 21 degrees.",
        ]
    )
    result = await Runner.run(_agent(mockllm.base_url), "What's the weather in Oslo?")
    assert result.final_output == "Oslo is sunny, 21 degrees."
    assert route.call_count == 2
    second = mockllm.requests[1]
    assert second.path == "/v1/responses"
    assert second.messages[-1]["role"] == "tool" and "sunny in Oslo" in second.messages[-1]["content"]
    tool_items = [i for i in second.body["input"] if i.get("type") == "function_call_output"]
    assert tool_items and tool_items[0]["output"] == "It is 21 degrees and sunny in Oslo."


@pytest.mark.parametrize("model", ["gpt-4o-mini", "o4-mini"])
async def test_agents_runner_driven_by_the_generator(bare_server: MockServer, model: str) -> None:
    from agents import Runner

    result = await Runner.run(_agent(bare_server.base_url, model), "What's the weather in Oslo?", max_turns=4)
    calls = [item for item in result.new_items if item.type == "tool_call_item"]
    outputs = [item for item in result.new_items if item.type == "tool_call_output_item"]
    assert len(calls) == 1 and len(outputs) == 1  # the generator calls the tool once, then answers
    assert isinstance(result.final_output, str) and result.final_output
    assert len(result.raw_responses) == 2


async def test_agents_streamed_run_ends(bare_server: MockServer) -> None:
    from agents import Runner

    run = Runner.run_streamed(_agent(bare_server.base_url), "What's the weather in Bergen?", max_turns=4)
    kinds = [event.type async for event in run.stream_events()]
    assert "raw_response_event" in kinds and "run_item_stream_event" in kinds
    assert isinstance(run.final_output, str) and run.final_output
    assert sum(1 for item in run.new_items if item.type == "tool_call_output_item") == 1


# ----- LangChain --------------------------------------------------------------------------------------


def _chat(base_url: str, **kwargs: Any) -> Any:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model="gpt-4o-mini", base_url=base_url, api_key="sk-test", use_responses_api=True, max_retries=0, **kwargs
    )


def test_langchain_invoke_stream_and_tools(server: MockServer) -> None:
    from langchain_core.messages import HumanMessage, ToolMessage
    from langchain_core.tools import tool

    llm = _chat(server.base_url)
    answer = llm.invoke("What is the capital of France?")
    assert answer.text == "The capital of France is Paris."
    assert answer.usage_metadata["input_tokens"] == 14 and answer.usage_metadata["output_tokens"] == 7
    assert answer.response_metadata["id"].startswith("resp_")

    pieces = list(llm.stream("Tell me about the history of Rome."))
    streamed = "".join(p.text for p in pieces)
    direct = openai.OpenAI(base_url=server.base_url, api_key="sk", max_retries=0).responses.create(
        model="gpt-4o-mini", input="Tell me about the history of Rome."
    )
    assert streamed == direct.output_text

    @tool
    def get_time(tz: str) -> str:
        """The time in a time zone."""
        return "12:00"

    bound = llm.bind_tools([get_time])
    history: list[Any] = [HumanMessage("What time is it in UTC?")]
    called = bound.invoke(history)
    assert [c["name"] for c in called.tool_calls] == ["get_time"]
    assert isinstance(called.tool_calls[0]["args"]["tz"], str)
    history += [called, ToolMessage("12:00", tool_call_id=called.tool_calls[0]["id"])]
    final = bound.invoke(history)  # the tool's output is in: a message, no more calls
    assert final.text and not final.tool_calls

    again = llm.invoke([HumanMessage("What is the capital of France?"), answer, HumanMessage("And of Spain?")])
    assert again.text and again.usage_metadata["input_tokens"] > answer.usage_metadata["input_tokens"]


def test_langchain_reasoning_summary(bare_server: MockServer) -> None:
    llm = _chat(bare_server.base_url, reasoning={"effort": "low", "summary": "auto"})
    llm.model_name = "o4-mini"
    answer = llm.invoke("Why is the sky blue?")
    reasoning = [block for block in answer.content if block.get("type") == "reasoning"]
    assert reasoning and reasoning[0]["summary"][0]["text"].startswith("**Working out the answer**")
    assert answer.text and answer.usage_metadata["output_token_details"]["reasoning"] > 0


# ----- the README's examples --------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "test_responses_api.py"


def test_readme_quotes_the_example_file_and_it_passes() -> None:
    import re
    import subprocess
    import sys

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Responses API")
    section = readme[start : readme.index("\n## ", start)]
    example = EXAMPLE.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 2
    for block in blocks:
        for function in block.split("\n\n\n"):
            assert function.strip() in example, function[:200]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0 and "5 passed" in done.stdout, done.stdout[-3000:]
