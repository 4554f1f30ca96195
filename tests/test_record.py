"""Issue #10: ``mockllm record`` proxies a real API and writes fixtures that replay the session.

The "real API" is a second mockllm (in-process, and as a separate process for the command-line test):
its answers are deterministic, and a replay server started with another seed can only give the same
answers if they came from the recorded fixtures.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import openai
import pytest
import requests
import yaml
from aiohttp import web

import mockllm
from mockllm.apis.chat.validate import validate_chat_request
from mockllm.config import Settings
from mockllm.core.catalog import Catalog
from mockllm.core.fixtures import MatchModel, check_files
from mockllm.core.matching import RequestView
from mockllm.record import make_record_app, match_for
from mockllm.server import MockServer

ROOT = Path(mockllm.__file__).resolve().parents[1]  # the checkout whose package this test imported
SECRET = "sk-recording-secret-0123456789"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
STOCKS = {
    "type": "function",
    "function": {"name": "get_stock", "parameters": {"type": "object", "properties": {"ticker": {"type": "string"}}}},
}


class RecordingProxy:
    """The recorder app on its own loop thread, like :class:`~mockllm.server.MockServer`."""

    def __init__(self, upstream: str, out: Path, pacing: str = "latency") -> None:
        self.upstream, self.out, self.pacing = upstream, out, pacing
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> RecordingProxy:
        ready: Future[int] = Future()

        async def boot() -> int:
            self._runner = web.AppRunner(make_record_app(self.upstream, self.out, pacing=self.pacing))
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            assert site._server is not None
            return int(site._server.sockets[0].getsockname()[1])

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            ready.set_result(self._loop.run_until_complete(boot()))
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        self.port = ready.result(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._runner is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


def sdk(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=SECRET, max_retries=0)


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


#: The recorded session: (request, streamed?). Repeats and near-repeats are deliberate.
SESSION: list[tuple[dict[str, Any], bool]] = [
    ({"model": "gpt-4o-mini", "messages": user("What is the capital of France?")}, False),
    ({"model": "gpt-4o-mini", "messages": user("What is the capital of France?")}, True),  # same: a sequence
    ({"model": "gpt-4o-mini", "messages": [{"role": "system", "content": "Be terse."},
                                           *user("What is the capital of France?")]}, False),  # another prompt
    ({"model": "gpt-4o", "messages": user("What's the weather in Paris?"), "tools": [WEATHER],
      "tool_choice": "required"}, False),
    ({"model": "gpt-4o", "messages": user("What's the weather in Paris?"), "tools": [WEATHER, STOCKS],
      "tool_choice": "required"}, True),  # other tools
    ({"model": "deepseek-ai/DeepSeek-R1", "messages": user("Why is the sky blue?\nExplain (briefly) [please].")}, True),
    ({"model": "gpt-4o-mini", "messages": user("List three colours as JSON."),
      "response_format": {"type": "json_object"}}, False),
    ({"model": "gpt-4o-mini", "messages": user("Tell me a long story about dragons."), "max_tokens": 5}, True),
    ({"model": "gpt-4o-search-preview", "messages": user("Latest news on the Mars rover?"),
      "web_search_options": {}}, False),
    ({"model": "gpt-4o-mini", "messages": user("请介绍一下长城。")}, True),
    ({"model": "gpt-4o-mini", "messages": user("Summarise: " + "The quick brown fox jumps over the lazy dog. " * 60)},
     False),  # long: matched by user_sha256
]  # fmt: skip


def ask(base_url: str, request: dict[str, Any], stream: bool, **extra: Any) -> dict[str, Any]:
    """The answer's observable content, from the SDK (streams reassembled)."""
    client = sdk(base_url)
    if not stream:
        choice = client.chat.completions.create(**request, **extra).choices[0]
        message = choice.message
        return {
            "content": message.content,
            "reasoning": (message.model_extra or {}).get("reasoning_content"),
            "calls": [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []],
            "annotations": [a.model_dump() for a in message.annotations or []],
            "finish": choice.finish_reason,
        }
    content, reasoning, calls, finish = [], [], {}, None
    annotations: list[Any] = []
    for chunk in client.chat.completions.create(**request, stream=True, **extra):
        for c in chunk.choices:
            delta = c.delta
            content.append(delta.content or "")
            reasoning.append((delta.model_extra or {}).get("reasoning_content") or "")
            annotations.extend((delta.model_extra or {}).get("annotations") or [])
            for call in delta.tool_calls or []:
                slot = calls.setdefault(call.index, ["", "", ""])
                slot[0] = call.id or slot[0]
                slot[1] += (call.function.name or "") if call.function else ""
                slot[2] += (call.function.arguments or "") if call.function else ""
            finish = c.finish_reason or finish
    text = "".join(content)
    return {
        "content": text if text or not calls else None,
        "reasoning": "".join(reasoning) or None,
        "calls": [tuple(v) for _, v in sorted(calls.items())],
        "annotations": annotations,
        "finish": finish,
    }


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
    """Record :data:`SESSION` through the proxy; yield the folder and what the client saw."""
    out = tmp_path_factory.mktemp("recorded")
    seen: list[dict[str, Any]] = []
    with MockServer(Settings(port=0, seed=1)) as upstream, RecordingProxy(upstream.base_url, out) as proxy:
        for request, stream in SESSION:
            seen.append(ask(proxy.base_url, request, stream))
        # an upstream error worth replaying, and one that is not (the key's, not the request's)
        fault = {"error": {"status": 404, "message": "No such deployment.", "code": "deployment_not_found"}}
        with pytest.raises(openai.NotFoundError):
            sdk(proxy.base_url).chat.completions.create(
                model="gpt-4o-mini", messages=user("Route me"), extra_headers={"x-mockllm-fault": json.dumps(fault)}
            )
        with pytest.raises(openai.AuthenticationError):
            sdk(proxy.base_url).chat.completions.create(
                model="gpt-4o-mini", messages=user("Who am I?"), extra_headers={"x-mockllm-fault": "invalid_api_key"}
            )
        # other paths pass through unrecorded
        assert {m.id for m in sdk(proxy.base_url).models.list().data} >= {"gpt-4o-mini", "deepseek-ai/DeepSeek-R1"}
    yield out, seen


