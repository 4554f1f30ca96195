"""The request pipeline: parse → validate → decide → shape → render, with no aiohttp in sight.

``Pipeline.handle`` takes the raw body and headers and returns an :class:`Outcome` (a JSON answer or a
stream plan). Everything stateful the pipeline needs (fixture table, id counter, seed) hangs off the
pipeline object the app owns, so tests can drive it directly and the HTTP layer stays a thin shell.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..config import Settings
from ..journal import Entry, Journal, UsageLedger, shorten
from ..profiles import Profile, get_profile
from . import shaping
from .auth import check_key, mask_key
from .catalog import Catalog, ModelInfo
from .chaos import Chaos, suggest
from .errors import ApiError
from .faults import ERROR_PRESETS, FAULT_KINDS, STREAM_FAULTS, delivered_events, error_from_spec
from .fetch import FetchFailure, FetchPolicy
from .fixtures import FixtureTable
from .generate import Generator, request_digest
from .ids import IdFactory, RequestIds
from .jsonbody import loads_strict
from .ratelimit import RateLimiter
from .reply import ErrorSpec, FaultSpec, Reply
from .surface import AnswerFacts, Endpoint, EventPlan, Surface

if TYPE_CHECKING:
    from ..apis.chat.render import StreamPlan
    from .conversation import Conversation

__all__ = ["Outcome", "Pipeline"]

_loads = loads_strict


@dataclass(slots=True)
class Outcome:
    """What to send. Exactly one of ``body`` / ``plan`` is set; ``error`` is set for error answers."""

    status: int
    headers: dict[str, str]
    body: bytes | None = None
    plan: StreamPlan | EventPlan | None = None
    error: ApiError | None = None
    request: Conversation | None = None
    model: ModelInfo | None = None
    reply: Reply | None = None
    completion: shaping.Completion | None = None
    ids: RequestIds | None = None
    raw: Any = None
    payload: dict[str, Any] | None = None
    info: dict[str, Any] = field(default_factory=dict)
    surface: Surface | None = None  # the API that answered; None for answers outside any API (404 routes)
    usage: dict[str, Any] | None = None  # an answer without a Completion (embeddings): what it billed


class Pipeline:
    """One server's request logic and state."""

    def __init__(
        self, settings: Settings, fixtures: FixtureTable | None = None, catalog: Catalog | None = None
    ) -> None:
        self.settings = settings
        self.profile: Profile = get_profile(settings.profile)
        self.catalog = catalog if catalog is not None else self.profile.catalog()
        self.fixtures = fixtures if fixtures is not None else FixtureTable()
        self.generator = Generator(settings.seed)
        self.ids = IdFactory(settings.seed)
        self.limiter = RateLimiter(settings.rpm, settings.tpm)
        self.chaos = Chaos.parse(settings.chaos) if settings.chaos else None
        self.journal = Journal(settings.journal_size)
        self.fetch_policy = (
            FetchPolicy.parse(settings.fetch_hosts, settings.fetch_max_mb, settings.fetch_timeout)
            if settings.fetch_hosts
            else None
        )
        self.ledger = UsageLedger()
        self.clock = time.monotonic
        self.inspect_image: Any = None
        self.inspect_audio: Any = None
        self.check_strict: Any = None
        try:
            from .vision import inspect_audio_part, inspect_image_part

            self.inspect_image, self.inspect_audio = inspect_image_part, inspect_audio_part
        except ImportError:  # pragma: no cover - vision is part of the package
            pass
        self.check_strict = _check_strict_schema
        from .. import apis

        self.surfaces: dict[str, Surface] = apis.surfaces(settings, self.profile)
        self.endpoints: dict[str, Endpoint] = apis.endpoints()

    def now(self) -> int:
        return self.settings.freeze_time if self.settings.freeze_time is not None else int(time.time())

    # ----- the one entry point ------------------------------------------------------------------

    def handle(
        self,
        body: bytes,
        headers: Mapping[str, str],
        fetched: Mapping[str, bytes | FetchFailure] | None = None,
        surface: Surface | None = None,
    ) -> Outcome:
        """Answer one request of ``surface``'s API (chat when None). ``fetched`` holds the images the HTTP
        layer downloaded (``--fetch-images``)."""
        started = time.perf_counter()
        if surface is None:
            surface = self.surfaces["chat"]
        inspect_image = self.inspect_image
        if fetched and inspect_image is not None:
            inspect_image = functools.partial(inspect_image, fetched=fetched)
        raw: Any = None
        size = len(body)
        try:
            check_key(surface.api_key(headers), self.settings.api_keys)
            raw = parse_json_body(body)
            request, model = surface.parse(raw, headers, self, inspect_image)
            prompt = shaping.prompt_usage(request, model)
            shaping.check_context(request, model, prompt.total)
        except ApiError as error:
            # Every answer carries an x-request-id, rejected ones too (support asks for it). The request
            # was not understood, so its id comes from the raw bytes and the counter.
            ids = self.ids.for_request(hashlib.blake2b(body, digest_size=16).digest())
            outcome = surface.error_outcome(error, ids.request())
            outcome.raw, outcome.surface = raw, surface
            outcome.info["body_bytes"] = size
            return outcome

        digest = request_digest(request, self.settings.seed)
        ids = self.ids.for_request(digest)
        request_id = ids.request()
        reply: Reply | None = None
        reserved = 0  # what admission took from the token bucket, once it has
        try:
            wanted = prompt.total + (request.max_tokens or 0)
            rate = self.limiter.admit(request.api_key, wanted, request.model, self.clock())
            reserved = wanted
            reply = surface.extend(request, model, self.decide(request, model, ids), ids)
            if reply.error is not None:
                raise error_from_spec(reply.error, request, model, request_id)
            if reply.fault is not None and reply.fault.kind == "content_filter":
                reply = content_filtered(reply)
            completion = shaping.shape(
                request,
                model,
                reply,
                ids,
                prompt,
                self.now(),
                chunk_tokens=self.settings.chunk_tokens,
                completion_id=surface.completion_id(model, ids),
            )
            self.limiter.debit(
                request.api_key, completion.usage["completion_tokens"], self.clock(), reserved=request.max_tokens or 0
            )
        except ApiError as error:
            if reserved:  # admitted, then answered with an error: an error costs no tokens
                self.limiter.debit(request.api_key, 0, self.clock(), reserved=reserved)
            outcome = surface.error_outcome(error, request_id)
            outcome.request, outcome.model, outcome.ids, outcome.reply = request, model, ids, reply
            outcome.raw, outcome.surface = raw, surface
            outcome.info["body_bytes"] = size
            return outcome

        facts = AnswerFacts(request_id, int((time.perf_counter() - started) * 1000), rate)
        headers_out = surface.response_headers(ids, facts)
        outcome = Outcome(
            200,
            headers_out,
            request=request,
            model=model,
            reply=reply,
            completion=completion,
            ids=ids,
            raw=raw,
            surface=surface,
        )
        outcome.info["body_bytes"] = size
        surface.render(outcome, self)
        if outcome.plan is not None:
            # The plan now carries the text; a paced stream may live for minutes, and a thousand of them
            # should not also keep every token list (usage, which the journal needs, stays).
            for choice in completion.choices:
                choice.content_tokens = choice.reasoning_tokens = choice.refusal_tokens = []
        return outcome

    def answer(
        self,
        api: str,
        body: bytes,
        headers: Mapping[str, str],
        fetched: Mapping[str, bytes | FetchFailure] | None = None,
    ) -> Outcome:
        """Answer one request of the API named ``api``: a surface's through :meth:`handle`, an endpoint's
        through its own step."""
        surface = self.surfaces.get(api)
        if surface is not None:
            return self.handle(body, headers, fetched, surface)
        return self.endpoints[api].answer(self, body, headers)

    def paths(self) -> dict[str, str]:
        """Each API's create route, by its name."""
        return {name: api.path for name, api in (*self.surfaces.items(), *self.endpoints.items())}

    def injected(self, headers: Mapping[str, str], ids: RequestIds) -> Reply | None:
        """The failure injected into this request, if any: the ``x-mockllm-fault`` header's, else a chaos
        draw (every API's decide asks this first)."""
        header = headers.get("x-mockllm-fault")
        return fault_from_header(header) if header else (self.chaos.draw(ids) if self.chaos else None)

    def decide(self, request: Conversation, model: ModelInfo, ids: RequestIds) -> Reply:
        """What to answer. Injected failures come first (the ``x-mockllm-fault`` header, then a chaos
        draw): an error replaces the answer; a transport fault is layered on the answer that would
        otherwise be sent (a matching fixture, else, unless --strict, the generator), so a stream cut at
        chunk 3 carries the same bytes as the healthy stream up to the cut."""
        injected = self.injected(request.headers, ids)
        if injected is not None and injected.error is not None:
            return injected
        match = self.fixtures.decide(request)
        if match is not None:
            reply = match.reply
            if reply.error is None and not _has_answer(reply):
                # A fault-only fixture entry: the faulted answer is what the generator would say.
                fault, source = reply.fault, reply.source
                reply = self.generator.reply(request, model, ids.digest)
                reply.fault, reply.source = fault, source
            elif request.n > 1 and reply.choices is None:
                reply.choices = [reply] * request.n
        elif self.settings.strict and injected is None:
            raise self.strict_miss(request)
        else:
            reply = self.generator.reply(request, model, ids.digest)
        if injected is not None:
            reply.fault, reply.source = injected.fault, injected.source
        return reply

    def strict_miss(self, request: Conversation) -> ApiError:
        misses = self.fixtures.explain(request)[:3]
        if misses:
            detail = "; ".join(f"'{m.fixture.name}' failed {', '.join(m.failures)}" for m in misses)
            message = f"No fixture matched this request. Nearest: {detail}."
        else:
            message = "No fixture matched this request, and no fixtures are loaded."
        return ApiError(404, message, code="fixture_not_found")

    # ----- the journal -------------------------------------------------------------------------

    def record(self, outcome: Outcome, method: str, path: str, latency_s: float) -> Entry:
        """Journal one exchange (and charge the usage ledger for answers that were sent)."""
        request, reply, completion = outcome.request, outcome.reply, outcome.completion
        fault = reply.fault.kind if reply is not None and reply.fault is not None else None
        if outcome.error is not None and reply is None:
            kind, source = ("error" if request is not None else "invalid"), None
        elif reply is not None and reply.source.startswith(("chaos", "header")):
            kind, source = ("chaos" if reply.source.startswith("chaos") else "fault"), reply.source
        elif outcome.error is not None:
            kind, source = "error", (reply.source if reply is not None else None)
        elif fault is not None:
            kind, source = "fault", reply.source if reply is not None else None
        else:
            source = reply.source if reply is not None else None
            kind = "generator" if source == "generator" else "fixture"
        headers = request.headers if request is not None else {}
        key = request.api_key if request is not None else None
        entry = Entry(
            seq=self.journal.next_seq(),
            time=time.time(),
            method=method,
            path=path,
            session=request.session if request is not None else None,
            api_key_hint=mask_key(key) if key else None,
            model=request.model if request is not None else _raw_model(outcome.raw),
            status=outcome.status,
            outcome=kind,
            source=source,
            stream=bool(request.stream) if request is not None else False,
            # The parsed body is never mutated after validation, so small bodies are kept as they are;
            # only large ones (images, long prompts) are copied with their blobs cut.
            request=shorten(outcome.raw) if outcome.info.get("body_bytes", 0) > 16_384 else outcome.raw,
            error=outcome.error.body()["error"] if outcome.error is not None else None,
            fault=fault,
            latency_ms=latency_s * 1000,
            info=outcome.info,
        )
        entry.info["headers"] = {k: v for k, v in headers.items() if k.startswith(("x-mockllm", "x-stainless"))}
        if request is not None and request.api != "chat":
            # The conversation as chat messages, whatever the wire format (Responses items, a chain from
            # previous_response_id): what the plugin's ``user``/``system``/``messages`` read for every API.
            entry.info["messages"] = [_journal_message(m) for m in request.messages]
        usage = completion.usage if completion is not None else outcome.usage
        if usage is not None and outcome.model is not None:
            entry.usage = usage
            entry.cost_usd = self.ledger.add(entry.api_key_hint, outcome.model, usage)
            if outcome.plan is not None:
                sent = outcome.info.get("events_sent")
                stream_fault = reply is not None and reply.fault is not None and reply.fault.kind in STREAM_FAULTS
                entry.response = {"chunks": len(outcome.plan), "sent": sent}
                if outcome.status == 200:  # (not a stream refused at --max-streams)
                    entry.response["cut"] = stream_fault or (sent or 0) < len(outcome.plan)
                    entry.response["streamed"] = _streamed_text(outcome, completion, reply, sent)
            else:
                entry.response = outcome.payload
        if kind == "generator" and request is not None and len(self.fixtures):
            explain = self.fixtures.explainer(request, limit=3)

            def near_misses() -> list[dict[str, Any]]:
                return [{"fixture": miss.name, "failures": miss.failures} for miss in explain()]

            # Deferred until someone reads the entry, except for large requests: the closure keeps the
            # parsed request (images and all) alive, which the journal must not do for big bodies.
            if outcome.info.get("body_bytes", 0) > 16_384:
                entry.near_misses = near_misses()
            else:
                entry.explain = near_misses
        self.journal.add(entry)
        return entry

    # ----- models -------------------------------------------------------------------------------

    def model_object(self, model: ModelInfo) -> dict[str, Any]:
        return {"id": model.id, "object": "model", "created": model.created, "owned_by": model.owned_by}

    def models_body(self) -> dict[str, Any]:
        return {"object": "list", "data": [self.model_object(m) for m in self.catalog]}


