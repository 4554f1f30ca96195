"""``mockllm record``: a proxy to a real OpenAI-compatible API that writes what it sees as fixtures.

Point a client at the recorder instead of the real API; every ``POST /v1/chat/completions`` is
forwarded upstream with the client's own key, answered to the client as the upstream answered (streams
relayed chunk by chunk, as they arrive), and written to ``--out`` as an ordinary fixture file.
``mockllm serve --fixtures DIR`` then replays the session offline: same content, reasoning, tool
calls, annotations and finish reasons, streamed or not. Anthropic's ``POST /v1/messages`` is recorded
the same way (``--upstream https://api.anthropic.com/v1``; translations in ``apis/messages/record.py``;
``x-api-key`` masked like a Bearer key). Other paths (``GET /v1/models``, ...) are passed through and not
recorded.

What a recorded fixture matches, and why:

* ``model``: the id as sent (glob characters escaped);
* the last user message, exactly: an anchored ``user_regex`` (``\\A<escaped>\\Z``) up to 256
  characters, which reads well; beyond that ``user_sha256`` plus a ``user`` excerpt for the reader,
  because the ``regex`` engine's first search of a long literal pattern takes seconds;
* ``system_sha256`` / ``tools_sha256``: hashes of the system/developer text and of the ``tools`` array,
  so the same question under another prompt or tool set is another exchange, without copying long
  prompts and schemas into the file;
* ``image_count`` and, outside plain text, ``response_format``;
* where the conversation stands, for agent loops (every step of which repeats the same user message):
  ``turn`` (assistant messages so far), ``tool_result`` (``false``, or the tool whose result is the
  newest message; ``true`` after parallel calls of several tools) and ``loop_sha256``, a hash of the
  messages after the last user message (:func:`~mockllm.core.matching.loop_digest`: the tool calls with
  their ids and arguments, and the tool results). So each step of a loop is its own fixture with one
  reply, and replaying the loop gives the same calls and answer however often it runs; two loops from
  the same question whose calls or results differ are separate fixtures too. These are computed from
  the neutral message list (:func:`conversation`) by the same functions the replay server matches with.

The same conditions met again (a retry: the same conversation sent again) add the answer to that
fixture's ``replies``: replayed in the recorded order, each request gets its own answer. Re-recording
into a folder replaces a fixture recorded by an earlier run with the same conditions; a loop's later
steps name the tool-call ids of their take in ``loop_sha256``, so a new take of a loop writes new files
for them and the old ones stay behind, matching nothing.

Timing: each stream's time to first token and tokens per second are measured. By default
(``--pacing latency``) they go to ``models.yaml`` as the model's ``ttft_ms`` / ``tokens_per_second``
(median over the session), which ``mockllm serve`` applies only with ``--latency realistic``: replays
are instant unless latency is asked for. ``--pacing fixture`` writes each stream's own timing into its
reply's ``pacing`` instead (always applied on replay); ``--pacing none`` records no timing. Each
stream's raw events, with their arrival times, are kept beside its fixture as ``*.stream<N>.jsonl``
(not a fixture suffix, so the loader ignores them) for inspection.

Keys never reach the files: request headers are not written, and any occurrence of the client's key
in what is written is masked. Upstream errors that a replay should repeat (4xx other than 400, 401,
403 and 429) are recorded as ``error`` replies; validation (400), authentication, rate-limit and
server errors are passed through but not recorded: a 400 depends on parameters the fixture does not
match on (and the replaying server validates requests itself), the others say nothing stable about
the request.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import logging
import os
import re
import statistics
import sys
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from aiohttp import ClientError, ClientSession, ClientTimeout, web

from .config import BOUNDS, Bound
from .core import tokens
from .core.auth import bearer_key
from .core.catalog import BUILTIN_MODELS, ModelInfo
from .core.conversation import TOOL_RESULT_ROLES, Message, answered_tools, conversation_turn
from .core.jsonbody import loads_strict
from .core.matching import loop_digest, system_digest, tools_digest
from .http.serving import listen, shown_host, stop_on_signal

__all__ = ["Recorder", "add_record_parser", "main", "make_record_app", "run_record"]

log = logging.getLogger("mockllm.record")

HEADER = "# Recorded by `mockllm record`"
#: Request headers never forwarded (hop-by-hop, or recomputed by the HTTP client).
_DROP_REQUEST = frozenset(
    {"host", "content-length", "connection", "keep-alive", "proxy-authorization", "proxy-connection", "te",
     "trailer", "transfer-encoding", "upgrade", "accept-encoding"}
)  # fmt: skip
#: Response headers never relayed (hop-by-hop, or describing the upstream's encoding of the body).
_DROP_RESPONSE = frozenset(
    {"content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive", "date", "server"}
)
#: Upstream statuses a replay should not repeat: they describe the key, the account or the moment.
#: 400 is a verdict on the request's parameters, which a fixture's match does not capture (the same
#: question without the bad ``temperature`` would replay the 400); the replaying server validates requests
#: itself, so it gives those 400s on its own.
_NOT_RECORDED = frozenset({400, 401, 403, 429})
_FINISH_REASONS = frozenset({"stop", "length", "tool_calls", "content_filter"})
_GLOB = re.compile(r"([*?\[])")
#: Longest last user message matched by an anchored ``user_regex`` (readable); longer ones by
#: ``user_sha256``, because the ``regex`` engine's first search of a long literal pattern takes
#: seconds (measured: 0.3 s for 1 000 repeated characters, 2.5 s for 4 000 of prose).
EXACT_REGEX_LIMIT = 256
_CATALOG: dict[str, ModelInfo] = {m.id: m for m in BUILTIN_MODELS}


# ----- what a request is matched on ------------------------------------------------------------------


def _message_text(message: Any) -> str:
    """A message's text as :class:`~mockllm.core.conversation.Message` joins it: text parts with newlines."""
    if not isinstance(message, dict):
        return ""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            p["text"]
            for p in content
            if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
        )
    return ""


