"""Issue #17: agent loops. Match on the conversation's state (``turn``, ``tool_result``, ``loop_sha256``),
record a loop once and replay it any number of times, and let a loop against the generator end.

Loops run through the real openai SDK (plain and streamed) against real servers; the recording test runs
``mockllm record`` as a process between the SDK and a ``mockllm serve`` process.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import yaml
from test_record import RecordingProxy

import mockllm
from mockllm.apis.chat.validate import validate_chat_request
from mockllm.config import Settings
from mockllm.core.catalog import Catalog
from mockllm.core.conversation import Conversation
from mockllm.core.fixtures import MatchModel, check_files
from mockllm.core.matching import LoopSha, RequestView, ToolResult, Turn, loop_digest
from mockllm.pytest_plugin import MockLLM
from mockllm.record import conversation, match_for
from mockllm.server import MockServer

ROOT = Path(mockllm.__file__).resolve().parents[1]
KEY = "sk-agent-loop-0123456789"
MODEL = "gpt-4o-mini"
QUESTION = "What's the weather in Paris, and what time is it there?"


def function(name: str, **properties: str) -> dict[str, Any]:
    schema = {"type": "object", "properties": {p: {"type": t} for p, t in properties.items()}}
    return {"type": "function", "function": {"name": name, "parameters": schema}}


TOOLS = [function("get_weather", city="string"), function("get_time", tz="string")]
Tools = dict[str, Callable[[dict[str, Any]], Any]]
SUNNY: Tools = {
    "get_weather": lambda args: {"city": args.get("city"), "sky": "sunny", "temp_c": 21},
    "get_time": lambda args: {"tz": args.get("tz"), "time": "14:00"},
}
RAINY: Tools = {**SUNNY, "get_weather": lambda args: {"city": args.get("city"), "sky": "rain", "temp_c": 12}}

#: A three-step loop scripted by the conversation's state: the weather, then the time, then the answer.
LOOP_FIXTURES = """
fixtures:
  - name: first-the-weather
    match: {turn: 0, tool: get_weather}
    reply: {tool_calls: [{name: get_weather, arguments: {city: Paris}}]}
  - name: then-the-time
    match: {turn: 1, tool_result: get_weather}
    reply:
      content: "Now the local time."
      tool_calls: [{name: get_time, arguments: {tz: Europe/Paris}}]
  - name: then-the-answer
    match: {tool_result: get_time}
    reply: {content: "Sunny, 21 °C, and it is 14:00 in Paris."}
