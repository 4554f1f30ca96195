"""Render a :class:`~mockllm.core.shaping.Completion` as an Anthropic ``message`` object or as its SSE
events (PROTOCOL-anthropic.md §3 and §4).

Both come from the same ``Completion``: the streamed deltas are a re-cut of the very token lists the
JSON answer was decoded from, so the text, the tool input and the usage of the two cannot disagree.
Blocks come in the API's order: ``thinking`` (with its signature) first, then ``text``, then the
``tool_use`` blocks. Deltas are built from pre-serialised prefixes, one f-string per event, which keeps a
long stream cheap (see ``bench/run.py``).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import Any

from pydantic_core import from_json

from ...core import tokens
from ...core.shaping import Choice, Completion
from ...core.surface import EventPlan

__all__ = ["message_object", "message_stream", "signature", "stop_reason", "tool_input"]

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_str = json.encoder.encode_basestring  # type: ignore[attr-defined]  # the C encoder json.dumps uses

_STOP = {"length": "max_tokens", "tool_calls": "tool_use", "function_call": "tool_use", "content_filter": "refusal"}


def signature(thinking: str, model: str) -> str:
    """An opaque base64 ``signature`` for a thinking block (a few hundred characters, as recorded),
    derived from the thinking and the model so that it is stable and changes with the text."""
    material = f"{model}\x00{thinking}".encode()
    digest = b"".join(hashlib.blake2b(material, digest_size=64, person=bytes([k]) * 16).digest() for k in range(4))
    return base64.b64encode(b"\x12\x08" + digest).decode()


def tool_input(arguments: str) -> dict[str, Any]:
    """The ``input`` object of a tool call. Arguments cut by ``max_tokens`` are parsed as far as they go,
    the way the SDK's partial-JSON parser reads the streamed ``input_json_delta`` pieces."""
    try:
        value = json.loads(arguments)
    except ValueError:
        try:
            value = from_json(arguments, allow_partial=True)
        except ValueError:
            value = {}
    return value if isinstance(value, dict) else {}


def stop_reason(choice: Choice, stop_sequences: tuple[str, ...], original: str | None) -> tuple[str, str | None]:
    """(``stop_reason``, ``stop_sequence``). Shaping says ``stop`` both for a natural end and for a cut at
    a stop string; the uncut reply tells them apart: which stop string starts where the text ends."""
    reason = choice.finish_reason
    if reason != "stop":
        return _STOP.get(reason, "end_turn"), None
    content = choice.content or ""
    if stop_sequences and original is not None and original != content:
        for stop in stop_sequences:
            if stop and original.startswith(stop, len(content)):
                return "stop_sequence", stop
    return "end_turn", None


def _usage(completion: Completion, *, output: int | None = None) -> dict[str, Any]:
    usage = completion.usage
    return {
        "input_tokens": usage["prompt_tokens"],
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": usage["completion_tokens"] if output is None else output,
        "service_tier": "standard",
        "inference_geo": "not_available",
    }


