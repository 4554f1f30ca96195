"""The public Python API (``from mockllm import MockServer``) and the per-test cost of SDK clients.

Everything goes through the real server and the real ``openai`` SDK; the examples in ``examples/`` that
the README quotes are run as a reader would run them.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
import pytest

import mockllm
from mockllm import MockServer
from mockllm.handle import MockLLM

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
ASK = [{"role": "user", "content": "What is the capital of France?"}]


def test_public_surface_is_exported_and_typed() -> None:
    assert set(mockllm.__all__) >= {"MockServer", "MockLLM", "RecordedRequest", "Route"}
    for name in mockllm.__all__:
        assert getattr(mockllm, name) is not None
    assert (Path(mockllm.__file__).parent / "py.typed").exists()
    # `import mockllm` alone (what pytest does for the plugin) does not start loading the server.
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, mockllm; print('mockllm.http.app' in sys.modules, 'openai' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["False", "False"]


def test_with_block_scripts_answers_and_records() -> None:
    with MockServer(fixtures=[FIXTURES], seed=3) as llm:
        assert isinstance(llm, MockLLM)
        assert llm.base_url.startswith("http://127.0.0.1:") and llm.base_url.endswith("/v1")
        llm.on(user="ping").reply("pong")
        client = llm.client()
        out = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "ping"}])
        assert out.choices[0].message.content == "pong"
        llm.assert_called_once(user="ping", model="gpt-4o-mini")
        assert [r.status for r in llm.requests] == [200]

        llm.on(user="boom").fail("rate_limit")
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "boom"}])

        llm.reset()  # runtime routes and the journal go; file fixtures stay
        assert llm.requests == []
        greeting = client.chat.completions.create(model="gpt-4o-mini", messages=ASK)
        assert greeting.choices[0].message.content == "The capital of France is Paris."  # the file fixture
        assert llm.last_request is not None and llm.last_request.fixture == "capital-of-france"
        base_url = llm.base_url
    with pytest.raises(httpx.ConnectError):  # stopped with the block
        httpx.get(base_url + "/models", timeout=5)


def test_seed_makes_generated_answers_repeatable_across_servers() -> None:
    answers = []
    for _ in range(2):
        with MockServer(seed=11) as llm:
            out = llm.client().chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
            answers.append((out.id, out.choices[0].message.content))
    assert answers[0] == answers[1]


def test_keyword_arguments_are_the_serve_flags_checked_like_the_command_line() -> None:
    with pytest.raises(ValueError, match=r"MockServer: unknown mockllm setting\(s\) max_stream \(did you mean"):
        MockServer(max_stream=3)
    with pytest.raises(ValueError, match=r"MockServer: invalid mockllm settings: max_streams: must be >= 1"):
        MockServer(max_streams=0)
    server = MockServer(max_streams=2, rpm=60, fixtures=str(FIXTURES))
    assert server.settings.max_streams == 2 and server.settings.fixtures == (str(FIXTURES),)
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.handle


def test_start_and_stop_without_a_block() -> None:
    server = MockServer()
    llm = server.start()
    try:
        assert server.start() is llm  # starting twice is the same server
        assert llm.client().models.list().data
    finally:
        server.stop()
        server.stop()  # harmless
    assert "not running" in repr(server)


async def test_async_with_block() -> None:
    async with MockServer(seed=5) as llm:
        llm.on(user="ping").reply("async pong")
        client = llm.async_client()
        results = await asyncio.gather(
            *[
                client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "ping"}])
                for _ in range(3)
            ]
        )
        assert {r.choices[0].message.content for r in results} == {"async pong"}
        llm.assert_called(user="ping", times=3)
        await client.close()


def test_pytest_fixture_is_the_same_handle_class(mockllm: MockLLM) -> None:
    assert type(mockllm) is MockLLM
    with MockServer() as llm:
        assert type(llm) is type(mockllm)


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "examples/embedded_async.py"],
        [sys.executable, "-m", "unittest", "-q", "examples/test_embedded_unittest.py"],
    ],
    ids=["async-script", "unittest"],
)
def test_readme_examples_run(command: list[str]) -> None:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


# ===== item: a client from the fixture costs <= 1 ms after the first ========================================


def test_a_client_costs_well_under_a_millisecond_after_the_first(mockllm: MockLLM) -> None:
    mockllm.client()  # the first one in the process may build the shared HTTP client
    costs = []
    for _ in range(50):
        start = time.perf_counter()
        mockllm.client()
        costs.append(time.perf_counter() - start)
    assert statistics.median(costs) < 0.001, f"median {statistics.median(costs) * 1000:.2f} ms"


def test_one_tests_close_does_not_break_the_next(mockllm: MockLLM) -> None:
    mockllm.on(user="hi").reply("hello")
    with mockllm.client() as first:  # `with` closes the client at the end
        assert first.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    first.close()
    second = mockllm.client()
    out = second.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert out.choices[0].message.content == "hello"
    # Streams and per-client options still work on the shared connection pool.
    stream = mockllm.client(timeout=5).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "hello"
    own = httpx.Client()
    try:
        assert mockllm.client(http_client=own)._client is own  # an explicit http_client is respected
    finally:
        own.close()


async def test_async_clients_cost_little_and_close_cleanly(mockllm: MockLLM) -> None:
    mockllm.on(user="hi").reply("hello")
    await mockllm.async_client().close()
    start = time.perf_counter()
    clients = [mockllm.async_client() for _ in range(20)]
    per_client = (time.perf_counter() - start) / 20
    assert per_client < 0.005, f"{per_client * 1000:.2f} ms per async client"
    out = await clients[0].chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert out.choices[0].message.content == "hello"
    for client in clients:
        await client.close()