@pytest.fixture(scope="module")
def replay(recorded: tuple[Path, list[dict[str, Any]]]) -> Iterator[MockServer]:
    """A replay server with another seed and --strict: only the fixtures can answer."""
    with MockServer(Settings(port=0, seed=999, strict=True, fixtures=(str(recorded[0]),))) as server:
        yield server


def test_session_replays_identically(recorded: tuple[Path, list[dict[str, Any]]], replay: MockServer) -> None:
    _, seen = recorded
    assert seen[5]["reasoning"] and seen[3]["calls"] and seen[8]["annotations"] and seen[7]["finish"] == "length"
    assert seen[0] != seen[2], "the upstream answers the two system prompts differently"
    replay.pipeline.fixtures.reset_counters()
    for (request, stream), before in zip(SESSION, seen, strict=True):
        assert ask(replay.base_url, request, stream) == before, request


def test_recorded_streams_replay_unstreamed_and_back(
    recorded: tuple[Path, list[dict[str, Any]]], replay: MockServer
) -> None:
    """Content is content: a recorded stream answers a non-streamed request the same, and vice versa."""
    _, seen = recorded
    replay.pipeline.fixtures.reset_counters()
    for index in (5, 6, 9):  # streamed reasoning, plain JSON, streamed Chinese
        request, stream = SESSION[index]
        again = ask(replay.base_url, request, not stream)
        assert (again["content"], again["reasoning"]) == (seen[index]["content"], seen[index]["reasoning"])


