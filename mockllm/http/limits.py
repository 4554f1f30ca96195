"""Bounded resources and hostile clients: what keeps one misbehaving client from taking the server down.

A mock server on a shared CI host is reached by many test processes at once, some of them buggy. Every
resource a client can make the server hold is bounded here, and every bound answers in OpenAI's error
shape, so the client under test sees a 503/408/431 it can handle rather than a hang:

* **connections** (``--max-connections``): beyond the limit a new connection gets a ``503`` with
  ``retry-after`` once its request head arrives, then a lingering close (so the answer is not lost to a
  TCP reset), without ever reaching aiohttp;
* **streams** (``--max-streams``): an SSE answer beyond the limit becomes a ``503`` before any byte;
* **header timeout** (``--header-timeout``): a request head trickled byte by byte is answered ``408``
  and closed; an idle keep-alive connection is closed after ``--idle-timeout`` (aiohttp's keep-alive);
* **body timeout** (``--body-timeout``): a body trickled, or shorter than its ``Content-Length``, is
  answered ``408`` and the connection closed;
* **write timeout** (``--write-timeout``): a client that stops reading fills the socket; the transport
  then holds at most :data:`WRITE_BUFFER_HIGH` bytes beyond one write before it pauses the writer, and if
  the client drains nothing for the timeout the connection is aborted, which frees the stream;
* **protocol errors** (garbage bytes, oversized headers): an OpenAI-shaped ``400``/``431`` instead of
  aiohttp's plain-text page, logged at debug level, never as a traceback.

The connection-level parts live in :class:`GuardedHandler`, a subclass of aiohttp's per-connection
``RequestHandler`` installed by :class:`GuardedRunner`. That leans on a few aiohttp internals
(``Server._kwargs``/``_loop``, ``RequestHandler._request_count``/``_waiter``/``handle_error``), all
present since aiohttp 3.9 and pinned by ``tests/test_hostile.py``; without the runner (someone embedding
:func:`~mockllm.http.app.make_app` in their own ``AppRunner``) the request-level bounds still apply.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage, HttpProcessingError, LineTooLong
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_server import Server

from ..config import Settings
from ..core.errors import ApiError
from ..core.ids import random_request_id

if TYPE_CHECKING:
    from ..core.pipeline import Outcome

__all__ = [
    "GUARD",
    "WRITE_BUFFER_HIGH",
    "GuardedHandler",
    "GuardedRunner",
    "ResourceGuard",
    "ensure_descriptors",
    "limits_middleware",
    "refuse_stream",
    "stats",
]

log = logging.getLogger("mockllm")

#: Bytes a connection's transport may buffer before the writer waits for the client to read.
WRITE_BUFFER_HIGH = 64 * 1024
#: How long a refused (over ``--max-connections``) connection may take to send its request head.
REFUSAL_HEAD_WAIT_S = 1.0
#: How long a refused connection keeps draining what the client sends after the 503 (lingering close).
REFUSAL_LINGER_S = 1.0
_REFUSAL_HEAD_LIMIT = 64 * 1024
# aiohttp >= 3.13 wants typed request keys; older versions take the plain string.
_STREAM_KEY: Any = web.RequestKey("mockllm_stream_slot", bool) if hasattr(web, "RequestKey") else "mockllm_stream_slot"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class ResourceGuard:
    """The limits of one server and the counters that show them working (``GET /_mockllm/stats``)."""

    max_connections: int
    max_streams: int
    header_timeout: float
    body_timeout: float
    write_timeout: float
    idle_timeout: float
    connections: int = 0
    streams: int = 0
    counters: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> ResourceGuard:
        return cls(
            max_connections=settings.max_connections,
            max_streams=settings.max_streams,
            header_timeout=settings.header_timeout,
            body_timeout=settings.body_timeout,
            write_timeout=settings.write_timeout,
            idle_timeout=settings.idle_timeout,
        )

    def count(self, name: str) -> None:
        self.counters[name] = self.counters.get(name, 0) + 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "connections": self.connections,
            "streams": self.streams,
            "limits": {
                "max_connections": self.max_connections,
                "max_streams": self.max_streams,
                "header_timeout": self.header_timeout,
                "body_timeout": self.body_timeout,
                "write_timeout": self.write_timeout,
                "idle_timeout": self.idle_timeout,
            },
            **{name: self.counters.get(name, 0) for name in _COUNTERS},
        }


_COUNTERS = (
    "connections_refused",
    "streams_refused",
    "header_timeouts",
    "body_timeouts",
    "write_timeouts",
    "protocol_errors",
    "internal_errors",
)

GUARD: web.AppKey[ResourceGuard] = web.AppKey("mockllm_guard", ResourceGuard)


# ===== error bodies written outside aiohttp's response machinery ====================================


def overloaded_error(what: str, limit: int, flag: str) -> ApiError:
    """OpenAI's overload answer (503 + retry-after), naming the limit and the flag that raises it."""
    return ApiError(
        503,
        f"The server is overloaded: mockllm is at its {flag} limit ({limit} open {what}). "
        f"Please retry after a short wait, or start mockllm with a larger {flag}.",
        type="server_error",
        code="server_overloaded",
        headers={"retry-after": "1", "retry-after-ms": "1000"},
    )


