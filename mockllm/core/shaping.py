"""Apply the request's semantics to a reply, token-accurately, once.

This is where ``stop``, ``max_tokens`` / ``max_completion_tokens``, reasoning budgets, ``n``, logprobs
and usage are decided. The output, a :class:`Completion`, is the single source of truth for both the
JSON body and the SSE stream (``render.py``): a streamed answer is a re-cut of the same token sequence,
so its text and usage cannot disagree with the non-streamed one.

Rules (documented in the README):
- The answer is tokenized with the model's encoding. ``max_tokens`` keeps exactly that many tokens;
  trailing bytes that do not complete a UTF-8 character are dropped from the *text* (never U+FFFD) but
  the tokens still count, so ``completion_tokens`` equals the limit.
- ``stop``: the text is cut before the earliest occurrence of any stop string that the model got to
  generate within its budget; the stop string is not included; usage counts the tokens of what is sent.
- Reasoning (visible ``reasoning_content`` or hidden) is generated first and spends the same budget.
- ``parallel_tool_calls: false``: at most one tool call a choice, whoever scripted more.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import tokens
from .catalog import ModelInfo
from .conversation import Conversation
from .errors import ApiError
from .ids import RequestIds
from .reply import Reply, ToolCallSpec

__all__ = ["Choice", "Completion", "ShapedToolCall", "check_context", "prompt_usage", "shape"]


@dataclass(slots=True)
class ShapedToolCall:
    id: str
    name: str
    arguments: str
    tokens: list[int]
    type: str = "function"


@dataclass(slots=True)
class Choice:
    index: int
    content: str | None
    content_tokens: list[int]
    finish_reason: str
    reasoning_content: str | None = None
    reasoning_tokens: list[int] = field(default_factory=list)
    hidden_reasoning_tokens: int = 0
    tool_calls: list[ShapedToolCall] = field(default_factory=list)
    refusal: str | None = None
    refusal_tokens: list[int] = field(default_factory=list)
    annotations: list[dict[str, Any]] = field(default_factory=list)
    logprobs: list[dict[str, Any]] | None = None

    @property
    def completion_tokens(self) -> int:
        return (
            len(self.content_tokens)
            + len(self.refusal_tokens)
            + len(self.reasoning_tokens)
            + self.hidden_reasoning_tokens
            + sum(len(c.tokens) for c in self.tool_calls)
        )

    @property
    def all_reasoning_tokens(self) -> int:
        return len(self.reasoning_tokens) + self.hidden_reasoning_tokens


@dataclass(slots=True)
class Completion:
    id: str
    created: int
    model: str
    choices: list[Choice]
    usage: dict[str, Any]
    encoding: str
    system_fingerprint: str | None = None
    service_tier: str | None = "default"
    source: str = "generator"
    chunk_tokens: int = 1


@dataclass(slots=True, frozen=True)
class PromptUsage:
    total: int
    text: int
    image: int
    audio: int


def prompt_usage(request: Conversation, model: ModelInfo) -> PromptUsage:
    """Prompt tokens: the cookbook formula over text plus each image's and audio clip's cost."""
    from .vision import audio_tokens, image_tokens  # local: vision pulls in Pillow only when needed

    text = tokens.count_text_prompt_tokens(request, model.encoding)
    image = sum(image_tokens(info, model.vision_policy) for info in request.images)
    audio = sum(audio_tokens(info) for info in request.audios)
    return PromptUsage(text + image + audio, text, image, audio)


def check_context(request: Conversation, model: ModelInfo, prompt_tokens: int) -> None:
    """OpenAI's context-length error, in the exact wording LiteLLM recognises."""
    window = model.context_window
    if request.max_tokens is not None:
        wanted = prompt_tokens + request.max_tokens
        if wanted > window:
            raise ApiError(
                400,
                f"This model's maximum context length is {window} tokens. However, you requested {wanted} "
                f"tokens ({prompt_tokens} in the messages, {request.max_tokens} in the completion). Please "
                "reduce the length of the messages or completion.",
                param="messages",
                code="context_length_exceeded",
            )
    elif prompt_tokens > window:
        raise ApiError(
            400,
            f"This model's maximum context length is {window} tokens. However, your messages resulted in "
            f"{prompt_tokens} tokens. Please reduce the length of the messages.",
            param="messages",
            code="context_length_exceeded",
        )


