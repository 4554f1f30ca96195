"""The aiohttp application: routes, error middleware, and the writer that executes answers.

Everything here is transport: reading a bounded body, calling :class:`~mockllm.core.pipeline.Pipeline`, and
writing what it decided (a JSON body, or an SSE plan with its pacing and faults). No request semantics
live here, so streamed and non-streamed answers cannot drift apart.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import ClientSession, TCPConnector, web

from ..apis.openai_wire import error_outcome
from ..config import Settings
from ..core import auth
from ..core.errors import ApiError
from ..core.fixtures import FixtureTable
from ..core.ids import random_request_id
from ..core.jsonbody import loads_strict
from ..core.pacing import PacingSettings, iter_schedule
from ..core.pipeline import Outcome, Pipeline
from ..core.surface import Route, RouteCall, Surface
from .limits import GUARD, ResourceGuard, limits_middleware, refuse_stream, stats

log = logging.getLogger("mockllm")

PIPELINE: web.AppKey[Pipeline] = web.AppKey("pipeline", Pipeline)
STREAMS: web.AppKey[set[asyncio.Transport]] = web.AppKey("streams", set)
CLOSING: web.AppKey[asyncio.Event] = web.AppKey("closing", asyncio.Event)
STATS: web.AppKey[dict[str, int]] = web.AppKey("stats", dict)
FETCH_SESSION: web.AppKey[ClientSession] = web.AppKey("fetch_session", ClientSession)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MB = 1024 * 1024
SHUTDOWN_GRACE_S = 1.0
_WRITE_SLICE = 64 * 1024


def _json_response(outcome: Outcome) -> web.Response:
    headers = dict(outcome.headers)
    content_type = headers.pop("content-type", "application/json")
    response = web.Response(status=outcome.status, body=outcome.body, headers=headers)
    response.headers["Content-Type"] = content_type
    return response


def _error_response(error: ApiError, request_id: str | None = None, surface: Surface | None = None) -> web.Response:
    """An error answer; like every answer it carries a request id (random where the pipeline, which
    derives ids from the seed, never saw the request: 404/405 routes, 413, the models routes). Under an
    API's path it is in that API's envelope; elsewhere in OpenAI's."""
    if surface is not None:
        return _json_response(surface.error_outcome(error, request_id or surface.request_id(random_request_id())))
    return _json_response(error_outcome(error, request_id or random_request_id()))