def raw_response(error: ApiError, *, reason: str) -> bytes:
    """A complete ``Connection: close`` HTTP/1.1 answer, for connections aiohttp never sees or has given up on.

    Like every answer it carries an ``x-request-id`` (random: no request was understood to derive one)."""
    body = json.dumps(error.body(), indent=4).encode()
    head = [
        f"HTTP/1.1 {error.status} {reason}",
        "Content-Type: application/json; charset=utf-8",
        f"Content-Length: {len(body)}",
        "Connection: close",
        f"x-request-id: {random_request_id()}",
        *(f"{name}: {value}" for name, value in error.headers.items()),
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def _error_response(error: ApiError, request_id: str | None = None) -> web.Response:
    """An answer of the limits layer; it carries an ``x-request-id`` as every answer does (the planned
    stream's when a stream is refused, so the journal and the client name the same request)."""
    body = json.dumps(error.body(), indent=4).encode()
    response = web.Response(status=error.status, body=body, headers=error.headers)
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    response.headers["x-request-id"] = request_id or random_request_id()
    return response


# ===== the per-connection handler ===================================================================


class GuardedHandler(RequestHandler):
    """aiohttp's connection handler plus the connection limit and the header and write timeouts.

    A refused connection is answered here at the byte level and never reaches aiohttp, so a flood of
    them costs no tasks. The header timer runs only while a request head is incomplete (it starts with
    the first byte of a head and stops when aiohttp has parsed it): an idle keep-alive connection is
    aiohttp's keep-alive timer's business, a slow body is the body timeout's.
    """

    __slots__ = ("_guard", "_head", "_header_timer", "_heads_at_start", "_linger_timer", "_refused", "_write_timer")

    def __init__(self, manager: Server, *, guard: ResourceGuard, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._guard = guard
        self._header_timer: asyncio.TimerHandle | None = None
        self._write_timer: asyncio.TimerHandle | None = None
        self._linger_timer: asyncio.TimerHandle | None = None
        self._heads_at_start = 0
        self._refused: asyncio.Transport | None = None
        self._head: bytes | None = b""  # a refused connection's request head so far; None once answered

    # ----- connection limit ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        guard = self._guard
        if guard.connections >= guard.max_connections:
            guard.count("connections_refused")
            self._refused = transport  # type: ignore[assignment]
            self._linger_timer = self._loop.call_later(REFUSAL_HEAD_WAIT_S, self._refuse)
            return
        guard.connections += 1
        super().connection_made(transport)
        if isinstance(transport, asyncio.WriteTransport):  # bounds what a client that stops reading costs
            transport.set_write_buffer_limits(high=WRITE_BUFFER_HIGH)

    def _refuse(self) -> None:
        """Send the 503 and half-close; keep draining briefly so the client reads it instead of a reset."""
        transport = self._refused
        if transport is None or transport.is_closing() or self._head is None:
            return
        self._head = None
        guard = self._guard
        error = overloaded_error("connections", guard.max_connections, "--max-connections")
        transport.write(raw_response(error, reason="Service Unavailable"))
        if transport.can_write_eof():
            transport.write_eof()
        if self._linger_timer is not None:
            self._linger_timer.cancel()
        self._linger_timer = self._loop.call_later(REFUSAL_LINGER_S, transport.close)

    def _refused_data(self, data: bytes) -> None:
        if self._head is None:
            return
        self._head += data
        if b"\r\n\r\n" in self._head or b"\n\n" in self._head or len(self._head) > _REFUSAL_HEAD_LIMIT:
            self._refuse()

    # ----- timeouts --------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._refused is not None:
            self._refused_data(data)
            return
        heads = self._request_count
        waiting = heads == 0 or (self._waiter is not None and not self._waiter.done())
        super().data_received(data)
        if self._request_count != heads:
            self._stop_header_timer()
        elif waiting and data and self._header_timer is None and self._guard.header_timeout > 0:
            self._heads_at_start = heads
            self._header_timer = self._loop.call_later(self._guard.header_timeout, self._header_timed_out)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timed_out(self) -> None:
        self._header_timer = None
        transport = self.transport
        if transport is None or transport.is_closing() or self._request_count != self._heads_at_start:
            return
        self._guard.count("header_timeouts")
        error = ApiError(
            408,
            f"Request timeout: the request headers did not arrive within {self._guard.header_timeout:g} s "
            "(see --header-timeout).",
            code="request_timeout",
        )
        transport.write(raw_response(error, reason="Request Timeout"))
        self.force_close()

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._write_timer is None and self._guard.write_timeout > 0:
            self._write_timer = self._loop.call_later(self._guard.write_timeout, self._write_timed_out)

    def resume_writing(self) -> None:
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None
        super().resume_writing()

    def _write_timed_out(self) -> None:
        """The client read nothing for ``--write-timeout``: drop it, which ends any stream it holds."""
        self._write_timer = None
        transport = self.transport
        if transport is not None and not transport.is_closing():
            self._guard.count("write_timeouts")
            log.info("closing a connection that read nothing for %g s (--write-timeout)", self._guard.write_timeout)
            transport.abort()

    def connection_lost(self, exc: BaseException | None) -> None:
        for timer in (self._header_timer, self._write_timer, self._linger_timer):
            if timer is not None:
                timer.cancel()
        self._header_timer = self._write_timer = self._linger_timer = None
        if self._refused is not None:
            self._refused = None
            return
        self._guard.connections -= 1
        super().connection_lost(exc)

    def eof_received(self) -> None:
        if self._refused is not None:
            self._refuse()  # the client sent all it will: answer now (returning None closes after the flush)
            return
        super().eof_received()

    # ----- protocol errors -------------------------------------------------------------------------

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """aiohttp's last resort, in OpenAI's shape: malformed HTTP is the client's fault (400, or 431 for
        oversized headers) and logged at debug level; anything else is a 500 logged once with its traceback."""
        if isinstance(exc, HttpProcessingError):
            self._guard.count("protocol_errors")
            log.debug("bad HTTP from %s: %s", request.remote, exc)
            if isinstance(exc, LineTooLong) or (isinstance(exc, BadHttpMessage) and "Too many headers" in str(exc)):
                error = ApiError(
                    431,
                    "Request header fields too large: a header line is over 8190 bytes or there are more "
                    f"than 128 headers ({_short(exc)}).",
                    code="request_header_fields_too_large",
                )
            else:
                error = ApiError(400, f"Malformed HTTP request: {_short(exc)}.", code="bad_http_request")
        elif status == 504:
            error = ApiError(504, "The request timed out.", type="server_error", code="timeout")
        else:
            if isinstance(exc, ConnectionError | asyncio.CancelledError):
                log.debug("client went away from %s: %r", request.remote, exc)
            else:
                self._guard.count("internal_errors")
                log.error("internal error on a connection from %s", request.remote, exc_info=exc)
            error = ApiError(status, "The server had an error while processing your request.", type="server_error")
        if request.writer.output_size > 0:
            raise ConnectionError("response already started; closing instead of sending an error")
        response = _error_response(error)
        response.force_close()
        return response


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] + ("…" if len(text) > 200 else "")


class _GuardedServer(Server):
    """aiohttp's ``Server`` (the protocol factory) making :class:`GuardedHandler` connections."""

    def __init__(self, inner: Server, guard: ResourceGuard) -> None:
        super().__init__(
            inner.request_handler,
            request_factory=inner.request_factory,
            handler_cancellation=inner.handler_cancellation,
            loop=inner._loop,
            **inner._kwargs,
        )
        self.guard = guard

    def __call__(self) -> RequestHandler:
        return GuardedHandler(self, guard=self.guard, loop=self._loop, **self._kwargs)


class GuardedRunner(web.AppRunner):
    """``AppRunner`` whose connections are :class:`GuardedHandler`s, with the guard's idle timeout."""

    def __init__(self, app: web.Application, **kwargs: Any) -> None:
        guard = app[GUARD]
        kwargs.setdefault("keepalive_timeout", guard.idle_timeout)
        super().__init__(app, **kwargs)

    async def _make_server(self) -> Server:
        inner = await super()._make_server()
        return _GuardedServer(inner, self.app[GUARD])


# ===== request-level bounds =========================================================================


@web.middleware
async def limits_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Read the body under ``--body-timeout`` (the handler then gets it from aiohttp's cache), and give
    back the stream slot :func:`refuse_stream` took, however the answer ends."""
    guard = request.app[GUARD]
    # A small body usually arrives with its headers: then there is nothing to wait for, and no timer.
    if request.body_exists and guard.body_timeout > 0 and not request.content.is_eof():
        try:
            async with asyncio.timeout(guard.body_timeout):
                await request.read()
        except HttpProcessingError as exc:  # e.g. a chunked body cut short: the client's fault, not ours
            guard.count("protocol_errors")
            return await _answer_and_close(request, ApiError(400, f"Malformed request body: {_short(exc)}."))
        except TimeoutError:
            guard.count("body_timeouts")
            expected = request.content_length
            detail = f" ({expected} bytes announced)" if expected is not None else ""
            error = ApiError(
                408,
                f"Request timeout: the request body{detail} did not arrive within {guard.body_timeout:g} s "
                "(see --body-timeout).",
                code="request_timeout",
            )
            return await _answer_and_close(request, error)
    try:
        return await handler(request)
    finally:
        if request.get(_STREAM_KEY):
            request[_STREAM_KEY] = False
            guard.streams -= 1


async def _answer_and_close(request: web.Request, error: ApiError) -> web.StreamResponse:
    """Send ``error`` and drop the connection now: the rest of a slow or broken body is not worth the
    lingering read aiohttp would otherwise give it."""
    response = _error_response(error)
    response.force_close()
    try:
        await response.prepare(request)
        await response.write_eof()
    finally:
        request.protocol.force_close()
    return response


def refuse_stream(request: web.Request, outcome: Outcome | None = None) -> web.Response | None:
    """Take a stream slot for ``request``, or return the 503 to send instead (``--max-streams``).

    Called at the top of the stream writer; the slot is released by :func:`limits_middleware`. A refusal
    is written into ``outcome`` too, so the journal shows the 503 that was sent, not the planned stream.
    """
    guard = request.app.get(GUARD)
    if guard is None or request.get(_STREAM_KEY):
        return None
    if guard.streams >= guard.max_streams:
        guard.count("streams_refused")
        error = overloaded_error("streams", guard.max_streams, "--max-streams")
        request_id = None
        if outcome is not None:
            outcome.status, outcome.error = 503, error
            outcome.info["refused"] = "max_streams"
            request_id = outcome.headers.get("x-request-id")
            surface = outcome.surface
            if surface is not None:  # in the envelope of the API the stream was for, with its id header
                request_id = outcome.headers.get(surface.id_header) or surface.request_id(random_request_id())
                spelt = surface.error_outcome(error, request_id)
                response = web.Response(status=spelt.status, body=spelt.body, headers=spelt.headers)
                response.headers.setdefault(surface.id_header, request_id)
                return response
        return _error_response(error, request_id)
    guard.streams += 1
    request[_STREAM_KEY] = True
    return None


def ensure_descriptors(max_connections: int) -> str | None:
    """Raise the soft open-files limit so ``--max-connections`` is reachable (CI hosts often default to
    1024); returns a warning when the hard limit is too low, so the operator hears it at start-up rather
    than as "too many open files" under load. Only the ``serve`` process calls this."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return None
    needed = max_connections + 128  # listening socket, fixtures, logs, the refusal path's short-lived sockets
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            target = soft
        if target < needed:
            return (
                f"the open-files limit ({target}) is below --max-connections {max_connections} + 128; "
                "connections beyond it will wait in the accept queue (raise 'ulimit -n' or lower --max-connections)"
            )
    return None


def stats(app: web.Application) -> dict[str, Any]:
    """Resource figures for soak tests and operators: guard counters, bounded-state evictions, tasks."""
    from .app import PIPELINE

    guard = app[GUARD]
    pipeline = app[PIPELINE]
    data = guard.snapshot()
    data["tasks"] = len(asyncio.all_tasks())
    data["evictions"] = {
        "journal": pipeline.journal.evicted,
        "sequence_counters": pipeline.fixtures.evictions,
        "usage_rows": pipeline.ledger.evicted,
        "rate_buckets": pipeline.limiter.evicted,
        # An API's own bounded state (the Responses store), named by the API.
        **{name: count for surface in pipeline.surfaces.values() for name, count in surface.evictions().items()},
    }
    data["journal"] = {"size": pipeline.journal.size, "held": len(pipeline.journal.entries())}
    data["pid"] = os.getpid()
    return data
