"""mockllm benchmarks: ``make bench`` (``.venv/bin/python bench/run.py [--quick] [--only NAME[,NAME]]``).

Each figure is measured against a bare aiohttp baseline (``bench/bare.py``) in the same run, on the same
machine, with the same interpreter:

  nonstream  requests/s at 64 keep-alive clients; bare returns a recorded mockllm answer byte for byte
  coldstart  launch of the process to the first 200 on POST /v1/chat/completions (median of 5), with the
             tokenizer's ranks cache as a later run has it, and without (MOCKLLM_CACHE_DIR=off, as a first run)
  stream     SSE chunks/s at 64 concurrent streams, latency off; bare replays a recorded stream, one write a chunk
  messages   the same for Anthropic's Messages API (POST /v1/messages, events/s)
  rstream    the same for the Responses API (POST /v1/responses, stream: true): events/s against the bare replay
  paced      1,000 then 10,000 concurrent paced streams (ttft 200 ms, 50 tokens/s): all complete? peak RSS
  pacing     100 paced streams (ttft 300 ms, 40 tokens/s): median TTFT and inter-chunk gap vs configured
  embeddings POST /v1/embeddings: retrieval top-1/top-5 over a generated corpus (bench/embeddings.py), and
             one batch of 2,048 short inputs at 1,536 dims, base64 and float: wall time and vectors/s
  plugincost 300 pytest tests that each script a route, call mockllm.client() and send one request, vs the
             same tests sharing one client (bench/plugin_cost.py; no bare baseline: the floor is "shared")

Fairness on a 2-core machine: every server process is pinned to CPU 0 and the load generator (wrk, or this
process for the Python clients) to CPU 1. Throughput figures are the median of 3 fixed-length rounds after a
warm-up, alternating mockllm and bare. Each round also records the CPU seconds the server process used, so
a busy machine (other processes on CPU 0) shows up as server utilisation below 100 %, and "per CPU-second"
figures stay comparable. Load goes to 127.0.0.1 only. Results: bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import http.client
import json
import os
import platform
import resource
import select
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import load  # noqa: E402

PY = sys.executable
PATH = "/v1/chat/completions"
RESPONSES_PATH = "/v1/responses"
NAMES = ("nonstream", "coldstart", "stream", "rstream", "messages", "paced", "pacing", "embeddings", "plugincost")
CLIENTS = 64

SYSTEM = "You are a helpful assistant for a travel agency. Answer clearly and keep a friendly tone."
# Three messages, no fixture matches: full validation, fixture matching (every bundled fixture is tried),
# prompt token counting, the seeded generator (an answer of ~100-150 tokens) and completion token counting.
MESSAGES = [
    {"role": "system", "content": SYSTEM},
    {"role": "assistant", "content": "Hi! Where would you like to travel?"},
    {"role": "user", "content": "Plan a two-day trip to Kyoto for a family with kids."},
]
NONSTREAM_BODY = {"model": "gpt-4o-mini", "messages": MESSAGES, "temperature": 0.7}
STREAM_BODY = {**NONSTREAM_BODY, "stream": True, "stream_options": {"include_usage": True}}
# The same conversation on the Responses API: the system message as instructions, the rest as input items.
RESPONSES_STREAM_BODY = {
    "model": "gpt-4o-mini",
    "instructions": SYSTEM,
    "input": MESSAGES[1:],
    "temperature": 0.7,
    "stream": True,
}
DISTINCT_BODY = {
    **NONSTREAM_BODY,
    "messages": [*MESSAGES[:-1], {"role": "user", "content": "Plan a two-day trip to Kyoto, plan number __N__."}],
}
MESSAGES_PATH = "/v1/messages"
MESSAGES_HEADERS = {"anthropic-version": "2023-06-01"}
#: The chat stream's prompt on the Messages API (system prompt, the user's turn, Claude's required fields),
#: on a model whose generated answer is of the chat figure's length: 139 events, a text of ~135 tokens.
MESSAGES_STREAM_BODY = {
    "model": "claude-haiku-4-5",
    "max_tokens": 1024,
    "system": SYSTEM,
    "messages": MESSAGES[2:],
    "stream": True,
}
_LIMITS = ("limit", "remaining", "reset")
_ECHO_HEADERS = (
    *(f"anthropic-ratelimit-{kind}-{what}" for kind in ("requests", "tokens") for what in _LIMITS),
    "request-id",
    "x-request-id",
    "openai-version",
    "openai-processing-ms",
    "access-control-expose-headers",
)
_TICK = os.sysconf("SC_CLK_TCK")


def log(text: str = "") -> None:
    print(text, flush=True)


def mb(value: float) -> str:
    return f"{value / 2**20:.1f} MB"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


# ----- processes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cpus:
    server: set[int] | None
    client: set[int] | None

    def describe(self) -> str:
        if self.server is None:
            return "not pinned (fewer than 2 usable CPUs)"
        return f"servers pinned to CPU {min(self.server)}, load generator to CPU {min(self.client or {0})}"


def choose_cpus() -> Cpus:
    usable = sorted(os.sched_getaffinity(0))
    if len(usable) < 2:
        return Cpus(None, None)
    return Cpus({usable[0]}, {usable[1]})


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _preexec(cpus: set[int] | None) -> Callable[[], None]:
    def run() -> None:
        raise_nofile()
        if cpus:
            os.sched_setaffinity(0, cpus)

    return run


#: The connection and stream caps (503 beyond them) exist for shared CI hosts; the scale figures need
#: them out of the way, as the bare handler has none.
UNCAPPED = ("--max-connections", "20000", "--max-streams", "20000")


def mockllm_cmd(port: int = 0, *extra: str, root: Path = ROOT) -> list[str]:
    """``mockllm serve``; with ``root``, the code of that checkout (run with ``cwd=root``, which ``-m`` puts
    first on ``sys.path``), for ``--against REF``."""
    return [PY, "-m", "mockllm", "serve", "--port", str(port), "--fixtures", str(root / "fixtures"), *UNCAPPED, *extra]


def checkout(ref: str, into: Path) -> Path:
    """The tree of ``ref`` (a commit, tag or branch of this repository), unpacked into ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def bare_cmd(mode: str, port: int = 0, *extra: str) -> list[str]:
    return [PY, str(HERE / "bare.py"), mode, "--port", str(port), *extra]