def test_replayed_bytes_equal_the_upstream_bytes(
    recorded: tuple[Path, list[dict[str, Any]]], replay: MockServer
) -> None:
    """Raw JSON ``content`` strings, compared as bytes (no SDK in between)."""
    _, seen = recorded
    replay.pipeline.fixtures.reset_counters()
    request, _ = SESSION[9]
    body = requests.post(replay.base_url + "/chat/completions", json=request, timeout=30).json()
    assert body["choices"][0]["message"]["content"].encode() == seen[9]["content"].encode()


def test_recorded_errors_replay_and_auth_errors_are_not_recorded(replay: MockServer) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        sdk(replay.base_url).chat.completions.create(model="gpt-4o-mini", messages=user("Route me"))
    assert (info.value.body["message"], info.value.code) == ("No such deployment.", "deployment_not_found")
    with pytest.raises(openai.NotFoundError) as missing:  # strict: nothing was recorded for the 401
        sdk(replay.base_url).chat.completions.create(model="gpt-4o-mini", messages=user("Who am I?"))
    assert missing.value.code == "fixture_not_found"


def test_files_are_clean_fixtures_without_keys(recorded: tuple[Path, list[dict[str, Any]]]) -> None:
    out, _ = recorded
    report = check_files([out])
    assert report.ok and not report.warnings, (report.problems, report.warnings)
    fixtures = [f for p in sorted(out.glob("0*.yaml")) for f in yaml.safe_load(p.read_text())["fixtures"]]
    assert len(fixtures) == len(SESSION) - 1 + 1  # one repeat folded into a sequence, plus the 404
    (sequence,) = [f for f in fixtures if "replies" in f and "error" not in f["replies"][0]]
    assert len(sequence["replies"]) == 2 and sequence["match"]["model"] == "gpt-4o-mini"
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8")
        assert SECRET not in text and "Authorization" not in text and "Bearer" not in text, path
    streams = sorted(out.glob("*.jsonl"))
    assert len(streams) == sum(1 for _, stream in SESSION if stream)
    first = [json.loads(line) for line in streams[0].read_text().splitlines()]
    assert first[-1]["data"] == "[DONE]" and all(isinstance(e["t_ms"], float | int) for e in first)


def test_match_conditions_select_exactly_the_recorded_request() -> None:
    """The recorder's ``match:`` (computed from the raw body) agrees with the server's own view."""
    body = {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "developer", "content": [{"type": "text", "text": "Cite sources."}]},
            {"role": "user", "content": [{"type": "text", "text": "a.b*c (d)?"}, {"type": "text", "text": "[x]\\n"}]},
        ],
        "tools": [WEATHER],
    }
    match = match_for(body)
    condition = MatchModel.model_validate(match).condition()
    catalog = Catalog()
    request, _ = validate_chat_request(body, catalog=catalog)
    assert condition.matches(RequestView(request))
    variants = [
        {**body, "tools": [STOCKS]},
        {**body, "messages": [{"role": "system", "content": "You are verbose."}, *body["messages"][1:]]},
        {**body, "messages": [*body["messages"][:2], {"role": "user", "content": "a.b*c (d)?\n[x]\\n "}]},
        {**body, "model": "gpt-4o-mini"},
    ]
    for variant in variants:
        other, _ = validate_chat_request(variant, catalog=catalog)
        assert not condition.matches(RequestView(other)), variant


def test_long_messages_are_matched_by_hash() -> None:
    """Past 256 characters the recorder writes ``user_sha256`` (a long literal regex is slow to search)."""
    body = {"model": "gpt-4o-mini", "messages": user("x" * 150_000)}
    match = match_for(body)
    assert "user_regex" not in match and match["user"] == "x" * 60
    condition = MatchModel.model_validate(match).condition()
    request, _ = validate_chat_request(body, catalog=Catalog())
    started = time.thread_time()  # this thread's CPU time: what matching costs, whatever else the machine runs
    assert condition.matches(RequestView(request))
    other, _ = validate_chat_request({**body, "messages": user("x" * 149_999 + "y")}, catalog=Catalog())
    assert not condition.matches(RequestView(other))
    assert time.thread_time() - started < 0.5


