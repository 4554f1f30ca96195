"""``mockllm record`` for Anthropic's API: what a ``POST /v1/messages`` exchange becomes as a fixture.

The recorder's matching and file format are shared by every API (``mockllm/record.py``); this module is
the Messages adapter: how the request reads as a neutral conversation, and how the answer reads as a
reply. The request is read with this API's own validator, so
the recorded ``user_regex``, ``system_sha256`` and ``image_count`` are computed from exactly the
conversation a replaying server will see (a turn of ``tool_result`` blocks is not a user message, the
top-level ``system`` is the system text). The answer (a ``message`` object, or its SSE events) becomes an
ordinary reply: text blocks → ``content``, ``tool_use`` → ``tool_calls`` (ids kept), ``thinking`` →
``reasoning_content``, and the stop reason → the finish reason shaping derives again on replay.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ...core.catalog import Catalog, ModelInfo
from ...core.errors import ApiError
from ...record import Neutral, StreamCapture
from ...record import _reply_from_message as reply_from_message
from .validate import validate_messages_request

__all__ = ["FINISH", "AnthropicCapture", "MessagesRecording", "message_as_chat", "messages_neutral"]

#: ``stop_reason`` → the chat finish reason a fixture reply carries.
FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls",
          "refusal": "content_filter"}  # fmt: skip
_ANY_MODEL = Catalog([ModelInfo("*", context_window=10**9, max_output_tokens=10**9, vision=True)])


def messages_neutral(body: dict[str, Any], headers: Mapping[str, str]) -> Neutral | None:
    """The request as the replaying server will match it (this API's own validator: a turn of
    ``tool_result`` blocks is a tool result, not a user message; the top-level ``system`` is the system
    text), or None when the request is not one a replaying server would accept."""
    version = headers.get("anthropic-version") or "2023-06-01"
    try:
        request, _, _ = validate_messages_request(
            body, catalog=_ANY_MODEL, headers={"anthropic-version": version}, inspect_image=None
        )
    except ApiError:
        return None
    images = sum(
        1 for m in request.messages if isinstance(m.content, list) for part in m.content if part.type == "image_url"
    )
    return Neutral("messages", request.messages, images, None, body.get("tools"))


def message_as_chat(message: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """An Anthropic ``message`` as a chat assistant message and its finish reason."""
    texts = [b["text"] for b in message.get("content") or [] if b.get("type") == "text" and "text" in b]
    thinking = [b["thinking"] for b in message.get("content") or [] if b.get("type") == "thinking"]
    calls = [
        {
            "id": b.get("id"),
            "type": "function",
            "function": {"name": b.get("name"), "arguments": json.dumps(b.get("input") or {}, ensure_ascii=False)},
        }
        for b in message.get("content") or []
        if b.get("type") == "tool_use"
    ]
    chat: dict[str, Any] = {"content": "".join(texts) if texts or not calls else None, "tool_calls": calls}
    if thinking:
        chat["reasoning_content"] = "".join(thinking)
    return chat, FINISH.get(str(message.get("stop_reason")))


class AnthropicCapture(StreamCapture):
    """Rebuilds an Anthropic Messages stream (named events: text, thinking and tool input deltas)."""

    def __init__(self, started: float) -> None:
        super().__init__(started)
        self.model: str | None = None
        self._blocks: dict[int, str] = {}

    def on_event(self, event: dict[str, Any]) -> str:
        kind = event.get("type")
        piece = ""
        if kind == "error":
            self.error = event.get("error")
        elif kind == "message_start":
            self.model = (event.get("message") or {}).get("model")
        elif kind == "content_block_start":
            block, index = event.get("content_block") or {}, event.get("index", 0)
            self._blocks[index] = block.get("type", "")
            if block.get("type") == "tool_use":
                self.calls[index] = {"id": block.get("id"), "name": block.get("name") or "", "arguments": ""}
        elif kind == "content_block_delta":
            delta, index = event.get("delta") or {}, event.get("index", 0)
            if delta.get("type") == "text_delta":
                piece = delta.get("text") or ""
                self.content.append(piece)
            elif delta.get("type") == "thinking_delta":
                piece = delta.get("thinking") or ""
                self.reasoning.append(piece)
            elif delta.get("type") == "input_json_delta" and index in self.calls:
                piece = delta.get("partial_json") or ""
                self.calls[index]["arguments"] += piece
        elif kind == "message_delta":
            self.finish_reason = FINISH.get(str((event.get("delta") or {}).get("stop_reason")))
        return piece


class MessagesRecording:
    """The recorder's view of ``/v1/messages`` (see :class:`~mockllm.record.ChatRecording`)."""

    api = "messages"

    def neutral(self, body: dict[str, Any], headers: Mapping[str, str]) -> Neutral | None:
        return messages_neutral(body, headers)

    def capture(self, started: float) -> AnthropicCapture:
        return AnthropicCapture(started)

    def stream_reply(self, capture: AnthropicCapture) -> tuple[dict[str, Any], str | None] | None:
        if capture.error is not None:
            return None
        return reply_from_message(capture.message(), capture.finish_reason), capture.model

    def json_reply(self, answer: dict[str, Any]) -> tuple[dict[str, Any], str | None] | None:
        if answer.get("type") != "message":
            return None
        message, finish = message_as_chat(answer)
        return reply_from_message(message, finish), answer.get("model")

    def answered(self, recorder: Any, neutral: Neutral, answer: dict[str, Any] | None) -> None:
        return None  # a Messages request carries its whole conversation