def safe_text(token_list: list[int], encoding: str) -> str:
    """Decode tokens, dropping trailing bytes of an incomplete UTF-8 character (never U+FFFD)."""
    data = tokens.decode_bytes(token_list, encoding)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3:
            return data[: exc.start].decode("utf-8", errors="ignore")
        return data.decode("utf-8", errors="ignore")


def _earliest_stop(text: str, stops: tuple[str, ...]) -> int:
    best = -1
    for stop in stops:
        if not stop:
            continue
        pos = text.find(stop)
        if pos != -1 and (best == -1 or pos < best):
            best = pos
    return best


class _Budget:
    """Completion tokens left for one choice."""

    __slots__ = ("left",)

    def __init__(self, left: int) -> None:
        self.left = left

    def take(self, token_list: list[int]) -> tuple[list[int], bool]:
        """Keep what fits; report whether anything was cut."""
        if len(token_list) <= self.left:
            self.left -= len(token_list)
            return token_list, False
        kept = token_list[: max(self.left, 0)]
        self.left = 0
        return kept, True


def _shape_text(text: str, budget: _Budget, stops: tuple[str, ...], encoding: str) -> tuple[str, list[int], str | None]:
    """Cut ``text`` by budget and stop strings. Returns (text, tokens, finish reason if it ended early)."""
    full = tokens.encode(text, encoding)
    kept, cut = budget.take(full)
    shown = safe_text(kept, encoding) if cut else text
    if stops:
        pos = _earliest_stop(shown, stops)
        if pos != -1:
            shown = shown[:pos]
            new_tokens = tokens.encode(shown, encoding)
            budget.left += len(kept) - len(new_tokens)
            return shown, new_tokens, "stop"
    return shown, kept, ("length" if cut else None)


def _shape_choice(
    index: int, reply: Reply, request: Conversation, model: ModelInfo, ids: RequestIds, limit: int
) -> Choice:
    encoding = model.encoding
    budget = _Budget(limit)
    finish: str | None = None

    reasoning_text: str | None = None
    reasoning_tokens: list[int] = []
    hidden = 0
    if reply.reasoning_content is not None:
        reasoning_tokens, cut = budget.take(tokens.encode(reply.reasoning_content, encoding))
        reasoning_text = safe_text(reasoning_tokens, encoding) if cut else reply.reasoning_content
        if cut:
            finish = "length"
    if reply.hidden_reasoning_tokens and finish is None:
        hidden = min(reply.hidden_reasoning_tokens, budget.left)
        budget.left -= hidden
        if hidden < reply.hidden_reasoning_tokens:
            finish = "length"

    content: str | None = None
    content_tokens: list[int] = []
    if reply.content is not None:
        if finish is None:
            content, content_tokens, finish = _shape_text(reply.content, budget, request.stop, encoding)
        else:
            content = ""  # the budget went on reasoning: OpenAI answers "" with finish_reason "length"

    refusal: str | None = None
    refusal_tokens: list[int] = []
    if reply.refusal is not None:
        if finish is None:
            refusal, refusal_tokens, finish = _shape_text(reply.refusal, budget, (), encoding)
        else:
            refusal = ""

    calls: list[ShapedToolCall] = []
    if reply.tool_calls and finish is None:
        # ``parallel_tool_calls: false`` allows one call a turn, whoever scripted more (a fixture).
        offered = reply.tool_calls if request.parallel_tool_calls else reply.tool_calls[:1]
        for call_index, call in enumerate(offered):
            call_tokens, cut = budget.take(tokens.encode(call.arguments, encoding))
            arguments = safe_text(call_tokens, encoding) if cut else call.arguments
            call_id = call.id or ids.tool_call(index, call_index)
            calls.append(ShapedToolCall(call_id, call.name, arguments, call_tokens, call.type))
            if cut:
                finish = "length"
                break
    if finish is None:
        legacy = bool(calls) and calls[0].type == "legacy_function"
        finish = ("function_call" if legacy else "tool_calls") if calls else "stop"
    if reply.finish_reason is not None and finish not in ("length",):
        finish = reply.finish_reason

    choice = Choice(
        index=index,
        content=content,
        content_tokens=content_tokens,
        finish_reason=finish,
        reasoning_content=reasoning_text,
        reasoning_tokens=reasoning_tokens,
        hidden_reasoning_tokens=hidden,
        tool_calls=calls,
        refusal=refusal,
        refusal_tokens=refusal_tokens,
        annotations=_annotations_within(reply.annotations, content),
    )
    if request.logprobs and content_tokens:
        choice.logprobs = logprob_entries(content_tokens, encoding, request.top_logprobs or 0, ids, index)
    return choice