def _images(messages: list[Any]) -> int:
    return sum(
        1
        for m in messages
        if isinstance(m, dict) and isinstance(m.get("content"), list)
        for p in m["content"]
        if isinstance(p, dict) and p.get("type") == "image_url"
    )


def _messages(body: dict[str, Any]) -> list[Any]:
    messages = body.get("messages")
    return messages if isinstance(messages, list) else []


def conversation(messages: list[Any]) -> list[Message]:
    """The wire messages as the neutral :class:`~mockllm.core.conversation.Message` list the server's conditions
    read, so ``turn``, ``tool_result`` and ``loop_sha256`` are computed here by the very functions a
    replay matches with. Lenient: a malformed message is skipped (the upstream judges validity, and a
    request it rejects with a 400 is not recorded)."""
    found: list[Message] = []
    for m in messages:
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            continue
        calls = m.get("tool_calls")
        name, call_id = m.get("name"), m.get("tool_call_id")
        found.append(
            Message(
                role=m["role"],
                text=_message_text(m),
                content=None,
                name=name if isinstance(name, str) else None,
                tool_calls=[c for c in calls if isinstance(c, dict)] if isinstance(calls, list) else None,
                tool_call_id=call_id if isinstance(call_id, str) else None,
            )
        )
    return found


@dataclass
class Neutral:
    """What a recorded request is matched on, read from any API's body: the neutral messages (as the
    replay server's conditions see them), the images, the response format and the raw tools list."""

    api: str
    messages: list[Message]
    images: int = 0
    response_format: str | None = None
    tools: Any = None
    context: Any = None  # what the API's recording keeps of the request for later ones (a Responses chain)


def chat_neutral(body: dict[str, Any]) -> Neutral:
    messages = _messages(body)
    response_format = body.get("response_format")
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    return Neutral("chat", conversation(messages), _images(messages), kind, body.get("tools"))


