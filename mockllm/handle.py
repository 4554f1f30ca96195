"""One server's scripting and inspection handle: what the ``mockllm`` pytest fixture yields and what
``with mockllm.MockServer(...) as llm`` binds, so both share one implementation.

A :class:`MockLLM` wraps a running :class:`~mockllm.server.ServerThread`: :meth:`MockLLM.on` scripts
routes (fixtures built in code), :attr:`MockLLM.requests` reads the journal, ``assert_called*`` check
what was sent, :meth:`MockLLM.reset` returns the server to its just-started state, and
:meth:`MockLLM.client` hands out ``openai`` clients pointed at it.

Decisions, and why:

* **Routes beat files.** ``on(...)`` fixtures get ``priority=100`` unless given one, so code can override
  what a fixture file answers; among routes (and documents from :meth:`MockLLM.add`/:meth:`MockLLM.load`,
  which beat file fixtures of the same priority), the newest that matches wins, as in WireMock; chaining
  replies on a route keeps its place.
* **Clients** from :meth:`MockLLM.client` default to ``max_retries=0`` (a scripted failure surfaces exactly
  as scripted; pass ``max_retries=2`` to exercise retries) and ``timeout=30`` (a stalled stream fails the
  test in 30 s, not the SDK's 10 minutes).
* **One HTTP client per process.** The SDK builds a new ``httpx`` client, and with it a TLS context
  (~25 ms), for every ``openai.OpenAI()``; a suite of small tests would spend most of its time there.
  :meth:`MockLLM.client` hands every SDK client the same ``httpx`` client instead, whose ``close()`` does
  nothing, so one test closing its client (``with client:``, ``client.close()``) cannot break the next.
  Async clients cannot share a connection pool across event loops, but share the TLS context.
* **Fast retries.** ``.fail()`` answers with retryable statuses (408, 409, 429, 5xx) carry
  ``retry-after-ms: 10`` (and ``retry-after: 0``), so an SDK retrying a scripted failure does not sleep a
  real second each time; ``retry_after=None`` keeps the preset's real headers.

Nothing heavy is imported at module level (the pytest plugin imports this module in every project that
has mockllm installed); the server's modules and ``openai`` load when first needed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import datetime as dt
import fnmatch
import json
import math
import re
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .core.errors import did_you_mean

if TYPE_CHECKING:
    import ssl

    import anthropic
    import httpx
    import openai

    from .config import Settings
    from .server import ServerThread

__all__ = ["DEFAULT_API_KEY", "ROUTE_PRIORITY", "MockLLM", "RecordedRequest", "Route", "UnusedRouteWarning"]

DEFAULT_API_KEY = "sk-mockllm-test"
ROUTE_PRIORITY = 100
FAST_RETRY_AFTER_S = 0.01
_RETRY_STATUSES = frozenset({408, 409, 429})
_UNSET: Any = object()


# ===== what the journal says =========================================================================


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def _short(text: str | None, limit: int = 80) -> str:
    if text is None:
        return "None"
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


@dataclasses.dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the server saw in this test, from its journal (a copy: safe to keep and compare).

    ``source`` is what answered: a fixture name, ``"generator"``, or the fault/chaos origin; ``headers``
    are the ``x-mockllm-*`` and ``x-stainless-*`` headers the journal keeps (the SDKs' retry counters).
    """

    seq: int
    time: float
    method: str
    path: str
    model: str | None
    status: int
    outcome: str
    source: str | None
    stream: bool
    session: str | None
    body: Any
    response: Any
    error: dict[str, Any] | None
    fault: str | None
    usage: dict[str, Any] | None
    cost_usd: float
    latency_ms: float
    near_misses: list[dict[str, Any]]
    headers: dict[str, str]
    info: dict[str, Any]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecordedRequest:
        info = dict(data.get("info") or {})
        return cls(
            seq=data["seq"],
            time=data["time"],
            method=data["method"],
            path=data["path"],
            model=data.get("model"),
            status=data["status"],
            outcome=data["outcome"],
            source=data.get("source"),
            stream=bool(data.get("stream")),
            session=data.get("session"),
            body=data.get("request"),
            response=data.get("response"),
            error=data.get("error"),
            fault=data.get("fault"),
            usage=data.get("usage"),
            cost_usd=float(data.get("cost_usd") or 0.0),
            latency_ms=float(data.get("latency_ms") or 0.0),
            near_misses=list(data.get("near_misses") or []),
            headers=dict(info.get("headers") or {}),
            info=info,
        )

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The conversation as chat messages: the body's own for chat, else the server's neutral view of
        it (Responses ``input`` items and ``instructions``, a ``previous_response_id`` chain expanded)."""
        messages = self.body.get("messages") if isinstance(self.body, dict) else None
        if messages is None:
            messages = self.info.get("messages")
        return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []

    @property
    def user(self) -> str | None:
        """Text of the last user message (what fixtures' ``user`` matches), or None."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return _text_of(message.get("content"))
        return None

    @property
    def system(self) -> str:
        texts = [_text_of(m.get("content")) for m in self.messages if m.get("role") in ("system", "developer")]
        top = self.body.get("system") if isinstance(self.body, dict) else None  # the Messages API's field
        return "\n".join([_text_of(top), *texts] if top is not None else texts)

    @property
    def fixture(self) -> str | None:
        """The fixture that answered, or None (generator, injected fault, invalid request)."""
        if self.source is None or self.source == "generator" or self.outcome in ("chaos", "invalid"):
            return None
        return None if self.source.startswith(("header", "chaos")) else self.source

    @property
    def content(self) -> str | None:
        """The first choice's text: of a JSON answer (a Responses answer's ``output_text``, a Messages
        answer's text blocks), or what a stream sent (all of it, or up to where a fault or the client cut it;
        texts over 20,000 characters are shortened in the journal)."""
        if isinstance(self.response, dict):
            streamed = self.response.get("streamed")
            if isinstance(streamed, list):
                return streamed[0].get("content") if streamed and isinstance(streamed[0], dict) else None
            if self.response.get("type") == "message":  # the Messages API: its text blocks
                blocks = self.response.get("content") or []
                texts = [b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "text"]
                return "".join(texts) if texts else None
            choices = self.response.get("choices") or []
            if choices and isinstance(choices[0], dict):
                message = choices[0].get("message") or {}
                return message.get("content")
            output = self.response.get("output")
            if isinstance(output, list):  # a Responses answer: its output_text, None when it has no message
                texts = [
                    part.get("text", "")
                    for item in output
                    if isinstance(item, dict) and item.get("type") == "message"
                    for part in item.get("content") or []
                    if isinstance(part, dict) and part.get("type") == "output_text"
                ]
                return "".join(texts) if texts else None
        return None

    @property
    def tokens(self) -> int:
        return int((self.usage or {}).get("total_tokens", 0))

    def answered_by(self) -> str:
        """``fixture 'x'`` / ``generator (no fixture matched)`` / ``error rate_limit (fixture 'x')``..."""
        if self.outcome == "invalid":
            return "rejected (invalid request)"
        what = f"fixture {self.fixture!r}" if self.fixture else (self.source or "server")
        if self.outcome == "generator":
            return "generator (no fixture matched)" if self.near_misses else "generator"
        if self.fault:
            return f"fault {self.fault} from {what}"
        if self.status >= 400:
            code = (self.error or {}).get("code") or (self.error or {}).get("type") or "error"
            return f"error {code} from {what}" if self.source else f"error {code}"
        return what

    def summary(self, number: int | None = None) -> str:
        """One line: ``#n time model user=... → status what-answered · tokens · latency`` (``n``: the
        position in the test when given, else the server-wide journal sequence number)."""
        clock = dt.datetime.fromtimestamp(self.time).strftime("%H:%M:%S.%f")[:-3]
        usage = self.usage or {}
        tokens = f" · {usage.get('prompt_tokens', 0)}+{usage.get('completion_tokens', 0)} tokens" if usage else ""
        stream = " stream" if self.stream else ""
        label = self.seq if number is None else number
        return (
            f"#{label} {clock} {self.model or '?'}{stream} user={_short(self.user)} → {self.status} "
            f"{self.answered_by()}{tokens} · {self.latency_ms:.1f} ms"
        )

    def __str__(self) -> str:
        return self.summary()


# Each criterion: (test, describe-what-was-expected, describe-what-was-sent).
def _criteria() -> dict[str, tuple[Callable[[RecordedRequest, Any], bool], str, Callable[[RecordedRequest], Any]]]:
    def glob(value: str | None, pattern: str) -> bool:
        return value is not None and fnmatch.fnmatchcase(value, pattern)

    return {
        "model": (lambda r, v: glob(r.model, v), "{v!r}", lambda r: r.model),
        "user": (
            lambda r, v: r.user is not None and v.casefold() in r.user.casefold(),
            "containing {v!r}",
            lambda r: r.user,
        ),
        "user_regex": (
            lambda r, v: r.user is not None and re.search(v, r.user) is not None,
            "matching /{v}/",
            lambda r: r.user,
        ),
        "system": (lambda r, v: v.casefold() in r.system.casefold(), "containing {v!r}", lambda r: r.system),
        "status": (lambda r, v: r.status == v, "{v!r}", lambda r: r.status),
        "source": (lambda r, v: r.source == v, "{v!r}", lambda r: r.source),
        "fixture": (lambda r, v: r.fixture == v, "{v!r}", lambda r: r.fixture),
        "outcome": (lambda r, v: r.outcome == v, "{v!r}", lambda r: r.outcome),
        "stream": (lambda r, v: r.stream == v, "{v!r}", lambda r: r.stream),
        "session": (lambda r, v: r.session == v, "{v!r}", lambda r: r.session),
        "fault": (lambda r, v: r.fault == v, "{v!r}", lambda r: r.fault),
        "headers": (
            lambda r, v: all(r.headers.get(k.lower()) == str(x) for k, x in v.items()),
            "including {v!r}",
            lambda r: r.headers,
        ),
    }


_CRITERIA = _criteria()


def _describe_criteria(criteria: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in criteria.items())


# ===== scripting: routes ===============================================================================


class UnusedRouteWarning(UserWarning):
    """A route was started with ``mockllm.on(...)`` but given no reply, so it never answered."""


def _check_match(match: Mapping[str, Any]) -> None:
    """Fail at ``on(...)`` itself, not at the first ``.reply()``, when a condition is misspelt or wrong."""
    from pydantic import ValidationError

    from .core.fixtures import MatchModel

    known = set(MatchModel.model_fields)
    for key in match:
        if key not in known:
            hint = did_you_mean(key, known)
            raise ValueError(f"mockllm.on(): unknown condition {key!r}{hint}; known: {', '.join(sorted(known))}")
    try:
        MatchModel.model_validate(dict(match))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"mockllm.on(): {where}: {first['msg']}") from None


