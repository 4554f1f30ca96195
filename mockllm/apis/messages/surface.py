"""Anthropic's Messages API as a :class:`~mockllm.core.surface.Surface`: ``POST /v1/messages`` and
``POST /v1/messages/count_tokens`` (the models routes answer in its shape from ``models.py``).

Keys come from ``x-api-key`` or ``Authorization: Bearer`` with the API's 401 wording; every answer carries
``request-id`` (``req_011C…``) and the ``anthropic-ratelimit-*`` headers from the same buckets that
give chat its ``x-ratelimit-*``; errors go out in Anthropic's envelope (``errors.py``); a mid-stream
failure is a named ``error`` event after which the stream ends without ``message_stop`` (§4.1).

Token counts use the neutral recipe over the translated conversation with the model's encoding
(o200k_base for Claude models): count_tokens, ``usage``, ``max_tokens`` cuts, context errors and TPM all
read that one number, so they always agree with each other (PROTOCOL-anthropic.md §10).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...core import tokens
from ...core.auth import bearer_key
from ...core.jsonbody import loads_strict
from ...core.reply import Reply
from ...core.shaping import prompt_usage, safe_text
from ...core.surface import AnswerFacts, InspectImage, Route, RouteCall
from .errors import AnthropicError, anthropic_request_id, anthropic_spec, error_outcome, invalid, stream_error_event
from .headers import answer_headers
from .render import message_object, message_stream, stop_reason
from .validate import ParsedMessages, validate_messages_request

if TYPE_CHECKING:
    from ...config import Settings
    from ...core.catalog import ModelInfo
    from ...core.conversation import Conversation
    from ...core.errors import ApiError
    from ...core.ids import RequestIds
    from ...core.pipeline import Outcome, Pipeline
    from ...core.reply import FaultSpec

__all__ = ["MessagesSurface", "anthropic_key", "thinking_text"]

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def anthropic_key(headers: Mapping[str, str], accepted: Any) -> str | None:
    """The caller's key: ``x-api-key`` first (the API prefers it when both are sent, §1.3), else a Bearer
    token; checked against ``--api-key`` with the API's own 401 messages."""
    key = headers.get("x-api-key") or headers.get("X-Api-Key")
    via_bearer = False
    if not key:
        key = bearer_key(headers)
        via_bearer = key is not None
    if accepted:
        if key is None:
            raise AnthropicError(401, "authentication_error", "x-api-key header is required")
        if key not in accepted:
            message = "Invalid bearer token" if via_bearer else "invalid x-api-key"
            raise AnthropicError(401, "authentication_error", message)
    return key


_BASE58_TABLE = bytes(ord(_BASE58[b % 58]) for b in range(256))


def _base58(material: str, length: int) -> str:
    """``length`` base58 characters drawn from a hash of ``material`` (ids as the API writes them)."""
    return hashlib.blake2b(material.encode(), digest_size=length).digest().translate(_BASE58_TABLE).decode("ascii")


def thinking_text(request: Conversation) -> str:
    """The thinking the generator writes when thinking is on and no fixture scripted any: short,
    deterministic and about the request (a real model's thinking plans its answer)."""
    topic = " ".join(request.last_user_text.split())[:120] or "the conversation so far"
    tools = f" I could use {', '.join(t.name for t in request.tools)}." if request.tools else ""
    return f"The user wrote: {topic}. Let me work out what they need and how best to answer.{tools}"


