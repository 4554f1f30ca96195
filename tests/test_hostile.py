"""Hostile clients (issue 11 §2): each misbehaviour gets an OpenAI-shaped answer or a closed connection,
never a 5xx, a hang or a traceback in the log, and the server keeps serving everyone else.

The clients here are raw sockets, because HTTP libraries refuse to misbehave. One server with short
timeouts serves the module; the connection flood gets its own small server.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import spec
from conftest import asyncio_gc_noise

from mockllm.config import Settings
from mockllm.http import limits
from mockllm.http.app import STREAMS
from mockllm.http.limits import WRITE_BUFFER_HIGH
from mockllm.server import MockServer

REQUEST_ID = re.compile(r"req_[0-9a-f]{32}")
HEADER_TIMEOUT = 0.5
BODY_TIMEOUT = 0.5
WRITE_TIMEOUT = 0.5
IDLE_TIMEOUT = 1.0
#: How late a timeout may fire on a machine busy with other work (a CPU hog on every core). What these tests
#: tell apart is far larger: a trickled head would take ~20 s, an idle connection would stay open.
LOADED_MACHINE_S = 6.0


@pytest.fixture(scope="module")
def hostile() -> Iterator[MockServer]:
    settings = Settings(
        port=0,
        header_timeout=HEADER_TIMEOUT,
        body_timeout=BODY_TIMEOUT,
        write_timeout=WRITE_TIMEOUT,
        idle_timeout=IDLE_TIMEOUT,
    )
    with MockServer(settings) as srv:
        yield srv


@pytest.fixture
def errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    """Every ERROR-or-worse record (ours, aiohttp's, asyncio's) the test produced; must stay empty."""
    caplog.set_level(logging.WARNING)
    records: list[logging.LogRecord] = []
    yield records
    records.extend(r for r in caplog.records if (r.levelno >= logging.ERROR or r.exc_info) and not asyncio_gc_noise(r))
    assert not records, [r.getMessage() for r in records]


def chat_body(content: str = "hi", **extra: object) -> bytes:
    return json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}], **extra}).encode()


def post_head(body_len: int, *, version: str = "1.1", extra: str = "") -> bytes:
    return (
        f"POST /v1/chat/completions HTTP/{version}\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {body_len}\r\n{extra}\r\n"
    ).encode()


def connect(server: MockServer, *, rcvbuf: int | None = None, timeout: float = 5.0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(timeout)
    assert server.port is not None
    sock.connect(("127.0.0.1", server.port))
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes (a socket timeout fails the test: the server must close)."""
    out = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return out
        if not chunk:
            return out
        out += chunk


def split_responses(data: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """Parse back-to-back ``Content-Length`` responses (what pipelining and HTTP/1.0 give)."""
    found = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", len(rest)))
        found.append((status, headers, rest[:length]))
        data = rest[length:]
    return found


def assert_openai_error(body: bytes, status: int) -> dict[str, object]:
    payload = json.loads(body)
    spec.validate("ErrorResponse", payload)
    error = payload["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    assert error["message"], status
    return error


def stats(server: MockServer) -> dict[str, object]:
    """The server's resource figures, read on its loop (an HTTP request could itself be refused)."""
    assert server.app is not None
    return server.call(lambda: limits.stats(server.app))


def still_serves(server: MockServer) -> None:
    r = httpx.post(server.base_url + "/chat/completions", content=chat_body(), timeout=10)
    assert r.status_code == 200, r.text


# ----- slow and broken requests -------------------------------------------------------------------------


def test_headers_trickled_a_byte_at_a_time_get_408_and_close(hostile, errors_logged):
    sock = connect(hostile)
    head = post_head(10)
    started = time.monotonic()
    sent = 0
    try:
        for byte in head:  # the whole head would take ~20 s at this pace; the server cuts it at 0.5 s
            sock.send(bytes([byte]))
            sent += 1
            time.sleep(0.05)
    except (BrokenPipeError, ConnectionResetError):
        pass
    data = read_all(sock)
    elapsed = time.monotonic() - started
    assert sent < len(head)
    assert elapsed < HEADER_TIMEOUT + LOADED_MACHINE_S, elapsed
    [(status, headers, body)] = split_responses(data)
    assert status == 408 and headers["connection"] == "close"
    assert REQUEST_ID.fullmatch(headers["x-request-id"]), headers
    assert assert_openai_error(body, 408)["code"] == "request_timeout"
    still_serves(hostile)


def test_idle_connection_is_closed_after_idle_timeout(hostile, errors_logged):
    sock = connect(hostile)
    started = time.monotonic()
    assert read_all(sock) == b""
    assert IDLE_TIMEOUT - 0.2 < time.monotonic() - started < IDLE_TIMEOUT + LOADED_MACHINE_S


def test_body_trickled_gets_408_and_close(hostile, errors_logged):
    body = chat_body()
    sock = connect(hostile)
    sock.sendall(post_head(len(body)))
    started = time.monotonic()
    try:
        for i in range(0, len(body), 2):  # 2 bytes every 0.1 s: far slower than the body timeout allows
            sock.send(body[i : i + 2])
            time.sleep(0.1)
    except (BrokenPipeError, ConnectionResetError):
        pass
    [(status, headers, payload)] = split_responses(read_all(sock))
    assert status == 408, payload
    assert REQUEST_ID.fullmatch(headers["x-request-id"]), headers
    assert "body" in str(assert_openai_error(payload, 408)["message"])
    assert time.monotonic() - started < BODY_TIMEOUT + LOADED_MACHINE_S
    still_serves(hostile)


def test_body_shorter_than_content_length(hostile, errors_logged):
    body = chat_body()
    sock = connect(hostile)
    sock.sendall(post_head(len(body) + 100) + body)
    [(status, _, payload)] = split_responses(read_all(sock))
    assert status == 408
    assert_openai_error(payload, 408)
    # ...and one that gives up half-way (half-close): nothing to answer, but no error and no leak
    sock = connect(hostile)
    sock.sendall(post_head(len(body) + 100) + body)
    sock.shutdown(socket.SHUT_WR)
    data = read_all(sock)
    assert data == b"" or split_responses(data)[0][0] < 500
    still_serves(hostile)


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", id="long-header"),
        pytest.param(
            b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: 1\r\n" % i for i in range(300)) + b"\r\n",
            id="many-headers",
        ),
    ],
)
def test_oversized_headers_get_431(hostile, errors_logged, head):
    sock = connect(hostile)
    sock.sendall(head)
    [(status, headers, body)] = split_responses(read_all(sock))
    assert status == 431
    assert REQUEST_ID.fullmatch(headers["x-request-id"]), headers
    assert assert_openai_error(body, 431)["code"] == "request_header_fields_too_large"
    still_serves(hostile)