def parse_json_body(body: bytes) -> Any:
    """The body as JSON, or the API's "could not parse" 400."""
    try:
        return _loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError.bad_json() from None


def fault_from_header(value: str) -> Reply:
    """``x-mockllm-fault: rate_limit`` / ``disconnect`` / a JSON entry written as in a fixture file
    (``{"error": "rate_limit", "headers": {"retry-after": "7"}}``, ``{"fault": "disconnect",
    "after_chunks": 2}`` or the nested forms), validated by the fixture-file models, so every key is
    honoured or refused, never dropped."""
    from pydantic import ValidationError

    from .fixtures import InjectionModel

    context = {"known_presets": ERROR_PRESETS, "known_faults": FAULT_KINDS}
    text = value.strip()
    try:
        if text.startswith("{"):
            data = _loads(text)
            if not isinstance(data, dict) or not ({"error", "fault"} & data.keys()):
                raise ValueError('expected {"error": ...} or {"fault": ...}')
            injected = InjectionModel.model_validate(data, context=context)
            if injected.error is not None:
                return Reply(error=injected.error.spec(), source="header")
            assert injected.fault is not None
            return Reply(fault=injected.fault.spec(), source="header")
        if text in ERROR_PRESETS:
            return Reply(error=ErrorSpec(preset=text), source="header")
        if text in FAULT_KINDS:
            return Reply(fault=FaultSpec(kind=text), source="header")
        raise ValueError(f"unknown preset or fault {suggest([text], [*ERROR_PRESETS, *FAULT_KINDS])}")
    except (ValueError, ValidationError) as exc:
        detail = str(exc).splitlines()[0] if not isinstance(exc, ValidationError) else _header_problem(exc)
        known = ", ".join(sorted([*ERROR_PRESETS, *FAULT_KINDS]))
        raise ApiError(
            400,
            f"Invalid x-mockllm-fault header: {detail}. Use a preset or fault name ({known}) or a JSON entry.",
            param="x-mockllm-fault",
            code="invalid_fault",
        ) from None


