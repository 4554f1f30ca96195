"""Issue #9: the pytest plugin, as a user meets it.

The sample test files in ``tests/plugin_examples/`` (named ``sample_*.py`` so this suite does not collect
them) are copied into a fresh directory with no conftest and run by pytester: in-process for the normal
runs (the plugin arrives through the installed package's ``pytest11`` entry point, as after
``pip install``), and in a subprocess for ``-n 2``. The rest uses the plugin's own ``mockllm`` fixture,
which this suite gets the same way.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from mockllm.pytest_plugin import MockLLM

pytest_plugins = ["pytester"]

EXAMPLES = Path(__file__).resolve().parent / "plugin_examples"
FREEZE = 1735689600  # 2025-01-01T00:00:00Z


def use_examples(pytester: pytest.Pytester, *names: str) -> None:
    for name in names:
        target = pytester.path / f"test_{name}.py"
        target.write_text((EXAMPLES / f"sample_{name}.py").read_text(encoding="utf-8"), encoding="utf-8")
    shutil.copytree(EXAMPLES / "llm-fixtures", pytester.path / "llm-fixtures")
    assert not list(pytester.path.glob("conftest.py"))


def test_user_suite_without_conftest(pytester: pytest.Pytester) -> None:
    """Sync, pytest-asyncio and anyio tests; replies, sequences, failures with retries, faults, files,
    markers and assertions: everything in sample_basics.py passes."""
    use_examples(pytester, "basics")
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=12)


def test_failure_messages_and_report_section(pytester: pytest.Pytester) -> None:
    use_examples(pytester, "failures")
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(failed=2, passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*mockllm.assert_called_once(user='weather in paris', model='gpt-4o'): expected exactly 1 matching "
            "request, found 0 of 1 request(s) sent.",
            "*(- expected, + sent)",
            "*✗ #1 * gpt-4o-mini user='weather in Lyon?' → 200 generator (no fixture matched)*",
            "*- user: containing 'weather in paris'",
            "*+ user: 'weather in Lyon?'",
            "*- model: 'gpt-4o'",
            "*+ model: 'gpt-4o-mini'",
            "*mockllm: requests of this test*",
            "1 request(s) to http://127.0.0.1:*/v1 in this test; routes: on(user='weather in Paris')",
            "    no fixture matched; nearest:",
            "      on(user='weather in Paris'): user: expected substring 'weather in Paris' in last user message*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*test_plain_failure_shows_requests*",
            "*mockllm: requests of this test*",
            "*routes: capital-question, on(model='gpt-4o')",
            "#1 * gpt-4o-mini user='tell me a joke' → 200 generator (no fixture matched)*",
            # ties in decision order: the newest route first
            "      on(model='gpt-4o'): model: expected 'gpt-4o', got 'gpt-4o-mini'",
            "      capital-question: user: expected substring 'capital'*",
        ]
    )
    result.stdout.fnmatch_lines(["*unknown mockllm setting(s) sead (did you mean 'seed'?); known: *seed*"])
    text = result.stdout.str()
    assert text.count("mockllm: requests of this test") == 2  # the passing test has none
    assert "pytest_plugin.py" not in text  # assertion helpers hide their own frames


def test_session_settings_from_conftest(pytester: pytest.Pytester) -> None:
    """``mockllm_settings`` configures the session server; its fixture files stay loaded across resets."""
    shutil.copytree(EXAMPLES / "llm-fixtures", pytester.path / "llm-fixtures")
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def mockllm_settings():
            return {"seed": 9, "fixtures": ["llm-fixtures"]}
        """
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(2))
        def test_file_fixture_survives_resets(mockllm, mockllm_server, n):
            assert mockllm.server is mockllm_server and mockllm.settings.seed == 9
            out = mockllm.client().chat.completions.create(
                model="acme-small", messages=[{"role": "user", "content": "weather?"}]
            )
            assert out.choices[0].message.content == "Sunny, 21 °C."
        """
    )
    pytester.runpytest("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning").assert_outcomes(passed=2)


def test_isolation_under_xdist(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight tests script different answers to the same prompt on two workers: each sees only its own."""
    use_examples(pytester, "isolation")
    log = pytester.path / "isolation.log"
    monkeypatch.setenv("MOCKLLM_ISOLATION_LOG", str(log))
    # Unrelated installed plugins (faker, hypothesis, ...) take seconds to import in every worker: load only
    # what this run needs. (Entry-point loading itself is what the in-process runs above exercise.)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = pytester.runpytest_subprocess(
        "-p", "xdist.plugin", "-p", "mockllm.pytest_plugin", "-p", "no:cacheprovider", "-n", "2", timeout=120
    )
    result.assert_outcomes(passed=8)
    rows = [line.split() for line in log.read_text().splitlines()]
    assert sorted(int(n) for _, _, n in rows) == list(range(8))
    workers = {worker: port for worker, port, _ in rows}
    assert len(workers) == 2 and len(set(workers.values())) == 2  # one server per worker


