"""Load generators for bench/run.py: ``wrk`` (preferred) and two pure-Python fallbacks, plus a stream client.

- :func:`run_wrk` drives ``wrk`` (one thread, keep-alive, ``bench/post.lua`` POSTs a recorded body).
- :func:`raw_rate` is a closed-loop keep-alive client on raw asyncio protocols: the cheapest Python client
  (no HTTP library; it only finds the end of each response), used when wrk is missing.
- :func:`aiohttp_rate` is the same loop with ``aiohttp.ClientSession``, kept for comparison (``--client aiohttp``).
- :func:`streams` opens N streams at once, one connection each (``Connection: close``), and timestamps every
  SSE event on arrival: what the paced-stream and pacing-accuracy benchmarks use.

Everything connects to 127.0.0.1 only and is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
_END_CHUNKED = b"\r\n0\r\n\r\n"


@dataclass
class Rate:
    client: str
    requests: int
    seconds: float
    bytes: int = 0
    errors: int = 0
    p50_ms: float | None = None
    p99_ms: float | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def post_request(
    path: str, body: bytes, port: int, *, close: bool = False, headers: dict[str, str] | None = None
) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
    )
    head += "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    if close:
        head += "Connection: close\r\n"
    return head.encode() + b"\r\n" + body


# ----- wrk -----------------------------------------------------------------------------------------


def find_wrk() -> str | None:
    return shutil.which("wrk")


def ensure_wrk(log: Callable[[str], None] = print) -> tuple[str | None, str]:
    """wrk's path and a note; installs the Debian package when missing and running as root."""
    path = find_wrk()
    if path:
        return path, "wrk found"
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None, "wrk missing and not root: falling back to the Python client"
    log("wrk missing: apt-get install -y wrk ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}

    def apt(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["apt-get", *args], capture_output=True, text=True, env=env, timeout=300, check=False)

    result = apt("install", "-y", "-qq", "wrk")
    if result.returncode != 0:  # the package lists may be missing on a fresh machine
        apt("update", "-qq")
        result = apt("install", "-y", "-qq", "wrk")
    path = find_wrk()
    if path:
        return path, "wrk installed with apt-get"
    return None, f"apt-get install wrk failed ({result.stderr.strip()[-200:]}): falling back to the Python client"


def run_wrk(
    wrk: str,
    url: str,
    body_file: Path,
    connections: int,
    seconds: float,
    cpus: set[int] | None = None,
    headers: dict[str, str] | None = None,
) -> Rate:
    cmd = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s"]
    cmd += [str(HERE / "post.lua"), url]
    env = {**os.environ, "BENCH_BODY_FILE": str(body_file)}
    if headers:  # extra request headers (the Messages API's anthropic-version), one "name: value" a line
        env["BENCH_HEADERS"] = "\n".join(f"{name}: {value}" for name, value in headers.items())

    def pin() -> None:
        if cpus:
            os.sched_setaffinity(0, cpus)

    result = subprocess.run(
        cmd, capture_output=True, text=True, env=env, timeout=seconds + 60, preexec_fn=pin, check=False
    )
    match = re.search(r"BENCH_JSON (\{.*\})", result.stdout)
    if result.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stdout[-500:]} {result.stderr[-500:]}")
    data = json.loads(match.group(1))
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    return Rate(
        "wrk",
        data["requests"],
        data["duration_us"] / 1e6,
        data["bytes"],
        errors,
        data["p50_us"] / 1000,
        data["p99_us"] / 1000,
    )


# ----- raw asyncio closed-loop client --------------------------------------------------------------


