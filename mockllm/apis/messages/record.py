"""``mockllm record`` for Anthropic's API: what a ``POST /v1/messages`` exchange becomes as a fixture.

The recorder's matching and file format are the chat ones (``mockllm/record.py``); this module supplies
the two translations a Messages exchange needs. The request is read with this API's own validator, so
the recorded ``user_regex``, ``system_sha256`` and ``image_count`` are computed from exactly the
conversation a replaying server will see (a turn of ``tool_result`` blocks is not a user message, the
top-level ``system`` is the system text). The answer (a ``message`` object, or its SSE events) becomes an
ordinary reply: text blocks → ``content``, ``tool_use`` → ``tool_calls`` (ids kept), ``thinking`` →
``reasoning_content``, and the stop reason → the finish reason shaping derives again on replay.
"""

from __future__ import annotations

import json
from typing import Any

from ...core.catalog import Catalog, ModelInfo
from ...core.errors import ApiError
from .validate import validate_messages_request

__all__ = ["FINISH", "chat_view", "message_as_chat"]

#: ``stop_reason`` → the chat finish reason a fixture reply carries.
FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls",
          "refusal": "content_filter"}  # fmt: skip
_ANY_MODEL = Catalog([ModelInfo("*", context_window=10**9, max_output_tokens=10**9, vision=True)])


def chat_view(body: dict[str, Any], headers: Any) -> dict[str, Any] | None:
    """A chat-shaped body with the same conversation as ``body`` (for the recorder's ``match_for``), or
    None when the request is not one the replaying server would accept."""
    version = headers.get("anthropic-version") or "2023-06-01"
    try:
        request, _, _ = validate_messages_request(
            body, catalog=_ANY_MODEL, headers={"anthropic-version": version}, inspect_image=None
        )
    except ApiError:
        return None
    messages: list[dict[str, Any]] = []
    for message in request.messages:
        parts: list[dict[str, Any]] = [{"type": "text", "text": message.text}]
        if isinstance(message.content, list):
            parts += [{"type": "image_url"} for part in message.content if part.type == "image_url"]
        messages.append({"role": message.role, "content": parts})
    return {"model": body.get("model"), "messages": messages, "tools": body.get("tools")}


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