"""

Step = tuple[str | None, list[tuple[str, str, str]]]  # (content, [(call id, name, arguments)])


def sdk(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0, timeout=30)


def step(client: openai.OpenAI, messages: list[dict[str, Any]], stream: bool, **extra: Any) -> Step:
    """One model call through the SDK; a stream is reassembled from its deltas."""
    if not stream:
        message = client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS, **extra)
        message = message.choices[0].message  # type: ignore[assignment]
        calls = [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []]  # type: ignore[attr-defined]
        return message.content or None, calls  # type: ignore[attr-defined]
    content: list[str] = []
    slots: dict[int, list[str]] = {}
    for chunk in client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS, stream=True, **extra):
        for choice in chunk.choices:
            content.append(choice.delta.content or "")
            for call in choice.delta.tool_calls or []:
                slot = slots.setdefault(call.index, ["", "", ""])
                slot[0] = call.id or slot[0]
                slot[1] += (call.function.name or "") if call.function else ""
                slot[2] += (call.function.arguments or "") if call.function else ""
    return "".join(content) or None, [(s[0], s[1], s[2]) for _, s in sorted(slots.items())]


def run_loop(
    base_url: str, *, stream: bool, tools: Tools = SUNNY, question: str = QUESTION, max_steps: int = 6, **extra: Any
) -> list[Step]:
    """An agent: call the model, run each tool it asks for, send the results back, until it answers.

    The assistant message goes back as a client would build it: streamed, its content is the joined
    deltas ("" when there were none); plain, whatever the SDK gave (None next to tool calls).
    """
    client = sdk(base_url)
    messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
    steps: list[Step] = []
    for _ in range(max_steps):
        content, calls = step(client, messages, stream, **extra)
        steps.append((content, calls))
        if not calls:
            return steps
        messages.append(
            {
                "role": "assistant",
                "content": (content or "") if stream else content,
                "tool_calls": [
                    {"id": i, "type": "function", "function": {"name": n, "arguments": a}} for i, n, a in calls
                ],
            }
        )
        for call_id, name, arguments in calls:
            result = tools[name](json.loads(arguments))
            messages.append({"role": "tool", "tool_call_id": call_id, "content": json.dumps(result)})
    raise AssertionError(f"the loop did not end in {max_steps} steps: {steps}")


# ----- the conditions, on validated requests -----------------------------------------------------------


def call(call_id: str, name: str, arguments: str = "{}") -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def validated(*messages: dict[str, Any], **body: Any) -> Conversation:
    request, _ = validate_chat_request({"model": MODEL, "messages": list(messages), **body}, catalog=Catalog())
    return request


USER = {"role": "user", "content": QUESTION}
CALL_WEATHER = {"role": "assistant", "content": None, "tool_calls": [call("call_w", "get_weather")]}
WEATHER_RESULT = {"role": "tool", "tool_call_id": "call_w", "content": "sunny"}
PARALLEL = {
    "role": "assistant",
    "content": "",
    "tool_calls": [call("call_a", "get_weather"), call("call_b", "get_time")],
}
PARALLEL_RESULTS = [
    {"role": "tool", "tool_call_id": "call_a", "content": "sunny"},
    {"role": "tool", "tool_call_id": "call_b", "content": [{"type": "text", "text": "14:00"}]},
]


def test_turn_counts_the_assistant_messages_already_sent() -> None:
    assert validated(USER).turn == 0
    assert validated(USER, CALL_WEATHER, WEATHER_RESULT).turn == 1
    chat = validated(USER, {"role": "assistant", "content": "Hi"}, {"role": "user", "content": "More"})
    assert chat.turn == 1  # a plain chat's turns count too
    view = RequestView(validated(USER, CALL_WEATHER, WEATHER_RESULT, {"role": "assistant", "content": "x"}, USER))
    assert Turn(2).matches(view) and not Turn(1).matches(view)


def test_tool_result_true_false_and_by_name() -> None:
    first = validated(USER)
    after_weather = validated(USER, CALL_WEATHER, WEATHER_RESULT)
    after_both = validated(USER, PARALLEL, *PARALLEL_RESULTS)
    assert after_weather.answered_tools == ("get_weather",) and first.answered_tools == ()
    assert after_both.answered_tools == ("get_weather", "get_time")  # every result sent back together
    for request, true, false, weather, time in [
        (first, False, True, False, False),
        (after_weather, True, False, True, False),
        (after_both, True, False, True, True),
    ]:
        got = [ToolResult(v).matches(request) for v in (True, False, "get_weather", "get_time")]
        assert got == [true, false, weather, time]


def test_tool_result_of_a_custom_tool_and_of_a_deprecated_function_message() -> None:
    custom = {"type": "custom", "custom": {"name": "run_sql"}}
    request = validated(
        USER,
        {
            "role": "assistant",
            "tool_calls": [{"id": "c1", "type": "custom", "custom": {"name": "run_sql", "input": "x"}}],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "3 rows"},
        tools=[custom],
    )
    assert ToolResult("run_sql").matches(request)
    legacy = validated(
        USER,
        {"role": "assistant", "content": None, "function_call": {"name": "get_weather", "arguments": "{}"}},
        {"role": "function", "name": "get_weather", "content": "sunny"},
    )
    assert ToolResult("get_weather").matches(legacy) and ToolResult(True).matches(legacy) and legacy.turn == 1


def test_ids_reused_across_turns_resolve_to_the_latest_call() -> None:
    """Scripted calls often carry fixed ids ("call_1" every turn): the result answers the newest call."""
    request = validated(
        USER,
        {"role": "assistant", "tool_calls": [call("call_1", "get_weather")]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        {"role": "assistant", "tool_calls": [call("call_1", "get_time")]},
        {"role": "tool", "tool_call_id": "call_1", "content": "14:00"},
    )
    assert request.answered_tools == ("get_time",) and request.turn == 2


def test_near_miss_explanations_say_where_the_conversation_stands() -> None:
    first = RequestView(validated(USER))
    after = RequestView(validated(USER, PARALLEL, *PARALLEL_RESULTS))
    assert ToolResult(True).describe_failure(first) == (
        "tool_result: expected the newest message to be a tool result, got a 'user' message"
    )
    assert ToolResult(False).describe_failure(after) == (
        "tool_result: expected the newest message not to be a tool result, got the result of 'get_weather' and "
        "'get_time'"
    )
    assert ToolResult("lookup").describe_failure(after) == (
        "tool_result: expected the result of a call to 'lookup', got the result of 'get_weather' and 'get_time'"
    )
    assert Turn(0).describe_failure(after) == (
        "turn: expected 0 assistant message(s) before this request, got 1 (newest: the result of 'get_weather' and "
        "'get_time')"
    )
    assert re.fullmatch(
        r"loop_sha256: expected 000000000000…, got [0-9a-f]{12}… \(3 message\(s\) after the last user message, "
        r"newest: the result of 'get_weather' and 'get_time'\)",
        LoopSha("0" * 64).describe_failure(after),
    )


def test_loop_digest_ignores_how_a_client_echoes_the_assistant_message() -> None:
    """``content: null`` or ``""``, extra keys the SDK adds, earlier history: same loop, same digest; a
    different call id, argument or tool result: another loop."""
    base = [USER, CALL_WEATHER, WEATHER_RESULT]
    digest = loop_digest(validated(*base).messages)
    echoed = {**CALL_WEATHER, "content": "", "refusal": None, "annotations": [], "function_call": None}
    earlier = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    for same in ([USER, echoed, WEATHER_RESULT], [*earlier, *base]):
        assert loop_digest(validated(*same).messages) == digest
    assert loop_digest(conversation(base)) == digest  # the recorder's reading of the wire JSON agrees
    different = [
        [
            USER,
            {**CALL_WEATHER, "tool_calls": [call("call_x", "get_weather")]},
            {**WEATHER_RESULT, "tool_call_id": "call_x"},
        ],
        [USER, {**CALL_WEATHER, "tool_calls": [call("call_w", "get_weather", '{"city":"Lyon"}')]}, WEATHER_RESULT],
        [USER, CALL_WEATHER, {**WEATHER_RESULT, "content": "rain"}],
    ]
    for other in different:
        assert loop_digest(validated(*other).messages) != digest, other


def test_recorded_match_selects_exactly_its_step() -> None:
    """``match_for`` (from the wire JSON) agrees with the server's conditions (from the validated request),
    and no other step of the loop, nor another loop, satisfies it."""
    steps = [
        [USER],
        [USER, CALL_WEATHER, WEATHER_RESULT],
        [USER, CALL_WEATHER, WEATHER_RESULT, PARALLEL, *PARALLEL_RESULTS],
        [USER, CALL_WEATHER, {**WEATHER_RESULT, "content": "rain"}],
    ]
    matches = [match_for({"model": MODEL, "messages": s, "tools": TOOLS}) for s in steps]
    assert [(m["turn"], m["tool_result"]) for m in matches] == [
        (0, False), (1, "get_weather"), (2, True), (1, "get_weather")
    ]  # fmt: skip
    conditions = [MatchModel.model_validate(m).condition() for m in matches]
    for i, condition in enumerate(conditions):
        for j, messages in enumerate(steps):
            assert condition.matches(validated(*messages, tools=TOOLS)) is (i == j), (i, j)


# ----- fixture files, check, admin API, plugin ----------------------------------------------------------


def test_fixture_files_validate_the_new_conditions(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "- {match: {tool_result: 3}, reply: {content: x}}\n"
        "- {match: {tool_result: ''}, reply: {content: x}}\n"
        "- {match: {turn: -1}, reply: {content: x}}\n"
        "- {match: {turn: '1'}, reply: {content: x}}\n"
        "- {match: {loop_sha256: abc}, reply: {content: x}}\n"
        "- {match: {tool_results: true}, reply: {content: x}}\n"
    )
    report = check_files([bad])
    assert [p.split(": ", 2)[2] for p in report.problems] == [
        "match.tool_result: must be true, false or a tool name, got number 3 (line 1)",
        "match.tool_result: must be true, false or a tool name, got string '' (line 2)",
        "match.turn: Input should be greater than or equal to 0 (got number -1) (line 3)",
        "match.turn: Input should be a valid integer (got string '1') (line 4)",
        "match.loop_sha256: String should match pattern '^[0-9a-fA-F]{64}$' (got string 'abc') (line 5)",
        "match.tool_results: unknown key (did you mean 'tool_result'?) (line 6)",
    ]


def test_check_warns_about_a_tool_result_on_turn_zero(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("- name: impossible\n  match: {turn: 0, tool_result: get_time}\n  reply: {content: x}\n")
    result = subprocess.run(
        [sys.executable, "-m", "mockllm", "check", str(path)], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines() == [
        f"warning: {path}: fixtures[0] (impossible): will not match an agent loop: tool_result: get_time answers "
        "an assistant message's tool call, but turn: 0 means there is none yet (the first tool result arrives on "
        "turn 1)",
        "1 file, 1 fixture, 0 models, 0 problems, 1 warning",
    ]
    path.write_text(LOOP_FIXTURES)
    assert check_files([path]).warnings == []


@pytest.fixture(scope="module")
def strict_loop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    folder = tmp_path_factory.mktemp("loop")
    (folder / "loop.yaml").write_text(LOOP_FIXTURES)
    with MockServer(Settings(port=0, strict=True, fixtures=(str(folder),))) as server:
        yield server


def without_ids(steps: list[Step]) -> list[tuple[str | None, list[tuple[str, str]]]]:
    """Fixtures that give no ``id`` get a fresh one per request, as the real API's calls do."""
    return [(content, [(name, arguments) for _, name, arguments in calls]) for content, calls in steps]