class Route:
    """A fixture built in code (respx's route, WireMock's stub): conditions from :meth:`MockLLM.on`, then
    replies appended by :meth:`reply`, :meth:`replies`, :meth:`fail` and :meth:`fault`, in order; the last
    one repeats. Every call re-installs the fixture, so chain them before sending requests (re-installing
    restarts the sequence).

    The fixture is a document in the fixture file format, validated by the same models as a file, so a
    mistake reads as it would in YAML; a misspelt condition already fails at ``on(...)``.
    """

    def __init__(self, mock: MockLLM, name: str, match: dict[str, Any], priority: int) -> None:
        self._mock = mock
        self.name = name
        self.match = match
        self.priority = priority
        self.entries: list[dict[str, Any]] = []
        self._installed = False

    # ----- building -------------------------------------------------------------------------------

    def reply(self, content: Any = _UNSET, /, **fields: Any) -> Route:
        """Answer with ``content`` (text; a mapping or list is sent as JSON text), or any reply fields
        of the file format: ``tool_calls=[{"name": ..., "arguments": {...}}]``, ``refusal=``, ``echo=True``,
        ``reasoning_content=``, ``finish_reason=``, ``pacing={...}``, ``times=``."""
        entry = dict(fields)
        if content is not _UNSET:
            entry["content"] = content
        return self._append([entry])

    def replies(self, entries: Iterable[Any]) -> Route:
        """A sequence: each entry is text, or a mapping in the file format (``{"error": "rate_limit"}``)."""
        return self._append([e if isinstance(e, dict) else {"content": e} for e in entries])

    def fail(
        self,
        error: str | int = "server_error",
        /,
        *,
        times: int = 1,
        retry_after: float | None = _UNSET,
        **overrides: Any,
    ) -> Route:
        """Answer ``times`` requests with an error: a preset name (``rate_limit``, ``overloaded``, ...; see
        :data:`mockllm.core.faults.ERROR_PRESETS`) or a bare HTTP status, with overrides (``message``, ``type``,
        ``code``, ``param``, ``status``, ``headers``). Retryable statuses get a 10 ms retry-after unless
        ``retry_after`` says otherwise (seconds; None keeps the preset's headers)."""
        spec: dict[str, Any] = {"status": error} if isinstance(error, int) else {"preset": error}
        spec.update(overrides)
        if retry_after is _UNSET:
            retry_after = FAST_RETRY_AFTER_S if _retryable(spec) else None
        if retry_after is not None:
            headers = {
                "retry-after": str(math.floor(retry_after)),
                "retry-after-ms": f"{retry_after * 1000:g}",
            }
            headers.update(spec.get("headers") or {})
            spec["headers"] = headers
        # Always written: ``times`` on the last entry means "then stop", so a ``fail`` with nothing after
        # it fails ``times`` requests and then lets other fixtures (or the generator) answer.
        return self._append([{"error": spec, "times": times}])

    def fault(
        self,
        kind: str,
        /,
        *,
        times: int = 1,
        after_chunks: int | None = None,
        seconds: float | None = None,
        error: str | Mapping[str, Any] | None = None,
        **reply_fields: Any,
    ) -> Route:
        """A transport fault (``disconnect``, ``reset``, ``stall``, ``malformed_chunk``, ...; see
        :data:`mockllm.core.faults.FAULT_KINDS`) for ``times`` requests, optionally on a given answer
        (``content="..."``; else the generator's)."""
        spec: dict[str, Any] = {"kind": kind}
        for key, value in (("after_chunks", after_chunks), ("seconds", seconds), ("error", error)):
            if value is not None:
                spec[key] = dict(value) if isinstance(value, Mapping) else value
        return self._append([{"fault": spec, **reply_fields, "times": times}])  # "then stop", as in fail()

    def _append(self, entries: list[dict[str, Any]]) -> Route:
        self.entries.extend(entries)
        try:
            self._mock._install(self)
        except BaseException:
            del self.entries[-len(entries) :]
            raise
        return self

    def definition(self) -> dict[str, Any]:
        """This route as one fixture of the file format."""
        fixture: dict[str, Any] = {"name": self.name, "priority": self.priority}
        if self.match:
            fixture["match"] = self.match
        fixture["replies"] = self.entries
        return fixture

    # ----- what it answered ---------------------------------------------------------------------

    @property
    def calls(self) -> list[RecordedRequest]:
        """Requests this route answered in this test."""
        return [r for r in self._mock.requests if r.source == self.name]

    @property
    def call_count(self) -> int:
        return len(self.calls)

    @property
    def called(self) -> bool:
        return bool(self.calls)

    def __repr__(self) -> str:
        return f"<Route {self.name} ({len(self.entries)} replies)>"