#: Longest text of one choice the journal keeps of a stream (as :func:`~mockllm.journal.shorten` cuts).
STREAMED_TEXT_LIMIT = 20_000


def _streamed_text(
    outcome: Outcome, completion: shaping.Completion, reply: Reply | None, sent: int | None
) -> list[dict[str, Any]]:
    """What a stream said, per choice (content, reasoning, refusal), up to where it was cut.

    A stream delivered whole said exactly its completion's texts, read for free; only a stream cut
    short (a fault, a client gone) is read back from the events it delivered. Each text is capped at
    :data:`STREAMED_TEXT_LIMIT` characters, so the journal holds a bounded summary, not the answer's
    token lists or events (the plan goes with the request).
    """
    plan = outcome.plan
    assert plan is not None
    fault = reply.fault if reply is not None else None
    written = sent if sent is not None else 0
    if (fault is None or fault.kind not in STREAM_FAULTS) and written >= len(plan):
        said: list[dict[str, Any]] = []
        for choice in completion.choices:
            item: dict[str, Any] = {"index": choice.index}
            if choice.reasoning_content and "reasoning" in plan.kinds:
                item["reasoning_content"] = choice.reasoning_content
            if choice.content is not None:
                item["content"] = choice.content
            if choice.refusal is not None:
                item["refusal"] = choice.refusal
            said.append(item)
    else:
        kind, after = (fault.kind, fault.after_chunks) if fault is not None else (None, None)
        said = plan.said(delivered_events(kind, after, len(plan), written))
        if not said:
            said = [{"index": choice.index, "content": ""} for choice in completion.choices]
    for item in said:
        for key, value in item.items():
            if isinstance(value, str) and len(value) > STREAMED_TEXT_LIMIT:
                item[key] = value[:STREAMED_TEXT_LIMIT] + f"…[{len(value)} chars]"
    return said