@pytest.mark.parametrize("stream", [False, True])
def test_a_scripted_loop_runs_the_same_every_time(strict_loop: MockServer, stream: bool) -> None:
    """Three steps keyed on the state, so a second and third run walk the same path (a sequence would
    have been used up by the first)."""
    runs = [without_ids(run_loop(strict_loop.base_url, stream=stream)) for _ in range(3)]
    assert (
        runs[0]
        == runs[1]
        == runs[2]
        == [
            (None, [("get_weather", '{"city": "Paris"}')]),
            ("Now the local time.", [("get_time", '{"tz": "Europe/Paris"}')]),
            ("Sunny, 21 °C, and it is 14:00 in Paris.", []),
        ]
    )


def test_strict_404_explains_an_unscripted_step(strict_loop: MockServer) -> None:
    """A loop that went another way (the weather twice) has no fixture; the 404 says where it stands."""
    messages = [USER, {"role": "assistant", "tool_calls": [call("c1", "get_weather")]},
                {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
                {"role": "assistant", "tool_calls": [call("c2", "get_weather")]},
                {"role": "tool", "tool_call_id": "c2", "content": "still sunny"}]  # fmt: skip
    with pytest.raises(openai.NotFoundError) as info:
        sdk(strict_loop.base_url).chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)  # type: ignore[arg-type]
    message = info.value.body["message"]  # type: ignore[index]
    assert message.startswith("No fixture matched this request. Nearest: "), message
    assert (
        "'then-the-time' failed turn: expected 1 assistant message(s) before this request, got 2 (newest: the "
        "result of 'get_weather')" in message
    ), message
    assert (
        "'then-the-answer' failed tool_result: expected the result of a call to 'get_time', got the result of "
        "'get_weather'" in message
    ), message