def match_for(body: dict[str, Any], neutral: Neutral | None = None) -> dict[str, Any]:
    """The ``match:`` block that picks exactly this request out of a session (see the module docstring)."""
    if neutral is None:
        neutral = chat_neutral(body)
    messages = neutral.messages
    last_user = next((m.text for m in reversed(messages) if m.role == "user"), "")
    system = "\n".join(m.text for m in messages if m.role in ("system", "developer"))
    match: dict[str, Any] = {}
    if neutral.api != "chat":
        match["api"] = neutral.api  # chat recordings stay unmarked, as they always were
    match["model"] = _GLOB.sub(r"[\1]", str(body.get("model", "")))
    if len(last_user) <= EXACT_REGEX_LIMIT:
        match["user_regex"] = r"\A" + re.escape(last_user) + r"\Z"
    else:
        match["user"] = last_user[:60]  # for the reader; the hash below is what makes it exact
        match["user_sha256"] = system_digest(last_user)
    match.update(
        {
            "system_sha256": system_digest(system),
            "tools_sha256": tools_digest(neutral.tools),
            "image_count": neutral.images,
        }
    )
    if neutral.response_format in ("json_object", "json_schema"):
        match["response_format"] = neutral.response_format
    answered = answered_tools(messages)
    ends_with_result = bool(messages) and messages[-1].role in TOOL_RESULT_ROLES
    match["turn"] = conversation_turn(messages)
    match["tool_result"] = (answered[-1] if len(set(answered)) == 1 else True) if ends_with_result else False
    match["loop_sha256"] = loop_digest(messages)
    return match


def _slug(neutral: Neutral) -> str:
    last_user = next((m.text for m in reversed(neutral.messages) if m.role == "user"), "")
    words = re.findall(r"[a-z0-9]+", last_user.lower())[:6]
    return "-".join(words)[:48].strip("-") or "exchange"


# ----- what the upstream answered --------------------------------------------------------------------


def _reply_from_message(message: dict[str, Any], finish_reason: Any) -> dict[str, Any]:
    """A fixture reply from an assistant message (non-streamed body, or one rebuilt from a stream)."""
    reply: dict[str, Any] = {}
    content = message.get("content")
    calls = message.get("tool_calls") or []
    if isinstance(content, str):
        reply["content"] = content
    reasoning = message.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning:
        reply["reasoning_content"] = reasoning
    if calls:
        reply["tool_calls"] = [
            {
                "name": c["function"]["name"],
                "arguments": c["function"].get("arguments") or "",
                **({"id": c["id"]} if c.get("id") else {}),
            }
            for c in calls
            if isinstance(c, dict) and isinstance(c.get("function"), dict) and c["function"].get("name")
        ]
    if isinstance(message.get("refusal"), str):
        reply["refusal"] = message["refusal"]
    if message.get("annotations"):
        reply["annotations"] = message["annotations"]
    derived = "tool_calls" if reply.get("tool_calls") else "stop"
    if finish_reason in _FINISH_REASONS and finish_reason != derived:
        reply["finish_reason"] = finish_reason
    if not any(k in reply for k in ("content", "tool_calls", "refusal", "reasoning_content")):
        reply["content"] = ""  # the fixture format needs an answer; this one was empty
    return reply


