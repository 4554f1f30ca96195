"""``mockllm record`` for the Responses API: how a ``POST /v1/responses`` exchange becomes a fixture.

The request is read into the same neutral messages the replay server matches on (``instructions``
first, items translated by :func:`~.validate.parse_items`), so ``user``, ``system``, ``turn``,
``tool_result`` and ``loop_sha256`` mean what they mean on replay. A request chained with
``previous_response_id`` is expanded with the context the recorder saw for that id (the upstream keeps
its own), so the steps of an agent loop are keyed on where the loop stands either way. The answer
becomes an ordinary reply: the message text as ``content``, ``function_call`` items as ``tool_calls``
(with their call ids), a reasoning summary as ``reasoning_content``, a cut as ``finish_reason``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...core.conversation import Message
from ...core.errors import ApiError
from ...record import Neutral, StreamCapture
from .validate import PreviousResponses, parse_items

if TYPE_CHECKING:
    from ...record import Recorder

__all__ = ["ResponsesCapture", "ResponsesRecording", "reply_from_response"]

#: Chained contexts the recorder keeps (a session's responses, newest last).
CONTEXTS_KEPT = 1000


class _Trusting(PreviousResponses):
    """The recorder judges nothing: reasoning items were the upstream's, chains are expanded before."""

    def context(self, response_id: str, session: str | None) -> list[dict[str, Any]] | None:
        return None

    def knows_reasoning(self, item_id: str, session: str | None) -> bool:
        return True


def reply_from_response(response: dict[str, Any]) -> dict[str, Any]:
    """A fixture reply from a ``response`` object (a non-streamed body, or a stream's terminal event)."""
    reply: dict[str, Any] = {}
    texts: list[str] = []
    refusal: str | None = None
    calls: list[dict[str, Any]] = []
    summary: list[str] = []
    for item in response.get("output") or []:
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if kind == "message":
            for part in item.get("content") or []:
                if isinstance(part, dict) and part.get("type") == "output_text" and isinstance(part.get("text"), str):
                    texts.append(part["text"])
                elif isinstance(part, dict) and part.get("type") == "refusal":
                    refusal = str(part.get("refusal") or "")
        elif kind == "function_call" and isinstance(item.get("name"), str):
            call: dict[str, Any] = {"name": item["name"], "arguments": item.get("arguments") or ""}
            if item.get("call_id"):
                call["id"] = item["call_id"]
            calls.append(call)
        elif kind == "reasoning":
            summary += [p["text"] for p in item.get("summary") or [] if isinstance(p, dict) and p.get("text")]
    if texts:
        reply["content"] = "".join(texts)
    if summary:
        reply["reasoning_content"] = "\n\n".join(summary)
    if calls:
        reply["tool_calls"] = calls
    if refusal is not None:
        reply["refusal"] = refusal
    reason = (response.get("incomplete_details") or {}).get("reason")
    if reason == "max_output_tokens":
        reply["finish_reason"] = "length"
    elif reason == "content_filter":
        reply["finish_reason"] = "content_filter"
    if not any(k in reply for k in ("content", "tool_calls", "refusal", "reasoning_content")):
        reply["content"] = ""  # the fixture format needs an answer; this one was empty
    return reply


class ResponsesCapture(StreamCapture):
    """Times a Responses stream's deltas and keeps its terminal ``response`` (the complete answer)."""

    final: dict[str, Any] | None = None

    def on_event(self, event: dict[str, Any]) -> str:
        kind = event.get("type")
        if kind == "error" or kind == "response.failed":
            self.error = event.get("error") or (event.get("response") or {}).get("error") or event
        elif kind in ("response.completed", "response.incomplete") and isinstance(event.get("response"), dict):
            self.final = event["response"]
        elif isinstance(kind, str) and kind.endswith(".delta") and isinstance(event.get("delta"), str):
            return str(event["delta"])
        return ""


class ResponsesRecording:
    """The recorder's view of ``/v1/responses``; remembers each recorded response's context for chains."""

    api = "responses"

    def __init__(self) -> None:
        self.contexts: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()

    def _items(self, body: dict[str, Any]) -> list[Any] | None:
        raw = body.get("input")
        items: list[Any] = [{"role": "user", "content": raw}] if isinstance(raw, str) else list(raw or [])
        previous = body.get("previous_response_id")
        if isinstance(previous, str):
            context = self.contexts.get(previous)
            if context is None:
                return None
            items = [*context, *items]
        return items

    def neutral(self, body: dict[str, Any], headers: Mapping[str, str]) -> Neutral | None:
        items = self._items(body)
        if items is None:
            return None  # chained to a response this recorder never saw: where the loop stands is unknown
        try:
            messages, _ = parse_items(items, inspect_image=None, previous=_Trusting(), session=None)
        except ApiError:
            return None  # the upstream will refuse it too; a refused request is not recorded
        instructions = body.get("instructions")
        if isinstance(instructions, str):
            messages.insert(0, Message("developer", instructions, instructions))
        text = body.get("text")
        fmt = text.get("format") if isinstance(text, dict) else None
        images = sum(
            1
            for item in items
            if isinstance(item, dict) and isinstance(item.get("content"), list)
            for part in item["content"]
            if isinstance(part, dict) and part.get("type") == "input_image"
        )
        kind = fmt.get("type") if isinstance(fmt, dict) else None
        return Neutral("responses", messages, images, kind, body.get("tools"), context=items)

    def capture(self, started: float) -> ResponsesCapture:
        return ResponsesCapture(started)

    def stream_reply(self, capture: ResponsesCapture) -> tuple[dict[str, Any], str | None] | None:
        if capture.error is not None or capture.final is None:
            return None
        return reply_from_response(capture.final), capture.final.get("model")

    def json_reply(self, answer: dict[str, Any]) -> tuple[dict[str, Any], str | None] | None:
        if answer.get("object") != "response":
            return None
        return reply_from_response(answer), answer.get("model")

    def answered(self, recorder: Recorder, neutral: Neutral, answer: dict[str, Any] | None) -> None:
        """Remember what a request chained to this answer's id will stand on: its items and output."""
        if not answer or not isinstance(answer.get("id"), str):
            return
        self.contexts[answer["id"]] = [*(neutral.context or []), *(answer.get("output") or [])]
        while len(self.contexts) > CONTEXTS_KEPT:
            self.contexts.popitem(last=False)
