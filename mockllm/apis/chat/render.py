"""Render a :class:`~mockllm.core.shaping.Completion` as one JSON body or as a plan of SSE events.

Rendering is pure: it returns data (a dict, or a list of encoded events), and the aiohttp layer only
writes it. Stream chunks are built from pre-serialised prefixes, because a 200-token answer is 200
chunks and ``json.dumps`` of a whole chunk each time would dominate the server's cost.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...core import tokens
from ...core.shaping import Choice, Completion

__all__ = ["StreamPlan", "completion_body", "stream_plan"]

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_OBFUSCATION_PAD = "aZ3kQ9mT1xR7vB5nW2cL8pJ4hD6fG0sY"
_TEXT_KINDS = frozenset({"content", "reasoning", "refusal"})
_TEXT_KEYS = frozenset({"content", "reasoning_content", "refusal"})


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


def _pad(index: int, frag: str) -> int:
    """Which of the 12 obfuscation paddings event ``index`` gets. OpenAI pads each chunk with a random-length
    string; ours is derived from the position and the chunk, so streams stay deterministic."""
    return ((index + 1) * 7 + len(frag)) % 12


@dataclass(slots=True)
class StreamPlan:
    """The events of one stream, in order. ``kinds`` says what each event is, for faults and the journal.

    kinds: "role", "reasoning", "content", "refusal", "tool", "finish", "usage", "done".

    A paced stream lives for seconds and a thousand may be open at once, so a plan keeps only what varies
    from event to event: the JSON-escaped text piece, and which (lead, tail) template surrounds it. The
    shared chunk prefix (id, object, created, model, fingerprint), the templates and the closing are held
    once; an event is assembled and encoded when it is written.
    """

    prefix: str = ""
    templates: list[tuple[str, str]] = field(default_factory=list)  # (lead, tail) around a piece
    shapes: list[int] = field(default_factory=list)  # template of each choice event
    pieces: list[str] = field(default_factory=list)  # varying part of each choice event
    close: str = ""  # after every choice event: `]`, the usage member if any, `}` and the blank line
    obfuscation_closes: list[str] | None = None  # the 12 padded variants, when obfuscation is on
    usage: str | None = None  # the usage event's body, when asked for
    kinds: list[str] = field(default_factory=list)
    token_counts: list[int] = field(default_factory=list)  # tokens carried by each event (for pacing)

    def __len__(self) -> int:
        return len(self.pieces) + (self.usage is not None) + 1

    def _body(self, index: int) -> str | None:
        """Event ``index`` after the prefix; None for the final ``[DONE]``."""
        if index < len(self.pieces):
            lead, tail = self.templates[self.shapes[index]]
            frag = lead + self.pieces[index] + tail
            closes = self.obfuscation_closes
            return frag + (closes[_pad(index, frag)] if closes else self.close)
        if index == len(self.pieces) and self.usage is not None:
            return self.usage
        return None

    def event(self, index: int) -> bytes:
        body = self._body(index)
        return (self.prefix + body).encode() if body is not None else _DONE

    def iter_events(self) -> Iterator[bytes]:
        for index in range(len(self)):
            yield self.event(index)

    @property
    def events(self) -> list[bytes]:
        """Every event, encoded (a new list each time)."""
        return list(self.iter_events())

    def said(self, indices: Iterable[int]) -> list[dict[str, Any]]:
        """The text the events at ``indices`` carried, per choice: ``{"index", "content"?,
        "reasoning_content"?, "refusal"?}`` (what the journal shows of a stream cut short).

        Each choice event is a complete JSON object once its template is put around its piece, so
        reading one back is one ``json.loads``; only text-carrying events are read.
        """
        found: dict[int, dict[str, Any]] = {}
        for index in indices:
            if index >= len(self.pieces) or self.kinds[index] not in _TEXT_KINDS:
                continue
            lead, tail = self.templates[self.shapes[index]]
            choice = json.loads(lead + self.pieces[index] + tail)
            said = found.setdefault(choice["index"], {"index": choice["index"]})
            for key, value in choice["delta"].items():
                if key in _TEXT_KEYS and isinstance(value, str):
                    said[key] = said.get(key, "") + value
        return [found[i] for i in sorted(found)]

    def joined(self) -> bytes:
        """The whole stream as one buffer, for an unpaced answer written at once: the events of
        :meth:`iter_events`, assembled list-wise (the hot path of an unpaced stream) and joined once, as
        every event but the last, ``[DONE]``, starts with the prefix."""
        templates, closes, close = self.templates, self.obfuscation_closes, self.close
        frags = [
            templates[shape][0] + piece + templates[shape][1]
            for shape, piece in zip(self.shapes, self.pieces, strict=True)
        ]
        if closes:
            bodies = [frag + closes[_pad(i, frag)] for i, frag in enumerate(frags)]
        else:
            bodies = [frag + close for frag in frags]
        if self.usage is not None:
            bodies.append(self.usage)
        prefix = self.prefix
        return (prefix + prefix.join(bodies)).encode() + _DONE


_str = json.encoder.encode_basestring  # type: ignore[attr-defined]  # the C encoder json.dumps uses


def _defaults_suffix(defaults: Mapping[str, Any], own: tuple[str, ...]) -> str:
    """``,"key":value`` for each profile default the delta does not set itself."""
    return "".join(f",{_str(k)}:{_dumps(v)}" for k, v in defaults.items() if k not in own)


class _ChoiceEvents:
    """The events of one choice while a plan is built: template index, piece, kind, token count."""

    __slots__ = ("chunk", "counts", "encoding", "kinds", "pieces", "shape", "shapes")

    def __init__(self, shape: Callable[[str, str], int], encoding: str, chunk: int) -> None:
        self.shape, self.encoding, self.chunk = shape, encoding, chunk
        self.shapes: list[int] = []
        self.pieces: list[str] = []
        self.kinds: list[str] = []
        self.counts: list[int] = []

    def whole(self, frag: str, kind: str, count: int = 0) -> None:
        """An event written out in full (role, openings, logprob-carrying content) carrying ``count`` tokens."""
        self.shapes.append(0)
        self.pieces.append(frag)
        self.kinds.append(kind)
        self.counts.append(count)

    def texts(self, token_list: list[int], lead: str, tail: str, kind: str) -> None:
        """One event per text piece of ``token_list``, between ``lead`` and ``tail``."""
        texts, sizes = tokens.stream_pieces(token_list, self.encoding, self.chunk)
        self.shapes.extend([self.shape(lead, tail)] * len(texts))
        self.pieces.extend([_str(t) for t in texts])
        self.kinds.extend([kind] * len(texts))
        self.counts.extend(sizes)


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

    templates: dict[tuple[str, str], int] = {("", ""): 0}

    def shape(lead: str, tail: str) -> int:
        return templates.setdefault((lead, tail), len(templates))

    per_choice: list[_ChoiceEvents] = []
    for choice in completion.choices:
        events = _ChoiceEvents(shape, completion.encoding, completion.chunk_tokens)
        whole, texts_of = events.whole, events.texts
        per_choice.append(events)
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
        whole(open_ + _dumps(role_delta) + no_lp, "role")
        if choice.reasoning_tokens:
            lead = open_ + '{"content":null,"reasoning_content":'
            texts_of(choice.reasoning_tokens, lead, reasoning_tail + no_lp, "reasoning")
        if choice.content_tokens:
            lead = open_ + '{"content":'
            if choice.logprobs is None:
                texts_of(choice.content_tokens, lead, content_tail + no_lp, "content")
            else:
                texts, sizes = tokens.stream_pieces(choice.content_tokens, completion.encoding, completion.chunk_tokens)
                position = 0
                for text, size in zip(texts, sizes, strict=True):
                    lp = _dumps(choice.logprobs[position : position + size])
                    position += size
                    whole(
                        lead + _str(text) + content_tail + ',"logprobs":{"content":' + lp
                        + ',"refusal":null},"finish_reason":null}',
                        "content",
                        size,
                    )  # fmt: skip
        if choice.refusal_tokens:
            texts_of(choice.refusal_tokens, open_ + '{"refusal":', refusal_tail + no_lp, "refusal")
        if legacy:
            lead = open_ + '{"function_call":{"arguments":'
            function_tail = "}" + _defaults_suffix(defaults, ("function_call",)) + "}"
            texts_of(choice.tool_calls[0].tokens, lead, function_tail + no_lp, "tool")
        for call_index, call in enumerate(() if legacy else choice.tool_calls):
            lead = open_ + '{"tool_calls":['
            if not (call_index == 0 and first_call_in_role):
                opening = {"index": call_index, **_call(call.id, call.type, call.name, "")}
                whole(lead + _dumps(opening) + tool_tail + no_lp, "tool")
            member = '"custom":{"input":' if call.type == "custom" else '"function":{"arguments":'
            arg_lead = lead + f'{{"index":{call_index},{member}'
            texts_of(call.tokens, arg_lead, "}}" + tool_tail + no_lp, "tool")

    plan = StreamPlan()
    if len(per_choice) == 1:
        one = per_choice[0]
        plan.shapes, plan.pieces, plan.kinds, plan.token_counts = one.shapes, one.pieces, one.kinds, one.counts
    else:
        # Choices advance together, round-robin, as the real API interleaves them for n > 1.
        longest = max(len(e.pieces) for e in per_choice)
        for step in range(longest):
            for e in per_choice:
                if step < len(e.pieces):
                    plan.shapes.append(e.shapes[step])
                    plan.pieces.append(e.pieces[step])
                    plan.kinds.append(e.kinds[step])
                    plan.token_counts.append(e.counts[step])
    for choice in completion.choices:
        finish_delta: dict[str, Any] = {}
        if choice.annotations:
            finish_delta["annotations"] = choice.annotations  # search models send their citations last
        for key, value in defaults.items():
            finish_delta.setdefault(key, value)
        plan.shapes.append(0)
        plan.pieces.append(
            f'{{"index":{choice.index},"delta":{_dumps(finish_delta)}{null_lp},'
            f'"finish_reason":"{choice.finish_reason}"}}'
        )
        plan.kinds.append("finish")
        plan.token_counts.append(0)
    plan.prefix = prefix
    plan.templates = list(templates)
    plan.close = close
    if obfuscation:
        plan.obfuscation_closes = [
            close[:-3] + f',"obfuscation":"{_OBFUSCATION_PAD[: 1 + n]}"' + "}\n\n" for n in range(12)
        ]
    if include_usage:
        usage = '],"usage":' + _dumps(completion.usage)
        if obfuscation:
            usage += ',"obfuscation":"' + _OBFUSCATION_PAD[:4] + '"'
        plan.usage = usage + "}\n\n"
        plan.kinds.append("usage")
        plan.token_counts.append(0)
    plan.kinds.append("done")
    plan.token_counts.append(0)
    return plan