def _surface_at(request: web.Request) -> Surface | None:
    """The API whose path ``request`` is under (its create route, or a companion route below it)."""
    for surface in request.app[PIPELINE].surfaces.values():
        if request.path.startswith(surface.path):
            return surface
    return None


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map aiohttp's own HTTP exceptions and any unexpected failure to OpenAI-shaped bodies.

    An unexpected exception is contained to its request: a 500 naming a request id, one log line with
    the traceback, and the connection stays usable for the next request.
    """
    surface = _surface_at(request)
    try:
        return await handler(request)
    except ApiError as error:
        return _error_response(error, surface=surface)
    except web.HTTPNotFound:
        return _error_response(ApiError(404, f"Invalid URL ({request.method} {request.path})"), surface=surface)
    except web.HTTPMethodNotAllowed as exc:
        allowed = ", ".join(sorted(exc.allowed_methods))
        error = ApiError(
            405,
            f"Method Not Allowed: {request.method} {request.path} only accepts {allowed}.",
            code="method_not_allowed",
            headers={"Allow": allowed},
        )
        return _error_response(error, surface=surface)
    except web.HTTPRequestEntityTooLarge:
        # aiohttp's exception keeps no sizes; the announced length is what the client can act on.
        limit = request.app[PIPELINE].settings.max_body_mb
        announced = request.content_length
        got = f" (got {announced} bytes)" if announced is not None else ""
        error = ApiError(
            413,
            f"Request body too large: the limit is {limit:g} MB{got}. "
            "Start the server with a larger --max-body-mb to accept it.",
            code="request_too_large",
        )
        response = _error_response(error, surface=surface)
        response.force_close()  # the rest of the body is still on the wire: do not parse it as a request
        return response
    except web.HTTPException:
        raise
    except (asyncio.CancelledError, ConnectionError):
        raise
    except Exception:
        request_id = random_request_id()
        if surface is not None:  # the id the message names is the one the body carries
            request_id = surface.request_id(request_id)
        log.exception("internal error while serving %s %s (request id %s)", request.method, request.path, request_id)
        guard = request.app.get(GUARD)
        if guard is not None:
            guard.count("internal_errors")
        error = ApiError(
            500,
            "The server had an error while processing your request. Sorry about that! "
            f"(Please include the request ID {request_id} in your message.)",
            type="server_error",
        )
        return _error_response(error, request_id, surface)


def api_route(name: str) -> Handler:
    """The handler of one API's create route (``chat``: ``POST /v1/chat/completions``, ...): read the
    bounded body, let the pipeline answer it (through the API's surface, or an endpoint's own step),
    execute the answer."""

    async def answer(request: web.Request) -> web.StreamResponse:
        pipeline = request.app[PIPELINE]
        started = time.perf_counter()
        body = await request.read()
        fetched = None
        if pipeline.fetch_policy is not None and name in pipeline.surfaces:  # endpoints take no images
            fetched = await _fetch_images(request.app, pipeline, body)
        return await _send(request, pipeline.answer(name, body, request.headers, fetched), started)

    answer.__name__ = f"{name}_create"
    return answer


def companion_route(name: str, route: Route) -> Handler:
    """An API's companion route (stored responses, token counts): JSON in the API's envelope, a request
    id on every answer, errors as the API spells them."""

    async def answer(request: web.Request) -> web.StreamResponse:
        pipeline = request.app[PIPELINE]
        surface = pipeline.surfaces[name]
        body = await request.read() if request.body_exists else b""
        call = RouteCall(request.match_info, request.query, request.headers, body)
        request_id = random_request_id()
        try:
            status, payload = route.answer(pipeline, call)
        except ApiError as error:
            return _json_response(surface.error_outcome(error, request_id))
        return web.json_response(payload, status=status, headers={surface.id_header: request_id}, dumps=dumps)

    answer.__name__ = f"{name}_{route.method.lower()}"
    return answer


async def _send(request: web.Request, outcome: Outcome, started: float) -> web.StreamResponse:
    """Execute what the pipeline decided (a transport fault, a JSON body or a stream plan) and journal it."""
    fault = outcome.reply.fault if outcome.reply is not None and outcome.status == 200 else None
    try:
        if fault is not None:
            from .transport import execute_fault

            return await execute_fault(request, outcome, fault)
        if outcome.plan is None:
            return _json_response(outcome)
        return await write_stream(request, outcome)
    finally:
        request.app[PIPELINE].record(outcome, request.method, request.path, time.perf_counter() - started)


async def _fetch_images(app: web.Application, pipeline: Pipeline, body: bytes) -> dict[str, Any] | None:
    """Download the request's image URLs on listed hosts (``--fetch-images``), before the pipeline runs.

    The body is parsed once more here, only when fetching is on; a body that is not JSON is left to the
    pipeline, which rejects it with OpenAI's message.
    """
    from ..core.fetch import fetch_images, image_urls

    policy = pipeline.fetch_policy
    assert policy is not None
    try:
        raw = loads_strict(body)
    except ValueError:
        return None
    urls = image_urls(raw, policy)
    if not urls:
        return None
    return await fetch_images(app[FETCH_SESSION], urls, policy)


async def _fetch_session(app: web.Application) -> AsyncIterator[None]:
    """One client session for every download, opened with the app when fetching is on."""
    if app[PIPELINE].fetch_policy is None:
        yield
        return
    async with ClientSession(
        headers={"User-Agent": "mockllm (image fetch)"}, connector=TCPConnector(limit=32)
    ) as session:
        app[FETCH_SESSION] = session
        yield


def _pacing(pipeline: Pipeline, outcome: Outcome) -> PacingSettings | None:
    settings = pipeline.settings
    reply_pacing = outcome.reply.pacing if outcome.reply is not None else None
    ttft = reply_pacing.ttft_ms if reply_pacing and reply_pacing.ttft_ms is not None else settings.ttft_ms
    tps = (
        reply_pacing.tokens_per_second
        if reply_pacing and reply_pacing.tokens_per_second is not None
        else settings.tokens_per_second
    )
    jitter = reply_pacing.jitter if reply_pacing and reply_pacing.jitter is not None else settings.jitter
    if settings.latency == "realistic" and outcome.model is not None:
        ttft = ttft if ttft is not None else outcome.model.ttft_ms
        tps = tps if tps is not None else outcome.model.tokens_per_second
    if ttft is None and tps is None:
        return None
    return PacingSettings(ttft or 0.0, tps or 0.0, jitter or 0.0)


async def write_stream(
    request: web.Request, outcome: Outcome, events: list[bytes] | None = None, *, abort_at_end: bool = False
) -> web.StreamResponse:
    """Execute an SSE plan: one write when unpaced, else event by event on the schedule.

    A client that goes away ends the loop quietly (recorded in the outcome's info); shutdown ends it too.
    """
    if (busy := refuse_stream(request, outcome)) is not None:  # --max-streams; limits_middleware frees the slot
        return busy
    app = request.app
    pipeline = app[PIPELINE]
    assert outcome.plan is not None
    plan = outcome.plan
    count = len(plan) if events is None else len(events)
    response = web.StreamResponse(status=200, headers=outcome.headers)
    response.headers["Cache-Control"] = "no-cache"
    transport = request.transport
    if transport is not None:
        app[STREAMS].add(transport)  # type: ignore[arg-type]
    closing = app[CLOSING]
    sent = 0
    try:
        # Inside the try: a client that gave up during a held stream (stall, slow first byte) makes
        # prepare() fail, and that is the client's choice, not a server error.
        await response.prepare(request)
        pacing = _pacing(pipeline, outcome)
        if pacing is None:
            # One buffer, written in slices: each write waits while the transport holds more than its
            # high-water mark, so a client that stops reading pins at most a slice, not the whole answer.
            data = memoryview(plan.joined() if events is None else b"".join(events))
            for start in range(0, len(data), _WRITE_SLICE):
                await response.write(data[start : start + _WRITE_SLICE])
            sent = count
        else:
            assert outcome.ids is not None
            delays = iter_schedule(plan.kinds, plan.token_counts, pacing, outcome.ids.draw)
            loop = asyncio.get_running_loop()
            due = loop.time()
            # Events are encoded one at a time as they fall due (see StreamPlan), and the wait is a plain
            # sleep: a timer per event, not a task, since a thousand paced streams sleep at once.
            # Shutdown sets ``closing`` and closes the transports; the loop stops at its next event.
            for event, delay in zip(plan.iter_events() if events is None else events, delays, strict=False):
                due += delay
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if closing.is_set():
                    break
                await response.write(event)
                sent += 1
        if abort_at_end and request.transport is not None:
            request.transport.abort()
        else:
            await response.write_eof()
    except (ConnectionResetError, ConnectionError):
        outcome.info["disconnected_after"] = sent
        app[STATS]["client_disconnects"] = app[STATS].get("client_disconnects", 0) + 1
    except Exception:
        # Headers are gone already: a second (error) response would corrupt the stream, so log and drop.
        log.exception("internal error while streaming %s", outcome.headers.get("x-request-id"))
        if transport is not None:
            transport.abort()
    finally:
        outcome.info["events_sent"] = sent
        if transport is not None:
            app[STREAMS].discard(transport)  # type: ignore[arg-type]
    return response


def _check_key(request: web.Request) -> None:
    """The models routes are API routes: with ``--api-key`` set they answer 401 like chat completions."""
    auth.check_key(auth.bearer_key(request.headers), request.app[PIPELINE].settings.api_keys)


async def _api_models(request: web.Request) -> web.Response | None:
    """The models routes in the shape of the API whose SDK is asking (Anthropic's sends
    ``anthropic-version``), or None for OpenAI's shape."""
    pipeline = request.app[PIPELINE]
    call = RouteCall(request.match_info, request.query, request.headers, b"")
    for surface in pipeline.surfaces.values():
        request_id = surface.request_id(random_request_id())
        try:
            answer = surface.models_route(pipeline, call)
        except ApiError as error:
            return _json_response(surface.error_outcome(error, request_id))
        if answer is not None:
            status, body = answer
            return web.json_response(body, status=status, headers={surface.id_header: request_id}, dumps=dumps)
    return None


async def list_models(request: web.Request) -> web.Response:
    if (answered := await _api_models(request)) is not None:
        return answered
    _check_key(request)
    return web.json_response(request.app[PIPELINE].models_body(), headers={"x-request-id": random_request_id()})


async def get_model(request: web.Request) -> web.Response:
    if (answered := await _api_models(request)) is not None:
        return answered
    _check_key(request)
    pipeline = request.app[PIPELINE]
    model_id = request.match_info["model"]
    model = pipeline.catalog.get(model_id)
    if model is None:
        return _error_response(ApiError.model_not_found(model_id))
    return web.json_response(pipeline.model_object(model), headers={"x-request-id": random_request_id()})


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _on_shutdown(app: web.Application) -> None:
    """End open streams promptly: paced loops see the event and finish their last write; then every
    stream's connection is closed, and one whose client stopped reading is aborted after a short grace,
    so a SIGTERM with many streams open ends within a bounded time."""
    app[CLOSING].set()
    await asyncio.sleep(0)
    for transport in list(app[STREAMS]):
        if not transport.is_closing():
            transport.close()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SHUTDOWN_GRACE_S
    while app[STREAMS] and loop.time() < deadline:
        await asyncio.sleep(0.05)
    for transport in list(app[STREAMS]):
        transport.abort()


async def _stats(request: web.Request) -> web.Response:
    return web.json_response(stats(request.app))


def _test_hooks(pipeline: Pipeline) -> None:
    """Test-only (``Settings.test_hooks``): ``x-mockllm-test-raise`` makes the pipeline raise, so tests can
    check that an internal failure is contained. Off by default and absent from ``serve --help``."""
    handle = pipeline.handle

    def raising(body: bytes, headers: Any, fetched: Any = None, surface: Any = None) -> Outcome:
        if headers.get("x-mockllm-test-raise"):
            raise RuntimeError("x-mockllm-test-raise: an internal failure on demand")
        return handle(body, headers, fetched, surface)

    pipeline.handle = raising  # type: ignore[method-assign]


def make_app(settings: Settings, fixtures: FixtureTable | None = None) -> web.Application:
    """Build the application. ``fixtures`` defaults to loading ``settings.fixtures``."""
    if fixtures is None:
        fixtures = FixtureTable()
        if settings.fixtures:
            from ..core.faults import ERROR_PRESETS, FAULT_KINDS
            from ..core.fixtures import load_fixture_files

            # With the vocabularies, a typo in a preset or fault name fails the start, not a request.
            loaded = load_fixture_files(list(settings.fixtures), known_presets=ERROR_PRESETS, known_faults=FAULT_KINDS)
            fixtures.add(loaded.fixtures, origin="file")
            catalog_models = loaded.models
        else:
            catalog_models = []
    else:
        catalog_models = []
    pipeline = Pipeline(settings, fixtures)
    for model in catalog_models:
        pipeline.catalog.add(model)
    if settings.test_hooks:
        _test_hooks(pipeline)
    app = web.Application(
        client_max_size=int(settings.max_body_mb * MB), middlewares=[error_middleware, limits_middleware]
    )
    app[PIPELINE] = pipeline
    app[GUARD] = ResourceGuard.from_settings(settings)
    app[STREAMS] = set()
    app[CLOSING] = asyncio.Event()
    app[STATS] = {}
    for name, path in pipeline.paths().items():
        app.router.add_post(path, api_route(name))
    for name, surface in pipeline.surfaces.items():
        for route in surface.routes():
            app.router.add_route(route.method, route.path, companion_route(name, route))
    app.router.add_get("/v1/models", list_models)
    app.router.add_get("/v1/models/{model:.+}", get_model)
    app.router.add_get("/health", health)
    app.on_shutdown.append(_on_shutdown)
    app.cleanup_ctx.append(_fetch_session)
    from .admin import ADMIN, PREFIX, _guarded, setup_admin

    setup_admin(app)
    if app[ADMIN].access != "off":
        app.router.add_get(f"{PREFIX}/stats", _guarded(_stats))
    return app


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)