@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(64)), id="tls-hello"),
        pytest.param(b"SSH-2.0-OpenSSH_9.6\r\n", id="ssh-banner"),
        pytest.param(b"\x00\xff\xfe garbage \r\n\r\n", id="binary"),
        pytest.param(b"GET / HTTP/9.9\r\n\r\n", id="bad-version"),
        pytest.param(b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: -5\r\n\r\n", id="negative-length"),
        pytest.param(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", id="bad-chunk"
        ),
    ],
)
def test_garbage_instead_of_http(hostile, errors_logged, garbage):
    sock = connect(hostile)
    sock.sendall(garbage)
    sock.shutdown(socket.SHUT_WR)
    data = read_all(sock)
    if data:  # some garbage leaves nothing to answer; whatever is answered is a 4xx in OpenAI's shape
        [(status, headers, body)] = split_responses(data)
        assert 400 <= status < 500
        assert REQUEST_ID.fullmatch(headers["x-request-id"]), headers
        assert_openai_error(body, status)
    still_serves(hostile)


# ----- old and busy HTTP --------------------------------------------------------------------------------


def test_http_1_0_request_is_answered_and_closed(hostile, errors_logged):
    body = chat_body()
    sock = connect(hostile)
    sock.sendall(post_head(len(body), version="1.0") + body)
    [(status, _, payload)] = split_responses(read_all(sock))  # the server closes: 1.0 has no keep-alive
    assert status == 200
    spec.validate("CreateChatCompletionResponse", json.loads(payload))


def test_pipelined_requests_are_answered_in_order(hostile, errors_logged):
    bodies = [chat_body(f"question {i}", n=i + 1) for i in range(3)]
    wire = b"".join(post_head(len(b)) + b for b in bodies)
    wire += b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    sock = connect(hostile)
    sock.sendall(wire)  # all four in one write, before reading anything
    answers = split_responses(read_all(sock))
    assert [status for status, _, _ in answers] == [200, 200, 200, 200]
    for i, (_, _, payload) in enumerate(answers[:3]):  # in order: the i-th asked for n=i+1 choices
        completion = json.loads(payload)
        spec.validate("CreateChatCompletionResponse", completion)
        assert len(completion["choices"]) == i + 1
    assert json.loads(answers[3][2]) == {"status": "ok"}


# ----- a streaming client that stops reading -------------------------------------------------------------


