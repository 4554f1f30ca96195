"""The ``mockllm`` command line, run as real subprocesses (``python -m mockllm`` and the console script).

Covers: the one ``listening`` line, /health on the printed port, SIGINT/SIGTERM ending with status 0,
``--help`` texts, user mistakes (bad flags, unreadable or broken fixtures) as one line on stderr with
status 2 and no traceback, ``mockllm check``, and ``--seed`` / ``--freeze-time`` determinism across
two processes.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
MODULE = [sys.executable, "-m", "mockllm"]
SCRIPT = [str(Path(sys.executable).parent / "mockllm")]
LAUNCHERS = {"module": MODULE, "script": SCRIPT}
LISTENING = re.compile(r"mockllm listening on http://127\.0\.0\.1:(\d+)/v1\n")
START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0  # generous: a busy machine; what is tested (streams of ~100 s, idle 75 s) is far beyond
FROZEN = 1735689600  # 2025-01-01T00:00:00Z


def run(*args: str, launcher: list[str] = MODULE, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*launcher, *args], capture_output=True, text=True, timeout=30, cwd=cwd or ROOT, stdin=subprocess.DEVNULL
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], status: int = 2) -> str:
    """Exit ``status``, nothing on stdout, exactly one ``mockllm: error: ...`` line on stderr."""
    assert result.returncode == status, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and result.stderr.endswith("\n"), result.stderr
    assert lines[0].startswith("mockllm: error: "), lines[0]
    return lines[0]


# ----- serving processes ---------------------------------------------------------------------------


@dataclass
class Served:
    proc: subprocess.Popen[str]
    lines: queue.Queue[str | None]
    first_line: str
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, float, str, str]:
        """Send ``sig``; return exit status, seconds taken, the rest of stdout, and stderr."""
        started = time.monotonic()
        self.proc.send_signal(sig)
        try:
            status = self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT)
            raise AssertionError(f"server did not stop within {STOP_TIMEOUT}s of signal {sig}") from None
        elapsed = time.monotonic() - started
        rest: list[str] = []
        while (line := self.lines.get(timeout=STOP_TIMEOUT)) is not None:
            rest.append(line)
        stderr = self.proc.stderr.read() if self.proc.stderr else ""
        return status, elapsed, "".join(rest), stderr

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT)


def _pump(stream: Any, lines: queue.Queue[str | None]) -> None:
    for line in iter(stream.readline, ""):
        lines.put(line)
    lines.put(None)


def serve(*args: str, launcher: list[str] = MODULE, cwd: Path | None = None) -> Served:
    """Start ``mockllm serve --port 0 ARGS``; wait (with a timeout) for its first stdout line."""
    proc = subprocess.Popen(
        [*launcher, "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=cwd,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True).start()
    try:
        first = lines.get(timeout=START_TIMEOUT)
    except queue.Empty:
        proc.kill()
        raise AssertionError(f"no 'listening' line within {START_TIMEOUT}s") from None
    if first is None:
        proc.wait(timeout=STOP_TIMEOUT)
        stderr = proc.stderr.read() if proc.stderr else ""
        raise AssertionError(f"server exited with {proc.returncode} before listening: {stderr}")
    match = LISTENING.fullmatch(first)
    if match is None:
        proc.kill()
        raise AssertionError(f"unexpected first line {first!r}")
    return Served(proc, lines, first, int(match.group(1)))


def serve_many(specs: list[tuple[list[str], tuple[str, ...]]], cwd: Path | None = None) -> list[Served]:
    """Start several servers at once (each takes a second or two to import and warm up)."""
    with ThreadPoolExecutor(len(specs)) as pool:
        futures = [pool.submit(serve, *args, launcher=launcher, cwd=cwd) for launcher, args in specs]
        errors: list[BaseException] = []
        started: list[Served] = []
        for future in futures:
            try:
                started.append(future.result())
            except BaseException as exc:
                errors.append(exc)
    if errors:
        for served in started:
            served.kill()
        raise errors[0]
    return started


def http(url: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, str], bytes]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# ----- serve: the listening line, /health, signals ---------------------------------------------------------


def test_serve_prints_one_line_answers_health_and_stops_on_signals(tmp_path):
    """``python -m mockllm`` stopped by SIGINT, the console script by SIGTERM with a slow stream still open.

    Both run from another directory (the bundled fixtures are still found) and start together to save time.
    """
    by_module, by_script = serve_many([(MODULE, ()), (SCRIPT, ("--tokens-per-second", "2"))], cwd=tmp_path)
    try:
        assert by_module.port != by_script.port
        for served in (by_module, by_script):
            status, _, body = http(f"http://127.0.0.1:{served.port}/health")
            assert status == 200 and isinstance(json.loads(body), dict)
            status, _, body = http(
                served.base_url + "/chat/completions",
                {"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]},
            )
            assert status == 200
            assert json.loads(body)["choices"][0]["message"]["content"] == "Hello! How can I help you today?"

        code, elapsed, rest, stderr = by_module.stop(signal.SIGINT)
        assert code == 0, stderr
        assert elapsed < 15.0
        assert rest == "", "more than one line on stdout"
        assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr

        slow = {
            "model": "gpt-4o",
            "stream": True,
            "max_tokens": 200,
            "messages": [{"role": "user", "content": "Write a long essay."}],
        }
        request = urllib.request.Request(
            by_script.base_url + "/chat/completions",
            data=json.dumps(slow).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.readline().startswith(b"data: ")  # the stream is open and paced (~100 s long)
            code, elapsed, rest, stderr = by_script.stop(signal.SIGTERM)
        assert code == 0, stderr
        assert elapsed < 15.0  # the open stream would take ~100 s
        assert rest == "", "more than one line on stdout"
        assert "Traceback" not in stderr
    finally:
        by_module.kill()
        by_script.kill()


# ----- help and user mistakes -----------------------------------------------------------------------------


@pytest.mark.parametrize("launcher", ["module", "script"])
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--help",), ["usage: mockllm", "serve", "check"]),
        (("serve", "--help"), ["usage: mockllm serve", "--port", "--host", "--fixtures", "--seed", "--freeze-time",
                               "--max-body-mb", "--api-key", "--strict"]),
        (("check", "--help"), ["usage: mockllm check", "PATH"]),
    ],
    ids=["top", "serve", "check"],
)  # fmt: skip
def test_help(launcher, args, words):
    result = run(*args, launcher=LAUNCHERS[launcher])
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    for word in words:
        assert word in result.stdout, word


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        pytest.param(("serve", "--port", "abc"), "abc", id="port-abc"),
        pytest.param(("serve", "--bogus"), "--bogus", id="serve-bogus"),
        pytest.param(("--bogus",), "--bogus", id="top-bogus"),
        pytest.param(("serve", "--max-body-mb", "-1"), "-1", id="max-body-negative"),
        pytest.param(("serve", "--freeze-time", "yesterday"), "yesterday", id="freeze-time-garbage"),
        pytest.param(("serve", "--latency", "warp"), "warp", id="latency-choice"),
        pytest.param(("frobnicate",), "frobnicate", id="unknown-command"),
        pytest.param(("check",), "PATH", id="check-without-paths"),
    ],
)
def test_bad_flags_exit_2_with_one_line(args, mentions):
    line = assert_one_line_error(run(*args))
    assert mentions in line
    assert "mockllm mockllm" not in line
    hint = re.search(r"see '(mockllm(?: \w+)?) --help'", line)
    assert hint is None or hint.group(1) in ("mockllm", "mockllm serve", "mockllm check"), line


def test_nonexistent_fixtures_path(tmp_path):
    missing = tmp_path / "nope" / "fixtures.yaml"
    line = assert_one_line_error(run("serve", "--port", "0", "--fixtures", str(missing)))
    assert str(missing) in line


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_fixtures_path(tmp_path):
    path = tmp_path / "secret.yaml"
    path.write_text("fixtures: []\n")
    path.chmod(0)
    try:
        line = assert_one_line_error(run("serve", "--port", "0", "--fixtures", str(path)))
    finally:
        path.chmod(0o600)
    assert str(path) in line


BROKEN_YAML = "fixtures: [\n  - {"
BROKEN_SCHEMA = 'fixtures:\n  - name: typo\n    match: {usr: "x"}\n    reply: {content: "y"}\n'


def test_serve_with_broken_fixture_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN_YAML)
    result = run("serve", "--port", "0", "--fixtures", str(path))
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == "", "must not claim to listen"
    assert "Traceback" not in result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith("mockllm: error: ") and str(path) in first and "YAML" in first


def test_check_bundled_fixtures():
    result = run("check", "fixtures/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    summary = result.stdout.splitlines()[-1]
    assert re.fullmatch(r"1 file, (\d+) fixtures?, \d+ models?, 0 problems, \d+ warnings?", summary), summary
    assert int(re.match(r"1 file, (\d+)", summary).group(1)) >= 5  # type: ignore[union-attr]


def test_check_broken_files_exit_1_listing_each_problem(tmp_path):
    (tmp_path / "a.yaml").write_text(BROKEN_SCHEMA)
    (tmp_path / "b.yaml").write_text(BROKEN_YAML)
    result = run("check", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"), launcher=SCRIPT)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    out = result.stdout + result.stderr
    problem_a = [line for line in out.splitlines() if "a.yaml" in line]
    problem_b = [line for line in out.splitlines() if "b.yaml" in line]
    assert problem_a and "usr" in problem_a[0]
    assert problem_b
    assert "2 problems" in result.stdout.splitlines()[-1]


def test_check_nonexistent_path(tmp_path):
    result = run("check", str(tmp_path / "missing.yaml"))
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    assert "missing.yaml" in result.stdout + result.stderr


# ----- determinism across processes --------------------------------------------------------------------

BOOK_TOOL = {
    "type": "function",
    "function": {
        "name": "book_table",
        "parameters": {
            "type": "object",
            "properties": {"restaurant": {"type": "string"}, "people": {"type": "integer"}},
            "required": ["restaurant", "people"],
        },
    },
}
SCRIPT_OF_REQUESTS: list[dict[str, Any]] = [
    {"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]},
    {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Tell me about lighthouses."}],
     "n": 2, "logprobs": True, "top_logprobs": 2, "max_tokens": 40},
    {"model": "gpt-4o", "messages": [{"role": "user", "content": "Book a table at Chez Nous for 4."}],
     "tools": [BOOK_TOOL], "tool_choice": "required"},
    {"model": "gpt-4o", "messages": [{"role": "user", "content": "What's the weather in Paris?"}],
     "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]},
    {"model": "gpt-4.1", "messages": [{"role": "user", "content": "A person, please."}],
     "response_format": {"type": "json_schema", "json_schema": {"name": "person", "strict": True, "schema": {
         "type": "object", "additionalProperties": False, "required": ["name", "age"],
         "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}}}},
    {"model": "deepseek-ai/DeepSeek-R1", "messages": [{"role": "user", "content": "Which is larger, 9.11 or 9.9?"}]},
    {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Stream a haiku."}], "stream": True,
     "stream_options": {"include_usage": True}},
    {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "temperature": 7},
]  # fmt: skip
CREATED = re.compile(rb'("created":\s*)(\d+)')


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Iterator[dict[str, Served]]:
    """Three servers started together, all ``--seed 42``: two free-running (python -m and the script) and
    one with ``--freeze-time``."""
    cwd = tmp_path_factory.mktemp("fleet")
    names = ["seed-a", "seed-b", "frozen"]
    started = serve_many(
        [(MODULE, ("--seed", "42")), (SCRIPT, ("--seed", "42")),
         (MODULE, ("--seed", "42", "--freeze-time", "2025-01-01T00:00:00Z"))],
        cwd=cwd,
    )  # fmt: skip
    yield dict(zip(names, started, strict=True))
    for served in started:
        served.kill()


@pytest.fixture(scope="module")
def replies(fleet) -> dict[str, list[bytes]]:
    """Each server's answers to the same script of requests, sent in the same order."""
    return {name: replay(served) for name, served in fleet.items()}