@dataclass
class StreamCapture:
    """Rebuilds choice 0 of a stream from its events, and times them."""

    started: float
    events: list[tuple[float, str]] = field(default_factory=list)
    content: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    refusal: list[str] = field(default_factory=list)
    calls: dict[int, dict[str, Any]] = field(default_factory=dict)
    annotations: list[Any] = field(default_factory=list)
    finish_reason: Any = None
    error: Any = None
    token_times: list[float] = field(default_factory=list)  # arrival of each event that carried text
    token_pieces: list[str] = field(default_factory=list)
    _buffer: bytes = b""

    def feed(self, data: bytes, now: float) -> None:
        self._buffer += data
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            text = line.decode("utf-8", errors="replace").rstrip("\r")
            if text.startswith("data:"):
                self._event(text[5:].strip(), now)

    def _event(self, payload: str, now: float) -> None:
        """Keep the event with its arrival time; hand its JSON object to :meth:`on_event`, and time the
        text it carried (a subclass reads another API's events: only ``on_event`` differs)."""
        self.events.append((now, payload))
        if payload == "[DONE]":
            return
        try:
            event = json.loads(payload)
        except ValueError:
            return
        if isinstance(event, dict) and (piece := self.on_event(event)):
            self.token_times.append(now)
            self.token_pieces.append(piece)

    def on_event(self, chunk: dict[str, Any]) -> str:
        """Fold one chat chunk into choice 0; return the text it carried ("" for none)."""
        if chunk.get("error"):
            self.error = chunk["error"]
            return ""
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            piece = ""
            for key, sink in (
                ("content", self.content),
                ("reasoning_content", self.reasoning),
                ("refusal", self.refusal),
            ):
                value = delta.get(key)
                if isinstance(value, str) and value:
                    sink.append(value)
                    piece += value
            for call in delta.get("tool_calls") or []:
                slot = self.calls.setdefault(call.get("index", 0), {"id": None, "name": "", "arguments": ""})
                slot["id"] = call.get("id") or slot["id"]
                function = call.get("function") or {}
                slot["name"] += function.get("name") or ""
                slot["arguments"] += function.get("arguments") or ""
                piece += function.get("arguments") or ""
            if delta.get("annotations"):
                self.annotations.extend(delta["annotations"])
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
            return piece
        return ""

    def message(self) -> dict[str, Any]:
        calls = [
            {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
            for _, c in sorted(self.calls.items())
        ]
        message: dict[str, Any] = {
            "content": "".join(self.content) if self.content or not calls else None,
            "tool_calls": calls,
            "annotations": self.annotations,
        }
        if self.reasoning:
            message["reasoning_content"] = "".join(self.reasoning)
        if self.refusal:
            message["refusal"] = "".join(self.refusal)
        return message

    def timing(self, encoding: str) -> dict[str, float] | None:
        """Time to first token and the rate after it; None when the stream gave nothing to time."""
        if not self.token_times:
            return None
        ttft_ms = round((self.token_times[0] - self.started) * 1000, 1)
        timing: dict[str, float] = {"ttft_ms": max(ttft_ms, 0.0)}
        later = sum(len(tokens.encode(p, encoding)) for p in self.token_pieces[1:])
        span = self.token_times[-1] - self.token_times[0]
        if later and span > 0.005:
            timing["tokens_per_second"] = round(later / span, 1)
        return timing

    def chunk_tokens(self, encoding: str) -> int:
        """Average tokens per text-carrying event: how coarse the upstream's chunks are."""
        if not self.token_pieces:
            return 1
        total = sum(len(tokens.encode(p, encoding)) for p in self.token_pieces)
        return max(1, round(total / len(self.token_pieces)))


# ----- the recorder ----------------------------------------------------------------------------------


@dataclass
class _Recorded:
    name: str
    path: Path
    match: dict[str, Any]
    replies: list[dict[str, Any]]
    streams: int = 0


class Recorder:
    """The session's fixtures, written to ``out`` as they complete (one file per distinct request)."""

    def __init__(self, out: Path, *, upstream: str, pacing: str = "latency") -> None:
        self.out = out
        self.upstream = upstream
        self.pacing = pacing
        self.out.mkdir(parents=True, exist_ok=True)
        self._fixtures: dict[str, _Recorded] = {}
        self._earlier = self._scan()  # fixture name -> file, from earlier runs into the same folder
        self._next = 1 + max((int(p.name[:4]) for p in out.glob("[0-9][0-9][0-9][0-9]-*.yaml")), default=0)
        self._timings: dict[str, list[dict[str, float]]] = {}
        self._answered: dict[str, str] = {}  # model asked -> model answered (snapshot)
        self.exchanges = 0

    def _scan(self) -> dict[str, Path]:
        found: dict[str, Path] = {}
        for path in self.out.glob("*.yaml"):
            try:
                text = path.read_text(encoding="utf-8")
                if not text.startswith(HEADER):
                    continue
                for fixture in (yaml.safe_load(text) or {}).get("fixtures") or []:
                    found[fixture["name"]] = path
            except (OSError, ValueError, yaml.YAMLError, KeyError, TypeError, AttributeError):
                continue
        return found

    def add(
        self,
        body: dict[str, Any],
        reply: dict[str, Any],
        *,
        key: str | None,
        answered_model: str | None = None,
        capture: StreamCapture | None = None,
        neutral: Neutral | None = None,
    ) -> Path:
        """Record one exchange; return the fixture file it went to. ``neutral``: the request as matched
        (chat's is read from ``body`` when not given)."""
        if neutral is None:
            neutral = chat_neutral(body)
        match = match_for(body, neutral)
        digest = hashlib.sha256(json.dumps(match, sort_keys=True).encode()).hexdigest()[:10]
        slug = _slug(neutral) + (f"-turn{match['turn']}" if match["turn"] else "")
        name = f"{slug}-{digest}"
        model_id = str(body.get("model", ""))
        encoding = _CATALOG[model_id].encoding if model_id in _CATALOG else "o200k_base"
        if capture is not None:
            timing = capture.timing(encoding)
            chunk_tokens = capture.chunk_tokens(encoding)
            pacing: dict[str, Any] = {}
            if timing is not None and self.pacing == "fixture":
                pacing.update(timing)
            elif timing is not None and self.pacing == "latency":
                self._timings.setdefault(model_id, []).append(timing)
            if chunk_tokens > 1 and self.pacing != "none":
                pacing["chunk_tokens"] = chunk_tokens
            if pacing:
                reply["pacing"] = pacing
        if answered_model:
            self._answered[model_id] = answered_model
        recorded = self._fixtures.get(name)
        if recorded is None:
            path = self._earlier.pop(name, None)
            if path is None:
                path = self.out / f"{self._next:04d}-{slug}.yaml"
                self._next += 1
            recorded = self._fixtures[name] = _Recorded(name, path, match, [])
        recorded.replies.append(reply)
        if capture is not None:
            recorded.streams += 1
            lines = [json.dumps({"t_ms": round((t - capture.started) * 1000, 2), "data": d}) for t, d in capture.events]
            stream_path = recorded.path.with_name(f"{recorded.path.stem}.stream{recorded.streams}.jsonl")
            _write(stream_path, "\n".join(lines) + "\n", key)
        self._write_fixture(recorded, key)
        self._write_models(key)
        self.exchanges += 1
        return recorded.path

    def _write_fixture(self, recorded: _Recorded, key: str | None) -> None:
        entry: dict[str, Any] = {"name": recorded.name, "match": recorded.match}
        if len(recorded.replies) == 1 and "error" not in recorded.replies[0]:
            entry["reply"] = recorded.replies[0]
        else:
            entry["replies"] = recorded.replies
        host = urlsplit(self.upstream)
        origin = f"{host.scheme}://{host.hostname}" + (f":{host.port}" if host.port else "")
        when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        header = f"{HEADER} from {origin}, {when}.\n# Replay: mockllm serve --fixtures {self.out}\n"
        _write(recorded.path, header + _dump({"fixtures": [entry]}), key)

    def _write_models(self, key: str | None) -> None:
        """``models.yaml``: replay-side model facts learnt from the session (see the module docstring)."""
        entries: list[dict[str, Any]] = []
        for model_id in sorted(set(self._timings) | set(self._answered)):
            entry: dict[str, Any] = {"id": model_id}
            known = _CATALOG.get(model_id)
            answered = self._answered.get(model_id)
            if answered and (known is None or answered != known.answered_name):
                entry["snapshot"] = answered
            timings = self._timings.get(model_id, [])
            if timings:
                entry["ttft_ms"] = round(statistics.median(t["ttft_ms"] for t in timings), 1)
                rates = [t["tokens_per_second"] for t in timings if "tokens_per_second" in t]
                if rates:
                    entry["tokens_per_second"] = round(statistics.median(rates), 1)
            if len(entry) > 1 or known is None:
                entries.append(entry)
        if entries:
            _write(self.out / "models.yaml", f"{HEADER}: models seen upstream.\n" + _dump({"models": entries}), key)


def _dump(document: dict[str, Any]) -> str:
    """YAML when it reads back identical (it always should), else JSON, which YAML also reads."""
    text: str = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1_000_000, default_flow_style=False)
    if yaml.safe_load(text) != document:  # pragma: no cover - a PyYAML round-trip bug
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return text


