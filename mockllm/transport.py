"""Transport faults, executed: the misbehaviours a real gateway shows on the wire.

The pipeline decides *that* a fault happens (fixture, header, admin API, chaos); this module performs it
on the connection. Stream faults are rewrites of the event list of an ordinary plan, so a cut stream is
byte-identical to the healthy one up to the cut.
"""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from .faults import error_from_spec, stream_cut
from .pipeline import Outcome
from .reply import FaultSpec

DEFAULT_STALL_S = 30.0
_STREAM_ERROR = {
    "error": {
        "message": "The server experienced an error while processing your request. We apologize for the inconvenience!",
        "type": "server_error",
        "param": None,
        "code": None,
    }
}


def _abort(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.abort()


def _plain(outcome: Outcome, body: bytes, content_type: str = "application/json") -> web.Response:
    headers = {k: v for k, v in outcome.headers.items() if k != "content-type"}
    response = web.Response(status=200, body=body, headers=headers)
    response.headers["Content-Type"] = content_type
    return response


def stream_events_for(
    fault: FaultSpec, events: list[bytes], kinds: list[str], outcome: Outcome | None = None
) -> tuple[list[bytes], bool]:
    """Rewrite a healthy event list for a stream fault. Returns (events, abort the connection after).

    ``outcome`` (the answer being streamed) lets a ``stream_error`` naming a preset fill the preset's
    message template (``{model}``, the request id) exactly as the same preset's HTTP error would.
    """
    k = stream_cut(fault.after_chunks, len(events))
    if fault.kind == "disconnect":
        return events[:k], True
    if fault.kind == "stream_error":
        error = _STREAM_ERROR if fault.error is None else {"error": _error_body(fault, outcome)}
        return [
            *events[:k],
            b"data: " + json.dumps(error, separators=(",", ":")).encode() + b"\n\n",
            b"data: [DONE]\n\n",
        ], False
    if fault.kind == "malformed_chunk":
        bad = b'data: {"id": "chatcmpl-broken", "choices": [{"delta": {"content": "\n\n'
        return [*events[:k], bad, *events[k + 1 :]], False
    if fault.kind == "no_done":
        return [e for e, kind in zip(events, kinds, strict=True) if kind != "done"], False
    if fault.kind == "truncate":
        body = [e for e, kind in zip(events, kinds, strict=True) if kind not in ("finish", "usage", "done")]
        return [*body[:k], b"data: [DONE]\n\n"], False
    return events, False


def _error_body(fault: FaultSpec, outcome: Outcome | None = None) -> dict[str, object]:
    """The ``error`` object of a mid-stream error event.

    A named preset (``"error": "rate_limit"``) gives that preset's body, overrides applied, as an SDK
    would see it from the HTTP error of the same name; otherwise the overrides sit on the generic
    mid-stream ``server_error`` that OpenAI sends. The HTTP status of a preset does not apply: the
    stream has already answered 200.
    """
    spec = fault.error
    assert spec is not None
    if spec.preset is not None and outcome is not None and outcome.request is not None and outcome.model is not None:
        request_id = outcome.headers.get("x-request-id") or (outcome.ids.request() if outcome.ids else "")
        error: dict[str, object] = error_from_spec(spec, outcome.request, outcome.model, request_id).body()["error"]
        return error
    return {
        "message": spec.message or _STREAM_ERROR["error"]["message"],
        "type": spec.type or "server_error",
        "param": spec.param,
        "code": spec.code,
    }


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
        events, abort = stream_events_for(fault, outcome.plan.events, outcome.plan.kinds, outcome)
        return await write_stream(request, outcome, events, abort_at_end=abort)
    return await write_stream(request, outcome)