class _KeepAlive(asyncio.Protocol):
    """Sends the request, waits for one whole response, sends again, until told to stop."""

    def __init__(self, request: bytes, stats: dict[str, int], stop: asyncio.Event, closed: asyncio.Future) -> None:
        self.request = request
        self.stats = stats
        self.stop = stop
        self.closed = closed
        self.buf = b""
        self.need = -1  # body bytes still expected (Content-Length), -2 while reading a chunked body
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        stats = self.stats
        stats["bytes"] += len(data)
        buf = self.buf + data
        while True:
            if self.need == -1:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    break
                head = buf[:end].lower()
                if head[9:12] != b"200":
                    stats["errors"] += 1
                at = head.find(b"content-length:")
                if at >= 0:
                    eol = head.find(b"\r\n", at)
                    self.need = int(head[at + 15 : eol if eol >= 0 else len(head)])
                else:
                    self.need = -2
                buf = buf[end + 4 :]
            if self.need == -2:
                at = buf.find(_END_CHUNKED)
                if at < 0:
                    buf = buf[-(len(_END_CHUNKED) - 1) :]
                    break
                buf = buf[at + len(_END_CHUNKED) :]
            else:
                if len(buf) < self.need:
                    break
                buf = buf[self.need :]
            self.need = -1
            stats["requests"] += 1
            if self.stop.is_set():
                assert self.transport is not None
                self.transport.close()
                break
            assert self.transport is not None
            self.transport.write(self.request)
        self.buf = buf

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


async def raw_rate(
    port: int, path: str, body: bytes, connections: int, seconds: float, headers: dict[str, str] | None = None
) -> Rate:
    loop = asyncio.get_running_loop()
    request = post_request(path, body, port, headers=headers)
    stats = {"requests": 0, "bytes": 0, "errors": 0}
    stop = asyncio.Event()
    closed = [loop.create_future() for _ in range(connections)]
    transports = []
    for fut in closed:
        transport, _ = await loop.create_connection(lambda f=fut: _KeepAlive(request, stats, stop, f), HOST, port)
        transports.append(transport)
    started = time.perf_counter()
    await asyncio.sleep(seconds)
    count, elapsed = stats["requests"], time.perf_counter() - started
    stop.set()
    await asyncio.wait(closed, timeout=10)
    for transport in transports:
        transport.close()
    return Rate("python-raw", count, elapsed, stats["bytes"], stats["errors"])


async def aiohttp_rate(
    port: int, path: str, body: bytes, connections: int, seconds: float, extra: dict[str, str] | None = None
) -> Rate:
    import aiohttp

    url = f"http://{HOST}:{port}{path}"
    count = errors = nbytes = 0
    deadline = time.perf_counter() + seconds
    headers = {"Content-Type": "application/json", **(extra or {})}

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal count, errors, nbytes
        while time.perf_counter() < deadline:
            async with session.post(url, data=body, headers=headers) as resp:
                data = await resp.read()
                nbytes += len(data)
                if resp.status != 200:
                    errors += 1
                count += 1

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(connections)))
        elapsed = time.perf_counter() - started
    return Rate("python-aiohttp", count, elapsed, nbytes, errors)


# ----- streams -------------------------------------------------------------------------------------


@dataclass
class Stream:
    sent: float = 0.0
    first_event: float | None = None  # the role chunk
    first_content: float | None = None  # first event that carries content (or reasoning / tool arguments)
    ended: float | None = None
    events: int = 0
    status: bytes = b""
    done: bool = False  # saw data: [DONE]
    content_times: list[float] = field(default_factory=list)
    error: str | None = None


TOKEN_MARKS = (
    b'"delta":{"content":', b'"reasoning_content":', b'"arguments":', b'"text_delta"', b'"input_json_delta"',
    b'"thinking_delta"', b'.delta","',  # the last: Responses' delta events ("response.output_text.delta", ...)
)  # fmt: skip


class _Gauge:
    """Open connections and streams that have started (first byte) but not ended, with their peaks."""

    def __init__(self) -> None:
        self.open = self.open_peak = self.streaming = self.streaming_peak = 0


