"""Render a :class:`~mockllm.shaping.Completion` as one JSON body or as a plan of SSE events.

Rendering is pure: it returns data (a dict, or a list of encoded events), and the aiohttp layer only
writes it. Stream chunks are built from pre-serialised prefixes, because a 200-token answer is 200
chunks and ``json.dumps`` of a whole chunk each time would dominate the server's cost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import tokens
from .shaping import Choice, Completion

__all__ = ["StreamPlan", "completion_body", "stream_plan"]

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_OBFUSCATION_PAD = "aZ3kQ9mT1xR7vB5nW2cL8pJ4hD6fG0sY"


def _message(choice: Choice) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": choice.content,
        "refusal": choice.refusal,
        "annotations": choice.annotations,
    }
    if choice.reasoning_content is not None:
        message["reasoning_content"] = choice.reasoning_content
    if choice.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in choice.tool_calls
        ]
    return message


def completion_body(completion: Completion) -> dict[str, Any]:
    """The ``chat.completion`` object of PROTOCOL.md §3, key order as OpenAI sends it."""
    body: dict[str, Any] = {
        "id": completion.id,
        "object": "chat.completion",
        "created": completion.created,
        "model": completion.model,
        "choices": [
            {
                "index": c.index,
                "message": _message(c),
                "logprobs": {"content": c.logprobs, "refusal": None} if c.logprobs is not None else None,
                "finish_reason": c.finish_reason,
            }
            for c in completion.choices
        ],
        "usage": completion.usage,
    }
    if completion.service_tier is not None:
        body["service_tier"] = completion.service_tier
    body["system_fingerprint"] = completion.system_fingerprint
    return body


@dataclass(slots=True)
class StreamPlan:
    """The events of one stream, in order. ``kinds`` says what each event is, for faults and the journal.

    kinds: "role", "reasoning", "content", "tool", "finish", "usage", "done".
    """

    events: list[bytes] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    token_counts: list[int] = field(default_factory=list)  # tokens carried by each event (for pacing)

    def add(self, payload: str, kind: str, token_count: int = 0) -> None:
        self.events.append(b"data: " + payload.encode("utf-8") + b"\n\n")
        self.kinds.append(kind)
        self.token_counts.append(token_count)


def _pieces(token_list: list[int], encoding: str, per_chunk: int) -> list[tuple[str, list[int]]]:
    """Split tokens into text pieces of ``per_chunk`` tokens, never splitting a UTF-8 character.

    A token that ends inside a multi-byte character is carried into the next piece, as OpenAI's own
    streams do; trailing bytes that never complete are dropped, matching ``shaping.safe_text``.
    """
    enc = tokens.get_encoding(encoding)
    out: list[tuple[str, list[int]]] = []
    pending = b""
    pending_tokens: list[int] = []
    for i in range(0, len(token_list), per_chunk):
        group = token_list[i : i + per_chunk]
        pending += b"".join(enc.decode_single_token_bytes(t) for t in group)
        pending_tokens.extend(group)
        try:
            text = pending.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start == 0 or exc.reason != "unexpected end of data":
                continue
            text = pending[: exc.start].decode("utf-8")
            pending = pending[exc.start :]
            out.append((text, pending_tokens))
            pending_tokens = []
            continue
        out.append((text, pending_tokens))
        pending = b""
        pending_tokens = []
    if pending_tokens:
        if out:
            out[-1][1].extend(pending_tokens)
        else:
            out.append(("", pending_tokens))
    return out


def stream_plan(completion: Completion, *, include_usage: bool, obfuscation: bool) -> StreamPlan:
    """Chunks as PROTOCOL.md §4: role, deltas, finish, usage (if asked), ``[DONE]``."""
    head: dict[str, Any] = {
        "id": completion.id,
        "object": "chat.completion.chunk",
        "created": completion.created,
        "model": completion.model,
    }
    if completion.service_tier is not None:
        head["service_tier"] = completion.service_tier
    head["system_fingerprint"] = completion.system_fingerprint
    prefix = _dumps(head)[:-1] + ',"choices":['
    tail_usage = ',"usage":null' if include_usage else ""
    plan = StreamPlan()
    pad_counter = [0]

    def emit(choices_json: str, kind: str, token_count: int = 0, text_len: int = 0) -> None:
        extra = ""
        if obfuscation:
            pad_counter[0] += 1
            n = 1 + (pad_counter[0] * 7 + text_len) % 12
            extra = f',"obfuscation":"{_OBFUSCATION_PAD[:n]}"'
        plan.add(prefix + choices_json + "]" + tail_usage + extra + "}", kind, token_count)

    per_choice: list[list[tuple[str, str, int, int]]] = []
    for choice in completion.choices:
        events: list[tuple[str, str, int, int]] = []
        idx = choice.index
        has_text = choice.content is not None or not choice.tool_calls
        role_delta: dict[str, Any] = {"role": "assistant", "content": "" if has_text else None, "refusal": None}
        first_call_in_role = False
        if not has_text and choice.tool_calls and not choice.reasoning_content:
            call = choice.tool_calls[0]
            role_delta["tool_calls"] = [
                {"index": 0, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}
            ]
            first_call_in_role = True
        events.append(
            (f'{{"index":{idx},"delta":{_dumps(role_delta)},"logprobs":null,"finish_reason":null}}', "role", 0, 0)
        )
        if choice.reasoning_tokens:
            for text, group in _pieces(choice.reasoning_tokens, completion.encoding, completion.chunk_tokens):
                delta = '{"content":null,"reasoning_content":' + _dumps(text) + "}"
                events.append(
                    (
                        f'{{"index":{idx},"delta":{delta},"logprobs":null,"finish_reason":null}}',
                        "reasoning",
                        len(group),
                        len(text),
                    )
                )
        if choice.content_tokens:
            position = 0
            for text, group in _pieces(choice.content_tokens, completion.encoding, completion.chunk_tokens):
                if choice.logprobs is not None:
                    lp = choice.logprobs[position : position + len(group)]
                    logprobs = '{"content":' + _dumps(lp) + ',"refusal":null}'
                else:
                    logprobs = "null"
                position += len(group)
                events.append(
                    (
                        f'{{"index":{idx},"delta":{{"content":{_dumps(text)}}},"logprobs":{logprobs},'
                        '"finish_reason":null}',
                        "content",
                        len(group),
                        len(text),
                    )
                )
        for call_index, call in enumerate(choice.tool_calls):
            if not (call_index == 0 and first_call_in_role):
                opening = {
                    "index": call_index,
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": ""},
                }
                events.append(
                    (
                        f'{{"index":{idx},"delta":{{"tool_calls":[{_dumps(opening)}]}},"logprobs":null,'
                        '"finish_reason":null}',
                        "tool",
                        0,
                        0,
                    )
                )
            for text, group in _pieces(call.tokens, completion.encoding, completion.chunk_tokens):
                fragment = f'{{"index":{call_index},"function":{{"arguments":{_dumps(text)}}}}}'
                events.append(
                    (
                        f'{{"index":{idx},"delta":{{"tool_calls":[{fragment}]}},"logprobs":null,"finish_reason":null}}',
                        "tool",
                        len(group),
                        len(text),
                    )
                )
        per_choice.append(events)

    # Choices advance together, round-robin, as the real API interleaves them for n > 1.
    longest = max((len(e) for e in per_choice), default=0)
    for step in range(longest):
        for events in per_choice:
            if step < len(events):
                choices_json, kind, count, text_len = events[step]
                emit(choices_json, kind, count, text_len)
    for choice in completion.choices:
        emit(
            f'{{"index":{choice.index},"delta":{{}},"logprobs":null,"finish_reason":"{choice.finish_reason}"}}',
            "finish",
        )
    if include_usage:
        usage_json = prefix + "]," + '"usage":' + _dumps(completion.usage)
        if obfuscation:
            usage_json += ',"obfuscation":"' + _OBFUSCATION_PAD[:4] + '"'
        plan.add(usage_json + "}", "usage")
    plan.events.append(b"data: [DONE]\n\n")
    plan.kinds.append("done")
    plan.token_counts.append(0)
    return plan