@pytest.fixture
def cli_server(tmp_path: Path) -> Iterator[str]:
    """``mockllm serve --seed 5`` in a subprocess (no fixtures, time frozen like the marker below)."""
    empty = tmp_path / "no-fixtures"
    empty.mkdir()
    command = [sys.executable, "-m", "mockllm", "serve", "--port", "0", "--seed", "5"]
    command += ["--freeze-time", "2025-01-01T00:00:00Z", "--fixtures", str(empty)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"(http://\S+/v1)", line)
        assert match, f"no listening line: {line!r}"
        yield match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.mockllm(seed=5, freeze_time=FREEZE)
def test_seed_answers_like_the_cli_server(mockllm: MockLLM, cli_server: str) -> None:
    requests = [
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Describe a lighthouse at dusk."}]},
        {"model": "gpt-4o", "messages": [{"role": "user", "content": "List three rivers."}], "stream": True},
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Describe a lighthouse at dusk."}], "n": 2},
    ]
    for body in requests:
        ours = httpx.post(f"{mockllm.base_url}/chat/completions", json=body, timeout=30).content
        theirs = httpx.post(f"{cli_server}/chat/completions", json=body, timeout=30).content
        assert ours == theirs, body
    assert [r.source for r in mockllm.requests] == ["generator"] * 3


@pytest.mark.mockllm(seed=5, freeze_time=FREEZE)
def test_marker_settings_get_a_dedicated_server_that_is_reused(mockllm: MockLLM, mockllm_server: object) -> None:
    assert mockllm.server is not mockllm_server
    assert mockllm.settings.seed == 5 and mockllm.requests == []  # reset although shared with the test above


def test_routes_calls_usage_and_documents(mockllm: MockLLM) -> None:
    route = mockllm.on(user="ping", model="gpt-4o*").reply("pong")
    names = mockllm.add("fixtures:\n  - name: yaml-doc\n    match: {user: yaml}\n    reply: {content: from yaml}\n")
    assert names == ["yaml-doc"]
    client = mockllm.client()
    for text in ("ping", "ping again", "yaml please"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])
    assert route.call_count == 2 and route.called and [c.user for c in route.calls] == ["ping", "ping again"]
    assert mockllm.last_request is not None and mockllm.last_request.content == "from yaml"
    usage = mockllm.usage
    assert usage["requests"] == 3 and usage["total_tokens"] == sum(r.tokens for r in mockllm.requests) > 0
    assert usage["cost_usd"] > 0
    assert len(mockllm.calls(user="ping")) == 2
    mockllm.assert_called(model="gpt-4o", times=3)
    mockllm.assert_called(headers={"x-stainless-retry-count": "0"}, times=3)


