"""The admin API under ``/_mockllm/``: script the server, read its journal, and serve the web inspector.

The admin API mirrors the fixture file format (WireMock's lesson): what a user can write in a YAML file
they can POST here, validated by the very same pydantic models through
:func:`~mockllm.core.fixtures.parse_fixture_document`, so the errors read the same wherever a fixture comes from.
The pytest plugin does not go through HTTP but calls the same helpers (:func:`add_document`,
:func:`reset_state`, :func:`wait_idle`) on the server's loop, so both paths change state identically.

Routes (all JSON; errors are OpenAI-shaped ``{"error": {message, type, param, code}}`` bodies):

=========================================  ==========================================================
``GET    /_mockllm/``                       index: version, access mode, the routes below
``GET    /_mockllm/fixtures``               fixtures in decision order, with their definition as written
``POST   /_mockllm/fixtures[?replace=1]``   add a document (``{models, fixtures}``, a list of fixtures or
                                            one fixture) as JSON or YAML; 201, or 400 naming fixture+field
``DELETE /_mockllm/fixtures/{name}``        remove one fixture (file fixtures too, until restart)
``GET    /_mockllm/journal``                filters ``session``, ``model``, ``status``, ``since`` (unix s),
                                            ``since_seq``; paging ``limit`` (default 1000), ``offset``
``GET    /_mockllm/journal/{seq}``          one entry
``DELETE /_mockllm/journal``                clear the journal
``POST   /_mockllm/reset``                  runtime fixtures and models, sequence counters, journal, usage
                                            ledger, id counter and rate buckets: as freshly started
``GET    /_mockllm/usage``                  tokens and cost per (API key, model), with totals
``GET    /_mockllm/config``                 ``Settings.public()`` (never keys or the admin token)
``GET    /_mockllm/models``                 the catalog with prices and every ``ModelInfo`` field
``GET    /_mockllm/stats``                  open connections and streams, refusals, timeouts, evictions
``GET    /_mockllm/ui``                     the web inspector (``mockllm/http/static``; works offline)
=========================================  ==========================================================

Access (see :func:`admin_access`): on a loopback bind the API is open to this machine; bound beyond
loopback it is *off* (404) unless ``admin_token`` is set, and then every data route wants the token
(``Authorization: Bearer TOKEN`` or ``x-mockllm-admin-token``), else 401. The ``--api-key`` keys are
never asked for: the admin API is for whoever runs the server, not for the client under test.
Two cheap browser-facing guards apply in every mode: state-changing requests carrying an ``Origin`` of
another site are refused (403, CSRF: a web page could otherwise POST ``text/plain`` YAML here), and an
open (token-less) API answers only ``Host`` headers naming loopback (403), so a DNS-rebinding page cannot
read the journal's prompts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import ipaddress
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from aiohttp import web

from .. import __version__
from ..core.catalog import Catalog, ModelInfo
from ..core.errors import ApiError
from ..core.faults import ERROR_PRESETS, FAULT_KINDS
from ..core.fixtures import (
    Fixture,
    FixtureError,
    FixtureSet,
    _json_no_duplicates,
    _StrictYamlLoader,
    load_fixture_files,
    parse_fixture_document,
)
from ..core.ids import IdFactory
from ..core.jsonbody import loads_strict
from ..core.ratelimit import RateLimiter
from ..journal import Entry
from .app import PIPELINE, _error_response

__all__ = [
    "ADMIN",
    "PREFIX",
    "AdminState",
    "add_document",
    "admin_access",
    "fixture_json",
    "install",
    "is_loopback_host",
    "load_files",
    "model_json",
    "reset_state",
    "setup_admin",
    "wait_idle",
]

PREFIX = "/_mockllm"
STATIC_DIR = Path(__file__).resolve().parent / "static"
TOKEN_HEADER = "x-mockllm-admin-token"
DEFAULT_JOURNAL_LIMIT = 1000
_STATIC_NAME = re.compile(r"^[A-Za-z0-9_-]+\.(?:js|css|svg|png|ico)$")
_CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}
_PROBLEM_FIELD = re.compile(r"^[^:]*: ((?:fixtures|models)\[\d+\])(?: \([^)]*\))?(?:: ([A-Za-z_][\w.\[\]]*))?: ")

Access = Literal["open", "token", "off"]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class AdminState:
    """What the admin layer keeps beside the pipeline.

    ``catalog`` is the catalog as started, so a reset can drop models added at runtime; ``epoch`` counts
    journal clears so a polling inspector knows to forget what it shows; ``in_flight``/``idle`` let a
    reader wait for answers whose bytes are out but whose journal entry is a few microseconds away.
    """

    access: Access
    catalog: Catalog
    epoch: int = 0
    documents: int = 0
    in_flight: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)


ADMIN: web.AppKey[AdminState] = web.AppKey("mockllm_admin", AdminState)


# ===== access ======================================================================================


def is_loopback_host(host: str) -> bool:
    """True when binding ``host`` exposes the server to this machine only (127.0.0.0/8, ::1, localhost).

    An empty host or ``0.0.0.0``/``::`` means every interface, so it is not loopback; names other than
    ``localhost`` are not resolved (a name can point anywhere), so they count as beyond loopback.
    """
    text = host.strip().lower()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if text in ("localhost", "localhost."):
        return True
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def admin_access(host: str, admin_token: str | None) -> Access:
    """``token`` whenever a token is configured; else ``open`` on loopback and ``off`` beyond it.

    A server reachable from other machines must not let anyone there rewrite its answers or read its
    journal, so beyond loopback the admin API exists only when the operator chose a token.
    """
    if admin_token:
        return "token"
    return "open" if is_loopback_host(host) else "off"


def _host_name(value: str) -> str:
    """The host part of a ``Host`` header (``[::1]:8000`` → ``::1``, ``localhost:80`` → ``localhost``)."""
    value = value.strip()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def _token_of(request: web.Request) -> str | None:
    token = request.headers.get(TOKEN_HEADER)
    if token:
        return token.strip()
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def _refusal(request: web.Request, state: AdminState, *, needs_token: bool) -> ApiError | None:
    """Why ``request`` may not use the admin API, or None. See the module docstring for the rules."""
    origin = request.headers.get("Origin")
    if request.method not in ("GET", "HEAD", "OPTIONS") and origin and origin != "null":
        if urlsplit(origin).netloc.lower() != request.host.lower():
            return ApiError(403, f"Cross-origin admin requests are refused (Origin {origin}).", code="forbidden")
    if state.access == "open":
        if request.host and not is_loopback_host(_host_name(request.host)):
            return ApiError(
                403,
                f"The admin API answers only loopback Host headers (got {request.host!r}); "
                "set an admin token to reach it under another name.",
                code="forbidden",
            )
        return None
    if not needs_token:
        return None
    token = _token_of(request)
    settings = request.app[PIPELINE].settings
    expected = settings.admin_token or ""
    if token is None or not hmac.compare_digest(token.encode(), expected.encode()):
        return ApiError(
            401,
            "The admin API needs its token: send 'Authorization: Bearer TOKEN' or 'x-mockllm-admin-token: TOKEN'.",
            type="invalid_request_error",
            code="invalid_admin_token",
            headers={"WWW-Authenticate": 'Bearer realm="mockllm-admin"'},
        )
    return None


def _guarded(handler: Handler, *, needs_token: bool = True) -> Handler:
    """Apply the access rules, and turn an :class:`ApiError` into its OpenAI-shaped answer.

    (The app's error middleware maps unexpected exceptions to a 500; an ApiError here is the user's
    mistake, so it must keep its own status.)
    """

    async def wrapped(request: web.Request) -> web.StreamResponse:
        refusal = _refusal(request, request.app[ADMIN], needs_token=needs_token)
        if refusal is not None:
            return _error_response(refusal)
        try:
            return await handler(request)
        except ApiError as error:
            return _error_response(error)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


# ===== state helpers (shared with the pytest plugin) ===============================================


def reset_state(app: web.Application) -> dict[str, int]:
    """Back to the server as started: runtime fixtures and models go, sequences restart, the journal and
    usage ledger empty, and the id counter and rate buckets start over, so the next request is answered
    byte for byte as a fresh ``mockllm serve`` with the same settings would answer it. Must run on the
    server's loop. Returns what was dropped."""
    pipeline, state = app[PIPELINE], app[ADMIN]
    removed = pipeline.fixtures.reset_runtime()
    pipeline.fixtures.reset_counters()
    cleared = len(pipeline.journal.entries())
    _clear_journal(app)
    pipeline.ledger.clear()
    pipeline.catalog = state.catalog.copy()
    pipeline.ids = IdFactory(pipeline.settings.seed)
    pipeline.limiter = RateLimiter(pipeline.settings.rpm, pipeline.settings.tpm)
    for surface in pipeline.surfaces.values():
        surface.reset()  # an API's own state: stored responses
    return {"fixtures": removed, "journal": cleared}


