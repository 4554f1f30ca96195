"""Render a :class:`~mockllm.shaping.Completion` as one JSON body or as a plan of SSE events.

Rendering is pure: it returns data (a dict, or a list of encoded events), and the aiohttp layer only
writes it. Stream chunks are built from pre-serialised prefixes, because a 200-token answer is 200
chunks and ``json.dumps`` of a whole chunk each time would dominate the server's cost.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
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
    if choice.tool_calls and choice.tool_calls[0].type == "legacy_function":
        call = choice.tool_calls[0]  # the deprecated shape: one call, no id
        message["function_call"] = {"name": call.name, "arguments": call.arguments}
    elif choice.tool_calls:
        message["tool_calls"] = [_call(c.id, c.type, c.name, c.arguments) for c in choice.tool_calls]
    return message


def _call(call_id: str, kind: str, name: str, text: str) -> dict[str, Any]:
    """A tool call as the API writes it: ``function`` with ``arguments``, or ``custom`` with ``input``."""
    if kind == "custom":
        return {"id": call_id, "type": "custom", "custom": {"name": name, "input": text}}
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": text}}


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


_DONE = b"data: [DONE]\n\n"


@dataclass(slots=True)
class StreamPlan:
    """The events of one stream, in order. ``kinds`` says what each event is, for faults and the journal.

    kinds: "role", "reasoning", "content", "refusal", "tool", "finish", "usage", "done".

    Events are kept as the part after the chunk prefix (id, object, created, model, fingerprint) that
    they all share, and encoded when written: a paced stream lives for seconds, and a thousand open ones
    would otherwise hold the same ~200-byte prefix a hundred thousand times.
    """

    prefix: str = ""
    bodies: list[str] = field(default_factory=list)  # "" stands for the final ``data: [DONE]``
    kinds: list[str] = field(default_factory=list)
    token_counts: list[int] = field(default_factory=list)  # tokens carried by each event (for pacing)

    def __len__(self) -> int:
        return len(self.bodies)

    def event(self, index: int) -> bytes:
        body = self.bodies[index]
        return (self.prefix + body).encode() if body else _DONE

    def iter_events(self) -> Iterator[bytes]:
        prefix = self.prefix
        for body in self.bodies:
            yield (prefix + body).encode() if body else _DONE

    @property
    def events(self) -> list[bytes]:
        """Every event, encoded (a new list each time)."""
        return list(self.iter_events())

    def joined(self) -> bytes:
        """The whole stream as one buffer, for an unpaced answer written at once (one C-level join:
        every event but the last, ``[DONE]``, starts with the prefix)."""
        bodies = self.bodies
        if not bodies or bodies[-1] or "" in bodies[:-1]:  # not the shape stream_plan builds
            return b"".join(self.iter_events())
        prefix = self.prefix
        return (prefix + prefix.join(bodies[:-1])).encode() + _DONE


def _pieces(token_list: list[int], encoding: str, per_chunk: int) -> tuple[list[str], list[int]]:
    """Split tokens into text pieces of ``per_chunk`` tokens, never splitting a UTF-8 character.

    Returns the pieces and the number of tokens each carries. A token that ends inside a multi-byte
    character is carried into the next piece, as OpenAI's own streams do; trailing bytes that never
    complete are dropped, matching ``shaping.safe_text``. The bytes of every token come from one call
    into the tokenizer, which is what keeps long streams cheap.
    """
    raw = tokens.token_byte_pieces(token_list, encoding)
    if per_chunk == 1:
        try:  # the common case: every token is whole characters
            return [piece.decode("utf-8") for piece in raw], [1] * len(raw)
        except UnicodeDecodeError:
            pass
    counts_in = [1] * len(raw)
    if per_chunk > 1:
        raw = [b"".join(raw[i : i + per_chunk]) for i in range(0, len(raw), per_chunk)]
        counts_in = [min(per_chunk, len(token_list) - i) for i in range(0, len(token_list), per_chunk)]
    texts: list[str] = []
    counts: list[int] = []
    pending = b""
    carried = 0
    for data, count in zip(raw, counts_in, strict=True):
        if pending:
            data = pending + data
            count += carried
            pending, carried = b"", 0
        try:
            texts.append(data.decode("utf-8"))
        except UnicodeDecodeError as exc:
            if exc.reason != "unexpected end of data":
                pending, carried = data, count  # invalid mid-sequence: wait for more bytes
                continue
            if exc.start == 0:
                pending, carried = data, count
                continue
            texts.append(data[: exc.start].decode("utf-8"))
            pending, carried = data[exc.start :], 0
        counts.append(count)
    if carried:
        if counts:
            counts[-1] += carried
        else:
            texts.append("")
            counts.append(carried)
    return texts, counts


_str = json.encoder.encode_basestring  # type: ignore[attr-defined]  # the C encoder json.dumps uses


def _defaults_suffix(defaults: Mapping[str, Any], own: tuple[str, ...]) -> str:
    """``,"key":value`` for each profile default the delta does not set itself."""
    return "".join(f",{_str(k)}:{_dumps(v)}" for k, v in defaults.items() if k not in own)


def stream_plan(
    completion: Completion,
    *,
    include_usage: bool,
    obfuscation: bool,
    delta_defaults: Mapping[str, Any] | None = None,
    logprobs_key: bool = True,
) -> StreamPlan:
    """Chunks as PROTOCOL.md §4: role, deltas, finish, usage (if asked), ``[DONE]``.

    Each event is assembled from pre-serialised pieces around a JSON-escaped text piece, never by
    ``json.dumps`` of a whole chunk: a 200-token answer is 200 chunks, and this loop is the server's
    hottest when it streams. ``delta_defaults`` (a profile's) are members every delta carries.
    """
    defaults = delta_defaults or {}
    head: dict[str, Any] = {
        "id": completion.id,
        "object": "chat.completion.chunk",
        "created": completion.created,
        "model": completion.model,
    }
    if completion.service_tier is not None:
        head["service_tier"] = completion.service_tier
    head["system_fingerprint"] = completion.system_fingerprint
    prefix = "data: " + _dumps(head)[:-1] + ',"choices":['
    close = "]" + (',"usage":null' if include_usage else "") + "}\n\n"
    # gpt-4o/4.1 chunks carry "logprobs": null; newer models (gpt-5, o-series) omit the key (§4).
    null_lp = ',"logprobs":null' if logprobs_key else ""
    no_lp = null_lp + ',"finish_reason":null}'
    content_tail = _defaults_suffix(defaults, ("content",)) + "}"
    reasoning_tail = _defaults_suffix(defaults, ("content", "reasoning_content")) + "}"
    refusal_tail = _defaults_suffix(defaults, ("refusal",)) + "}"
    tool_tail = "]" + _defaults_suffix(defaults, ("tool_calls",)) + "}"

    per_choice: list[tuple[list[str], list[str], list[int]]] = []
    for choice in completion.choices:
        frags: list[str] = []
        kinds: list[str] = []
        counts: list[int] = []
        open_ = f'{{"index":{choice.index},"delta":'
        role_delta: dict[str, Any] = {"role": "assistant", "content": "" if choice.content is not None else None}
        first_call_in_role = False
        legacy = bool(choice.tool_calls) and choice.tool_calls[0].type == "legacy_function"
        if legacy:
            call = choice.tool_calls[0]
            role_delta["function_call"] = {"name": call.name, "arguments": ""}
        elif choice.content is None and choice.tool_calls and not choice.reasoning_content:
            call = choice.tool_calls[0]
            role_delta["tool_calls"] = [{"index": 0, **_call(call.id, call.type, call.name, "")}]
            first_call_in_role = True
        role_delta["refusal"] = "" if choice.refusal is not None else None  # last, as the API orders it
        for key, value in defaults.items():
            role_delta.setdefault(key, value)
        frags.append(open_ + _dumps(role_delta) + no_lp)
        kinds.append("role")
        counts.append(0)
        if choice.reasoning_tokens:
            texts, sizes = _pieces(choice.reasoning_tokens, completion.encoding, completion.chunk_tokens)
            lead = open_ + '{"content":null,"reasoning_content":'
            frags.extend([lead + _str(t) + reasoning_tail + no_lp for t in texts])
            kinds.extend(["reasoning"] * len(texts))
            counts.extend(sizes)
        if choice.content_tokens:
            texts, sizes = _pieces(choice.content_tokens, completion.encoding, completion.chunk_tokens)
            lead = open_ + '{"content":'
            if choice.logprobs is None:
                frags.extend([lead + _str(t) + content_tail + no_lp for t in texts])
            else:
                position = 0
                for text, size in zip(texts, sizes, strict=True):
                    lp = _dumps(choice.logprobs[position : position + size])
                    position += size
                    frags.append(
                        lead + _str(text) + content_tail + ',"logprobs":{"content":' + lp
                        + ',"refusal":null},"finish_reason":null}'
                    )  # fmt: skip
            kinds.extend(["content"] * len(texts))
            counts.extend(sizes)
        if choice.refusal_tokens:
            texts, sizes = _pieces(choice.refusal_tokens, completion.encoding, completion.chunk_tokens)
            lead = open_ + '{"refusal":'
            frags.extend([lead + _str(t) + refusal_tail + no_lp for t in texts])
            kinds.extend(["refusal"] * len(texts))
            counts.extend(sizes)
        if legacy:
            texts, sizes = _pieces(choice.tool_calls[0].tokens, completion.encoding, completion.chunk_tokens)
            lead = open_ + '{"function_call":{"arguments":'
            function_tail = "}" + _defaults_suffix(defaults, ("function_call",)) + "}"
            frags.extend([lead + _str(t) + function_tail + no_lp for t in texts])
            kinds.extend(["tool"] * len(texts))
            counts.extend(sizes)
        for call_index, call in enumerate(() if legacy else choice.tool_calls):
            lead = open_ + '{"tool_calls":['
            if not (call_index == 0 and first_call_in_role):
                opening = {"index": call_index, **_call(call.id, call.type, call.name, "")}
                frags.append(lead + _dumps(opening) + tool_tail + no_lp)
                kinds.append("tool")
                counts.append(0)
            texts, sizes = _pieces(call.tokens, completion.encoding, completion.chunk_tokens)
            member = '"custom":{"input":' if call.type == "custom" else '"function":{"arguments":'
            arg_lead = lead + f'{{"index":{call_index},{member}'
            frags.extend([arg_lead + _str(t) + "}}" + tool_tail + no_lp for t in texts])
            kinds.extend(["tool"] * len(texts))
            counts.extend(sizes)
        per_choice.append((frags, kinds, counts))

    plan = StreamPlan()
    if len(per_choice) == 1:
        frags, plan.kinds, plan.token_counts = per_choice[0]
    else:
        # Choices advance together, round-robin, as the real API interleaves them for n > 1.
        frags = []
        longest = max(len(f) for f, _, _ in per_choice)
        for step in range(longest):
            for f, k, c in per_choice:
                if step < len(f):
                    frags.append(f[step])
                    plan.kinds.append(k[step])
                    plan.token_counts.append(c[step])
    for choice in completion.choices:
        finish_delta: dict[str, Any] = {}
        if choice.annotations:
            finish_delta["annotations"] = choice.annotations  # search models send their citations last
        for key, value in defaults.items():
            finish_delta.setdefault(key, value)
        frags.append(
            f'{{"index":{choice.index},"delta":{_dumps(finish_delta)}{null_lp},'
            f'"finish_reason":"{choice.finish_reason}"}}'
        )
        plan.kinds.append("finish")
        plan.token_counts.append(0)
    if obfuscation:
        # OpenAI pads each chunk with a random-length "obfuscation" string; ours is derived from the
        # position, so streams stay deterministic.
        tails = [close[:-3] + f',"obfuscation":"{_OBFUSCATION_PAD[: 1 + n]}"' + "}\n\n" for n in range(12)]
        bodies = [frag + tails[(i * 7 + len(frag)) % 12] for i, frag in enumerate(frags, 1)]
    else:
        bodies = [frag + close for frag in frags]
    if include_usage:
        usage = '],"usage":' + _dumps(completion.usage)
        if obfuscation:
            usage += ',"obfuscation":"' + _OBFUSCATION_PAD[:4] + '"'
        bodies.append(usage + "}\n\n")
        plan.kinds.append("usage")
        plan.token_counts.append(0)
    bodies.append("")
    plan.kinds.append("done")
    plan.token_counts.append(0)
    plan.prefix = prefix
    plan.bodies = bodies
    return plan
