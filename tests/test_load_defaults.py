"""The default limits let a load test through (issue 15 §10).

A gateway's load test opens a thousand or more paced streams at once. With ``--max-streams 500`` (the
old default) half of them got a 503; the defaults now admit 5,000 streams on 6,000 connections (chosen
from ``bench/capacity.py``: ~38 KB a stream, 292 MB peak RSS at 5,000 on the development machine).
This runs ``mockllm serve`` with its defaults and 1,000 concurrent paced streams, all open together.
"""

from __future__ import annotations

import asyncio
import json
import re
import resource
import subprocess
import sys
import time

import pytest

from mockllm.config import DEFAULTS

STREAMS = 1000
TTFT_MS = 3000  # long enough that every stream is in flight before the first one ends, even on a busy machine
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)/v1")


def test_defaults_admit_a_few_thousand_streams_and_stay_bounded() -> None:
    assert DEFAULTS["max_streams"] >= 5000 and DEFAULTS["max_connections"] > DEFAULTS["max_streams"]
    assert DEFAULTS["max_streams"] <= 20000  # bounded: ~38 KB a stream


@pytest.fixture
def room_for_sockets() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = STREAMS + 256
    if soft != resource.RLIM_INFINITY and soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            pytest.skip(f"open-files hard limit {hard} < {need}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


async def _load(port: int) -> tuple[dict[bytes, int], int]:
    body = json.dumps(
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "stream": True, "max_tokens": 3}
    ).encode()
    request = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    gate = asyncio.Semaphore(200)

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        async with gate:
            return await asyncio.open_connection("127.0.0.1", port)

    pairs = await asyncio.gather(*[connect() for _ in range(STREAMS)])
    for _, writer in pairs:  # every request goes out together: all streams are open at once
        writer.write(request)
    ended: list[float] = []
    started = time.monotonic()

    async def read(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
        raw = await asyncio.wait_for(reader.read(), timeout=120)
        ended.append(time.monotonic())
        writer.close()
        status = raw.split(b" ", 2)[1] if raw.startswith(b"HTTP/1.1 ") else b"?"
        return status if status != b"200" or b"data: [DONE]" in raw else b"200-incomplete"

    statuses = await asyncio.gather(*[read(r, w) for r, w in pairs])
    counts: dict[bytes, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    # Streams that ended before the time-to-first-token had passed were never paced (e.g. refused).
    early = sum(1 for t in ended if t - started < TTFT_MS / 1000 * 0.9)
    return counts, early


def test_a_thousand_concurrent_paced_streams_all_succeed_with_defaults(room_for_sockets: None) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "mockllm", "serve", "--port", "0", "--latency", "realistic", "--ttft-ms", str(TTFT_MS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        match = LISTENING.search(line)
        assert match, line + (server.stderr.read() if server.poll() is not None and server.stderr else "")
        counts, early = asyncio.run(_load(int(match.group(1))))
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert counts == {b"200": STREAMS}, counts
    assert early == 0