def replay(served: Served) -> list[bytes]:
    bodies = []
    for body in SCRIPT_OF_REQUESTS:
        status, _, data = http(served.base_url + "/chat/completions", body)
        assert status == (400 if "temperature" in body else 200), data
        bodies.append(data)
    return bodies


def without_created(body: bytes, value: bytes = b"0") -> bytes:
    """``created`` replaced by ``value``, spacing kept."""
    return CREATED.sub(lambda m: m.group(1) + value, body)


def test_same_seed_same_bodies_apart_from_created(replies):
    first, second = replies["seed-a"], replies["seed-b"]
    for request, a, b in zip(SCRIPT_OF_REQUESTS, first, second, strict=True):
        assert without_created(a) == without_created(b), request
    # the answers really are generated content with ids, not empty shells
    assert re.search(rb'"id": ?"chatcmpl-[A-Za-z0-9]{29}"', first[1])
    assert re.search(rb'"id": ?"call_[A-Za-z0-9]{24}"', first[2])
    assert first[6].startswith(b"data: ") and first[6].rstrip().endswith(b"data: [DONE]")


def test_freeze_time_bodies_byte_identical(replies):
    """With --freeze-time every ``created`` is 1735689600 and nothing else moves: the frozen process's bytes
    equal the free-running ones' with ``created`` replaced, so any two frozen runs are byte-identical."""
    frozen = replies["frozen"]
    created = [int(m[1]) for body in frozen for m in CREATED.findall(body)]
    assert created and set(created) == {FROZEN}
    for request, mine, free in zip(SCRIPT_OF_REQUESTS, frozen, replies["seed-a"], strict=True):
        assert mine == without_created(free, str(FROZEN).encode()), request
