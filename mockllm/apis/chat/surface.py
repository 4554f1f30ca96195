"""The Chat Completions API as a :class:`~mockllm.core.surface.Surface`: ``POST /v1/chat/completions``.

Validation is ``validate.py`` (with the gateway profile's dialect and rules), rendering is
``render.py`` (``chat.completion`` objects and ``chat.completion.chunk`` streams), errors use OpenAI's
envelope, and a mid-stream failure is a ``data:`` event carrying an ``error`` object, then ``[DONE]``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...core.auth import bearer_key
from ...core.faults import stream_cut
from ...core.surface import AnswerFacts, InspectImage, Route, RouteCall
from ..openai_wire import answer_headers, error_outcome, openai_stream_error
from .render import completion_body, stream_plan
from .validate import validate_chat_request

if TYPE_CHECKING:
    from ...core.catalog import ModelInfo
    from ...core.conversation import Conversation
    from ...core.errors import ApiError
    from ...core.ids import RequestIds
    from ...core.pipeline import Outcome, Pipeline
    from ...core.reply import FaultSpec, Reply
    from ...profiles import Profile

__all__ = ["ChatSurface", "stream_events_for"]


class ChatSurface:
    """Chat Completions, in the dialect of the server's gateway profile."""

    name = "chat"
    path = "/v1/chat/completions"
    id_header = "x-request-id"

    def request_id(self, minted: str) -> str:
        return minted

    def models_route(self, pipeline: Pipeline, call: RouteCall) -> tuple[int, dict[str, Any]] | None:
        return None  # OpenAI's shape, the models routes' own

    def __init__(self, profile: Profile) -> None:
        self.profile = profile

    def api_key(self, headers: Mapping[str, str]) -> str | None:
        return bearer_key(headers)

    def parse(
        self, raw: Any, headers: Mapping[str, str], pipeline: Pipeline, inspect_image: InspectImage | None
    ) -> tuple[Conversation, ModelInfo]:
        request, model = validate_chat_request(
            raw,
            catalog=pipeline.catalog,
            dialect=self.profile.dialect,
            headers=headers,
            inspect_image=inspect_image,
            inspect_audio=pipeline.inspect_audio,
            check_strict_schema=pipeline.check_strict,
        )
        self.profile.check(request, model)
        return request, model

    def extend(self, request: Conversation, model: ModelInfo, reply: Reply, ids: RequestIds) -> Reply:
        return self.profile.extend(request, model, reply, ids)

    def completion_id(self, model: ModelInfo, ids: RequestIds) -> str | None:
        return self.profile.completion_id(model, ids)

    def response_headers(self, ids: RequestIds, facts: AnswerFacts) -> dict[str, str]:
        headers = answer_headers(facts)
        headers.update(self.profile.response_headers(ids))
        return headers

    def render(self, outcome: Outcome, pipeline: Pipeline) -> None:
        request, model, completion = outcome.request, outcome.model, outcome.completion
        assert request is not None and model is not None and completion is not None
        if request.stream:
            outcome.headers["content-type"] = "text/event-stream; charset=utf-8"
            outcome.plan = stream_plan(
                completion,
                include_usage=request.include_usage,
                obfuscation=request.include_obfuscation and model.owned_by == "openai",
                delta_defaults=self.profile.delta_defaults,
                logprobs_key=model.reasoning != "openai",
            )
        else:
            outcome.headers["content-type"] = "application/json"
            outcome.payload = completion_body(completion)
            outcome.body = json.dumps(outcome.payload, ensure_ascii=False).encode()

    def error_outcome(self, error: ApiError, request_id: str | None) -> Outcome:
        return error_outcome(error, request_id)

    def stream_fault(
        self, fault: FaultSpec, events: list[bytes], kinds: list[str], outcome: Outcome | None
    ) -> tuple[list[bytes], bool]:
        return stream_events_for(fault, events, kinds, outcome)

    def evictions(self) -> dict[str, int]:
        return {}  # chat keeps no state of its own

    def reset(self) -> None:
        return None

    def routes(self) -> list[Route]:
        return []


def stream_events_for(
    fault: FaultSpec, events: list[bytes], kinds: list[str], outcome: Outcome | None = None
) -> tuple[list[bytes], bool]:
    """Rewrite a healthy chunk list for a stream fault. Returns (events, abort the connection after).

    ``outcome`` (the answer being streamed) lets a ``stream_error`` naming a preset fill the preset's
    message template (``{model}``, the request id) exactly as the same preset's HTTP error would.
    """
    k = stream_cut(fault.after_chunks, len(events))
    if fault.kind == "disconnect":
        return events[:k], True
    if fault.kind == "stream_error":
        error = {"error": openai_stream_error(fault, outcome)}
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