def test_recording_again_replaces_the_earlier_take(tmp_path: Path) -> None:
    request = {"model": "gpt-4o-mini", "messages": user("Once more?")}
    for seed in (1, 2):
        with MockServer(Settings(port=0, seed=seed)) as upstream, RecordingProxy(upstream.base_url, tmp_path) as proxy:
            answer = ask(proxy.base_url, request, False)
    (path,) = tmp_path.glob("*.yaml")
    (fixture,) = yaml.safe_load(path.read_text())["fixtures"]
    assert fixture["reply"]["content"] == answer["content"]  # the second take, alone


# ----- timing --------------------------------------------------------------------------------------


def _first_token_after(base_url: str, request: dict[str, Any]) -> tuple[float, float]:
    client = sdk(base_url)  # built before the clock starts: only the stream is timed
    started = time.perf_counter()
    first = None
    for chunk in client.chat.completions.create(**request, stream=True):
        if first is None and chunk.choices and chunk.choices[0].delta.content:
            first = time.perf_counter() - started
    assert first is not None
    return first, time.perf_counter() - started


def test_stream_pacing_is_recorded_and_replayed_with_latency_on(tmp_path: Path) -> None:
    request = {"model": "gpt-4o-mini", "messages": user("Pace yourself.")}
    slow = Settings(port=0, seed=1, ttft_ms=300, tokens_per_second=400)
    with MockServer(slow) as upstream, RecordingProxy(upstream.base_url, tmp_path) as proxy:
        sdk(upstream.base_url).chat.completions.create(**request)  # tokenizers loaded: time the stream only
        _, recorded_total = _first_token_after(proxy.base_url, request)
    (model,) = yaml.safe_load((tmp_path / "models.yaml").read_text())["models"]
    assert model["id"] == "gpt-4o-mini"
    # Configured 300 ms and 400 tokens/s; a loaded machine only delays chunks (later TTFT, lower rate), and
    # the bounds still catch a unit mistake (seconds for ms, a per-chunk rate) by orders of magnitude.
    assert 280 <= model["ttft_ms"] <= 2000 and 40 <= model["tokens_per_second"] <= 800, model
    fixture = yaml.safe_load(next(tmp_path.glob("0001-*.yaml")).read_text())["fixtures"][0]
    assert "ttft_ms" not in fixture["reply"].get("pacing", {})  # per model, not per fixture, by default
    with MockServer(Settings(port=0, fixtures=(str(tmp_path),), latency="realistic")) as paced:
        first, total = _first_token_after(paced.base_url, request)
    assert first >= 0.25 and total >= 0.5 * recorded_total, (first, total, recorded_total)
    with MockServer(Settings(port=0, fixtures=(str(tmp_path),))) as instant:
        # Best of three: one slow run on a busy machine is load, three are pacing that was not switched off.
        # The recorded first token came after ~300 ms; replayed instantly it comes at once.
        runs = [_first_token_after(instant.base_url, request) for _ in range(3)]
    firsts, totals = [first for first, _ in runs], [total for _, total in runs]
    assert min(firsts) < 0.2, firsts
    assert min(totals) < 0.5 * recorded_total, (totals, recorded_total)  # nor its token rate


def test_pacing_fixture_mode_writes_each_streams_timing(tmp_path: Path) -> None:
    request = {"model": "gpt-4o-mini", "messages": user("Pace yourself.")}
    with (
        MockServer(Settings(port=0, seed=1, ttft_ms=150, tokens_per_second=500)) as upstream,
        RecordingProxy(upstream.base_url, tmp_path, pacing="fixture") as proxy,
    ):
        _first_token_after(proxy.base_url, request)
    fixture = yaml.safe_load(next(tmp_path.glob("0001-*.yaml")).read_text())["fixtures"][0]
    pacing = fixture["reply"]["pacing"]
    assert 130 <= pacing["ttft_ms"] <= 2000 and pacing["tokens_per_second"] > 40, pacing  # 150 ms, 500/s set
    assert not (tmp_path / "models.yaml").exists()