def _clear_journal(app: web.Application) -> None:
    app[PIPELINE].journal.clear()
    app[ADMIN].epoch += 1


def add_document(app: web.Application, data: Any, source: str | None = None, *, replace: bool = False) -> FixtureSet:
    """Validate a fixture document exactly like a file and install it as *runtime* state (a reset drops it).

    ``models:`` entries override or extend the catalog (against the current catalog, so a document can
    refine a model a file defined); fixtures go after the existing ones, or replace same-named ones when
    ``replace``. Raises :class:`FixtureError` listing every problem, with nothing installed. Must run on
    the server's loop.
    """
    pipeline, state = app[PIPELINE], app[ADMIN]
    state.documents += 1
    if source is None:
        source = f"admin-{state.documents}"
    parsed = parse_fixture_document(
        data, source, known_presets=ERROR_PRESETS, known_faults=FAULT_KINDS, catalog=pipeline.catalog
    )
    install(app, parsed, replace=replace)
    return parsed


def load_files(app: web.Application, paths: list[str]) -> FixtureSet:
    """Load fixture files or folders as *runtime* state (what the plugin's ``load()`` and marker use).

    Raises :class:`FixtureError` listing every problem, with nothing installed. Must run on the server's
    loop.
    """
    pipeline = app[PIPELINE]
    loaded = load_fixture_files(paths, known_presets=ERROR_PRESETS, known_faults=FAULT_KINDS, catalog=pipeline.catalog)
    install(app, loaded)
    return loaded


