"""OpenAI's Responses API as a :class:`~mockllm.core.surface.Surface`: ``POST /v1/responses`` and its
companions (``GET``/``DELETE /v1/responses/{id}``, ``GET …/input_items``, ``POST /v1/responses/input_tokens``).

Errors share chat's envelope (PROTOCOL-responses.md §3). A mid-stream failure is an ``error`` event that
carries both the spec's flat fields and the nested ``error`` object real traffic shows, so typed clients
and openai-python (which raises ``APIError`` on the nested form) both see it (§6.5).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...core.auth import bearer_key, check_key
from ...core.errors import ApiError
from ...core.faults import stream_cut
from ...core.generate import _EFFORT_SCALE
from ...core.reply import Reply
from ...core.shaping import prompt_usage
from ...core.surface import AnswerFacts, InspectImage, Route, RouteCall
from ..openai_params import check_enum, check_integer
from ..openai_wire import answer_headers, error_outcome, openai_stream_error
from .render import response_object, response_stream, summary_text
from .store import ResponseStore, StoredResponse
from .validate import CONTEXT_PARAMS, ParsedResponseRequest, validate_responses_request

if TYPE_CHECKING:
    from ...core.catalog import ModelInfo
    from ...core.conversation import Conversation
    from ...core.ids import RequestIds
    from ...core.pipeline import Outcome, Pipeline
    from ...core.reply import FaultSpec

__all__ = ["ResponsesSurface"]

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class ResponsesSurface:
    """The Responses API with its bounded store of responses (``--store-size``)."""

    name = "responses"
    path = "/v1/responses"
    id_header = "x-request-id"

    def request_id(self, minted: str) -> str:
        return minted

    def models_route(self, pipeline: Pipeline, call: RouteCall) -> tuple[int, dict[str, Any]] | None:
        return None  # OpenAI's shape, the models routes' own

    def __init__(self, store_size: int) -> None:
        self.store = ResponseStore(store_size)

    def api_key(self, headers: Mapping[str, str]) -> str | None:
        return bearer_key(headers)

    def parse(
        self, raw: Any, headers: Mapping[str, str], pipeline: Pipeline, inspect_image: InspectImage | None
    ) -> tuple[Conversation, ModelInfo]:
        request, model, parsed = validate_responses_request(
            raw, pipeline=pipeline, headers=headers, inspect_image=inspect_image, previous=self.store
        )
        request.edge = parsed
        return request, model

    def extend(self, request: Conversation, model: ModelInfo, reply: Reply, ids: RequestIds) -> Reply:
        """A reasoning model asked for a summary gets one: a fixture's ``reasoning_content``, else a
        generated line about the request (its tokens count as reasoning tokens, as the summary's would).
        Asked for none, a fixture's answer that scripted no reasoning still reasons: a hidden count drawn
        from the request's content (as the generator's), since these models always spend some."""
        parsed: ParsedResponseRequest = request.edge
        if model.reasoning != "openai" or reply.error is not None or reply.reasoning_content is not None:
            return reply
        if parsed.summary is not None:
            reply.reasoning_content = summary_text(request.last_user_text)
        elif not reply.hidden_reasoning_tokens and (reply.content is not None or reply.tool_calls):
            scale = _EFFORT_SCALE.get(request.reasoning_effort or "medium", 1.0)
            reply.hidden_reasoning_tokens = int((64 + int(ids.content_draw("reasoning") * 256)) * scale)
        return reply

    def completion_id(self, model: ModelInfo, ids: RequestIds) -> str | None:
        return None

    def response_headers(self, ids: RequestIds, facts: AnswerFacts) -> dict[str, str]:
        return answer_headers(facts)

    def render(self, outcome: Outcome, pipeline: Pipeline) -> None:
        request, model, completion, ids = outcome.request, outcome.model, outcome.completion, outcome.ids
        assert request is not None and model is not None and completion is not None and ids is not None
        parsed: ParsedResponseRequest = request.edge
        response_id = ids.item("resp")
        final = response_object(
            response_id,
            completion,
            model,
            parsed,
            ids,
            request.max_tokens,
            request.parallel_tool_calls,
            request.service_tier,
        )
        if parsed.store:
            self.store.put(
                request.session,
                response_id,
                StoredResponse(
                    body=final,
                    context=[*parsed.items, *final["output"]],
                    new_items=parsed.new_items,
                    list_items=functools.partial(_stored_inputs, ids=ids),
                    reasoning_ids=tuple(i["id"] for i in final["output"] if i["type"] == "reasoning"),
                ),
            )
        if request.stream:
            outcome.headers["content-type"] = "text/event-stream; charset=utf-8"
            outcome.plan = response_stream(
                final,
                completion,
                obfuscation=request.include_obfuscation and model.owned_by == "openai",
                requested_tier=parsed.extra_echo["service_tier"],
            )
        else:
            outcome.headers["content-type"] = "application/json"
            outcome.payload = final
            outcome.body = json.dumps(final, ensure_ascii=False).encode()

    def error_outcome(self, error: ApiError, request_id: str | None) -> Outcome:
        if error.param == "messages":
            # The engine's context-length checks name chat's field; the conversation is ``input`` here.
            error = ApiError(
                error.status,
                error.message,
                type=error.type,
                param="input",
                code=error.code,
                headers=error.headers,
                rate=error.rate,
            )
        return error_outcome(error, request_id)

    def stream_fault(
        self, fault: FaultSpec, events: list[bytes], kinds: list[str], outcome: Outcome | None
    ) -> tuple[list[bytes], bool]:
        k = stream_cut(fault.after_chunks, len(events))
        if fault.kind == "disconnect":
            return events[:k], True
        if fault.kind == "stream_error":
            error = openai_stream_error(fault, outcome)
            # The spec's flat fields (its ``type`` is the event's, "error") and the nested object real
            # traffic carries, whose ``type`` is the error's; openai-python raises APIError on the latter.
            flat = {"code": error.get("code"), "message": error.get("message"), "param": error.get("param")}
            data = {"type": "error", **flat, "sequence_number": k, "error": error}
            return [*events[:k], b"event: error\ndata: " + _dumps(data).encode() + b"\n\n"], False
        if fault.kind == "malformed_chunk":
            bad = b'event: response.output_text.delta\ndata: {"type": "response.output_text.delta", "delta": "\n\n'
            return [*events[:k], bad, *events[k + 1 :]], False
        if fault.kind == "no_done":
            return [e for e, kind in zip(events, kinds, strict=True) if kind != "terminal"], False
        if fault.kind == "truncate":
            body = [e for e, kind in zip(events, kinds, strict=True) if kind != "terminal"]
            return body[:k], False
        return events, False

    def evictions(self) -> dict[str, int]:
        return {"stored_responses": self.store.evicted}

    def reset(self) -> None:
        self.store.clear()

    def routes(self) -> list[Route]:
        return [
            Route("POST", "/v1/responses/input_tokens", self._input_tokens),
            Route("GET", "/v1/responses/{id}/input_items", self._input_items),
            Route("GET", "/v1/responses/{id}", self._retrieve),
            Route("DELETE", "/v1/responses/{id}", self._delete),
        ]

    # ----- companion routes ----------------------------------------------------------------------------

    def _check(self, pipeline: Pipeline, call: RouteCall) -> str | None:
        check_key(bearer_key(call.headers), pipeline.settings.api_keys)
        return {k.lower(): v for k, v in call.headers.items()}.get("x-mockllm-session")

    def _retrieve(self, pipeline: Pipeline, call: RouteCall) -> tuple[int, dict[str, Any]]:
        session = self._check(pipeline, call)
        if call.query.get("stream") in ("true", "1"):
            raise ApiError(
                400,
                "mockllm does not emulate background responses, so there is no stream to resume.",
                param="stream",
                code="unsupported_parameter",
            )
        return 200, self.store.require(call.match["id"], session).body

    def _delete(self, pipeline: Pipeline, call: RouteCall) -> tuple[int, dict[str, Any]]:
        session = self._check(pipeline, call)
        response_id = call.match["id"]
        self.store.delete(response_id, session)
        return 200, {"id": response_id, "object": "response", "deleted": True}

    def _input_items(self, pipeline: Pipeline, call: RouteCall) -> tuple[int, dict[str, Any]]:
        """``ResponseItemList``: this response's own input items, newest first unless ``order=asc``."""
        session = self._check(pipeline, call)
        stored = self.store.require(call.match["id"], session)
        limit = _query_int(call.query, "limit", 20)
        check_integer(limit, "limit", 1, 100)
        order = check_enum(call.query.get("order", "desc"), "order", ("asc", "desc"))
        items = list(stored.input_items) if order == "asc" else list(reversed(stored.input_items))
        after = call.query.get("after")
        if after is not None:
            ids = [item.get("id") for item in items]
            if after not in ids:
                raise ApiError(400, f"No item found with id '{after}'.", param="after", code="invalid_value")
            items = items[ids.index(after) + 1 :]
        page = items[:limit]
        return 200, {
            "object": "list",
            "data": page,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
            "has_more": len(items) > limit,
        }

    def _input_tokens(self, pipeline: Pipeline, call: RouteCall) -> tuple[int, dict[str, Any]]:
        """What create would bill as ``input_tokens``, from the same parse and the same recipe."""
        from ...core.pipeline import parse_json_body

        check_key(bearer_key(call.headers), pipeline.settings.api_keys)
        raw = parse_json_body(call.body)
        request, model, _ = validate_responses_request(
            raw,
            pipeline=pipeline,
            headers=call.headers,
            inspect_image=pipeline.inspect_image,
            previous=self.store,
            known=CONTEXT_PARAMS,
            require_input=False,
        )
        return 200, {"object": "response.input_tokens", "input_tokens": prompt_usage(request, model).total}