# ----- the command line, with a second mockllm process as the upstream --------------------------------


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


#: Through the command line: plain, streamed (a repeat: a sequence), streamed reasoning, and tool calls
#: both ways, so every kind of answer crosses a process boundary twice.
CLI_SESSION = [SESSION[i] for i in (0, 1, 5, 3, 4)]


def test_command_line_record_then_serve(tmp_path: Path) -> None:
    """``mockllm record`` between the SDK and a ``mockllm serve`` process, then ``serve --fixtures``.

    The upstream demands the SDK's key (``--api-key``), so an answer at all proves the key was
    forwarded; the replay runs another seed with ``--strict``, so only the recorded files can answer.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    empty = tmp_path / "none"
    empty.mkdir()
    out = tmp_path / "session"
    upstream, upstream_url = _start(
        ["mockllm", "serve", "--port", "0", "--seed", "5", "--fixtures", str(empty), "--api-key", SECRET],
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
            seen = [ask(recorder_url, request, stream) for request, stream in CLI_SESSION]
        finally:
            recorder.send_signal(signal.SIGTERM)
            stdout, stderr = recorder.communicate(timeout=20)
        assert recorder.returncode == 0, stderr
        assert f"recorded {len(CLI_SESSION)} exchange(s)" in stdout
        assert stderr.count("mockllm.record: recorded") == len(CLI_SESSION), stderr  # one INFO line each
    finally:
        upstream.send_signal(signal.SIGTERM)
        upstream.communicate(timeout=20)
    assert seen[2]["reasoning"] and seen[3]["calls"] and seen[4]["calls"], seen
    written = [path for path in out.rglob("*") if path.is_file()]
    assert any(p.suffix == ".jsonl" for p in written) and any(p.suffix == ".yaml" for p in written)
    for path in written:
        assert SECRET.encode() not in path.read_bytes(), path
    replayer, replay_url = _start(
        ["mockllm", "serve", "--port", "0", "--strict", "--seed", "77", "--fixtures", str(out)],
        r"listening on (\S+)",
        env,
    )
    try:
        replayed = [ask(replay_url, request, stream) for request, stream in CLI_SESSION]
        # and each answer the other way round: a recorded stream replays unstreamed, and back
        requests.post(replay_url.removesuffix("/v1") + "/_mockllm/reset", timeout=10)
        crossed = [ask(replay_url, request, not stream) for request, stream in CLI_SESSION]
    finally:
        replayer.send_signal(signal.SIGTERM)
        replayer.communicate(timeout=20)
    assert replayed == seen
    for before, again in zip(seen, crossed, strict=True):
        assert (again["content"], again["reasoning"], again["calls"]) == (
            before["content"],
            before["reasoning"],
            before["calls"],
        )


def test_record_is_a_listed_command_with_its_own_help() -> None:
    """``mockllm --help`` names ``record``; ``mockllm record --help`` says how to use and replay it."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mockllm", *args], capture_output=True, text=True, timeout=30, cwd=ROOT
        )

    top = run("--help")
    assert top.returncode == 0 and re.search(r"^\s+record\s+proxy", top.stdout, re.MULTILINE), top.stdout
    own = run("record", "--help")
    assert own.returncode == 0, own.stderr
    for words in ("--upstream URL", "--out DIR", "--pacing", "never written", "mockllm serve --fixtures"):
        assert words in own.stdout, words
    missing = run("record")
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr == (
        "mockllm: error: the following arguments are required: --upstream (see 'mockllm record --help')\n"
    )
    bad = run("record", "--upstream", "api.openai.com")
    assert bad.returncode == 2 and bad.stderr.startswith("mockllm: error: --upstream must be an http(s) URL")