def install(app: web.Application, fixtures: FixtureSet, *, replace: bool = False) -> None:
    """Put validated fixtures and models in force: fixtures first, so a name clash leaves the catalog alone."""
    pipeline = app[PIPELINE]
    pipeline.fixtures.add(fixtures.fixtures, origin="runtime", replace=replace)
    for model in fixtures.models:
        pipeline.catalog.add(model)


async def wait_idle(app: web.Application, timeout: float = 0.5) -> bool:
    """Wait until no API request is being answered (or ``timeout``); True when idle.

    A streamed answer's last byte leaves before its journal entry is written, so a reader that wants
    "every request the client has seen" waits here first. Bounded, because a stalled stream may be
    in flight on purpose, and it is not in the journal yet either way.
    """
    state = app[ADMIN]
    if state.in_flight == 0:
        return True
    try:
        await asyncio.wait_for(state.idle.wait(), timeout)
    except TimeoutError:
        return False
    return True


@web.middleware
async def _track_in_flight(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count API requests being answered (see :func:`wait_idle`); admin requests are not counted."""
    if request.path.startswith(PREFIX):
        return await handler(request)
    state = request.app[ADMIN]
    state.in_flight += 1
    state.idle.clear()
    try:
        return await handler(request)
    finally:
        state.in_flight -= 1
        if state.in_flight == 0:
            state.idle.set()


# ===== JSON views ==================================================================================


def _default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    if hasattr(value, "items"):
        return dict(value.items())
    return str(value)


_dumps = partial(json.dumps, default=_default, ensure_ascii=False)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def fixture_json(fixture: Fixture) -> dict[str, Any]:
    """A fixture as the admin API lists it: where it came from, what it matches, and its definition."""
    return {
        "name": fixture.name,
        "origin": fixture.origin,
        "priority": fixture.priority,
        "source": fixture.source,
        "index": fixture.index,
        "match": fixture.condition.describe(),
        "replies": len(fixture.entries),
        "definition": fixture.definition,
    }


def model_json(model: ModelInfo) -> dict[str, Any]:
    """Every :class:`ModelInfo` field (prices per 1M tokens), plus ``answered_name``."""
    data = {f.name: getattr(model, f.name) for f in dataclasses.fields(model)}
    data["vision_policy"] = dataclasses.asdict(model.vision_policy)
    data["extra"] = dict(model.extra)
    data["answered_name"] = model.answered_name
    return data


# ===== handlers ====================================================================================


def _routes() -> list[tuple[str, str, str]]:
    return [
        ("GET", f"{PREFIX}/", "this index"),
        ("GET", f"{PREFIX}/fixtures", "fixtures in decision order"),
        ("POST", f"{PREFIX}/fixtures", "add fixtures/models (JSON or YAML, the fixture file format)"),
        ("DELETE", f"{PREFIX}/fixtures/{{name}}", "remove a fixture"),
        ("GET", f"{PREFIX}/journal", "requests seen (session, model, status, since, since_seq, limit, offset)"),
        ("GET", f"{PREFIX}/journal/{{seq}}", "one journal entry"),
        ("DELETE", f"{PREFIX}/journal", "clear the journal"),
        ("POST", f"{PREFIX}/reset", "runtime fixtures, counters, journal and usage back to start"),
        ("GET", f"{PREFIX}/usage", "tokens and cost per API key and model"),
        ("GET", f"{PREFIX}/config", "server settings (no secrets)"),
        ("GET", f"{PREFIX}/models", "model catalog with prices"),
        ("GET", f"{PREFIX}/stats", "open connections and streams, refusals, timeouts, evictions, tasks"),
        ("GET", f"{PREFIX}/ui", "web inspector"),
    ]


async def index(request: web.Request) -> web.Response:
    """What is here: the first thing someone curling ``/_mockllm/`` wants to know."""
    routes = [{"method": m, "path": p, "does": d} for m, p, d in _routes()]
    return _json({"mockllm": __version__, "access": request.app[ADMIN].access, "routes": routes})


async def list_fixtures(request: web.Request) -> web.Response:
    fixtures = request.app[PIPELINE].fixtures.list()
    return _json({"object": "list", "data": [fixture_json(f) for f in fixtures]})


def _decode_document(body: bytes, content_type: str) -> Any:
    """JSON when the client says so, else YAML (a superset of JSON), both rejecting duplicate keys."""
    if not body.strip():
        raise ApiError(400, "Empty body: send a fixture document (JSON or YAML).", code="invalid_fixture")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "The body is not UTF-8 text.", code="invalid_fixture") from None
    if "json" in content_type:
        try:
            return loads_strict(text, object_pairs_hook=_json_no_duplicates)
        except json.JSONDecodeError as exc:
            raise ApiError(
                400, f"Invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}.", code="invalid_fixture"
            ) from None
        except ValueError as exc:
            raise ApiError(400, f"Invalid JSON: {exc}.", code="invalid_fixture") from None
    loader = _StrictYamlLoader(text)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ApiError(400, f"Invalid YAML{where}: {exc.problem or exc.context}.", code="invalid_fixture") from None
    except yaml.YAMLError as exc:
        raise ApiError(400, f"Invalid YAML: {exc}.", code="invalid_fixture") from None
    except RecursionError:
        raise ApiError(400, "Invalid YAML: nesting too deep.", code="invalid_fixture") from None
    finally:
        loader.dispose()


def _fixture_error(problems: list[str]) -> web.Response:
    """400 naming the fixture and field of the first problem in ``param``, with every problem listed."""
    match = _PROBLEM_FIELD.match(problems[0])
    param = None
    if match:
        param = match.group(1) + (f".{match.group(2)}" if match.group(2) else "")
    shown = "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
    error = ApiError(400, f"Invalid fixture document: {shown}", param=param, code="invalid_fixture")
    body = error.body()
    body["error"]["problems"] = problems
    return _json(body, status=400)


def _looks_like_one_fixture(data: Any) -> bool:
    return isinstance(data, dict) and "fixtures" not in data and "models" not in data


async def add_fixtures(request: web.Request) -> web.Response:
    """Add a document in the file format; a single fixture mapping is accepted as a shorthand."""
    data = _decode_document(await request.read(), request.content_type or "")
    if _looks_like_one_fixture(data):
        data = [data]
    replace = request.query.get("replace", "").lower() in ("1", "true", "yes")
    try:
        parsed = add_document(request.app, data, replace=replace)
    except FixtureError as exc:
        return _fixture_error(exc.problems)
    return _json(
        {
            "object": "list",
            "data": [fixture_json(f) for f in parsed.fixtures],
            "models": [model_json(m) for m in parsed.models],
            "warnings": parsed.warnings,
        },
        status=201,
    )


async def delete_fixture(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if not request.app[PIPELINE].fixtures.remove(name):
        raise ApiError(404, f"No fixture named {name!r}.", param="name", code="fixture_not_found")
    return _json({"name": name, "deleted": True})


def _query_int(request: web.Request, name: str, minimum: int = 0) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(
            400, f"Invalid '{name}': expected an integer, got {raw!r}.", param=name, code="invalid_parameter"
        ) from None
    if value < minimum:
        raise ApiError(
            400, f"Invalid '{name}': expected a value >= {minimum}, got {value}.", param=name, code="invalid_parameter"
        )
    return value


def _query_float(request: web.Request, name: str) -> float | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except ValueError:
        raise ApiError(
            400, f"Invalid '{name}': expected unix seconds, got {raw!r}.", param=name, code="invalid_parameter"
        ) from None


async def get_journal(request: web.Request) -> web.Response:
    """Filtered, paged journal (oldest first), plus what a poller needs: ``last_seq``, ``epoch``, totals."""
    app = request.app
    pipeline, state = app[PIPELINE], app[ADMIN]
    await wait_idle(app, 0.05)
    limit = _query_int(request, "limit")
    offset = _query_int(request, "offset") or 0
    matched = pipeline.journal.query(
        session=request.query.get("session") or None,
        model=request.query.get("model") or None,
        status=_query_int(request, "status", 100),
        since=_query_float(request, "since"),
        since_seq=_query_int(request, "since_seq"),
    )
    limit = DEFAULT_JOURNAL_LIMIT if limit is None else limit
    page = matched[offset : offset + limit]
    everything = pipeline.journal.entries()
    return _json(
        {
            "object": "list",
            "data": [e.to_json() for e in page],
            "total": len(matched),
            "offset": offset,
            "limit": limit,
            "has_more": offset + len(page) < len(matched),
            "last_seq": everything[-1].seq if everything else 0,
            "epoch": state.epoch,
            "recorded": pipeline.journal.recorded,
            "evicted": pipeline.journal.evicted,
            "size": pipeline.journal.size,
            "totals": _totals(everything, pipeline.ledger.report()["totals"]),
            "now": time.time(),
        }
    )


def _totals(entries: list[Entry], usage: dict[str, Any]) -> dict[str, Any]:
    """Inspector totals: request counts from the journal, tokens and cost from the ledger."""
    return {
        **usage,
        "requests": len(entries),
        "errors": sum(1 for e in entries if e.status >= 400),
        "faults": sum(1 for e in entries if e.fault),
    }


async def get_entry(request: web.Request) -> web.Response:
    raw = request.match_info["seq"]
    seq = int(raw) if raw.isdigit() else -1
    await wait_idle(request.app, 0.05)
    for entry in request.app[PIPELINE].journal.entries():
        if entry.seq == seq:
            return _json(entry.to_json())
    raise ApiError(404, f"No journal entry {raw} (evicted, cleared or not yet made).", param="seq", code="not_found")


async def clear_journal(request: web.Request) -> web.Response:
    cleared = len(request.app[PIPELINE].journal.entries())
    _clear_journal(request.app)
    return _json({"deleted": cleared})


async def reset(request: web.Request) -> web.Response:
    return _json({"reset": reset_state(request.app)})


async def usage(request: web.Request) -> web.Response:
    ledger = request.app[PIPELINE].ledger
    return _json({**ledger.report(), "evicted": ledger.evicted})


async def config(request: web.Request) -> web.Response:
    pipeline = request.app[PIPELINE]
    data = {"version": __version__, "admin": request.app[ADMIN].access, **pipeline.settings.public()}
    sockname = request.transport.get_extra_info("sockname") if request.transport is not None else None
    if isinstance(sockname, tuple) and len(sockname) >= 2:
        data["port"] = sockname[1]  # the port actually bound (the setting may say 0, "any free port")
    return _json(data)


async def models(request: web.Request) -> web.Response:
    return _json({"object": "list", "data": [model_json(m) for m in request.app[PIPELINE].catalog]})


async def inspector(request: web.Request) -> web.StreamResponse:
    """The inspector page. Static files carry no data, so they need no token: the page asks for it."""
    return _static_file("inspector.html", "text/html")


async def inspector_asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if not _STATIC_NAME.match(name):
        raise web.HTTPNotFound()
    return _static_file(name, _CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream"))


def _static_file(name: str, content_type: str) -> web.Response:
    path = STATIC_DIR / name
    if not path.is_file():
        raise web.HTTPNotFound()
    charset = "utf-8" if content_type.startswith("text/") else None
    return web.Response(
        body=path.read_bytes(),
        content_type=content_type,
        charset=charset,
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


# ===== wiring ======================================================================================


def setup_admin(app: web.Application) -> None:
    """Register the admin routes on ``app`` (or none at all when access is ``off``).

    Called by ``make_app`` once the pipeline (and its file-defined models) exists, so the catalog
    snapshot taken here is "the catalog as started".
    """
    pipeline = app[PIPELINE]
    access = admin_access(pipeline.settings.host, pipeline.settings.admin_token)
    state = AdminState(access=access, catalog=pipeline.catalog.copy())
    state.idle.set()
    app[ADMIN] = state
    app.middlewares.append(_track_in_flight)
    if access == "off":
        return
    router = app.router
    router.add_get(f"{PREFIX}/", _guarded(index))
    router.add_get(PREFIX, _guarded(index))
    router.add_get(f"{PREFIX}/fixtures", _guarded(list_fixtures))
    router.add_post(f"{PREFIX}/fixtures", _guarded(add_fixtures))
    router.add_delete(f"{PREFIX}/fixtures/{{name}}", _guarded(delete_fixture))
    router.add_get(f"{PREFIX}/journal", _guarded(get_journal))
    router.add_delete(f"{PREFIX}/journal", _guarded(clear_journal))
    router.add_get(f"{PREFIX}/journal/{{seq}}", _guarded(get_entry))
    router.add_post(f"{PREFIX}/reset", _guarded(reset))
    router.add_get(f"{PREFIX}/usage", _guarded(usage))
    router.add_get(f"{PREFIX}/config", _guarded(config))
    router.add_get(f"{PREFIX}/models", _guarded(models))
    router.add_get(f"{PREFIX}/ui", _guarded(inspector, needs_token=False))
    router.add_get(f"{PREFIX}/ui/{{name}}", _guarded(inspector_asset, needs_token=False))