def content_blocks(choice: Choice, model: str, tool_ids: list[str]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if choice.reasoning_content is not None:
        text = choice.reasoning_content
        blocks.append({"type": "thinking", "thinking": text, "signature": signature(text, model)})
    if choice.content:
        blocks.append({"type": "text", "text": choice.content})
    for call, call_id in zip(choice.tool_calls, tool_ids, strict=True):
        blocks.append({"type": "tool_use", "id": call_id, "name": call.name, "input": tool_input(call.arguments)})
    return blocks


def message_object(
    message_id: str, completion: Completion, reason: str, sequence: str | None, tool_ids: list[str]
) -> dict[str, Any]:
    """The ``message`` of a non-streamed answer, key order as recorded (§3)."""
    choice = completion.choices[0]
    return {
        "model": completion.model,
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "content": content_blocks(choice, completion.model, tool_ids),
        "stop_reason": reason,
        "stop_sequence": sequence,
        "stop_details": None,
        "usage": _usage(completion),
    }


class MessagesPlan(EventPlan):
    """The events of one stream, kept as text runs and encoded when written.

    A 150-token answer is 150 delta events that differ only in their piece of text, so a run keeps the
    shared prefix and suffix once and the escaped pieces; an unpaced stream is then one join and one
    ``encode`` (the common case), while faults and paced writes get each event encoded on demand.
    """

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[str | tuple[str, str, list[str]]] = []
        self.count = 0

    def whole(self, event: str, kind: str) -> None:
        self.runs.append(event)
        self.kinds.append(kind)
        self.token_counts.append(0)
        self.count += 1

    def run(self, prefix: str, suffix: str, escaped: list[str], kind: str, counts: list[int]) -> None:
        if escaped:
            self.runs.append((prefix, suffix, escaped))
            self.kinds.extend([kind] * len(escaped))
            self.token_counts.extend(counts)
            self.count += len(escaped)

    def __len__(self) -> int:
        return self.count

    def iter_events(self) -> Iterator[bytes]:
        for run in self.runs:
            if isinstance(run, str):
                yield run.encode()
            else:
                prefix, suffix, escaped = run
                for piece in escaped:
                    yield f"{prefix}{piece}{suffix}".encode()

    def event(self, index: int) -> bytes:
        return self.events[index]

    @property
    def events(self) -> list[bytes]:
        return list(self.iter_events())

    def joined(self) -> bytes:
        parts = [run if isinstance(run, str) else run[0] + (run[1] + run[0]).join(run[2]) + run[1] for run in self.runs]
        return "".join(parts).encode()


def message_stream(final: dict[str, Any], completion: Completion) -> MessagesPlan:
    """The events of §4: ``message_start``, per block start / deltas / stop (a ``ping`` after the first
    start), ``message_delta`` with the stop reason and cumulative usage, ``message_stop``."""
    choice = completion.choices[0]
    encoding = completion.encoding
    per_chunk = completion.chunk_tokens
    plan = MessagesPlan()
    whole = plan.whole
    start = {**final, "content": [], "stop_reason": None, "stop_sequence": None, "stop_details": None}
    start["usage"] = _usage(completion, output=min(1, completion.usage["completion_tokens"]))
    whole("event: message_start\ndata: " + _dumps({"type": "message_start", "message": start}) + "\n\n", "lifecycle")
    ping = 'event: ping\ndata: {"type": "ping"}\n\n'
    calls = iter(choice.tool_calls)
    for index, block in enumerate(final["content"]):
        kind = block["type"]
        opening = {**block}
        if kind == "thinking":
            opening.update(thinking="", signature="")
        elif kind == "text":
            opening["text"] = ""
        else:
            opening["input"] = {}
        head = f'event: content_block_start\ndata: {{"type":"content_block_start","index":{index},"content_block":'
        whole(head + _dumps(opening) + "}\n\n", "item")
        if index == 0:
            whole(ping, "item")
        prefix = f'event: content_block_delta\ndata: {{"type":"content_block_delta","index":{index},"delta":{{"type":'
        if kind == "thinking":
            _deltas(plan, prefix + '"thinking_delta","thinking":', choice.reasoning_tokens, encoding, per_chunk,
                    "reasoning")  # fmt: skip
            whole(f'{prefix}"signature_delta","signature":"{block["signature"]}"}}}}\n\n', "item")
        elif kind == "text":
            _deltas(plan, prefix + '"text_delta","text":', choice.content_tokens, encoding, per_chunk, "content")
        else:
            call = next(calls)
            whole(f'{prefix}"input_json_delta","partial_json":""}}}}\n\n', "tool")
            _deltas(plan, prefix + '"input_json_delta","partial_json":', call.tokens, encoding, per_chunk, "tool")
        whole(f'event: content_block_stop\ndata: {{"type":"content_block_stop","index":{index}}}\n\n', "item")
    if not final["content"]:
        whole(ping, "item")
    usage = final["usage"]
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": final["stop_reason"], "stop_sequence": final["stop_sequence"], "stop_details": None},
        "usage": {
            "input_tokens": usage["input_tokens"],
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": usage["output_tokens"],
        },
    }
    whole("event: message_delta\ndata: " + _dumps(delta) + "\n\n", "terminal")
    whole('event: message_stop\ndata: {"type":"message_stop"}\n\n', "terminal")
    plan.text = choice.content or ""
    return plan


class _EscapedTokens(dict[int, "str | None"]):
    """token -> its text as a JSON string literal, or None when the token ends inside a UTF-8 character.
    Filled on first sight, like the tokenizer's byte table: a server sees a few thousand distinct tokens,
    and a dict hit is far cheaper than decoding and escaping each token of every stream again."""

    def __init__(self, encoding: str) -> None:
        super().__init__()
        self.encoding = encoding

    def __missing__(self, token: int) -> str | None:
        data = tokens.token_byte_pieces([token], self.encoding)[0]
        try:
            value: str | None = _str(data.decode("utf-8"))
        except UnicodeDecodeError:
            value = None
        self[token] = value
        return value


_escaped_tables: dict[str, _EscapedTokens] = {}


def _deltas(plan: MessagesPlan, prefix: str, token_list: list[int], encoding: str, per_chunk: int, kind: str) -> None:
    """One delta event per ``per_chunk`` tokens, never splitting a UTF-8 character."""
    if per_chunk == 1:
        table = _escaped_tables.get(encoding)
        if table is None:
            table = _escaped_tables[encoding] = _EscapedTokens(encoding)
        escaped = [table[t] for t in token_list]
        if None not in escaped:  # the common case: every token is whole characters
            plan.run(prefix, "}}\n\n", escaped, kind, [1] * len(escaped))  # type: ignore[arg-type]
            return
    texts, counts = tokens.stream_pieces(token_list, encoding, per_chunk)
    plan.run(prefix, "}}\n\n", [_str(text) for text in texts], kind, counts)