def _annotations_within(annotations: list[dict[str, Any]], content: str | None) -> list[dict[str, Any]]:
    """Citations whose span survived a cut of the content (``max_tokens``, ``stop``); the rest go, as the
    real API never cites text it did not send."""
    if not annotations:
        return []
    length = len(content or "")
    kept = []
    for annotation in annotations:
        span = annotation.get("url_citation") if isinstance(annotation, dict) else None
        end = span.get("end_index") if isinstance(span, dict) else None
        if not isinstance(end, int) or end <= length:
            kept.append(annotation)
    return kept


def logprob_entries(
    token_list: list[int], encoding: str, top: int, ids: RequestIds, choice_index: int
) -> list[dict[str, Any]]:
    """Deterministic logprobs in OpenAI's shape: the sent token is the most likely of its alternatives,
    which come most likely first. Values derive from the request's content digest, not its sequence
    number, so the same request gets the same values every time, streamed or not."""
    enc = tokens.tokenizer(encoding)
    vocab = enc.n_vocab - len(enc.special_tokens_set) - 1
    entries: list[dict[str, Any]] = []
    draw_of = ids.content_draw
    for position, token in enumerate(token_list):
        draw = draw_of(f"lp:{choice_index}:{position}")
        logprob = -round(draw * draw * 2.5, 6)
        piece = enc.decode_single_token_bytes(token)
        alternatives: list[dict[str, Any]] = []
        for rank in range(top):
            if rank == 0:
                alt_token, alt_lp = token, logprob
            else:
                alt_token = (token + rank * 7919) % vocab
                alt_lp = round(logprob - 1.0 - rank * 0.75 - draw_of(f"alt:{choice_index}:{position}:{rank}"), 6)
            alt_bytes = enc.decode_single_token_bytes(alt_token)
            alternatives.append(
                {"token": alt_bytes.decode("utf-8", errors="replace"), "logprob": alt_lp, "bytes": list(alt_bytes)}
            )
        alternatives.sort(key=lambda alt: -alt["logprob"])
        entries.append(
            {
                "token": piece.decode("utf-8", errors="replace"),
                "logprob": logprob,
                "bytes": list(piece),
                "top_logprobs": alternatives,
            }
        )
    return entries


_TIER = {
    None: "default",
    "auto": "default",
    "default": "default",
    "flex": "flex",
    "scale": "scale",
    "priority": "priority",
    "fast": "priority",
}


def shape(
    request: Conversation,
    model: ModelInfo,
    reply: Reply,
    ids: RequestIds,
    prompt: PromptUsage,
    created: int,
    *,
    chunk_tokens: int = 1,
    completion_id: str | None = None,
) -> Completion:
    """The whole completion for ``reply``: every choice cut to the request's rules, and its usage.

    ``completion_id`` replaces OpenAI's id format where a profile's gateway uses another (a UUID).
    """
    room = max(model.context_window - prompt.total, 0)
    limit = request.max_tokens if request.max_tokens is not None else min(model.max_output_tokens, room)
    replies = reply.choices if reply.choices else [reply] * request.n
    choices = [_shape_choice(i, r, request, model, ids, limit) for i, r in enumerate(replies[: request.n])]
    completion_tokens = sum(c.completion_tokens for c in choices)
    reasoning = sum(c.all_reasoning_tokens for c in choices)
    usage: dict[str, Any] = {
        "prompt_tokens": prompt.total,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt.total + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": prompt.audio},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    if prompt.image:
        usage["prompt_tokens_details"]["image_tokens"] = prompt.image
    if reply.pacing and reply.pacing.chunk_tokens:
        chunk_tokens = reply.pacing.chunk_tokens
    return Completion(
        id=completion_id or ids.completion(),
        created=created,
        model=model.answered_name,
        choices=choices,
        usage=usage,
        encoding=model.encoding,
        system_fingerprint=model.system_fingerprint,
        service_tier=None if model.search else _TIER.get(request.service_tier, "default"),
        source=reply.source,
        chunk_tokens=max(1, chunk_tokens),
    )


def tool_call_spec(name: str, arguments: Any, call_id: str | None = None) -> ToolCallSpec:
    """Build a ToolCallSpec from a mapping or JSON text (fixtures and the plugin give either)."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return ToolCallSpec(name=name, arguments=text, id=call_id)