def test_admin_api_takes_the_conditions_and_names_a_bad_one(tmp_path: Path) -> None:
    with MockServer(Settings(port=0, strict=True)) as server, httpx.Client(base_url=server.root_url) as admin:
        document = yaml.safe_load(LOOP_FIXTURES)
        assert admin.post("/_mockllm/fixtures", json=document).status_code == 201
        listed = {f["name"]: f["match"] for f in admin.get("/_mockllm/fixtures").json()["data"]}
        assert listed["then-the-time"] == "the result of a call to 'get_weather' and turn 1"
        assert run_loop(server.base_url, stream=True)[-1] == ("Sunny, 21 °C, and it is 14:00 in Paris.", [])
        bad = admin.post("/_mockllm/fixtures", json={"match": {"turn": 1.5}, "reply": {"content": "x"}})
        assert bad.status_code == 400
        assert bad.json()["error"]["param"] == "fixtures[0].match.turn"


def test_plugin_routes_script_a_loop(mockllm: MockLLM) -> None:
    mockllm.on(turn=0, tool="get_weather").reply(tool_calls=[{"name": "get_weather", "arguments": {"city": "Oslo"}}])
    mockllm.on(tool_result="get_weather").reply(tool_calls=[{"name": "get_time", "arguments": {"tz": "CET"}}])
    mockllm.on(tool_result="get_time", turn=2).reply("Cold, and it is 14:00 in Oslo.")
    for stream in (False, True, False):
        steps = run_loop(mockllm.base_url, stream=stream)
        assert [[c[1] for c in calls] for _, calls in steps] == [["get_weather"], ["get_time"], []]
        assert steps[-1][0] == "Cold, and it is 14:00 in Oslo."
    assert len(mockllm.requests) == 9 and "generator" not in {r.source for r in mockllm.requests}
    with pytest.raises(ValueError, match=r"mockllm.on\(\): tool_result: .*must be true, false or a tool name"):
        mockllm.on(tool_result=0)
    with pytest.raises(ValueError, match=r"unknown condition 'turns' \(did you mean 'turn'\?\)"):
        mockllm.on(turns=1)


