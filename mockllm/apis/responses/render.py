"""Render a :class:`~mockllm.core.shaping.Completion` as a Responses-API ``response`` object or as its
SSE events (PROTOCOL-responses.md §4 and §6).

Both come from the same ``Completion``, so the streamed text, arguments and usage cannot disagree with
the JSON answer; the terminal event carries the very object a non-streamed call returns (and GET later
returns). Output items come in the API's order: the reasoning item first (reasoning models), then the
message, then the function calls.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ...core import tokens
from ...core.catalog import ModelInfo
from ...core.ids import RequestIds
from ...core.shaping import Choice, Completion
from ...core.surface import EventPlan
from .validate import ParsedResponseRequest

__all__ = ["TextEventPlan", "response_object", "response_stream", "summary_text"]

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_str = json.encoder.encode_basestring  # type: ignore[attr-defined]  # the C encoder json.dumps uses
_OBFUSCATION_PAD = "fyy9Vfz7IINvT52Mb6pFGgHltWyV55lw"
#: The close of a delta event but for its sequence number, by padding length - 1 (0-15): the padding is
#: deterministic (position and piece), so its 16 spellings are formatted once.
_PADDED_SEQUENCE = tuple(f',"obfuscation":"{_OBFUSCATION_PAD[: 1 + k]}","sequence_number":' for k in range(16))
_TIER = {None: "default", "auto": "default", "default": "default", "flex": "flex", "scale": "scale",
         "priority": "priority", "fast": "priority", "ultrafast": "priority"}  # fmt: skip


def summary_text(user_text: str) -> str:
    """The reasoning summary the generator gives when ``reasoning.summary`` is asked and no fixture wrote
    one: deterministic, short, and about the request (the real one paraphrases the model's plan)."""
    topic = " ".join(user_text.split())[:80]
    about = f'the request "{topic}"' if topic else "the request"
    return f"**Working out the answer**\n\nI considered {about} and composed a reply."


def _status(choice: Choice) -> tuple[str, dict[str, str] | None]:
    if choice.finish_reason == "length":
        return "incomplete", {"reason": "max_output_tokens"}
    if choice.finish_reason == "content_filter":
        return "incomplete", {"reason": "content_filter"}
    return "completed", None


def _encrypted(item_id: str, text: str) -> str:
    """An opaque ``encrypted_content`` blob (``gAAAA…`` like Fernet tokens), derived, never decrypted."""
    digest = hashlib.blake2b(f"{item_id}:{text}".encode(), digest_size=48).digest()
    return "gAAAAA" + base64.urlsafe_b64encode(digest).decode()


def output_items(
    completion: Completion, model: ModelInfo, parsed: ParsedResponseRequest, ids: RequestIds
) -> list[dict[str, Any]]:
    """The ``output`` list of a response."""
    choice = completion.choices[0]
    status, _ = _status(choice)
    items: list[dict[str, Any]] = []
    if model.reasoning == "openai" or choice.reasoning_content is not None:
        item_id = ids.item("rs")
        reasoning: dict[str, Any] = {"id": item_id, "type": "reasoning"}
        text = choice.reasoning_content or ""
        if "reasoning.encrypted_content" in parsed.include:
            reasoning["encrypted_content"] = _encrypted(item_id, text)
        shown = parsed.summary is not None and text
        reasoning["summary"] = [{"type": "summary_text", "text": text}] if shown else []
        items.append(reasoning)
    if _has_message(choice):
        part: dict[str, Any]
        if choice.refusal is not None:
            part = {"type": "refusal", "refusal": choice.refusal}
        else:
            part = {
                "type": "output_text",
                "annotations": choice.annotations,
                "logprobs": choice.logprobs or [],
                "text": choice.content,
            }
        message_status = "incomplete" if status == "incomplete" and not choice.tool_calls else "completed"
        items.append(
            {"id": ids.item("msg"), "type": "message", "status": message_status, "content": [part], "role": "assistant"}
        )
    for k, call in enumerate(choice.tool_calls):
        cut = status == "incomplete" and k == len(choice.tool_calls) - 1
        items.append(
            {
                "id": ids.item("fc", str(k)),
                "type": "function_call",
                "status": "incomplete" if cut else "completed",
                "arguments": call.arguments,
                "call_id": call.id,
                "name": call.name,
            }
        )
    return items


def _has_message(choice: Choice) -> bool:
    """A message item is sent for text or a refusal; an empty text only when it is the whole answer (not
    beside tool calls, and not when the budget went on reasoning: then the API sends no message)."""
    if choice.refusal is not None:
        return True
    if choice.content is None:
        return False
    if choice.content:
        return True
    return not choice.tool_calls and choice.finish_reason != "length"


def _usage(completion: Completion) -> dict[str, Any]:
    usage = completion.usage
    return {
        "input_tokens": usage["prompt_tokens"],
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": usage["completion_tokens"],
        "output_tokens_details": {"reasoning_tokens": usage["completion_tokens_details"]["reasoning_tokens"]},
        "total_tokens": usage["total_tokens"],
    }


def response_object(
    response_id: str,
    completion: Completion,
    model: ModelInfo,
    parsed: ParsedResponseRequest,
    ids: RequestIds,
    max_output_tokens: int | None,
    parallel_tool_calls: bool,
    service_tier: str | None,
) -> dict[str, Any]:
    """The complete ``response`` object, key order as recorded (PROTOCOL-responses.md §4)."""
    choice = completion.choices[0]
    status, incomplete = _status(choice)
    extra = parsed.extra_echo
    return {
        "id": response_id,
        "object": "response",
        "created_at": completion.created,
        "status": status,
        "background": False,
        "completed_at": completion.created if status == "completed" else None,
        "error": None,
        "frequency_penalty": 0.0,
        "incomplete_details": incomplete,
        "instructions": parsed.instructions,
        "max_output_tokens": max_output_tokens,
        "max_tool_calls": extra["max_tool_calls"],
        "model": completion.model,
        "output": output_items(completion, model, parsed, ids),
        "parallel_tool_calls": parallel_tool_calls,
        "presence_penalty": 0.0,
        "previous_response_id": parsed.previous_response_id,
        "prompt_cache_key": extra["prompt_cache_key"],
        "prompt_cache_retention": extra["prompt_cache_retention"],
        "reasoning": parsed.reasoning_echo,
        "safety_identifier": extra["safety_identifier"],
        "service_tier": _TIER.get(service_tier, "default"),
        "store": parsed.store,
        "temperature": extra["temperature"],
        "text": parsed.text_echo,
        "tool_choice": parsed.tool_choice_echo,
        "tools": parsed.tools_echo,
        "top_logprobs": extra["top_logprobs"],
        "top_p": extra["top_p"],
        "truncation": extra["truncation"],
        "usage": _usage(completion),
        "user": extra["user"],
        "metadata": parsed.metadata,
    }


@functools.lru_cache(maxsize=512)
def _escaped_pieces(token_list: tuple[int, ...], encoding: str, per_chunk: int) -> tuple[list[str], list[int]]:
    """The delta pieces of a token sequence (``per_chunk`` tokens each, never splitting a UTF-8 character)
    as JSON strings, and the tokens each carries. A pure function of the tokens, memoised: a suite or a
    load test sends the same request again and again, and the generator's answer to it is memoised too."""
    texts, counts = tokens.stream_pieces(list(token_list), encoding, per_chunk)
    return [_str(text) for text in texts], counts


@dataclass(slots=True)
class TextEventPlan(EventPlan):
    """An :class:`EventPlan` whose events stay ``str`` until written: an unpaced stream (the common case)
    is joined and encoded once, rather than encoding each of its hundreds of events; faults and pacing,
    which take events one by one, encode them as they ask."""

    texts: list[str] = field(default_factory=list)

    def add(self, event: bytes, kind: str, tokens: int = 0) -> None:
        self.texts.append(event.decode())
        self.kinds.append(kind)
        self.token_counts.append(tokens)

    def __len__(self) -> int:
        return len(self.texts)

    def event(self, index: int) -> bytes:
        return self.texts[index].encode()

    def iter_events(self) -> Iterator[bytes]:
        return (text.encode() for text in self.texts)

    @property
    def events(self) -> list[bytes]:
        return [text.encode() for text in self.texts]

    def joined(self) -> bytes:
        return "".join(self.texts).encode()


class _Events:
    """Builds the events of one stream, numbering them from 0 (``sequence_number``).

    Events go straight into the plan's three lists; the delta events of an item, most of a stream, are
    formatted by one comprehension each, and the response object of the lifecycle events is encoded once
    for both of them: the stream costs little more than the JSON answer."""

    __slots__ = ("chunk", "encoded", "kinds", "obfuscation", "plan", "seq", "tokens")

    def __init__(self, obfuscation: bool, chunk: int = 1) -> None:
        self.chunk = chunk  # tokens a delta (1, as OpenAI streams; ``--chunk-tokens`` or a fixture's pacing)
        self.plan = TextEventPlan()
        self.encoded, self.kinds, self.tokens = self.plan.texts, self.plan.kinds, self.plan.token_counts
        self.seq = 0
        self.obfuscation = obfuscation

    def whole(self, kind: str, data: dict[str, Any], label: str) -> None:
        """An event serialised whole (``data`` without ``sequence_number``, which is appended last)."""
        self.encoded_event(data["type"], _dumps(data)[:-1], label)

    def encoded_event(self, kind: str, opened: str, label: str) -> None:
        """An event whose data is the JSON text ``opened`` less its closing brace."""
        self.encoded.append(f'event: {kind}\ndata: {opened},"sequence_number":{self.seq}}}\n\n')
        self.kinds.append(label)
        self.tokens.append(0)
        self.seq += 1

    def deltas(
        self,
        kind: str,
        head: str,
        tail: str,
        token_list: list[int],
        encoding: str,
        label: str,
        logprobs: list[dict[str, Any]] | None = None,
    ) -> None:
        """One delta event per chunk of tokens (UTF-8 safe): ``head`` + the JSON string + ``tail``; obfuscation
        padding (deterministic: position and piece) and the sequence number close each one. With
        ``logprobs`` (one entry a token), each delta carries its tokens' entries in place of ``[]``."""
        if not token_list:
            return
        pieces, counts = _escaped_pieces(tuple(token_list), encoding, self.chunk)
        if not pieces:
            return
        prefix = f'event: {kind}\ndata: {{"type":"{kind}",{head}"delta":'
        first = self.seq
        if logprobs:
            self._deltas_with_logprobs(prefix, pieces, counts, tail, logprobs, label)
            return
        if self.obfuscation:
            pads = _PADDED_SEQUENCE
            self.encoded.extend(
                f"{prefix}{piece}{tail}{pads[(seq * 7 + len(piece)) % 16]}{seq}}}\n\n"
                for seq, piece in enumerate(pieces, first)
            )
        else:
            self.encoded.extend(
                f'{prefix}{piece}{tail},"sequence_number":{seq}}}\n\n' for seq, piece in enumerate(pieces, first)
            )
        self.kinds.extend([label] * len(pieces))
        self.tokens.extend(counts)
        self.seq += len(pieces)

    def _deltas_with_logprobs(
        self,
        prefix: str,
        pieces: list[str],
        counts: list[int],
        tail: str,
        logprobs: list[dict[str, Any]],
        label: str,
    ) -> None:
        before, _, after = tail.partition('"logprobs":[]')
        position = 0
        for piece, count in zip(pieces, counts, strict=True):
            entries = _dumps(logprobs[position : position + count])
            position += count
            seq = self.seq
            pad = _PADDED_SEQUENCE[(seq * 7 + len(piece)) % 16] if self.obfuscation else ',"sequence_number":'
            text = f'{prefix}{piece}{before}"logprobs":{entries}{after}{pad}{seq}}}\n\n'
            self.encoded.append(text)
            self.kinds.append(label)
            self.tokens.append(count)
            self.seq += 1


def _text_events(events: _Events, item: dict[str, Any], index: int, token_list: list[int], encoding: str) -> None:
    """A message with an output_text part: its events, formatted around the part encoded once (the same
    bytes as encoding each event's dict; most of a stream's fixed cost is here)."""
    item_id, part = item["id"], item["content"][0]
    ident = f'"content_index":0,"item_id":"{item_id}","output_index":{index}'
    kind = "response.output_item.added"
    events.encoded_event(
        kind,
        f'{{"type":"{kind}","item":{{"id":"{item_id}","type":"message","status":"in_progress","content":[],'
        f'"role":"assistant"}},"output_index":{index}',
        "item",
    )
    kind = "response.content_part.added"
    events.encoded_event(
        kind,
        f'{{"type":"{kind}",{ident},"part":{{"type":"output_text","annotations":[],"logprobs":[],"text":""}}',
        "item",
    )
    tail = f',"item_id":"{item_id}","logprobs":[],"output_index":{index}'
    events.deltas(
        "response.output_text.delta", '"content_index":0,', tail, token_list, encoding, "content", part["logprobs"]
    )
    logprobs = _dumps(part["logprobs"]) if part["logprobs"] else "[]"
    kind = "response.output_text.done"
    events.encoded_event(kind, f'{{"type":"{kind}",{ident},"logprobs":{logprobs},"text":{_str(part["text"])}', "item")
    part_json = _dumps(part)
    kind = "response.content_part.done"
    events.encoded_event(kind, f'{{"type":"{kind}",{ident},"part":{part_json}', "item")
    done = (
        f'{{"id":"{item_id}","type":"message","status":"{item["status"]}","content":[{part_json}],"role":"assistant"}}'
    )
    kind = "response.output_item.done"
    events.encoded_event(kind, f'{{"type":"{kind}","item":{done},"output_index":{index}', "item")


def _refusal_events(events: _Events, item: dict[str, Any], index: int, token_list: list[int], encoding: str) -> None:
    added = {**item, "status": "in_progress", "content": []}
    events.whole("item", {"type": "response.output_item.added", "item": added, "output_index": index}, "item")
    part = item["content"][0]
    ident_data = {"content_index": 0, "item_id": item["id"], "output_index": index}
    empty = {"type": "refusal", "refusal": ""}
    events.whole("item", {"type": "response.content_part.added", **ident_data, "part": empty}, "item")
    head = f'"content_index":0,"item_id":"{item["id"]}","output_index":{index},'
    events.deltas("response.refusal.delta", head, "", token_list, encoding, "refusal")
    events.whole("item", {"type": "response.refusal.done", **ident_data, "refusal": part["refusal"]}, "item")
    events.whole("item", {"type": "response.content_part.done", **ident_data, "part": part}, "item")
    events.whole("item", {"type": "response.output_item.done", "item": item, "output_index": index}, "item")


def response_stream(
    final: dict[str, Any], completion: Completion, *, obfuscation: bool, requested_tier: str
) -> TextEventPlan:
    """The SSE events of PROTOCOL-responses.md §6.2, ending with the terminal event that carries
    ``final`` (the object a non-streamed call returns)."""
    choice = completion.choices[0]
    encoding = completion.encoding
    events = _Events(obfuscation, completion.chunk_tokens)
    pending = dict(final)
    pending.update(
        status="in_progress", completed_at=None, incomplete_details=None, output=[], usage=None,
        service_tier=requested_tier,
    )  # fmt: skip
    pending_json = _dumps(pending)
    for lifecycle in ("response.created", "response.in_progress"):
        events.encoded_event(lifecycle, f'{{"type":"{lifecycle}","response":{pending_json}', "lifecycle")
    calls = iter(choice.tool_calls)
    for index, item in enumerate(final["output"]):
        kind = item["type"]
        if kind == "reasoning":
            added = {**item, "summary": []}
            events.whole("item", {"type": "response.output_item.added", "item": added, "output_index": index}, "item")
            for s, part in enumerate(item["summary"]):
                ident = f'"item_id":"{item["id"]}","output_index":{index},"summary_index":{s},'
                events.whole(
                    "item",
                    {"type": "response.reasoning_summary_part.added", "item_id": item["id"], "output_index": index,
                     "part": {"type": "summary_text", "text": ""}, "summary_index": s},
                    "item",
                )  # fmt: skip
                events.deltas(
                    "response.reasoning_summary_text.delta", ident, "", choice.reasoning_tokens, encoding, "reasoning"
                )
                events.whole(
                    "item",
                    {"type": "response.reasoning_summary_text.done", "item_id": item["id"], "output_index": index,
                     "summary_index": s, "text": part["text"]},
                    "item",
                )  # fmt: skip
                events.whole(
                    "item",
                    {"type": "response.reasoning_summary_part.done", "item_id": item["id"], "output_index": index,
                     "part": part, "summary_index": s},
                    "item",
                )  # fmt: skip
        elif kind == "message":
            part = item["content"][0]
            if part["type"] == "refusal":
                _refusal_events(events, item, index, choice.refusal_tokens, encoding)
            else:
                _text_events(events, item, index, choice.content_tokens, encoding)
            continue
        else:  # function_call
            call = next(calls)
            added = {**item, "status": "in_progress", "arguments": ""}
            events.whole("item", {"type": "response.output_item.added", "item": added, "output_index": index}, "item")
            head = f'"item_id":"{item["id"]}","output_index":{index},'
            events.deltas("response.function_call_arguments.delta", head, "", call.tokens, encoding, "tool")
            events.whole(
                "item",
                {"type": "response.function_call_arguments.done", "item_id": item["id"], "output_index": index,
                 "arguments": item["arguments"]},
                "item",
            )  # fmt: skip
        events.whole("item", {"type": "response.output_item.done", "item": item, "output_index": index}, "item")
    terminal = "response.completed" if final["status"] == "completed" else "response.incomplete"
    events.whole("terminal", {"type": terminal, "response": final}, "terminal")
    events.plan.text = choice.content or ""
    return events.plan
