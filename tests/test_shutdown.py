"""Graceful shutdown (issue 11 §5): SIGTERM with 100 streams open ends every stream within a bounded
time and the process exits 0 without a traceback.

A real ``mockllm serve`` process, so the signal path is the one users hit. Ten of the clients stopped
reading (their streams are stuck in a full socket), which is the case a naive shutdown waits on forever.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

STREAMS = 100
STUCK = 10  # of which this many never read
BOUND_S = 20.0  # every stream is over, and the process gone, this long after SIGTERM (a stream lasts 200 s;
# --shutdown-timeout is 3 s, the rest is room for a machine busy with other work)

FIXTURE = """
fixtures:
  - name: slow-stream
    match: {user: slow stream}
    reply:
      content: "{content}"
      pacing: {ttft_ms: 0, tokens_per_second: 20}
"""


def start_server(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], int]:
    fixtures = tmp_path / "slow.yaml"
    fixtures.write_text(FIXTURE.replace("{content}", "tick " * 4000), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockllm", "serve", "--port", "0", "--fixtures", str(fixtures), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        pytest.fail(f"server did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    port = int(line.rsplit(":", 1)[1].split("/", 1)[0])
    return proc, port


async def open_stream(port: int, *, reads: bool) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    body = json.dumps(
        {"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": "slow stream"}]}
    ).encode()
    sock = socket.socket()
    if not reads:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=2**20)
    writer.write(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body) + body
    )
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 20)
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    return reader, writer


async def until_closed(reader: asyncio.StreamReader) -> float:
    while await reader.read(65536):
        pass
    return time.monotonic()


def test_sigterm_with_100_streams_open_ends_them_all_and_exits_0(tmp_path):
    proc, port = start_server(tmp_path, "--shutdown-timeout", "3")
    try:

        async def scenario() -> tuple[float, list[float]]:
            streams = [await open_stream(port, reads=i >= STUCK) for i in range(STREAMS)]
            readers = [asyncio.ensure_future(until_closed(r)) for i, (r, _) in enumerate(streams) if i >= STUCK]
            await asyncio.sleep(0.5)  # every stream is mid-answer
            assert all(not r.done() for r in readers)
            signalled = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            ended = await asyncio.wait_for(asyncio.gather(*readers), BOUND_S)
            # the stuck clients now read: each finds its stream ended (EOF or reset), not still flowing
            stuck_ends = []
            for reader, _ in streams[:STUCK]:
                try:
                    stuck_ends.append(await asyncio.wait_for(until_closed(reader), BOUND_S))
                except ConnectionResetError:
                    stuck_ends.append(time.monotonic())
            for _, writer in streams:
                writer.close()
            return signalled, [*ended, *stuck_ends]

        signalled, ends = asyncio.run(scenario())
        assert len(ends) == STREAMS
        assert max(ends) - signalled < BOUND_S
        code = proc.wait(timeout=BOUND_S)
        assert code == 0
        assert time.monotonic() - signalled < BOUND_S + 2
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    stderr = proc.stderr.read() if proc.stderr else ""
    assert "Traceback" not in stderr and "ERROR" not in stderr, stderr[-3000:]


def test_sigterm_when_idle_exits_0_at_once(tmp_path):
    proc, port = start_server(tmp_path)
    try:
        with socket.create_connection(("127.0.0.1", port)):  # an idle keep-alive connection is no reason to wait
            signalled = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=15) == 0
        assert time.monotonic() - signalled < 15  # not the 75 s idle timeout (and far from it on a busy machine)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