def _write(path: Path, text: str, key: str | None) -> None:
    """Write atomically (a replay server reading the folder never sees half a file), key masked."""
    if key and len(key) >= 8:
        text = text.replace(key, "***")
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


# ----- the proxy -------------------------------------------------------------------------------------

RECORDER: web.AppKey[Recorder] = web.AppKey("recorder", Recorder)
CLIENT: web.AppKey[ClientSession] = web.AppKey("client", ClientSession)


def _upstream_url(upstream: str, request: web.Request) -> str:
    """``/v1/x`` on the recorder is ``<upstream>/x`` (the upstream URL ends in its own version path)."""
    path = request.rel_url.path
    tail = path[3:] if path.startswith("/v1/") or path == "/v1" else path
    url = upstream.rstrip("/") + tail
    return url + (f"?{request.rel_url.query_string}" if request.rel_url.query_string else "")


def _forward_headers(request: web.Request) -> dict[str, str]:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROP_REQUEST}
    headers["Accept-Encoding"] = "identity"  # relay stream bytes as they come, never a compressed body
    return headers


def _bearer(request: web.Request) -> str | None:
    """The client's key, so it can be masked should the upstream echo it into an answer."""
    return bearer_key(request.headers)


def _relayed(headers: Any) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in _DROP_RESPONSE}