def _retryable(spec: Mapping[str, Any]) -> bool:
    status = spec.get("status")
    if status is None:
        from .core.faults import ERROR_PRESETS

        preset = ERROR_PRESETS.get(str(spec.get("preset")))
        status = preset.status if preset is not None else None
    return isinstance(status, int) and (status in _RETRY_STATUSES or status >= 500)


# ===== the handle ======================================================================================


class MockLLM:
    """A running server's handle: what the ``mockllm`` pytest fixture yields (one test's view of the
    session server) and what ``with mockllm.MockServer(...) as llm`` binds (see the module docstring)."""

    def __init__(self, server: ServerThread, test_dir: Path | None = None) -> None:
        self.server = server
        self._test_dir = test_dir
        self._routes: dict[str, Route] = {}

    # ----- where it is --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``: what an OpenAI client's ``base_url`` wants."""
        return self.server.base_url

    @property
    def root_url(self) -> str:
        return self.server.root_url

    @property
    def inspector_url(self) -> str:
        return f"{self.server.root_url}/_mockllm/ui"

    @property
    def settings(self) -> Settings:
        return self.server.settings

    @property
    def api_key(self) -> str:
        """A key the server accepts (the first ``api_keys`` entry when keys are enforced)."""
        return self.settings.api_keys[0] if self.settings.api_keys else DEFAULT_API_KEY

    def client(self, **kwargs: Any) -> openai.OpenAI:
        """An ``openai.OpenAI`` pointed at the server (``max_retries=0``, ``timeout=30`` unless given).

        Every client shares this process's HTTP client (see the module docstring), so after the first
        one a client costs microseconds; closing it is harmless. Pass ``http_client=`` for your own."""
        import openai

        if "http_client" not in kwargs:
            kwargs["http_client"] = shared_http_client()
        return openai.OpenAI(**self._client_kwargs(kwargs))

    def async_client(self, **kwargs: Any) -> openai.AsyncOpenAI:
        """An ``openai.AsyncOpenAI`` pointed at the server; create it inside the async test."""
        import openai

        if "http_client" not in kwargs:
            # The SDK's own HTTP client, when garbage-collected unclosed, schedules its close on whatever
            # loop is running then: the *next* async test's, where closing a connection of the dead loop
            # fails that unrelated test. Without keep-alive no connection outlives its request, and the
            # plain client has no such finalizer. (Loopback connections cost microseconds.) The TLS
            # context, the costly part of a new client, is built once per process.
            limits = type(openai.DEFAULT_CONNECTION_LIMITS)(max_connections=100, max_keepalive_connections=0)
            kwargs["http_client"] = openai.DefaultAsyncHttpxClient(limits=limits, verify=_shared_ssl_context())
        return openai.AsyncOpenAI(**self._client_kwargs(kwargs))

    def anthropic_client(self, **kwargs: Any) -> anthropic.Anthropic:
        """An ``anthropic.Anthropic`` pointed at the server's root (``max_retries=0``, ``timeout=30``
        unless given): the Messages API, count_tokens and the models routes in Anthropic's shape."""
        import anthropic

        return anthropic.Anthropic(**self._anthropic_kwargs(kwargs))

    def async_anthropic_client(self, **kwargs: Any) -> anthropic.AsyncAnthropic:
        """An ``anthropic.AsyncAnthropic`` pointed at the server; create it inside the async test."""
        import anthropic

        if "http_client" not in kwargs:
            # No keep-alive, for the reason given in async_client.
            limits = type(anthropic.DEFAULT_CONNECTION_LIMITS)(max_connections=100, max_keepalive_connections=0)
            kwargs["http_client"] = anthropic.DefaultAsyncHttpxClient(limits=limits, verify=_shared_ssl_context())
        return anthropic.AsyncAnthropic(**self._anthropic_kwargs(kwargs))

    def _anthropic_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {"base_url": self.root_url, "api_key": self.api_key, "max_retries": 0, "timeout": 30.0, **kwargs}

    def _client_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {"base_url": self.base_url, "api_key": self.api_key, "max_retries": 0, "timeout": 30.0, **kwargs}

    # ----- scripting ----------------------------------------------------------------------------

    def on(self, *, name: str | None = None, priority: int = ROUTE_PRIORITY, **match: Any) -> Route:
        """Start a route matching ``match`` (the file format's ``match:`` keys: ``model`` (glob), ``user``,
        ``user_regex``, ``system``, ``tool``, ``tool_result``, ``turn``, ``has_image``, ``image_count``,
        ``response_format``, ``stream``, ``headers``, ``session``, ``api``, ``input``...; none matches every
        request). Nothing is installed until the first reply is added. An agent loop is scripted by its state:
        ``on(turn=0, tool="get_weather")`` for the first call, ``on(tool_result="get_weather")`` once the
        result is back. ``on(api="embeddings", input="text").reply(embedding=[...])`` pins an input's vector;
        ``.reply(like="other text")`` makes it that text's near-twin."""
        _check_match(match)
        if name is None:
            label = ", ".join(f"{k}={v!r}" for k, v in match.items())
            base = f"on({label[:150]})"
            name, n = base, 2
            while name in self._routes:
                name, n = f"{base} #{n}", n + 1
        elif name in self._routes:
            raise ValueError(f"a route named {name!r} already exists in this test")
        route = Route(self, name, dict(match), priority)
        self._routes[name] = route
        return route

    @property
    def routes(self) -> list[Route]:
        return list(self._routes.values())

    def _install(self, route: Route) -> None:
        from .http.admin import add_document

        document = {"fixtures": [route.definition()]}
        app = self.server.app
        source = f"mockllm.on({route.name})"
        self.server.call(lambda: add_document(app, document, source, replace=route._installed))
        route._installed = True

    def add(self, document: Any) -> list[str]:
        """Install a fixture document as it would be written in a file (a ``{models, fixtures}`` mapping,
        a list of fixtures, a single fixture mapping, or YAML text); returns the fixture names. Dropped at
        the end of the test."""
        from .http.admin import _looks_like_one_fixture, add_document

        if isinstance(document, str):
            import yaml

            document = yaml.safe_load(document)
        if _looks_like_one_fixture(document):  # the admin API's shorthand: one fixture mapping
            document = [document]
        app = self.server.app
        parsed = self.server.call(lambda: add_document(app, document, "mockllm.add"))
        return [f.name for f in parsed.fixtures]

    def load(self, *paths: str | Path) -> list[str]:
        """Load fixture files or folders for this test (relative paths: the test file's folder first, then
        the current directory); returns the fixture names. ``models:`` sections apply for this test only."""
        from .http.admin import load_files

        resolved = [str(self._resolve(p)) for p in paths]
        app = self.server.app
        loaded = self.server.call(lambda: load_files(app, resolved))
        return [f.name for f in loaded.fixtures]

    def _resolve(self, path: str | Path) -> Path:
        path = Path(path)
        if not path.is_absolute() and self._test_dir is not None and (self._test_dir / path).exists():
            return self._test_dir / path
        return path

    def reset(self) -> None:
        """What the plugin does between tests: runtime fixtures, counters, journal, usage, ids."""
        from .http.admin import reset_state

        app = self.server.app
        self.server.call(lambda: reset_state(app))
        unused = [route.name for route in self._routes.values() if not route.entries]
        self._routes.clear()
        if unused:
            # A route without a reply is never installed: almost always a forgotten .reply(...).
            warnings.warn(
                f"mockllm: {', '.join(unused)} got no reply, fail or fault, so it never answered anything",
                UnusedRouteWarning,
                stacklevel=2,
            )

    # ----- what was sent ------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request this test sent, oldest first (waits briefly for answers still being written)."""
        return [RecordedRequest.from_json(e) for e in self._journal()]

    @property
    def last_request(self) -> RecordedRequest | None:
        requests = self.requests
        return requests[-1] if requests else None

    def _journal(self) -> list[dict[str, Any]]:
        from .http.admin import wait_idle
        from .http.app import PIPELINE

        app = self.server.app

        async def snapshot() -> list[dict[str, Any]]:
            await wait_idle(app, 0.5)
            # to_json copies, and a JSON round-trip deep-copies, so nothing shared leaves the server thread.
            return json.loads(json.dumps([e.to_json() for e in app[PIPELINE].journal.entries()], default=str))

        return _run_on_server(self.server, snapshot)

    @property
    def usage(self) -> dict[str, Any]:
        """Tokens and cost this test spent: ``requests``, ``prompt_tokens``, ``completion_tokens``,
        ``total_tokens``, ``cost_usd``."""
        requests = self.requests
        totals = {"requests": len(requests), "prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        for r in requests:
            for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
                totals[key] += int((r.usage or {}).get(key, 0))
        totals["cost_usd"] = round(sum(r.cost_usd for r in requests), 10)
        return totals

    # ----- assertions -----------------------------------------------------------------------------

    def calls(self, **criteria: Any) -> list[RecordedRequest]:
        """Requests matching every criterion (the ``assert_*`` vocabulary)."""
        _check_criteria(criteria)
        return [r for r in self.requests if _matches(r, criteria)]

    def assert_called(self, *, times: int | None = None, **criteria: Any) -> list[RecordedRequest]:
        """At least one request (exactly ``times`` when given) matched every criterion: ``model`` (glob),
        ``user``/``system`` (case-insensitive substring), ``user_regex``, ``status``, ``source``,
        ``fixture``, ``outcome``, ``stream``, ``session``, ``fault``, ``headers`` (a subset)."""
        __tracebackhide__ = True
        _check_criteria(criteria)
        requests = self.requests
        found = [r for r in requests if _matches(r, criteria)]
        if (times is None and not found) or (times is not None and len(found) != times):
            wanted = "at least 1 matching request" if times is None else f"exactly {times} matching request(s)"
            shown = {**criteria, **({"times": times} if times is not None else {})}
            call = f"assert_called({_describe_criteria(shown)})"
            raise AssertionError(_mismatch_report(call, wanted, criteria, requests, found))
        return found

    def assert_called_once(self, **criteria: Any) -> RecordedRequest:
        """Exactly one request matched every criterion; returns it."""
        __tracebackhide__ = True
        _check_criteria(criteria)
        requests = self.requests
        found = [r for r in requests if _matches(r, criteria)]
        if len(found) != 1:
            call = f"assert_called_once({_describe_criteria(criteria)})"
            raise AssertionError(_mismatch_report(call, "exactly 1 matching request", criteria, requests, found))
        return found[0]

    def assert_not_called(self, **criteria: Any) -> None:
        """No request matched every criterion (no criteria: no request at all)."""
        __tracebackhide__ = True
        _check_criteria(criteria)
        requests = self.requests
        found = [r for r in requests if _matches(r, criteria)]
        if found:
            call = f"assert_not_called({_describe_criteria(criteria)})"
            raise AssertionError(_mismatch_report(call, "no matching request", criteria, requests, found))

    # ----- the failure report ---------------------------------------------------------------------

    def report(self) -> str:
        """What the failure section shows: each request, what answered it, and near misses."""
        try:
            requests = self.requests
        except Exception as exc:  # a report must never mask the test's own failure
            return f"(mockllm journal unavailable: {exc!r})"
        lines = [
            f"{len(requests)} request(s) to {self.base_url} in this test"
            + (f"; routes: {', '.join(self._routes)}" if self._routes else "")
        ]
        for number, r in enumerate(requests, 1):
            lines.append(r.summary(number))
            if r.outcome == "invalid" or (r.status >= 400 and r.error):
                lines.append(f"    error: {(r.error or {}).get('message', '')}")
            if r.near_misses:
                lines.append("    no fixture matched; nearest:")
                for miss in r.near_misses:
                    lines.append(f"      {miss.get('fixture')}: {'; '.join(miss.get('failures') or [])}")
        if not requests:
            lines.append("(none: did the code under test use mockllm.base_url?)")
        return "\n".join(lines)


def _check_criteria(criteria: Mapping[str, Any]) -> None:
    unknown = sorted(set(criteria) - set(_CRITERIA))
    if unknown:
        raise TypeError(f"unknown criteria {', '.join(unknown)}; use {', '.join(_CRITERIA)}")


def _matches(request: RecordedRequest, criteria: Mapping[str, Any]) -> bool:
    return all(_CRITERIA[k][0](request, v) for k, v in criteria.items())


def _mismatch_report(
    call: str, wanted: str, criteria: Mapping[str, Any], requests: list[RecordedRequest], found: list[RecordedRequest]
) -> str:
    """Expected beside sent: for each request, every criterion it failed (``- expected`` / ``+ sent``)."""
    lines = [
        f"mockllm.{call}: expected {wanted}, found {len(found)} of {len(requests)} request(s) sent.",
        "  (- expected, + sent)",
    ]
    if not requests:
        lines.append("No request reached mockllm in this test (is the client using mockllm.base_url?).")
    for number, r in enumerate(requests, 1):
        ok = _matches(r, criteria)
        lines.append(f"  {'✓' if ok else '✗'} {r.summary(number)}")
        if ok:
            continue
        for key, value in criteria.items():
            test, expected, sent = _CRITERIA[key]
            if not test(r, value):
                shown = sent(r)
                lines.append(f"      - {key}: {expected.format(v=value)}")
                lines.append(f"      + {key}: {_short(shown, 120) if isinstance(shown, str) else repr(shown)}")
    return "\n".join(lines)


def _run_on_server(server: ServerThread, make: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Run the coroutine ``make()`` on the server's loop and wait for it from this thread."""
    done: concurrent.futures.Future[Any] = concurrent.futures.Future()

    def start() -> None:
        task = asyncio.ensure_future(make())

        def finish(t: asyncio.Future[Any]) -> None:
            if t.cancelled():
                done.cancel()
            elif t.exception() is not None:
                done.set_exception(t.exception())  # type: ignore[arg-type]
            else:
                done.set_result(t.result())

        task.add_done_callback(finish)

    server.call(start)
    return done.result(timeout)


# ===== clients ============================================================================================

_CLIENT_LOCK = threading.Lock()
_SHARED: dict[str, Any] = {}


def _shared_ssl_context() -> ssl.SSLContext:
    """The TLS context every client of this process gets: building one (loading the CA bundle) is most
    of what a new SDK client costs, and the server is plain HTTP anyway."""
    with _CLIENT_LOCK:
        context = _SHARED.get("ssl")
        if context is None:
            import importlib

            import openai

            # The SDK's HTTP library (httpx, or httpx2 in newer SDKs): the one its client classes come from.
            library = next(c.__module__ for c in openai.DefaultAsyncHttpxClient.__mro__ if "httpx" in c.__module__)
            http = importlib.import_module(library.split(".")[0])
            context = _SHARED["ssl"] = http.create_ssl_context()
        return context


def shared_http_client() -> httpx.Client:
    """This process's one synchronous HTTP client for SDK clients made by :meth:`MockLLM.client`.

    Its ``close()`` (called by ``client.close()`` or ``with client:``) does nothing, so one test cannot
    close the pool under the next; the connections close with the process. Thread-safe: httpx clients
    may be shared between threads."""
    with _CLIENT_LOCK:
        client = _SHARED.get("sync")
        if client is None:
            client = _SHARED["sync"] = _shared_client_class()()
        return client


def _shared_client_class() -> type[httpx.Client]:
    import openai

    class SharedHttpClient(openai.DefaultHttpxClient):  # type: ignore[misc,valid-type]
        """The SDK's default HTTP client (its timeout, pool limits and redirects), unclosable."""

        def close(self) -> None:
            """Kept open: other clients of this process share it (see :func:`shared_http_client`)."""

        def __exit__(self, *exc: object) -> None:
            self.close()

    return SharedHttpClient