# ----- the generator ends loops -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def generator() -> Iterator[MockServer]:
    with MockServer(Settings(port=0, seed=11)) as server:
        yield server


@pytest.mark.parametrize("stream", [False, True])
def test_a_loop_against_the_generator_ends(generator: MockServer, stream: bool) -> None:
    """``tool_choice: auto``: tools named in the question are called (both, in parallel), and once their
    results are the newest messages the generator answers in text."""
    steps = run_loop(generator.base_url, stream=stream)
    assert len(steps) == 2
    assert sorted(c[1] for c in steps[0][1]) == ["get_time", "get_weather"]
    assert steps[1][0] and steps[1][1] == []
    single = run_loop(generator.base_url, stream=stream, parallel_tool_calls=False, question="Weather in Paris?")
    assert [[c[1] for c in calls] for _, calls in single] == [["get_weather"], []]


def test_the_bundled_tool_call_fixture_lets_a_loop_end() -> None:
    """``fixtures/basics.yaml`` calls get_weather for "weather" questions only while no result is back."""
    with MockServer(Settings(port=0, fixtures=(str(ROOT / "fixtures"),))) as server:
        steps = run_loop(server.base_url, stream=False, question="What's the weather like?")
        journal = httpx.get(server.root_url + "/_mockllm/journal").json()["data"]
    assert [[c[1] for c in calls] for _, calls in steps] == [["get_weather"], []]
    assert [entry["source"] for entry in journal] == ["weather-tool-call", "generator"]


# ----- recording a loop ---------------------------------------------------------------------------------