class ChatRecording:
    """How ``/v1/chat/completions`` exchanges are read: the request's neutral form, the answer's reply."""

    api = "chat"

    def neutral(self, body: dict[str, Any], headers: Mapping[str, str]) -> Neutral | None:
        return chat_neutral(body)

    def capture(self, started: float) -> StreamCapture:
        return StreamCapture(started)

    def stream_reply(self, capture: StreamCapture) -> tuple[dict[str, Any], str | None] | None:
        if capture.error is not None:
            return None
        return _reply_from_message(capture.message(), capture.finish_reason), _model_of(capture)

    def json_reply(self, answer: dict[str, Any]) -> tuple[dict[str, Any], str | None] | None:
        if not answer.get("choices"):
            return None
        choice = answer["choices"][0]
        return _reply_from_message(choice.get("message") or {}, choice.get("finish_reason")), answer.get("model")

    def answered(self, recorder: Recorder, neutral: Neutral, answer: dict[str, Any] | None) -> None:
        return None  # chat requests carry their whole conversation: nothing to remember


def _create(adapter: Any) -> Any:
    """The recording handler of one API's create route (``adapter``: :class:`ChatRecording` or another
    API's, e.g. :class:`~mockllm.apis.responses.record.ResponsesRecording`)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        return await _record_exchange(request, adapter)

    return handle


async def _record_exchange(request: web.Request, adapter: Any) -> web.StreamResponse:
    recorder, client = request.app[RECORDER], request.app[CLIENT]
    raw = await request.read()
    try:
        body = loads_strict(raw)  # not JSON (deep nesting included): forwarded as is, the upstream judges it
    except ValueError:
        body = None
    neutral = adapter.neutral(body, request.headers) if isinstance(body, dict) else None
    key = _bearer(request) or request.headers.get("x-api-key")  # masked wherever it shows up
    started = time.perf_counter()
    async with client.post(
        _upstream_url(recorder.upstream, request), data=raw, headers=_forward_headers(request)
    ) as up:
        content_type = up.headers.get("Content-Type", "")
        if up.status == 200 and content_type.startswith("text/event-stream"):
            response = web.StreamResponse(status=up.status, headers=_relayed(up.headers))
            await response.prepare(request)
            capture = adapter.capture(started)
            client_gone = False
            try:
                async for data in up.content.iter_any():
                    capture.feed(data, time.perf_counter())
                    if not client_gone:
                        try:
                            await response.write(data)
                        except ConnectionError:
                            # SDKs hang up as soon as they read the last event; the upstream's answer is
                            # still read to its end, because that answer is what gets recorded.
                            client_gone = True
            except (ClientError, OSError, TimeoutError) as exc:
                log.warning("upstream stream broke off, not recorded: %s", exc)
                if request.transport is not None:
                    request.transport.close()
                return response
            if not client_gone:
                try:
                    await response.write_eof()
                except ConnectionError:
                    pass
            got = adapter.stream_reply(capture) if neutral is not None else None
            if isinstance(body, dict) and neutral is not None and got is not None:
                reply, model = got
                path = recorder.add(body, reply, key=key, capture=capture, answered_model=model, neutral=neutral)
                adapter.answered(recorder, neutral, getattr(capture, "final", None))
                log.info("recorded stream %s -> %s", body.get("model"), path.name)
            elif capture.error is not None:
                log.warning("not recorded: the upstream stream ended with an error event: %s", capture.error)
            return response
        payload = await up.read()
        response = web.Response(status=up.status, body=payload, headers=_relayed(up.headers))
    if isinstance(body, dict) and neutral is not None:
        _record_plain(recorder, adapter, body, neutral, up.status, payload, key)
    return response


def _model_of(capture: StreamCapture) -> str | None:
    for _, payload in capture.events:
        try:
            chunk = json.loads(payload)
        except ValueError:
            continue
        model = chunk.get("model") if isinstance(chunk, dict) else None
        if isinstance(model, str):
            return model
    return None


def _record_plain(
    recorder: Recorder,
    adapter: Any,
    body: dict[str, Any],
    neutral: Neutral,
    status: int,
    payload: bytes,
    key: str | None,
) -> None:
    try:
        answer = json.loads(payload)
    except ValueError:
        log.warning("not recorded: the upstream answered %s with a non-JSON body", status)
        return
    got = adapter.json_reply(answer) if status == 200 and isinstance(answer, dict) else None
    if got is not None:
        reply, model = got
        path = recorder.add(body, reply, key=key, answered_model=model, neutral=neutral)
        adapter.answered(recorder, neutral, answer)
        log.info("recorded %s -> %s", body.get("model"), path.name)
    elif 400 <= status < 500 and status not in _NOT_RECORDED and isinstance(answer, dict):
        found = answer.get("error")
        error: dict[str, Any] = found if isinstance(found, dict) else {}
        spec: dict[str, Any] = {"status": status}
        spec.update({k: error[k] for k in ("message", "type", "code", "param") if isinstance(error.get(k), str)})
        path = recorder.add(body, {"error": spec}, key=key, neutral=neutral)
        log.info("recorded error %s -> %s", status, path.name)


async def _passthrough(request: web.Request) -> web.StreamResponse:
    recorder, client = request.app[RECORDER], request.app[CLIENT]
    data = await request.read()
    url = _upstream_url(recorder.upstream, request)
    async with client.request(request.method, url, data=data or None, headers=_forward_headers(request)) as up:
        payload = await up.read()
        return web.Response(status=up.status, body=payload, headers=_relayed(up.headers))


@web.middleware
async def _upstream_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """An upstream that cannot be reached, or does not answer in time, is a 502/504 in OpenAI's shape and
    one log line, not a traceback and aiohttp's plain-text 500. (Mid-stream, headers are gone: the
    connection is closed, as the upstream's was.)"""
    upstream = request.app[RECORDER].upstream
    try:
        return await handler(request)
    except TimeoutError:
        log.warning("upstream %s did not answer %s %s in time", upstream, request.method, request.path)
        status, message, code = 504, f"The upstream {upstream} did not answer in time.", "upstream_timeout"
    except (ClientError, OSError) as exc:
        log.warning("upstream %s failed for %s %s: %s", upstream, request.method, request.path, exc)
        status, message, code = 502, f"Could not get an answer from the upstream {upstream}: {exc}.", "bad_gateway"
    body = {"error": {"message": message, "type": "server_error", "param": None, "code": code}}
    return web.json_response(body, status=status, dumps=lambda data: json.dumps(data, indent=4))