def test_stream_client_that_stops_reading_is_dropped_with_bounded_buffer(hostile, errors_logged):
    long_reply = {
        "name": "hostile-long-stream",
        "match": {"user": "hostile long stream"},
        "reply": {"content": "word " * 60_000, "pacing": {"ttft_ms": 0, "tokens_per_second": 200_000}},
    }
    added = httpx.post(hostile.root_url + "/_mockllm/fixtures?replace=1", json=long_reply, timeout=10)
    assert added.status_code == 201, added.text
    before = stats(hostile)["write_timeouts"]
    body = chat_body("hostile long stream", stream=True)
    sock = connect(hostile, rcvbuf=4096)
    sock.sendall(post_head(len(body)) + body)  # ...and never read

    def buffered() -> list[int]:
        return [t.get_write_buffer_size() for t in hostile.app[STREAMS]]

    peak, started, freed = 0, time.monotonic(), False
    while time.monotonic() - started < 30:  # a condition with a generous deadline
        peak = max([peak, *hostile.call(buffered)])
        now = stats(hostile)
        if now["write_timeouts"] > before and now["streams"] == 0:
            freed = True
            break
        time.sleep(0.02)
    assert freed, now
    # one SSE event past the high-water mark at most (aiohttp may batch a few small writes)
    assert peak <= WRITE_BUFFER_HIGH + 32 * 1024, peak
    sock.close()
    still_serves(hostile)


# ----- thousands of idle keep-alive connections ---------------------------------------------------------


def test_thousands_of_idle_connections_are_bounded_then_closed(errors_logged):
    settings = Settings(port=0, max_connections=100, idle_timeout=1.0)
    with MockServer(settings) as srv:
        assert srv.port is not None
        sockets = []
        try:
            for _ in range(2000):
                sock = socket.socket()
                sock.setblocking(False)
                try:
                    sock.connect(("127.0.0.1", srv.port))
                except BlockingIOError:
                    pass
                sockets.append(sock)
            time.sleep(0.3)
            # a real client now: refused with a 503 in OpenAI's shape that says when to come back
            answer = httpx.get(srv.base_url + "/models", timeout=30)
            if answer.status_code == 503:  # (unless the flood's refusals already made room)
                assert answer.headers["retry-after"] == "1"
                error = assert_openai_error(answer.content, 503)
                assert "--max-connections" in str(error["message"])
            # The idle ones are closed after the idle timeout; then everyone is served again. The flood
            # drains in waves (the accept queue holds only part of it; the kernel retries the rest with
            # back-off, and each wave idles a second), so on a busy machine this takes a while: wait for
            # the condition with a generous deadline rather than a fixed time. "Drained" is seen by a real
            # client being served: the count can read 1 between two waves, and the next wave fills the
            # slots again before the client's request (a failure seen once in a dozen loaded runs).
            deadline = time.monotonic() + 90
            served = None
            while time.monotonic() < deadline:
                figures = stats(srv)
                if figures["connections"] <= 1:
                    served = httpx.get(srv.base_url + "/models", timeout=30).status_code
                    if served == 200:
                        break
                time.sleep(0.2)
            assert served == 200, figures
            assert stats(srv)["connections_refused"] > 0
        finally:
            for sock in sockets:
                sock.close()


def test_refused_connection_reads_the_503_not_a_reset(errors_logged):
    settings = Settings(port=0, max_connections=1)
    with MockServer(settings) as srv:
        holder = connect(srv)  # takes the only slot
        try:
            body = chat_body()
            sock = connect(srv)
            sock.sendall(post_head(len(body)) + body)
            [(status, headers, payload)] = split_responses(read_all(sock))
            assert status == 503 and headers["retry-after"] == "1"
            assert REQUEST_ID.fullmatch(headers["x-request-id"]), headers
            assert assert_openai_error(payload, 503)["type"] == "server_error"
            # a client that half-closes after its request reads the 503 too
            sock = connect(srv)
            sock.sendall(post_head(len(body)) + body)
            sock.shutdown(socket.SHUT_WR)
            assert split_responses(read_all(sock))[0][0] == 503
        finally:
            holder.close()
        assert eventually_serves(srv)


def eventually_serves(server: MockServer, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if httpx.get(server.base_url + "/models", timeout=5).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    return False


def test_many_concurrent_clients_at_the_limit_all_get_answers(errors_logged):
    """Clients racing for few connection slots get a 200 or a 503, never a hang or a reset."""
    settings = Settings(port=0, max_connections=4)
    outcomes: list[int] = []
    with MockServer(settings) as srv:

        def one() -> None:
            try:
                r = httpx.post(srv.base_url + "/chat/completions", content=chat_body(), timeout=10)
                outcomes.append(r.status_code)
            except httpx.HTTPError as exc:  # pragma: no cover - the failure we are testing for
                outcomes.append(-1)
                raise AssertionError(repr(exc)) from exc

        threads = [threading.Thread(target=one) for _ in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
    assert len(outcomes) == 24 and set(outcomes) <= {200, 503}, outcomes
    assert 200 in outcomes