def _start(args: list[str], pattern: str, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(pattern, line)
    if found is None:
        process.kill()
        raise AssertionError(f"{args[:2]} did not start: {line!r} {process.stderr.read() if process.stderr else ''}")
    return process, found.group(1)


def _stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.send_signal(signal.SIGTERM)
    return process.communicate(timeout=30)


def record_once(tmp_path: Path, out: Path, run: Callable[[str], Any], exchanges: int = 3) -> Any:
    """Run ``run(base_url)`` once through a ``mockllm record`` process whose upstream is a ``mockllm serve``
    process scripted with :data:`LOOP_FIXTURES`; the recording goes to ``out``. Returns what ``run`` gave."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    (tmp_path / "upstream").mkdir()
    (tmp_path / "upstream" / "loop.yaml").write_text(LOOP_FIXTURES)
    upstream, upstream_url = _start(
        ["mockllm", "serve", "--port", "0", "--seed", "5", "--fixtures", str(tmp_path / "upstream")],
        r"listening on (\S+)",
        env,
    )
    try:
        recorder, recorder_url = _start(
            ["mockllm", "record", "--upstream", upstream_url, "--out", str(out), "--port", "0"],
            r"recording on (\S+)",
            env,
        )
        try:
            result = run(recorder_url)
        finally:
            stdout, stderr = _stop(recorder)
        assert recorder.returncode == 0 and f"recorded {exchanges} exchange(s)" in stdout, stderr
    finally:
        _stop(upstream)
    return result


def test_record_a_loop_once_and_replay_it_any_number_of_times(tmp_path: Path) -> None:
    """``mockllm record`` between the SDK and a ``mockllm serve`` process scripted with a three-step loop
    (whose call ids the upstream mints per request); the loop is recorded once, streamed, then replayed by
    a strict ``mockllm serve`` with another seed: twice plain and twice streamed, each run the same calls
    (ids, names, arguments), the same answer, in the same number of calls."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = tmp_path / "recorded"
    recorded = record_once(tmp_path, out, lambda url: run_loop(url, stream=True))
    assert len(recorded) == 3 and all(c[0].startswith("call_") for _, calls in recorded for c in calls)

    fixtures = [f for p in sorted(out.glob("0*.yaml")) for f in yaml.safe_load(p.read_text())["fixtures"]]
    assert [(f["match"]["turn"], f["match"]["tool_result"], "reply" in f) for f in fixtures] == [
        (0, False, True), (1, "get_weather", True), (2, "get_time", True)
    ]  # fmt: skip
    assert len({f["match"]["loop_sha256"] for f in fixtures}) == 3
    report = check_files([out])
    assert report.ok and not report.warnings, (report.problems, report.warnings)

    replayer, replay_url = _start(
        ["mockllm", "serve", "--port", "0", "--strict", "--seed", "77", "--fixtures", str(out)],
        r"listening on (\S+)",
        env,
    )
    try:
        runs = [run_loop(replay_url, stream=stream) for stream in (False, True, True, False)]
    finally:
        _stop(replayer)
    for run in runs:
        assert run == recorded


def test_recorded_loops_that_differ_are_separate_and_identical_ones_a_sequence(tmp_path: Path) -> None:
    """Three loops from one question: sunny, rainy, sunny again. The upstream calls with a fixed id and its
    generator answers the results, so step 0 is one request sent three times (a sequence, as before),
    the rainy step 1 is its own fixture, and the repeated sunny step 1 a sequence of two. Replayed in
    another order, each loop still gets its own answer."""
    upstream_fixtures = tmp_path / "upstream"
    upstream_fixtures.mkdir()
    (upstream_fixtures / "call.yaml").write_text(
        "- {match: {turn: 0}, reply: {tool_calls: [{name: get_weather, id: call_fixed, arguments: {city: Paris}}]}}\n"
    )
    out = tmp_path / "recorded"
    with (
        MockServer(Settings(port=0, seed=3, fixtures=(str(upstream_fixtures),))) as upstream,
        RecordingProxy(upstream.base_url, out) as proxy,
    ):
        seen = {
            name: run_loop(proxy.base_url, stream=False, tools=tools, question="Weather in Paris?")
            for name, tools in (("sunny", SUNNY), ("rainy", RAINY), ("sunny again", SUNNY))
        }
    assert seen["sunny"] == seen["sunny again"] and seen["sunny"][1] != seen["rainy"][1]
    fixtures = [f for p in sorted(out.glob("0*.yaml")) for f in yaml.safe_load(p.read_text())["fixtures"]]
    shape = sorted((f["match"]["turn"], len(f.get("replies", [f.get("reply")]))) for f in fixtures)
    assert shape == [(0, 3), (1, 1), (1, 2)]
    with MockServer(Settings(port=0, seed=99, strict=True, fixtures=(str(out),))) as replay:
        for name, tools in (("rainy", RAINY), ("sunny", SUNNY), ("rainy", RAINY), ("sunny", SUNNY)):
            assert run_loop(replay.base_url, stream=True, tools=tools, question="Weather in Paris?") == seen[name]


# ----- the examples folder runs --------------------------------------------------------------------------


def test_examples_folder_passes() -> None:
    """``examples/`` (README's copy-paste material, the agent loop among them) runs green as a user runs it."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "examples"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"\b(1[3-9]|[2-9]\d) passed\b", result.stdout), result.stdout[-500:]


def test_readme_shows_the_example_verbatim() -> None:
    """The README's "Testing an agent" blocks are the example files that the test above runs."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Testing an agent")
    section = readme[start : readme.index("\n## ", start)]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, re.DOTALL)
    assert [kind for kind, _ in blocks] == ["yaml", "python", "python"]
    example = (ROOT / "examples" / "test_agent_loop.py").read_text(encoding="utf-8")
    fixtures = (ROOT / "examples" / "llm-fixtures" / "agent.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(blocks[0][1]) == yaml.safe_load(fixtures)
    for _, code in blocks[1:]:
        assert code in example, code[:200]