def make_record_app(upstream: str, out: Path, *, pacing: str = "latency", timeout_s: float = 600.0) -> web.Application:
    """The recording proxy as an aiohttp application (the CLI serves it; tests embed it)."""
    app = web.Application(client_max_size=64 * 1024 * 1024, middlewares=[_upstream_errors])
    app[RECORDER] = Recorder(out, upstream=upstream, pacing=pacing)

    async def client_context(app: web.Application) -> AsyncIterator[None]:
        app[CLIENT] = ClientSession(timeout=ClientTimeout(total=timeout_s), auto_decompress=True)
        yield
        await app[CLIENT].close()

    app.cleanup_ctx.append(client_context)
    from .apis.messages.record import MessagesRecording
    from .apis.responses.record import ResponsesRecording

    app.router.add_post("/v1/chat/completions", _create(ChatRecording()))
    app.router.add_post("/v1/responses", _create(ResponsesRecording()))
    app.router.add_post("/v1/messages", _create(MessagesRecording()))
    app.router.add_route("*", "/{tail:.*}", _passthrough)
    return app


# ----- command line ----------------------------------------------------------------------------------


def add_record_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``record`` to ``mockllm``'s sub-commands (``subparsers`` from ``add_subparsers``).

    The help text carries the whole workflow (point the client here, stop with Ctrl-C, replay with
    ``serve --fixtures``) because ``mockllm record --help`` is where a user looks for it.
    """
    record: argparse.ArgumentParser = subparsers.add_parser(
        "record",
        help="proxy a real OpenAI-compatible API and write its answers as fixtures",
        description=(
            "Serve /v1 as a proxy to --upstream. Point your client's base URL at the printed address and\n"
            "use your real key: it is forwarded upstream and never written to disk. Each chat completion\n"
            "(streamed or not) is relayed as it arrives and written to --out as a fixture file; other\n"
            "paths (/v1/models, ...) pass through unrecorded. Stop with Ctrl-C or SIGTERM."
        ),
        epilog=(
            "example:\n"
            "  mockllm record --upstream https://api.openai.com/v1 --out fixtures/recorded\n"
            "  OPENAI_BASE_URL=http://127.0.0.1:8000/v1 python my_app.py   # uses your OPENAI_API_KEY\n"
            "  mockllm serve --fixtures fixtures/recorded                   # replay offline\n"
            "  mockllm serve --fixtures fixtures/recorded --latency realistic  # ... at the recorded pace"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    record.add_argument(
        "--upstream",
        required=True,
        metavar="URL",
        help="the real API's base URL, version path included, e.g. https://api.openai.com/v1",
    )
    record.add_argument(
        "--out", default="fixtures/recorded", metavar="DIR", help="where fixtures go (default fixtures/recorded)"
    )
    record.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    record.add_argument(
        "--port", type=BOUNDS["port"].arg_type(), default=8000, help="port (0 takes a free one; default 8000)"
    )
    record.add_argument(
        "--pacing",
        choices=["latency", "fixture", "none"],
        default="latency",
        help="stream timing: per model in DIR/models.yaml, applied on replay with --latency realistic "
        "(default); per fixture, always applied on replay; or not recorded",
    )
    record.add_argument(
        "--timeout",
        type=Bound(float, 0, above=True).arg_type(),
        default=600.0,
        metavar="SECONDS",
        help="seconds to wait for the upstream (default 600)",
    )
    record.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="stderr logging; info (default) logs one line per recorded exchange",
    )
    return record


def run_record(args: argparse.Namespace) -> int:
    """Serve the recorder until SIGINT/SIGTERM; one 'recording' line when ready, a summary at the end."""
    upstream = urlsplit(args.upstream)
    if upstream.scheme not in ("http", "https") or not upstream.hostname:
        print(f"mockllm: error: --upstream must be an http(s) URL, got {args.upstream!r}", file=sys.stderr)
        return 2
    out = Path(args.out)
    try:
        app = make_record_app(args.upstream, out, pacing=args.pacing, timeout_s=args.timeout)
    except OSError as exc:
        print(f"mockllm: error: cannot write fixtures to {out}: {exc.strerror}", file=sys.stderr)
        return 2
    return asyncio.run(_serve(app, args.host, args.port, args.upstream, out))


async def _serve(app: web.Application, host: str, port: int, upstream: str, out: Path) -> int:
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    bound = await listen(runner, host, port)
    if bound is None:
        return 2
    stop = stop_on_signal()
    print(f"mockllm recording on http://{shown_host(host)}:{bound}/v1 -> {upstream} (fixtures in {out})", flush=True)
    await stop.wait()
    recorder = app[RECORDER]
    await runner.cleanup()
    print(f"mockllm recorded {recorder.exchanges} exchange(s) in {out}", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m mockllm.record --upstream URL ...``: the same command without the ``mockllm`` wrapper."""
    parser = argparse.ArgumentParser(prog="mockllm")
    add_record_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["record", *(sys.argv[1:] if argv is None else argv)])
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return run_record(args)


if __name__ == "__main__":
    sys.exit(main())