def _header_problem(exc: Any) -> str:
    """The first problem of a header entry, worded as the fixture loader words it (``fault.after_chunks:
    ...``, ``unknown key 'x'``), so the header and a file explain the same mistake the same way."""
    from .fixtures import _error_text, _loc_text

    err = exc.errors(include_url=False)[0]
    where = _loc_text(tuple(err["loc"]))
    text = _error_text(err)
    return f"{where}: {text}" if where else text


def _journal_message(message: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.text}
    if message.tool_calls:
        out["tool_calls"] = message.tool_calls
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    return out


def _has_answer(reply: Reply) -> bool:
    return bool(reply.content is not None or reply.tool_calls or reply.refusal is not None or reply.reasoning_content)


def content_filtered(reply: Reply) -> Reply:
    """``content_filter``: a 200 whose content stops half-way with ``finish_reason: content_filter``."""
    content = reply.content
    if content is None and not reply.tool_calls:
        content = "This answer was cut by the content filter"
    if content is not None:
        content = content[: max(1, len(content) // 2)]
    return Reply(
        content=content, finish_reason="content_filter", source=reply.source, pacing=reply.pacing, fault=reply.fault
    )


def _check_strict_schema(*args: Any, **kwargs: Any) -> Any:
    """``structured.check_strict_schema``, imported on first use: most requests carry no strict schema,
    and the module (schema generation, Faker hooks) is not worth its share of the cold start."""
    from .structured import check_strict_schema

    return check_strict_schema(*args, **kwargs)


def _raw_model(raw: Any) -> str | None:
    """The model a rejected request asked for, if it named one: the journal shows it either way."""
    model = raw.get("model") if isinstance(raw, dict) else None
    return model if isinstance(model, str) else None


def loads_or_none(text: str) -> Any:
    try:
        return _loads(text)
    except ValueError:
        return None
