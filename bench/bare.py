"""Bare aiohttp servers: the baseline every mockllm figure is compared with.

Run as a separate process, exactly like mockllm (same interpreter, same aiohttp, same ``AppRunner`` /
``TCPSite`` set-up, access log off), and print the same one ready line::

    python bench/bare.py json --body-file answer.json [--headers-file headers.json] --port 0
    python bench/bare.py sse --events-file stream.json [--ttft-ms 200 --tokens-per-second 50] --port 0

``json`` reads the request body and returns the recorded mockllm answer byte for byte (same headers).
``sse`` replays a recorded mockllm stream with one ``await resp.write()`` per event; when pacing is given
it waits like mockllm's schedule does: the first (role) event after the time to first token, each
token-carrying event ``tokens / tokens_per_second`` after the previous one, the rest at once.

Nothing here parses, validates, matches or counts tokens: that is the point of a baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

CREATE_PATHS = ("/v1/chat/completions", "/v1/responses")


def _json_app(body: bytes, headers: dict[str, str], path: str = "/v1/chat/completions") -> web.Application:
    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=body, headers=headers)

    return _routed(handle, path)


def _routed(
    handle: Callable[[web.Request], Awaitable[web.StreamResponse]], path: str = "/v1/chat/completions"
) -> web.Application:
    """One handler on every create route mockllm serves (chat completions, Responses)."""
    app = web.Application()
    for route in dict.fromkeys((*CREATE_PATHS, path)):
        app.router.add_post(route, handle)
    return app


def _sse_app(
    events: list[bytes],
    token_counts: list[int],
    headers: dict[str, str],
    ttft_ms: float | None,
    tps: float | None,
    path: str = "/v1/chat/completions",
) -> web.Application:
    paced = ttft_ms is not None or tps is not None
    per_token = 1.0 / tps if tps else 0.0
    delays = []
    for i, count in enumerate(token_counts):
        delays.append((ttft_ms or 0.0) / 1000.0 if i == 0 else per_token * count)

    async def handle(request: web.Request) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse(status=200, headers=headers)
        await response.prepare(request)
        if paced:
            loop = asyncio.get_running_loop()
            due = loop.time()
            for event, delay in zip(events, delays, strict=True):
                due += delay
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                await response.write(event)
        else:
            for event in events:
                await response.write(event)
        await response.write_eof()
        return response

    return _routed(handle, path)


async def _serve(app: web.Application, host: str, port: int) -> int:
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=5.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=1024, reuse_address=True)
    await site.start()
    server = site._server
    bound = server.sockets[0].getsockname()[1] if server is not None and server.sockets else port
    print(f"bare listening on http://{host}:{bound}/v1", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bare", description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["json", "sse"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--body-file", help="json: the exact response body to return")
    parser.add_argument("--events-file", help="sse: JSON {events: [str], token_counts: [int]} to replay")
    parser.add_argument("--headers-file", help="JSON object of response headers (default: a content type)")
    parser.add_argument("--path", default="/v1/chat/completions", help="the route to answer on")
    parser.add_argument("--ttft-ms", type=float)
    parser.add_argument("--tokens-per-second", type=float)
    args = parser.parse_args(argv)
    headers: dict[str, str] = json.loads(Path(args.headers_file).read_text()) if args.headers_file else {}
    if args.mode == "json":
        if not args.body_file:
            parser.error("json needs --body-file")
        headers.setdefault("Content-Type", "application/json")
        app = _json_app(Path(args.body_file).read_bytes(), headers, args.path)
    else:
        if not args.events_file:
            parser.error("sse needs --events-file")
        recorded = json.loads(Path(args.events_file).read_text())
        events = [e.encode() for e in recorded["events"]]
        headers.setdefault("Content-Type", "text/event-stream; charset=utf-8")
        headers.setdefault("Cache-Control", "no-cache")
        app = _sse_app(events, recorded["token_counts"], headers, args.ttft_ms, args.tokens_per_second, args.path)
    return asyncio.run(_serve(app, args.host, args.port))


if __name__ == "__main__":
    sys.exit(main())