class Server:
    """A server process started by us and stopped by us (SIGTERM to its own PID, then SIGKILL)."""

    def __init__(self, name: str, cmd: list[str], cpus: set[int] | None, workdir: Path, cwd: Path = ROOT) -> None:
        self.name = name
        self.errlog = workdir / f"{name}-{time.monotonic_ns()}.stderr"
        with self.errlog.open("wb") as err:
            self.proc = subprocess.Popen(
                cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, preexec_fn=_preexec(cpus)
            )
        self.port = self._wait_ready(60.0)

    def _wait_ready(self, timeout: float) -> int:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                line = self.proc.stdout.readline().decode()
                if " listening on http://" in line:
                    return int(line.rsplit(":", 1)[1].split("/")[0])
            if self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"{self.name} did not start: {self.errlog.read_text()[-2000:]}")

    def status(self, key: str) -> int:
        """A /proc/PID/status figure in bytes (VmRSS, VmHWM)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
        return 0

    def reset_peak(self) -> bool:
        """Reset VmHWM to the current RSS (``5 > /proc/PID/clear_refs``), so the peak is the load's own."""
        try:
            Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def cpu(self) -> float:
        return proc_cpu(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@contextmanager
def running(name: str, cmd: list[str], cpus: set[int] | None, workdir: Path, cwd: Path = ROOT) -> Iterator[Server]:
    server = Server(name, cmd, cpus, workdir, cwd)
    try:
        yield server
    finally:
        server.stop()


def fetch(
    port: int, body: dict[str, Any] | bytes, path: str = PATH, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One POST with the standard library (de-chunks streamed bodies)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    conn = http.client.HTTPConnection(load.HOST, port, timeout=60)
    try:
        conn.request("POST", path, data, {"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def echo_headers(headers: dict[str, str], content_type: str) -> dict[str, str]:
    """mockllm's own response headers (not Date/Server/length, which aiohttp adds) for the bare server."""
    out = {k: v for k, v in headers.items() if k.lower() in _ECHO_HEADERS}
    out["Content-Type"] = headers.get("Content-Type", content_type)
    return out


def token_count(event: bytes) -> int:
    return 1 if any(mark in event for mark in load.TOKEN_MARKS) else 0


@dataclass
class Round:
    rate: load.Rate
    server_cpu: float  # CPU seconds the server process used during the round
    client_cpu: float  # CPU seconds the load generator used

    @property
    def server_util(self) -> float:
        return self.server_cpu / self.rate.seconds if self.rate.seconds else 0.0

    @property
    def per_cpu(self) -> float:
        """Requests per server CPU-second: what the server could do on a core of its own."""
        return self.rate.requests / self.server_cpu if self.server_cpu else 0.0


# ----- the benchmarks -------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.quick: bool = args.quick
        self.workdir = workdir
        self.cpus = choose_cpus()
        if self.cpus.client:
            os.sched_setaffinity(0, self.cpus.client)  # this process is the Python load generator
        self.nofile = raise_nofile()
        self.rounds = 1 if self.quick else 3
        self.seconds = 1.0 if self.quick else 5.0
        self.warmup = 1.0 if self.quick else 2.0
        self.results: dict[str, Any] = {}
        self.summary: list[dict[str, Any]] = []
        self.busy_notes: list[str] = []
        self.wrk: str | None = None
        if args.client in ("auto", "wrk"):
            self.wrk, self.client_note = load.ensure_wrk(log)
            if self.wrk is None and args.client == "wrk":
                raise SystemExit(f"bench: {self.client_note}")
        else:
            self.client_note = f"chosen with --client {args.client}"
        self.client = "wrk" if self.wrk else ("python-aiohttp" if args.client == "aiohttp" else "python-raw")
        self._recorded: tuple[list[bytes], dict[str, str], bytes] | None = None
        self.against: str | None = args.against
        self.ref_root = checkout(args.against, workdir / "ref") if args.against else None

    def servers(self, mock_name: str = "mockllm") -> list[tuple[str, list[str], Path]]:
        """mockllm now, and with ``--against REF`` the same server of that commit, measured side by side."""
        out = [(mock_name, mockllm_cmd(), ROOT)]
        if self.ref_root is not None:
            out.append(("ref", mockllm_cmd(root=self.ref_root), self.ref_root))
        return out

    def vs_ref(self, label: str, out: dict[str, Any], unit: str) -> None:
        """The side-by-side figure of ``--against``: this code's rate over the earlier commit's (goal: within 10%)."""
        if "ref" not in out:
            return
        ratio = out["mockllm"][f"{unit}_per_s"] / out["ref"][f"{unit}_per_s"]
        out["ratio_vs_ref"] = ratio
        log(f"   vs ref   {ratio:.0%} of {self.against} measured in the same rounds")
        self.goal(f"{label} vs {self.against}", f"{ratio:.0%}", ">= 90%", ratio >= 0.9)

    def goal(self, name: str, value: str, goal: str, ok: bool | None) -> None:
        self.summary.append({"name": name, "value": value, "goal": goal, "pass": ok})

    def file(self, name: str, data: bytes | str) -> Path:
        path = self.workdir / name
        if isinstance(data, str):
            path.write_text(data)
        else:
            path.write_bytes(data)
        return path

    def recorded_stream(self) -> tuple[list[bytes], dict[str, str], bytes]:
        """One real mockllm stream (latency off) of STREAM_BODY: its events, headers and whole body."""
        if self._recorded is None:
            with running("mockllm-record", mockllm_cmd(), self.cpus.server, self.workdir) as mock:
                status, headers, raw = fetch(mock.port, STREAM_BODY)
            assert status == 200, raw[:300]
            events = [chunk + b"\n\n" for chunk in raw.split(b"\n\n") if chunk]
            assert events[-1] == b"data: [DONE]\n\n", events[-1]
            self._recorded = (events, headers, raw)
            recorded = {"events": [e.decode() for e in events], "token_counts": [token_count(e) for e in events]}
            self.file("events.json", json.dumps(recorded))
            self.file("events-headers.json", json.dumps(echo_headers(headers, "text/event-stream; charset=utf-8")))
            self.results["recorded_stream"] = {
                "events": len(events),
                "content_events": sum(recorded["token_counts"]),
                "bytes": len(raw),
            }
        return self._recorded

    # ----- throughput --------------------------------------------------------------------------------

    def _round(
        self, server: Server, body_file: Path, seconds: float, path: str = PATH, headers: dict[str, str] | None = None
    ) -> Round:
        cpu0, children0, own0 = server.cpu(), resource.getrusage(resource.RUSAGE_CHILDREN), time.process_time()
        body = body_file.read_bytes()
        if self.wrk:
            url = f"http://{load.HOST}:{server.port}{path}"
            rate = load.run_wrk(self.wrk, url, body_file, CLIENTS, seconds, headers=headers)
        elif self.client == "python-aiohttp":
            rate = asyncio.run(load.aiohttp_rate(server.port, path, body, CLIENTS, seconds, headers))
        else:
            rate = asyncio.run(load.raw_rate(server.port, path, body, CLIENTS, seconds, headers))
        cpu1, children1, own1 = server.cpu(), resource.getrusage(resource.RUSAGE_CHILDREN), time.process_time()
        if self.wrk:
            client_cpu = (children1.ru_utime + children1.ru_stime) - (children0.ru_utime + children0.ru_stime)
        else:
            client_cpu = own1 - own0
        return Round(rate, cpu1 - cpu0, client_cpu)

    def _compare(
        self, servers: list[Server], body_file: Path, path: str = PATH, headers: dict[str, str] | None = None
    ) -> dict[str, list[Round]]:
        """Warm each server, then alternate fixed-length rounds between them."""
        for server in servers:
            self._round(server, body_file, self.warmup, path, headers)
        rounds: dict[str, list[Round]] = {s.name: [] for s in servers}
        for _ in range(self.rounds):
            for server in servers:
                rounds[server.name].append(self._round(server, body_file, self.seconds, path, headers))
        return rounds

    def _summarise(self, rounds: list[Round], unit: str, per_request: int = 1) -> dict[str, Any]:
        """Median round by rate; the figures of all rounds; a note when the server was not saturated."""
        med = sorted(rounds, key=lambda r: r.rate.rps)[len(rounds) // 2]
        per_cpu = statistics.median(r.per_cpu for r in rounds) * per_request
        rate = med.rate
        out = {
            f"{unit}_per_s": rate.rps * per_request,
            f"{unit}_per_s_rounds": [r.rate.rps * per_request for r in rounds],
            f"{unit}_per_server_cpu_s": per_cpu,
            "server_cpu_util": [r.server_util for r in rounds],
            "client_cpu_util": [r.client_cpu / r.rate.seconds if r.rate.seconds else 0.0 for r in rounds],
            "errors": sum(r.rate.errors for r in rounds),
            "p50_ms": rate.p50_ms,
            "p99_ms": rate.p99_ms,
            "bytes_per_response": rate.bytes / rate.requests if rate.requests else None,
        }
        return out

    def _log_rates(self, name: str, s: dict[str, Any], unit: str) -> None:
        rounds = " / ".join(f"{v:.0f}" for v in s[f"{unit}_per_s_rounds"])
        util = "/".join(f"{u:.0%}" for u in s["server_cpu_util"])
        cutil = "/".join(f"{u:.0%}" for u in s["client_cpu_util"])
        lat = f"; p50 {s['p50_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms" if s["p50_ms"] is not None else ""
        log(
            f"   {name:8s} {s[f'{unit}_per_s']:8.0f} {unit}/s (rounds {rounds}; {s['errors']} errors{lat})\n"
            f"            server CPU {util}, client CPU {cutil}; {s[f'{unit}_per_server_cpu_s']:.0f} {unit} "
            "per server CPU-second"
        )
        if min(s["server_cpu_util"]) < 0.9:
            note = (
                f"{name} used < 90% of its CPU in a round (load average {loadavg():.1f}): other processes share the "
                "machine or the client is the limit; compare the per-CPU-second figures"
            )
            log(f"            note: {note}")
            self.busy_notes.append(note)

    # 1 ------------------------------------------------------------------------------------------------

    def nonstream(self) -> None:
        log(f"== 1. non-streaming requests/s, {CLIENTS} keep-alive clients ({self.client})")
        body_file = self.file("nonstream.json", json.dumps(NONSTREAM_BODY))
        with ExitStack() as stack:
            mocks = [
                stack.enter_context(running(n, c, self.cpus.server, self.workdir, w)) for n, c, w in self.servers()
            ]
            mock = mocks[0]
            status, headers, answer = fetch(mock.port, NONSTREAM_BODY)
            assert status == 200, (status, answer[:300])
            usage = json.loads(answer)["usage"]
            bare_args = ["--body-file", str(self.file("answer.json", answer))]
            bare_args += ["--headers-file", str(self.file("answer-h.json", json.dumps(echo_headers(headers, ""))))]
            with running("bare", bare_cmd("json", 0, *bare_args), self.cpus.server, self.workdir) as bare:
                status, _, bare_answer = fetch(bare.port, NONSTREAM_BODY)
                assert status == 200 and bare_answer == answer
                rounds = self._compare([*mocks, bare], body_file)
            distinct: dict[str, list[Round]] = {}
            if self.client == "wrk":
                # The same load with a new prompt on every request (wrk substitutes a counter for __N__).
                distinct_file = self.file("nonstream-distinct.json", json.dumps(DISTINCT_BODY))
                alias = copy.copy(mock)  # the same process, reported under its own name
                alias.name = "mockllm-distinct"
                distinct = self._compare([alias], distinct_file)
        rounds.update(distinct)
        out: dict[str, Any] = {
            "request": NONSTREAM_BODY,
            "response_body_bytes": len(answer),
            "prompt_tokens": usage["prompt_tokens"],
            "completion_tokens": usage["completion_tokens"],
            "client": self.client,
            "connections": CLIENTS,
        }
        for name, rs in rounds.items():
            out[name] = self._summarise(rs, "req")
            self._log_rates(name, out[name], "req")
        ratio = out["mockllm"]["req_per_s"] / out["bare"]["req_per_s"]
        cpu_ratio = out["mockllm"]["req_per_server_cpu_s"] / out["bare"]["req_per_server_cpu_s"]
        out["ratio"], out["ratio_per_cpu"] = ratio, cpu_ratio
        log(
            f"   ratio    {ratio:.0%} of bare (per server CPU-second {cpu_ratio:.0%}); answer body {len(answer)} B, "
            f"{usage['prompt_tokens']} prompt + {usage['completion_tokens']} completion tokens"
        )
        self.vs_ref("chat non-stream req/s", out, "req")
        if "mockllm-distinct" in out:
            d_ratio = out["mockllm-distinct"]["req_per_s"] / out["bare"]["req_per_s"]
            out["ratio_distinct"] = d_ratio
            log(f"   distinct {d_ratio:.0%} of bare with a new prompt on every request (no memo can help)")
        self.results["nonstream"] = out
        ok = ratio >= 0.60 and out["mockllm"]["errors"] == 0
        self.goal("non-stream req/s vs bare", f"{ratio:.0%} (per CPU-s {cpu_ratio:.0%})", ">= 60%", ok)
        if "ratio_distinct" in out:
            d_ratio = out["ratio_distinct"]
            self.goal("non-stream, distinct prompts", f"{d_ratio:.0%}", ">= 60%", d_ratio >= 0.6)

    # 2 ------------------------------------------------------------------------------------------------

    def _cold_start(
        self, cmd: Callable[[int], list[str]], request: bytes, cwd: Path = ROOT, env: dict[str, str] | None = None
    ) -> tuple[float, float]:
        """Seconds from Popen to the first 200, and the CPU seconds the server had used by then."""
        with socket.socket() as probe:
            probe.bind((load.HOST, 0))
            port = probe.getsockname()[1]
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd(port),
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            preexec_fn=_preexec(self.cpus.server),
            env=env,
        )
        try:
            deadline = started + 60
            while time.perf_counter() < deadline:
                sock = socket.socket()
                try:
                    sock.connect((load.HOST, port))
                except ConnectionRefusedError:
                    sock.close()
                    if proc.poll() is not None:
                        raise RuntimeError(f"{' '.join(cmd(port)[1:4])} exited with {proc.returncode}") from None
                    continue
                try:
                    sock.settimeout(30)
                    sock.sendall(request)
                    data = b""
                    while chunk := sock.recv(65536):
                        data += chunk
                except OSError:
                    data = b""
                finally:
                    sock.close()
                if data[9:12] == b"200":
                    return time.perf_counter() - started, proc_cpu(proc.pid)
            raise RuntimeError("no 200 within 60 s")
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def coldstart(self) -> None:
        runs = 3 if self.quick else 5
        log(f"== 2. cold start: process launch -> first 200 on POST {PATH} (tight connect loop; median of {runs})")
        answer = self.file("cold-answer.json", b'{"ok": true}')
        request = load.post_request(PATH, json.dumps(NONSTREAM_BODY).encode(), 0, close=True)
        commands: dict[str, Callable[[int], list[str]]] = {
            "mockllm": lambda p: mockllm_cmd(p),
            "bare": lambda p: bare_cmd("json", p, "--body-file", str(answer)),
            # the tokenizer's ranks parsed every time, as on a first run (the figure above reads the cache)
            "no-cache": lambda p: mockllm_cmd(p),
        }
        envs = {"no-cache": {**os.environ, "MOCKLLM_CACHE_DIR": "off"}}
        ref_root = self.ref_root
        if ref_root is not None:
            commands["ref"] = lambda p: mockllm_cmd(p, root=ref_root)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, cmd in commands.items():
                cwd = ref_root if name == "ref" and ref_root else ROOT
                times[name].append(self._cold_start(cmd, request, cwd, envs.get(name)))
        out: dict[str, Any] = {}
        for name, values in times.items():
            wall = [v[0] for v in values]
            cpu = [v[1] for v in values]
            out[name] = {"median_s": statistics.median(wall), "runs_s": wall, "cpu_median_s": statistics.median(cpu)}
            log(
                f"   {name:8s} {statistics.median(wall) * 1000:6.0f} ms (runs "
                + " / ".join(f"{v * 1000:.0f}" for v in wall)
                + f"); CPU used by then {statistics.median(cpu) * 1000:.0f} ms"
            )
        ratio = out["mockllm"]["median_s"] / out["bare"]["median_s"]
        cpu_ratio = out["mockllm"]["cpu_median_s"] / out["bare"]["cpu_median_s"]
        out["ratio"], out["ratio_cpu"] = ratio, cpu_ratio
        out["ratio_no_cache"] = out["no-cache"]["median_s"] / out["bare"]["median_s"]
        no_cache = out["ratio_no_cache"]
        log(f"   ratio    {ratio:.2f}x bare (CPU {cpu_ratio:.2f}x); without the ranks cache {no_cache:.2f}x")
        if "ref" in out:
            out["ratio_vs_ref"] = out["mockllm"]["median_s"] / out["ref"]["median_s"]
            log(f"   vs ref   {out['ratio_vs_ref']:.2f}x the cold start of {self.against}")
        self.results["coldstart"] = out
        self.goal(
            "cold start vs bare", f"{ratio:.2f}x ({out['mockllm']['median_s'] * 1000:.0f} ms)", "<= 2.6x", ratio <= 2.6
        )

    # 3 ------------------------------------------------------------------------------------------------

    def stream(self) -> None:
        log(f"== 3. streaming chunks/s, {CLIENTS} concurrent streams, latency off ({self.client})")
        events, _, raw = self.recorded_stream()
        body_file = self.file("stream.json", json.dumps(STREAM_BODY))
        bare_args = ["--events-file", str(self.workdir / "events.json")]
        bare_args += ["--headers-file", str(self.workdir / "events-headers.json")]
        with ExitStack() as stack:
            mocks = [
                stack.enter_context(running(n, c, self.cpus.server, self.workdir, w)) for n, c, w in self.servers()
            ]
            bare = stack.enter_context(running("bare", bare_cmd("sse", 0, *bare_args), self.cpus.server, self.workdir))
            for server in (*mocks, bare):
                status, _, body = fetch(server.port, STREAM_BODY)
                assert status == 200 and len(body) == len(raw) and body.count(b"data: ") == len(events)
            rounds = self._compare([*mocks, bare], body_file)
        out: dict[str, Any] = {"events_per_stream": len(events), "stream_bytes": len(raw), "client": self.client}
        for name, rs in rounds.items():
            out[name] = self._summarise(rs, "chunks", per_request=len(events))
            out[name]["streams_per_s"] = out[name]["chunks_per_s"] / len(events)
            self._log_rates(name, out[name], "chunks")
        ratio = out["mockllm"]["chunks_per_s"] / out["bare"]["chunks_per_s"]
        cpu_ratio = out["mockllm"]["chunks_per_server_cpu_s"] / out["bare"]["chunks_per_server_cpu_s"]
        out["ratio"], out["ratio_per_cpu"] = ratio, cpu_ratio
        log(
            f"   ratio    {ratio:.2f}x bare (per server CPU-second {cpu_ratio:.2f}x); a stream is {len(events)} "
            f"events, {len(raw)} B (chunks/s = complete streams/s x {len(events)})"
        )
        self.vs_ref("chat stream chunks/s", out, "chunks")
        self.results["stream"] = out
        ok = ratio >= 3.0 and out["mockllm"]["errors"] == 0
        self.goal("stream chunks/s vs bare", f"{ratio:.2f}x (per CPU-s {cpu_ratio:.2f}x)", ">= 3x", ok)

    # 3b -----------------------------------------------------------------------------------------------

    def messages(self) -> None:
        """Issue 19's figure: a Messages API stream (named events, a ping, thinking-free text) against the
        bare handler replaying the very same events one write each."""
        self._api_stream(
            "messages", "Messages API", MESSAGES_STREAM_BODY, MESSAGES_PATH, MESSAGES_HEADERS, b"event: message_stop"
        )

    def rstream(self) -> None:
        """The Responses API's stream, measured as ``stream`` is: mockllm answering POST /v1/responses
        against the bare handler replaying a recorded mockllm Responses stream, one write an event."""
        self._api_stream(
            "rstream", "Responses API", RESPONSES_STREAM_BODY, RESPONSES_PATH, {}, b"event: response.completed"
        )

    def _api_stream(
        self, key: str, label: str, request: dict[str, Any], path: str, headers: dict[str, str], last: bytes
    ) -> None:
        """Events/s of an API whose stream is named SSE events (``event:`` + ``data:``), at 64 concurrent
        streams, against the bare handler replaying one recorded stream of it, one write an event."""
        log(f"== 3b. {label} events/s, {CLIENTS} concurrent streams, latency off ({self.client})")
        with running("mockllm-record", mockllm_cmd(), self.cpus.server, self.workdir) as mock:
            status, answered, raw = fetch(mock.port, request, path, headers)
        assert status == 200, raw[:300]
        events = [chunk + b"\n\n" for chunk in raw.split(b"\n\n") if chunk]
        assert events[-1].startswith(last), events[-1][:80]
        deltas = [token_count(e) for e in events]
        events_file = self.file(
            f"{key}-events.json", json.dumps({"events": [e.decode() for e in events], "token_counts": deltas})
        )
        header_file = self.file(
            f"{key}-headers.json", json.dumps(echo_headers(answered, "text/event-stream; charset=utf-8"))
        )
        body_file = self.file(f"{key}.json", json.dumps(request))
        bare_args = ["--events-file", str(events_file), "--headers-file", str(header_file), "--path", path]
        with (
            running("mockllm", mockllm_cmd(), self.cpus.server, self.workdir) as mock,
            running("bare", bare_cmd("sse", 0, *bare_args), self.cpus.server, self.workdir) as bare,
        ):
            for server in (mock, bare):
                status, _, body = fetch(server.port, request, path, headers)
                assert status == 200 and len(body) == len(raw) and body.count(b"event: ") == len(events)
            rounds = self._compare([mock, bare], body_file, path, headers)
        out: dict[str, Any] = {
            "request": request,
            "events_per_stream": len(events),
            "delta_events": sum(deltas),
            "stream_bytes": len(raw),
            "client": self.client,
        }
        for name, rs in rounds.items():
            out[name] = self._summarise(rs, "events", per_request=len(events))
            out[name]["streams_per_s"] = out[name]["events_per_s"] / len(events)
            self._log_rates(name, out[name], "events")
        ratio = out["mockllm"]["events_per_s"] / out["bare"]["events_per_s"]
        cpu_ratio = out["mockllm"]["events_per_server_cpu_s"] / out["bare"]["events_per_server_cpu_s"]
        out["ratio"], out["ratio_per_cpu"] = ratio, cpu_ratio
        log(
            f"   ratio    {ratio:.2f}x bare (per server CPU-second {cpu_ratio:.2f}x); a stream is {len(events)} "
            f"events ({sum(deltas)} deltas), {len(raw)} B"
        )
        self.results[key] = out
        ok = ratio >= 3.0 and out["mockllm"]["errors"] == 0
        self.goal(f"{label} events/s vs bare", f"{ratio:.2f}x (per CPU-s {cpu_ratio:.2f}x)", ">= 3x", ok)

    # 4 ------------------------------------------------------------------------------------------------

    def _paced_run(self, server: Server, count: int, timeout: float) -> dict[str, Any]:
        if server.name == "mockllm":  # its first request waits for the tokenizers: not part of the load
            assert fetch(server.port, NONSTREAM_BODY)[0] == 200
        idle = server.status("VmRSS")
        startup_peak = server.status("VmHWM")
        reset = server.reset_peak()
        samples: list[int] = []
        body = json.dumps(STREAM_BODY).encode()

        async def go() -> load.StreamsResult:
            task = asyncio.ensure_future(load.streams(server.port, PATH, body, count, timeout=timeout, preconnect=True))
            while not task.done():
                samples.append(server.status("VmRSS"))
                await asyncio.wait([task], timeout=0.25)
            return task.result()

        cpu0 = server.cpu()
        result = asyncio.run(go())
        cpu = server.cpu() - cpu0
        ttft = [s.first_content - s.sent for s in result.streams if s.first_content is not None]
        total = [s.ended - s.sent for s in result.streams if s.ended is not None and s.done]
        events = sum(s.events for s in result.streams)
        return {
            "streams": count,
            "completed": result.ok,
            "timed_out": result.timed_out,
            "failures": [s.error or s.status.decode() for s in result.streams if not s.done][:3],
            "connect_phase_s": result.connect_seconds,
            "peak_open_connections": result.peak_open,
            "peak_streaming": result.peak_streaming,
            "wall_s": result.seconds,
            "server_cpu_s": cpu,
            "events_received": events,
            "chunks_per_s": events / result.seconds if result.seconds else 0,
            "ttft_median_s": statistics.median(ttft) if ttft else None,
            "ttft_p99_s": pct(ttft, 0.99) if ttft else None,
            "stream_time_median_s": statistics.median(total) if total else None,
            "stream_time_max_s": max(total) if total else None,
            "rss_idle_bytes": idle,
            "rss_peak_bytes": server.status("VmHWM"),
            "rss_peak_is_load_only": reset,
            "rss_startup_peak_bytes": startup_peak,
            "rss_sampled_max_bytes": max(samples, default=idle),
        }

    def paced(self) -> None:
        ttft, tps = 200, 50
        counts = [300, 1000] if self.quick else [1000, 10000]
        events, _, _ = self.recorded_stream()
        content = sum(token_count(e) for e in events)
        ideal = ttft / 1000 + content / tps
        log(
            f"== 4. concurrent paced streams: --latency realistic --ttft-ms {ttft} --tokens-per-second {tps}; "
            f"{content} content chunks a stream, {ideal:.1f} s each when on time"
        )
        log("   all connections are opened first, then every request is sent at once; 'streaming' = streams between")
        log("   their first byte and their end; idle = VmRSS after one request; peak RSS = VmHWM of the server,")
        log("   reset after that request (via /proc/PID/clear_refs; else it includes start-up); on time, the load")
        log("   asks for streams x content chunks / stream time chunks/s")
        pacing = ["--ttft-ms", str(ttft), "--tokens-per-second", str(tps)]
        out: dict[str, Any] = {"ttft_ms": ttft, "tokens_per_second": tps, "nofile_limit": self.nofile}
        out["ideal_stream_s"] = ideal
        for count in counts:
            need = count + 256
            if need > self.nofile:
                line = f"skipped: {count} streams need ~{need} open files per process; RLIMIT_NOFILE is {self.nofile}"
                log(f"   {count:>6} streams: {line}")
                out[str(count)] = {"skipped": line}
                self.goal(f"{count} paced streams: peak RSS", "skipped (fd limit)", "< 100 MB, all complete", None)
                continue
            timeout = 60 + count * 0.03
            row: dict[str, Any] = {}
            runs = {
                "mockllm": mockllm_cmd(0, "--latency", "realistic", *pacing),
                "bare": bare_cmd("sse", 0, "--events-file", str(self.workdir / "events.json"), *pacing),
            }
            for name, cmd in runs.items():
                with running(name, cmd, self.cpus.server, self.workdir) as server:
                    r = self._paced_run(server, count, timeout)
                row[name] = r
                log(
                    f"   {count:>6} streams {name:8s}: {r['completed']}/{count} complete in {r['wall_s']:.1f} s "
                    f"({r['peak_open_connections']} open, peak {r['peak_streaming']} streaming; server CPU "
                    f"{r['server_cpu_s'] / r['wall_s']:.0%}); peak RSS {mb(r['rss_peak_bytes'])} "
                    f"(idle {mb(r['rss_idle_bytes'])}, +{mb(r['rss_peak_bytes'] - r['rss_idle_bytes'])}"
                    f"{'' if r['rss_peak_is_load_only'] else '; peak includes start-up'})\n"
                    f"            median TTFT {(r['ttft_median_s'] or 0) * 1000:.0f} ms (p99 "
                    f"{(r['ttft_p99_s'] or 0) * 1000:.0f}), stream median {r['stream_time_median_s'] or 0:.2f} s / "
                    f"max {r['stream_time_max_s'] or 0:.2f} s, {r['chunks_per_s']:.0f} chunks/s "
                    f"(on time: {count * content / ideal:.0f})"
                )
            out[str(count)] = row
            m, b = row["mockllm"], row["bare"]
            ok = m["completed"] == count and m["rss_peak_bytes"] < 100 * 2**20
            self.goal(
                f"{count} paced streams: peak RSS",
                f"{mb(m['rss_peak_bytes'])} (+{mb(m['rss_peak_bytes'] - m['rss_idle_bytes'])} over idle), "
                f"{m['completed']}/{count} done; bare {mb(b['rss_peak_bytes'])}",
                "< 100 MB, all complete",
                ok,
            )
        self.results["paced"] = out

    # 5 ------------------------------------------------------------------------------------------------

    def pacing(self) -> None:
        ttft_ms, tps, count, ramp = 300.0, 40.0, 100, 1.0
        gap_cfg = 1000.0 / tps
        log(f"== 5. pacing accuracy: {count} concurrent streams, --ttft-ms {ttft_ms:g} --tokens-per-second {tps:g}")
        log("   TTFT = from writing the request (connection already open) to receiving the first content chunk;")
        log("   role = the same to the first event (the role chunk); gap = between consecutive content chunks")
        log("   of one stream, pooled over all streams; client clock, time of arrival in the event loop.")
        log(f"   ramped: stream i starts at i x {ramp / count * 1000:g} ms (all {count} open together; the goal);")
        log(f"   burst: all {count} requests at once (TTFT then includes queueing behind the others' handling).")
        self.recorded_stream()
        pacing = ["--ttft-ms", f"{ttft_ms:g}", "--tokens-per-second", f"{tps:g}"]
        body = json.dumps(STREAM_BODY).encode()
        runs = {
            "mockllm": mockllm_cmd(0, "--latency", "realistic", *pacing),
            "bare": bare_cmd("sse", 0, "--events-file", str(self.workdir / "events.json"), *pacing),
        }
        out: dict[str, Any] = {"ttft_ms": ttft_ms, "tokens_per_second": tps, "gap_ms": gap_cfg, "streams": count}
        out["ramp_s"] = ramp
        for name, cmd in runs.items():
            with running(name, cmd, self.cpus.server, self.workdir) as server:
                if name == "mockllm":
                    fetch(server.port, NONSTREAM_BODY)
                for mode, spread in (("ramped", ramp), ("burst", 0.0)):
                    result = asyncio.run(
                        load.streams(server.port, PATH, body, count, timeout=60, keep_times=True, ramp=spread)
                    )
                    r = self._pacing_figures(result, ttft_ms, gap_cfg)
                    out[f"{name}_{mode}"] = r
                    log(
                        f"   {name:8s} {mode:6s} {r['completed']}/{count} complete; TTFT median "
                        f"{r['ttft_median_ms']:.1f} ms ({r['ttft_error']:+.1%}; p10 {r['ttft_p10_ms']:.0f}, p90 "
                        f"{r['ttft_p90_ms']:.0f}); role chunk {r['role_chunk_median_ms']:.1f} ms; gap median "
                        f"{r['gap_median_ms']:.2f} ms ({r['gap_error']:+.1%}; p10 {r['gap_p10_ms']:.1f}, "
                        f"p90 {r['gap_p90_ms']:.1f}, mean {r['gap_mean_ms']:.2f})"
                    )
        log(
            f"   configured: TTFT {ttft_ms:g} ms, gap {gap_cfg:g} ms. mockllm sends the role chunk and the first "
            f"content chunk at TTFT;\n   the bare baseline sends its role chunk at TTFT and content one token later "
            f"({ttft_ms + gap_cfg:g} ms, {gap_cfg / ttft_ms:+.1%})."
        )
        self.results["pacing"] = out
        m = out["mockllm_ramped"]
        self.goal(
            "pacing: median TTFT (1st content)",
            f"{m['ttft_median_ms']:.0f} ms ({m['ttft_error']:+.1%})",
            f"{ttft_ms:g} ms +-10%",
            abs(m["ttft_error"]) <= 0.10 and m["completed"] == count,
        )
        self.goal(
            "pacing: median inter-chunk gap",
            f"{m['gap_median_ms']:.2f} ms ({m['gap_error']:+.1%})",
            f"{gap_cfg:g} ms +-10%",
            abs(m["gap_error"]) <= 0.10,
        )

    def embeddings(self) -> None:
        import embeddings as emb

        log("== 6. embeddings: retrieval with plain cosine, and a 2,048-input batch over HTTP (no baseline)")
        with running("mockllm-embeddings", mockllm_cmd(), self.cpus.server, self.workdir) as server:
            out = emb.run(server.port)
        emb.report(out, lambda line: log("   " + line.strip()))
        self.results["embeddings"] = out
        for dims in ("1536", "256"):
            r = out[f"retrieval_{dims}"]
            self.goal(
                f"embeddings: retrieval top-1 at {dims}",
                f"{r['top1']:.3f} (top-5 {r['top5']:.3f})",
                ">= 0.9",
                r["top1"] >= 0.9,
            )
        for fmt in ("base64", "float"):
            s = out[f"speed_{fmt}"]
            self.goal(
                f"embeddings: 2,048 x 1,536 {fmt}",
                f"{s['seconds'] * 1000:.0f} ms ({s['vectors_per_second']:,.0f} vectors/s)",
                "< 1 s",
                s["seconds"] < 1.0,
            )

    def plugincost(self) -> None:
        import plugin_cost

        log("== plugincost: 300 tests through the mockllm fixture, mockllm.client() per test vs one shared client")
        r = plugin_cost.measure(300, rounds=1 if self.quick else 2)
        for variant in plugin_cost.VARIANTS:
            log(f"   {variant:9s} {r[variant]['seconds']:6.2f} s  ({r[variant]['ms_per_test']:.2f} ms a test)")
        log(
            f"   per-test / shared {r['ratio_per_test']:.2f}x; a new SDK client per test (the old client()) "
            f"{r['ratio_sdk']:.2f}x"
        )
        self.results["plugincost"] = r
        self.goal(
            "plugin: client() per test vs shared",
            f"{r['ratio_per_test']:.2f}x (new SDK client: {r['ratio_sdk']:.1f}x)",
            "<= 1.3x",
            r["ratio_per_test"] <= 1.3,
        )

    @staticmethod
    def _pacing_figures(result: load.StreamsResult, ttft_ms: float, gap_cfg: float) -> dict[str, Any]:
        good = [s for s in result.streams if s.done and s.first_content is not None and s.first_event is not None]
        ttft = [s.first_content - s.sent for s in good if s.first_content is not None]
        role = [s.first_event - s.sent for s in good if s.first_event is not None]
        gaps = [b - a for s in good for a, b in zip(s.content_times, s.content_times[1:], strict=False)]
        if not ttft or not gaps:
            raise RuntimeError(f"no complete stream ({result.streams[0].error})")
        r = {
            "completed": result.ok,
            "ttft_median_ms": statistics.median(ttft) * 1000,
            "ttft_p10_ms": pct(ttft, 0.1) * 1000,
            "ttft_p90_ms": pct(ttft, 0.9) * 1000,
            "role_chunk_median_ms": statistics.median(role) * 1000,
            "gap_median_ms": statistics.median(gaps) * 1000,
            "gap_mean_ms": statistics.fmean(gaps) * 1000,
            "gap_p10_ms": pct(gaps, 0.1) * 1000,
            "gap_p90_ms": pct(gaps, 0.9) * 1000,
        }
        r["ttft_error"] = r["ttft_median_ms"] / ttft_ms - 1
        r["gap_error"] = r["gap_median_ms"] / gap_cfg - 1
        return r

    # ----------------------------------------------------------------------------------------------

    def report(self, selected: list[str], elapsed: float, load_start: float) -> dict[str, Any]:
        log()
        log("== summary")
        width = max((len(row["name"]) for row in self.summary), default=10)
        vwidth = max((len(row["value"]) for row in self.summary), default=10)
        for row in self.summary:
            verdict = {True: "PASS", False: "MISS", None: "SKIP"}[row["pass"]]
            log(f"   {row['name']:{width}s}  {row['value']:{vwidth}s}  goal {row['goal']:24s} {verdict}")
        if self.busy_notes:
            log(
                f"   note: the machine was busy (load average {load_start:.1f} at start, {loadavg():.1f} at end); "
                "wall-clock rates are noisy, per-CPU-second figures less so"
            )
        import aiohttp

        meta = {
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "quick": self.quick,
            "selected": selected,
            "seconds_total": elapsed,
            "python": platform.python_version(),
            "aiohttp": aiohttp.__version__,
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "pinning": self.cpus.describe(),
            "loadavg_start": load_start,
            "loadavg_end": loadavg(),
            "client": self.client,
            "client_note": self.client_note,
            "rounds": self.rounds,
            "round_seconds": self.seconds,
            "warmup_seconds": self.warmup,
            "nofile_limit": self.nofile,
            "busy_notes": self.busy_notes,
        }
        return {"meta": meta, "summary": self.summary, "results": self.results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short durations, one round: a smoke run")
    parser.add_argument("--only", help=f"comma-separated subset of: {', '.join(NAMES)}")
    parser.add_argument(
        "--client",
        choices=["auto", "wrk", "python", "aiohttp"],
        default="auto",
        help="throughput load generator (auto: wrk, apt-installed when missing and root, else python)",
    )
    parser.add_argument("--output", type=Path, default=HERE / "results" / "latest.json")
    parser.add_argument(
        "--against",
        metavar="REF",
        help="also measure the server of an earlier commit (e.g. HEAD~3, a tag) in the same rounds: "
        "non-stream and stream throughput, reported as a ratio (goal >= 90%%)",
    )
    args = parser.parse_args(argv)
    selected = list(NAMES)
    if args.only:
        selected = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in selected if n not in NAMES]
        if unknown:
            parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(NAMES)}")
    started = time.perf_counter()
    load_start = loadavg()
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="mockllm-bench-") as tmp:
        bench = Bench(args, Path(tmp))
        log(
            f"mockllm bench: {bench.cpus.describe()}; throughput client {bench.client} ({bench.client_note}); "
            f"{bench.rounds} x {bench.seconds:g} s rounds after {bench.warmup:g} s warm-up; "
            f"RLIMIT_NOFILE {bench.nofile}; load average {load_start:.1f}"
        )
        for name in selected:
            step = time.perf_counter()
            try:
                getattr(bench, name)()
            except Exception as exc:  # one broken benchmark must not hide the others
                failed.append(name)
                log(f"   {name} FAILED: {exc!r}")
                traceback.print_exc()
                bench.results[name] = {"error": repr(exc)}
                bench.goal(name, "error", "-", False)
            log(f"   ({time.perf_counter() - step:.0f} s)")
        elapsed = time.perf_counter() - started
        report = bench.report(selected, elapsed, load_start)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    shown = args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output
    log(f"   total {elapsed:.0f} s; results written to {shown}")
    return 1 if failed else 0  # a MISS is a finding, not a failure; a benchmark that broke is


if __name__ == "__main__":
    sys.exit(main())