class _StreamProtocol(asyncio.Protocol):
    def __init__(
        self, request: bytes, record: Stream, keep_times: bool, finished: asyncio.Future, gauge: _Gauge, send_now: bool
    ) -> None:
        self.request = request
        self.s = record
        self.keep_times = keep_times
        self.finished = finished
        self.gauge = gauge
        self.send_now = send_now
        self.buf = b""
        self.in_body = False
        self.started = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        gauge = self.gauge
        gauge.open += 1
        gauge.open_peak = max(gauge.open_peak, gauge.open)
        if self.send_now:
            self.send()

    def send(self) -> None:
        assert self.transport is not None
        self.s.sent = time.perf_counter()
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        buf = self.buf + data
        s = self.s
        if not self.started:
            self.started = True
            self.gauge.streaming += 1
            self.gauge.streaming_peak = max(self.gauge.streaming_peak, self.gauge.streaming)
        if not self.in_body:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self.buf = buf
                return
            s.status = buf[9:12]
            self.in_body = True
            buf = buf[end + 4 :]
        pos = 0
        while True:
            start = buf.find(b"data: ", pos)
            if start < 0:
                buf = buf[-5:]
                break
            end = buf.find(b"\n\n", start)
            if end < 0:
                buf = buf[start:]
                break
            s.events += 1
            if s.first_event is None:
                s.first_event = now
            event = buf[start + 6 : end]
            if event == b"[DONE]":
                s.done = True
            elif any(mark in event for mark in TOKEN_MARKS):
                if s.first_content is None:
                    s.first_content = now
                if self.keep_times:
                    s.content_times.append(now)
            pos = end + 2
        self.buf = buf

    def connection_lost(self, exc: Exception | None) -> None:
        self.gauge.open -= 1
        if self.started:
            self.gauge.streaming -= 1
        self.s.ended = time.perf_counter()
        if exc is not None:
            self.s.error = repr(exc)
        if not self.finished.done():
            self.finished.set_result(None)


@dataclass
class StreamsResult:
    streams: list[Stream]
    seconds: float  # from the first request sent (after the connect phase, with preconnect) to the last end
    connect_seconds: float  # the connect phase (preconnect only)
    peak_open: int
    peak_streaming: int
    timed_out: int

    @property
    def ok(self) -> int:
        return sum(1 for s in self.streams if s.done and s.status == b"200" and s.error is None)


async def streams(
    port: int,
    path: str,
    body: bytes,
    count: int,
    *,
    timeout: float,
    keep_times: bool = False,
    connect_limit: int = 256,
    ramp: float = 0.0,
    preconnect: bool = False,
) -> StreamsResult:
    """Run ``count`` streams, one connection each (``Connection: close``), and read them to the end.

    - default: every stream connects (at most ``connect_limit`` handshakes in flight) and sends at once;
    - ``ramp``: stream i starts at ``i * ramp / count`` seconds;
    - ``preconnect``: open all connections first, then send every request in one go, so all ``count``
      are open together however slowly the server handles them.
    """
    loop = asyncio.get_running_loop()
    request = post_request(path, body, port, close=True)
    gate = asyncio.Semaphore(connect_limit)
    gauge = _Gauge()
    records = [Stream() for _ in range(count)]
    transports: list[asyncio.BaseTransport] = []
    go = asyncio.Event()
    connected = [0]

    def arrived() -> None:
        connected[0] += 1
        if connected[0] == count:
            go.set()

    async def one(index: int, record: Stream) -> None:
        finished = loop.create_future()
        if ramp:
            await asyncio.sleep(index * ramp / count)
        async with gate:
            try:
                transport, protocol = await loop.create_connection(
                    lambda: _StreamProtocol(request, record, keep_times, finished, gauge, not preconnect), HOST, port
                )
            except OSError as exc:
                record.error = repr(exc)
                arrived()
                return
        transports.append(transport)
        if preconnect:
            arrived()
            await go.wait()
            protocol.send()
        await finished

    started = time.perf_counter()
    deadline = started + timeout
    tasks = [asyncio.ensure_future(one(i, r)) for i, r in enumerate(records)]
    connect_seconds = 0.0
    if preconnect:
        waiter = asyncio.ensure_future(go.wait())
        await asyncio.wait([waiter], timeout=timeout)
        waiter.cancel()
        connect_seconds = time.perf_counter() - started
        started = time.perf_counter()
    _, pending = await asyncio.wait(tasks, timeout=max(1.0, deadline - time.perf_counter()))
    elapsed = time.perf_counter() - started
    for task in pending:
        task.cancel()
    for transport in transports:
        transport.close()
    if pending:
        await asyncio.wait(pending, timeout=5)
    return StreamsResult(records, elapsed, connect_seconds, gauge.open_peak, gauge.streaming_peak, len(pending))
