"""Agent loops on the Responses API: the turn conditions hold there, and ``mockllm record`` records a
loop once so that a strict replay server gives the same function calls and answer any number of times.

The loop is the one ``test_agent_loops`` scripts for chat (three steps: the weather, the time, the
answer), driven through ``client.responses.create`` twice over: chained with ``previous_response_id``
(the server rebuilds the conversation from its store) and stateless (the client sends every item back,
as the Agents SDK does). Both are the same conversation to the engine, so one fixture file serves both.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml
from test_agent_loops import KEY, LOOP_FIXTURES, QUESTION, ROOT, SUNNY, Tools, _start, _stop, record_once

from mockllm.config import Settings
from mockllm.core.fixtures import check_files
from mockllm.server import MockServer

MODEL = "gpt-4o-mini"


def function(name: str, parameter: str) -> dict[str, Any]:
    """A flat Responses function tool (no nested ``function`` key, unlike chat's)."""
    schema = {"type": "object", "properties": {parameter: {"type": "string"}}}
    return {"type": "function", "name": name, "parameters": schema}


TOOLS = [function("get_weather", "city"), function("get_time", "tz")]

Step = tuple[str | None, list[tuple[str, str, str]]]


def _step(client: openai.OpenAI, stream: bool, **body: Any) -> tuple[Step, Any]:
    """One create through the SDK; a stream's final response (the completed event) is what it said."""
    if stream:
        with client.responses.stream(model=MODEL, tools=TOOLS, **body) as events:
            for _ in events:
                pass
            response = events.get_final_response()
    else:
        response = client.responses.create(model=MODEL, tools=TOOLS, **body)
    calls = [(o.call_id, o.name, o.arguments) for o in response.output if o.type == "function_call"]
    return (response.output_text or None, calls), response


def run_loop(base_url: str, *, stream: bool, chained: bool, tools: Tools = SUNNY, max_steps: int = 6) -> list[Step]:
    """An agent on the Responses API: call, run the tools asked for, send the results back, until it answers.
    ``chained`` sends only the new items with ``previous_response_id``; otherwise the whole history."""
    client = openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0, timeout=30)
    history: list[Any] = [{"role": "user", "content": QUESTION}]
    body: dict[str, Any] = {"input": list(history)}
    steps: list[Step] = []
    for _ in range(max_steps):
        step, response = _step(client, stream, **body)
        steps.append(step)
        if not step[1]:
            return steps
        outputs = [
            {"type": "function_call_output", "call_id": call_id, "output": json.dumps(tools[name](json.loads(args)))}
            for call_id, name, args in step[1]
        ]
        history += [item.model_dump(exclude_none=True) for item in response.output] + outputs
        body = {"previous_response_id": response.id, "input": outputs} if chained else {"input": list(history)}
    raise AssertionError(f"the loop did not end in {max_steps} steps: {steps}")


@pytest.fixture(scope="module")
def loop_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("loop")
    (folder / "loop.yaml").write_text(LOOP_FIXTURES)
    with MockServer(Settings(port=0, strict=True, fixtures=(str(folder),))) as server:
        yield server


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("chained", [False, True])
def test_turn_conditions_script_a_responses_loop(loop_server: MockServer, stream: bool, chained: bool) -> None:
    """``turn`` and ``tool_result`` read function_call / function_call_output items as chat's tool calls
    and tool messages, chained or stateless, streamed or not, on a --strict server (no generator)."""
    steps = run_loop(loop_server.base_url, stream=stream, chained=chained)
    assert [len(calls) for _, calls in steps] == [1, 1, 0]
    assert [calls[0][1] for _, calls in steps[:2]] == ["get_weather", "get_time"]
    assert json.loads(steps[0][1][0][2]) == {"city": "Paris"}
    assert steps[1][0] == "Now the local time."
    assert steps[2][0] == "Sunny, 21 °C, and it is 14:00 in Paris."


def test_record_a_responses_loop_once_and_replay_it_any_number_of_times(tmp_path: Path) -> None:
    """``mockllm record`` between the SDK and a ``mockllm serve`` upstream: a chained, streamed loop is
    recorded once (the recorder expands each ``previous_response_id`` from what it saw), then a strict
    replay server with another seed gives the same calls (ids, names, arguments) and the same answer,
    chained or stateless, streamed or not, run after run."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = tmp_path / "recorded"
    recorded = record_once(tmp_path, out, lambda url: run_loop(url, stream=True, chained=True))
    assert len(recorded) == 3 and all(c[0].startswith("call_") for _, calls in recorded for c in calls)

    fixtures = [f for p in sorted(out.glob("0*.yaml")) for f in yaml.safe_load(p.read_text())["fixtures"]]
    assert [(f["match"]["api"], f["match"]["turn"], f["match"]["tool_result"]) for f in fixtures] == [
        ("responses", 0, False), ("responses", 1, "get_weather"), ("responses", 2, "get_time")
    ]  # fmt: skip
    assert fixtures[1]["reply"]["content"] == "Now the local time."
    report = check_files([out])
    assert report.ok and not report.warnings, (report.problems, report.warnings)

    replayer, replay_url = _start(
        ["mockllm", "serve", "--port", "0", "--strict", "--seed", "77", "--fixtures", str(out)],
        r"listening on (\S+)",
        env,
    )
    try:
        runs = [
            run_loop(replay_url, stream=stream, chained=chained)
            for stream, chained in ((False, True), (True, False), (True, True), (False, False))
        ]
    finally:
        _stop(replayer)
    for run in runs:
        assert run == recorded