def test_route_priority_beats_earlier_fixtures_and_names_are_unique(mockllm: MockLLM) -> None:
    mockllm.add([{"name": "catch-all", "reply": {"content": "file-like"}}])
    first = mockllm.on(user="x").reply("shadowed")
    second = mockllm.on(user="x").reply("route")
    assert (first.name, second.name) == ("on(user='x')", "on(user='x') #2")
    out = mockllm.client().chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
    assert out.choices[0].message.content == "route"  # the newest route wins, as in WireMock
    first.reply("still shadowed")  # chaining re-installs a route in its place: it does not jump ahead
    out = mockllm.client().chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
    assert out.choices[0].message.content == "route"
    with pytest.raises(ValueError, match="already exists"):
        mockllm.on(name="on(user='x')")


def test_fail_retry_after_choices(mockllm: MockLLM) -> None:
    mockllm.on(user="fast").fail("rate_limit")
    mockllm.on(user="real").fail("rate_limit", retry_after=None)
    mockllm.on(user="mine").fail(503, retry_after=2, message="busy")
    mockllm.on(user="client").fail("invalid_api_key")
    client = mockllm.client()
    headers = {}
    for text in ("fast", "real", "mine", "client"):
        with pytest.raises(openai.APIStatusError) as info:
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}])
        headers[text] = info.value.response.headers
    assert (headers["fast"]["retry-after-ms"], headers["fast"]["retry-after"]) == ("10", "0")
    assert headers["real"]["retry-after-ms"] == "1000"
    assert headers["mine"]["retry-after-ms"] == "2000" and headers["mine"]["retry-after"] == "2"
    assert "retry-after-ms" not in headers["client"]  # 401 is not retried: nothing to speed up
    assert mockllm.requests[2].error is not None and mockllm.requests[2].error["message"] == "busy"


def test_assertion_errors_read_well(mockllm: MockLLM) -> None:
    with pytest.raises(AssertionError, match=r"No request reached mockllm in this test"):
        mockllm.assert_called()
    mockllm.assert_not_called()
    mockllm.client().chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])
    with pytest.raises(AssertionError) as info:
        mockllm.assert_not_called(user="hello")
    assert "expected no matching request, found 1 of 1" in str(info.value) and "✓ #1" in str(info.value)
    with pytest.raises(AssertionError, match=r"expected exactly 2 matching request\(s\), found 1"):
        mockllm.assert_called(user="hello", times=2)
    with pytest.raises(TypeError, match="unknown criteria usr"):
        mockllm.assert_called(usr="hello")


def test_report_shows_invalid_requests(mockllm: MockLLM) -> None:
    with httpx.Client(base_url=mockllm.base_url) as http:
        http.post("/chat/completions", json={"model": "gpt-4o-mini", "messages": []})
    report = mockllm.report()
    assert "1 request(s) to" in report and "→ 400 rejected (invalid request)" in report
    assert "    error: " in report


@pytest.mark.mockllm(strict=True)
def test_report_shows_strict_misses(mockllm: MockLLM) -> None:
    mockllm.on(user="known").reply("yes")
    with pytest.raises(openai.NotFoundError):
        mockllm.client().chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "other"}])
    report = mockllm.report()
    assert "→ 404 error fixture_not_found" in report
    assert "No fixture matched this request. Nearest: 'on(user='known')' failed user:" in report


def test_client_defaults(mockllm: MockLLM) -> None:
    client = mockllm.client()
    assert client.max_retries == 0 and str(client.base_url).rstrip("/") == mockllm.base_url
    assert mockllm.client(max_retries=3).max_retries == 3
    assert mockllm.async_client().max_retries == 0
    assert mockllm.inspector_url.endswith("/_mockllm/ui")


@pytest.mark.mockllm(api_keys=["sk-only-this"])
def test_client_uses_an_accepted_key(mockllm: MockLLM) -> None:
    out = mockllm.client().chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "k"}])
    assert out.choices
    assert mockllm.api_key == "sk-only-this"