class MessagesSurface:
    """The Messages API. Stateless apart from the settings it reads keys from."""

    name = "messages"
    path = "/v1/messages"
    id_header = "request-id"

    def request_id(self, minted: str) -> str:
        return anthropic_request_id(minted)

    def models_route(self, pipeline: Pipeline, call: RouteCall) -> tuple[int, dict[str, Any]] | None:
        """The Claude models in Anthropic's shape for Anthropic's SDKs (they send ``anthropic-version``,
        OpenAI's never does), behind this API's keys."""
        if "anthropic-version" not in call.headers:
            return None
        from . import models

        anthropic_key(call.headers, self.settings.api_keys)
        model_id = call.match.get("model")
        if model_id is None:
            return 200, models.models_page(pipeline.catalog, call.query)
        return 200, models.retrieve(pipeline.catalog, model_id)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def api_key(self, headers: Mapping[str, str]) -> str | None:
        return anthropic_key(headers, self.settings.api_keys)

    def parse(
        self, raw: Any, headers: Mapping[str, str], pipeline: Pipeline, inspect_image: InspectImage | None
    ) -> tuple[Conversation, ModelInfo]:
        request, model, _ = validate_messages_request(
            raw, catalog=pipeline.catalog, headers=headers, inspect_image=inspect_image
        )
        request.api_key = anthropic_key(headers, ())
        _check_window(request, model)
        return request, model

    def extend(self, request: Conversation, model: ModelInfo, reply: Reply, ids: RequestIds) -> Reply:
        """This API's dialect of a decided reply: presets in Anthropic's terms, thinking only when asked
        for (and within its budget), ``toolu_`` ids for the tool calls nobody named."""
        parsed: ParsedMessages = request.edge
        if reply.error is not None:
            return dataclasses.replace(reply, error=anthropic_spec(reply.error, request, model))
        if reply.fault is not None and reply.fault.kind == "stream_error" and reply.fault.error is not None:
            fault = dataclasses.replace(reply.fault, error=anthropic_spec(reply.fault.error, request, model))
            reply = dataclasses.replace(reply, fault=fault)
        thinking = reply.reasoning_content
        if parsed.thinking == "disabled":
            thinking = None
        elif thinking is None:
            thinking = thinking_text(request)
        if thinking is not None and parsed.budget_tokens is not None:
            tokens_of = tokens.encode(thinking, model.encoding)
            if len(tokens_of) > parsed.budget_tokens:
                thinking = safe_text(tokens_of[: parsed.budget_tokens], model.encoding)
        calls = [
            c if c.id else dataclasses.replace(c, id="toolu_01" + _base58(f"{ids.request()}:{k}", 22))
            for k, c in enumerate(reply.tool_calls)
        ]
        choices = reply.choices
        return dataclasses.replace(
            reply, reasoning_content=thinking, hidden_reasoning_tokens=0, tool_calls=calls, choices=choices
        )

    def completion_id(self, model: ModelInfo, ids: RequestIds) -> str | None:
        return "msg_01" + _base58(ids.request() + ":msg", 22)

    def response_headers(self, ids: RequestIds, facts: AnswerFacts) -> dict[str, str]:
        return answer_headers(facts)

    def render(self, outcome: Outcome, pipeline: Pipeline) -> None:
        request, completion, reply = outcome.request, outcome.completion, outcome.reply
        assert request is not None and completion is not None and reply is not None
        parsed: ParsedMessages = request.edge
        choice = completion.choices[0]
        reason, sequence = stop_reason(choice, parsed.stop_sequences, reply.content)
        final = message_object(completion.id, completion, reason, sequence, [c.id for c in choice.tool_calls])
        outcome.payload = final
        if request.stream:
            outcome.headers["content-type"] = "text/event-stream; charset=utf-8"
            outcome.plan = message_stream(final, completion)
        else:
            outcome.headers["content-type"] = "application/json"
            outcome.body = json.dumps(final, ensure_ascii=False).encode()

    def error_outcome(self, error: ApiError, request_id: str | None) -> Outcome:
        return error_outcome(error, request_id)

    def stream_fault(
        self, fault: FaultSpec, events: list[bytes], kinds: list[str], outcome: Outcome | None
    ) -> tuple[list[bytes], bool]:
        k = fault.after_chunks if fault.after_chunks is not None else 3
        k = max(0, min(k, len(events) - 1))
        if fault.kind == "disconnect":
            return events[:k], True
        if fault.kind == "stream_error":
            spec = fault.error
            error_type, message = ("overloaded_error", "Overloaded")
            if spec is not None:
                error_type, message = spec.type or "api_error", spec.message or "Internal server error"
            return [*events[:k], stream_error_event(error_type, message)], False
        if fault.kind == "malformed_chunk":
            bad = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"te\n\n'
            return [*events[:k], bad, *events[k + 1 :]], False
        if fault.kind == "no_done":
            return events[:-1], False
        if fault.kind == "truncate":
            body = [e for e, kind in zip(events, kinds, strict=True) if kind != "terminal"]
            return body[:k], False
        return events, False

    def evictions(self) -> dict[str, int]:
        return {}  # the Messages API keeps no state

    def reset(self) -> None:
        return None

    def routes(self) -> list[Route]:
        return [Route("POST", "/v1/messages/count_tokens", self._count_tokens)]

    def _count_tokens(self, pipeline: Pipeline, call: RouteCall) -> tuple[int, dict[str, Any]]:
        """What create would bill as ``usage.input_tokens``: the same parse, the same recipe (§7)."""
        anthropic_key(call.headers, self.settings.api_keys)
        raw = parse_body(call.body)
        request, model, _ = validate_messages_request(
            raw, catalog=pipeline.catalog, headers=call.headers, inspect_image=pipeline.inspect_image, count_only=True
        )
        return 200, {"input_tokens": prompt_usage(request, model).total}


def parse_body(body: bytes) -> Any:
    """The body as strict JSON (the parser every API uses: no NaN, bounded nesting, no lone surrogates),
    or this API's invalid-request error."""
    try:
        return loads_strict(body)
    except (ValueError, UnicodeDecodeError) as exc:
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "invalid UTF-8"
        raise invalid(f"The request body is not valid JSON: {detail}") from None


def _check_window(request: Conversation, model: ModelInfo) -> None:
    """The context window in the API's words, before the pipeline's own check (which then passes)."""
    prompt = prompt_usage(request, model).total
    window = model.context_window
    if prompt > window:
        raise invalid(f"prompt is too long: {prompt} tokens > {window} maximum")
    wanted = request.max_tokens or 0
    if prompt + wanted > window:
        # [UNVERIFIED wording, as client threads quote it]
        raise invalid(
            f"input length and `max_tokens` exceed context limit: {prompt} + {wanted} > {window}, decrease input "
            "length or `max_tokens` and try again"
        )
