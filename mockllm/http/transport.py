"""Transport faults, executed: the misbehaviours a real gateway shows on the wire.

The pipeline decides *that* a fault happens (fixture, header, admin API, chaos); this module performs it
on the connection. Stream faults are rewrites of the event list of an ordinary plan, so a cut stream is
byte-identical to the healthy one up to the cut.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from ..core.pipeline import Outcome
from ..core.reply import FaultSpec

DEFAULT_STALL_S = 30.0


def _abort(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.abort()


def _plain(outcome: Outcome, body: bytes, content_type: str = "application/json") -> web.Response:
    headers = {k: v for k, v in outcome.headers.items() if k != "content-type"}
    response = web.Response(status=200, body=body, headers=headers)
    response.headers["Content-Type"] = content_type
    return response


async def execute_fault(request: web.Request, outcome: Outcome, fault: FaultSpec) -> web.StreamResponse:
    from .app import _json_response, write_stream

    kind = fault.kind
    outcome.info["fault"] = kind
    if kind == "reset":
        _abort(request)
        return web.Response(status=200)
    if kind in ("stall", "slow_first_byte"):
        await asyncio.sleep(fault.seconds if fault.seconds is not None else DEFAULT_STALL_S)
    elif kind == "empty":
        return _plain(outcome, b"")
    elif kind == "malformed_json":
        body = outcome.body or b'{"id": "chatcmpl-x", "object": "chat.completion", "choices": [{'
        return _plain(outcome, body[: max(1, len(body) // 2)])
    if outcome.plan is None:
        if kind == "disconnect":
            # Headers and half the body, then the connection drops.
            response = web.StreamResponse(status=200, headers=outcome.headers)
            await response.prepare(request)
            body = outcome.body or b""
            await response.write(body[: len(body) // 2])
            _abort(request)
            return response
        return _json_response(outcome)
    if kind in ("disconnect", "stream_error", "malformed_chunk", "no_done", "truncate"):
        assert outcome.surface is not None
        events, abort = outcome.surface.stream_fault(fault, outcome.plan.events, outcome.plan.kinds, outcome)
        return await write_stream(request, outcome, events, abort_at_end=abort)
    return await write_stream(request, outcome)