def _query_int(query: Mapping[str, str], name: str, default: int) -> Any:
    value = query.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        return value  # the integer check names it


def _stored_inputs(items: list[dict[str, Any]], ids: RequestIds) -> list[dict[str, Any]]:
    """This request's input as the API lists it (the spec's ``ItemResource`` forms): every item with an
    id; user, system and developer messages with input parts; an assistant message as an output message
    (``status``, ``output_text`` parts with ``annotations`` and ``logprobs``); tool calls and their outputs
    with a ``status``; an image part with its ``detail``."""
    stored: list[dict[str, Any]] = []
    for k, item in enumerate(items):
        kind = item.get("type") or ("message" if "role" in item else None)
        if kind == "message":
            role = item.get("role")
            assistant = role == "assistant"
            content = item.get("content")
            if isinstance(content, str):
                content = [{"type": "output_text" if assistant else "input_text", "text": content}]
            parts = [_stored_part(part) for part in content or []]
            entry: dict[str, Any] = {"id": item.get("id") or ids.item("msg", f"in:{k}"), "type": "message"}
            if assistant:
                entry.update(status=item.get("status") or "completed", role=role, content=parts)
            else:
                entry.update(role=role, content=parts)
            stored.append(entry)
            continue
        prefix = {"function_call": "fc", "function_call_output": "fco", "reasoning": "rs"}.get(str(kind), "item")
        entry = {"id": item.get("id") or ids.item(prefix, f"in:{k}")}
        entry.update((key, value) for key, value in item.items() if key != "id")
        if kind in ("function_call", "function_call_output") and not entry.get("status"):
            entry["status"] = "completed"
        stored.append(entry)
    return stored


def _stored_part(part: Any) -> Any:
    if not isinstance(part, dict):
        return part
    kind = part.get("type")
    if kind == "output_text":
        return {"type": "output_text", "annotations": [], "logprobs": [], **part}
    if kind == "input_image" and part.get("detail") is None:
        return {**part, "detail": "auto"}
    return part
