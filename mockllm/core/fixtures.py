"""Fixture files: their schema, loading with precise errors, and the runtime table that picks a reply.

A fixture says "when a request looks like *this*, answer *that*". The same pydantic models validate a
YAML/JSON file, a document POSTed to the admin API and what the pytest plugin builds, so all three give
the same errors. Validation happens once, at load time; what the table keeps is plain dataclasses and
pre-compiled :mod:`mockllm.core.matching` conditions, so :meth:`FixtureTable.decide` (run on every request)
never touches pydantic, YAML or regex compilation.

Format decisions the file format leaves open (documented here and in the README):

* ``match.user`` and ``match.system`` are **case-insensitive** substrings; ``user_regex`` is exact unless the
  pattern says ``(?i)``. ``model`` is a case-sensitive glob.
* Types are strict: ``stream: "yes"`` or ``priority: "1"`` are errors, not coerced (YAML's own ``yes``/``no``
  booleans still arrive as booleans and then fail a string field, with the value shown).
* Duplicate keys in one YAML/JSON mapping are an error (plain ``safe_load`` silently keeps the last one).
* A document may be a mapping ``{models, fixtures}`` or, as a shorthand, a bare list of fixtures.
* An empty reply (no content, echo, tool_calls, refusal, reasoning_content, embedding, like, error or
  fault) is an error; write ``content: ""`` for an empty answer. ``fault`` may be combined with reply
  fields (the content is streamed until the fault strikes); ``error`` may not.
* A fixture answers one kind of API, told by its replies: chat answers (content, tool_calls, ...) never
  answer ``/v1/embeddings`` requests, and embedding answers (``embedding``, ``like``) never answer chat;
  error- and fault-only fixtures answer every API unless ``match.api`` (or ``match.input``) narrows them.
* Folders are searched recursively for ``*.yaml``, ``*.yml`` and ``*.json``, skipping hidden files and
  folders, in path order (by path components); the same file given twice is loaded once.
* ``Match.index`` is the position in ``replies`` as written (``times`` does not shift it); ``Match.call`` is
  the 0-based count of earlier matches for that fixture and session.
"""

from __future__ import annotations

import bisect
import builtins
import copy
import json
import math
import re
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from . import matching as m
from .catalog import BUILTIN_MODELS, ModelInfo
from .conversation import Conversation
from .errors import did_you_mean
from .jsonbody import loads_strict
from .reply import ErrorSpec, FaultSpec, Pacing, Reply, ToolCallSpec

__all__ = [
    "CheckReport",
    "Fixture",
    "FixtureError",
    "FixtureSet",
    "FixtureTable",
    "InjectionModel",
    "Match",
    "NearMiss",
    "ReplyTemplate",
    "check_files",
    "lift_overrides",
    "load_fixture_files",
    "parse_fixture_document",
]

FIXTURE_SUFFIXES = (".yaml", ".yml", ".json")
DEFAULT_MAX_COUNTER_KEYS = 10_000
_VOCAB_RE = re.compile(r"^[a-z_]+$")


class FixtureError(ValueError):
    """Fixture files (or an admin document) are wrong. ``problems`` lists every mistake found, one per line,
    each naming the file, the fixture and the field, so one run shows the author everything to fix."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: list[str] = list(problems)
        super().__init__("\n".join(self.problems))


# ===== the file schema ==============================================================================


class _Strict(BaseModel):
    """Unknown keys are errors (a typo like ``usr:`` must not silently match everything); no coercion."""

    model_config = ConfigDict(extra="forbid", strict=True)


def _vocabulary(value: str, info: ValidationInfo, known_key: str, what: str) -> str:
    """Check a preset/fault name against the vocabulary the caller supplied (any ``[a-z_]+`` if none)."""
    known: Collection[str] | None = (info.context or {}).get(known_key)
    if known is None:
        if not _VOCAB_RE.match(value):
            raise ValueError(f"invalid {what} name {value!r}: use lower-case letters and underscores")
        return value
    if value not in known:
        raise ValueError(f"unknown {what} {value!r}{did_you_mean(value, known)}; known: {', '.join(sorted(known))}")
    return value


#: Keys that may be written beside ``error: <preset>`` / ``fault: <kind>`` instead of inside it.
_ERROR_OVERRIDES = ("status", "message", "type", "code", "param", "headers")
_FAULT_OVERRIDES = ("after_chunks", "seconds")


def lift_overrides(data: Any) -> Any:
    """The shorthand people write, read as the nested form it means:
    ``{error: rate_limit, headers: {...}}`` is ``{error: {preset: rate_limit, headers: {...}}}`` and
    ``{fault: disconnect, after_chunks: 2}`` is ``{fault: {kind: disconnect, after_chunks: 2}}``.

    Applied (as a "before" validator) by every model that holds an ``error``/``fault`` beside other
    keys: a fixture, a reply entry, and the ``x-mockllm-fault`` header's JSON form, so files, the admin
    API, the plugin and the header read one shape the same way. A key given both beside and inside is
    refused rather than one of the two silently winning.
    """
    if not isinstance(data, dict):
        return data
    for body, keys, name_key in (("error", _ERROR_OVERRIDES, "preset"), ("fault", _FAULT_OVERRIDES, "kind")):
        beside = [k for k in keys if k in data]
        if body not in data or not beside:
            continue
        inner = data[body]
        if isinstance(inner, str):
            inner = {name_key: inner}
        elif not isinstance(inner, dict):
            continue  # the model reports the wrong type
        twice = [k for k in beside if k in inner]
        if twice:
            keys_text = ", ".join(twice)
            raise ValueError(f"{keys_text} given both beside {body} and inside it: write each key once")
        data = {k: v for k, v in data.items() if k not in beside} | {body: {**inner, **{k: data[k] for k in beside}}}
    return data


class ErrorModel(_Strict):
    """``error:``: a preset name, or a mapping of a preset plus overrides (or a bare status)."""

    preset: str | None = None
    status: int | None = Field(None, ge=100, le=599)
    message: str | None = None
    type: str | None = None
    code: str | None = None
    param: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"preset": data} if isinstance(data, str) else data

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _vocabulary(value, info, "known_presets", "error preset")

    @model_validator(mode="after")
    def _needs_something(self) -> ErrorModel:
        if self.preset is None and self.status is None:
            raise ValueError("an error needs a preset name or a status")
        return self

    def spec(self) -> ErrorSpec:
        return ErrorSpec(
            preset=self.preset,
            status=self.status,
            message=self.message,
            type=self.type,
            code=self.code,
            param=self.param,
            headers=dict(self.headers),
        )


class FaultModel(_Strict):
    """``fault:``: a kind name, or ``{kind, after_chunks?, seconds?, error?}``."""

    kind: str
    after_chunks: int | None = Field(None, ge=0)
    seconds: float | None = Field(None, ge=0)
    error: ErrorModel | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"kind": data} if isinstance(data, str) else data

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str, info: ValidationInfo) -> str:
        return _vocabulary(value, info, "known_faults", "fault kind")

    def spec(self) -> FaultSpec:
        return FaultSpec(
            kind=self.kind,
            after_chunks=self.after_chunks,
            seconds=self.seconds,
            error=self.error.spec() if self.error else None,
        )


class PacingModel(_Strict):
    ttft_ms: float | None = Field(None, ge=0)
    tokens_per_second: float | None = Field(None, gt=0)
    jitter: float | None = Field(None, ge=0)
    chunk_tokens: int | None = Field(None, ge=1)


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class ToolCallModel(_Strict):
    """A scripted call: a function with ``arguments``, or (``type: custom``) a custom tool with ``input``."""

    name: str = Field(min_length=1)
    arguments: Any = Field(default_factory=dict)  # a mapping (serialized) or JSON text (kept verbatim)
    id: str | None = None
    type: Literal["function", "custom"] = "function"
    input: str | None = None  # a custom tool's free-form input

    @model_validator(mode="after")
    def _kind(self) -> ToolCallModel:
        if self.type == "custom" and "arguments" in self.model_fields_set:
            raise ValueError("a custom tool call takes input (free text), not arguments")
        if self.type == "function" and self.input is not None:
            raise ValueError("input is for custom tool calls (type: custom); a function call takes arguments")
        return self

    @field_validator("arguments")
    @classmethod
    def _arguments(cls, value: Any) -> Any:
        if not isinstance(value, dict | str):
            raise ValueError("must be a mapping or a JSON string")
        return value

    def spec(self) -> ToolCallSpec:
        if self.type == "custom":
            return ToolCallSpec(name=self.name, arguments=self.input or "", id=self.id, type="custom")
        args = self.arguments if isinstance(self.arguments, str) else _json_text(self.arguments)
        return ToolCallSpec(name=self.name, arguments=args, id=self.id)


_ANSWER_FIELDS = ("content", "echo", "tool_calls", "refusal", "reasoning_content")
_REPLY_FIELDS = (*_ANSWER_FIELDS, "finish_reason", "annotations", "pacing")
_EMBEDDING_FIELDS = ("embedding", "like")
#: What each kind of answer can serve (``Fixture.apis``): a chat-style answer may one day also answer the
#: Responses and Messages APIs; an embedding answers only embeddings.
_CHAT_APIS = frozenset({"chat", "responses", "messages"})
_EMBEDDING_APIS = frozenset({"embeddings"})


class ReplyModel(_Strict):
    """One answer: ``reply:`` or one entry of ``replies:`` (which may also be an error or a fault)."""

    content: Any = None
    reasoning_content: str | None = None
    tool_calls: list[ToolCallModel] | None = None
    refusal: str | None = None
    finish_reason: Literal["stop", "length", "tool_calls", "content_filter"] | None = None
    annotations: list[dict[str, Any]] | None = None
    echo: bool = False
    pacing: PacingModel | None = None
    error: ErrorModel | None = None
    fault: FaultModel | None = None
    times: int | None = Field(None, ge=1)
    embedding: list[float] | None = Field(None, min_length=1)
    like: str | None = Field(None, min_length=1)

    @field_validator("embedding")
    @classmethod
    def _vector(cls, value: list[float] | None) -> list[float] | None:
        if value is None:
            return None
        if not all(math.isfinite(v) for v in value):
            raise ValueError("every number must be finite (no NaN or infinity)")
        if not any(value):
            raise ValueError("a vector of zeros has no direction: give at least one non-zero number")
        return value

    def kind(self) -> str | None:
        """The kind of answer: ``chat``, ``embeddings``, or None (an error or fault alone)."""
        given = self.model_fields_set
        if any(f in given for f in _EMBEDDING_FIELDS):
            return "embeddings"
        if any(f in given for f in _REPLY_FIELDS if f != "echo") or self.echo:
            return "chat"
        return None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return lift_overrides(data)

    @field_validator("content")
    @classmethod
    def _content(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str | dict | list):
            raise ValueError('must be a string, a mapping or a list (quote numbers and booleans: content: "42")')
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ReplyModel:
        given = self.model_fields_set
        vector_fields = [f for f in _EMBEDDING_FIELDS if getattr(self, f) is not None]
        if len(vector_fields) > 1:
            raise ValueError("embedding and like are mutually exclusive: pin a vector or borrow a text's")
        if vector_fields:
            chat = [f for f in _REPLY_FIELDS if f in given and f != "echo"] + (["echo"] * self.echo)
            if chat:
                raise ValueError(
                    f"{vector_fields[0]} (an embeddings answer) cannot be combined with {', '.join(chat)} (chat)"
                )
            if self.error is not None:
                raise ValueError(f"error cannot be combined with {vector_fields[0]}: an error replaces the answer")
            return self
        if self.echo and self.content is not None:
            raise ValueError("echo and content are mutually exclusive")
        if self.refusal is not None and (self.content is not None or self.echo):
            # The API answers a refusal with content null: both at once is a reply no client ever sees.
            raise ValueError("refusal cannot be combined with content or echo: a refusal replaces the answer")
        if self.error is not None:
            clash = [f for f in (*_REPLY_FIELDS, "fault") if f in given and f != "echo"] + (["echo"] * self.echo)
            if clash:
                raise ValueError(f"error cannot be combined with {', '.join(clash)}: an error replaces the answer")
        elif self.fault is None and not any(
            (self.content is not None, self.echo, self.tool_calls, self.refusal is not None, self.reasoning_content)
        ):
            raise ValueError(
                "a reply needs content, echo, tool_calls, refusal or reasoning_content (or error/fault; "
                'for embeddings, embedding or like); write content: "" for an empty answer'
            )
        return self


class MatchModel(_Strict):
    """``match:``: every given condition must hold (see :mod:`mockllm.core.matching` for each one's semantics)."""

    model: str | None = Field(None, min_length=1)
    user: str | None = Field(None, min_length=1)
    user_regex: str | None = None
    user_sha256: str | None = Field(None, pattern=r"^[0-9a-fA-F]{64}$")
    system: str | None = Field(None, min_length=1)
    system_sha256: str | None = Field(None, pattern=r"^[0-9a-fA-F]{64}$")
    tools_sha256: str | None = Field(None, pattern=r"^[0-9a-fA-F]{64}$")
    has_image: bool | None = None
    image_count: int | None = Field(None, ge=0)
    image_sha256: str | None = Field(None, pattern=r"^[0-9a-fA-F]{64}$")
    response_format: Literal["text", "json_object", "json_schema"] | None = None
    tool: str | None = Field(None, min_length=1)
    tool_result: bool | str | None = None
    turn: int | None = Field(None, ge=0)
    loop_sha256: str | None = Field(None, pattern=r"^[0-9a-fA-F]{64}$")
    stream: bool | None = None
    headers: dict[str, str] | None = None
    session: str | None = Field(None, min_length=1)
    api: Literal["chat", "responses", "messages", "embeddings"] | None = None
    input: str | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _input_is_embeddings(self) -> MatchModel:
        if self.input is not None and self.api not in (None, "embeddings"):
            raise ValueError(f"input is an embeddings condition: it never holds with api: {self.api}")
        return self

    @field_validator("tool_result", mode="before")
    @classmethod
    def _tool_result(cls, value: Any) -> Any:
        if value is None or isinstance(value, bool) or (isinstance(value, str) and value):
            return value
        raise ValueError(f"must be true, false or a tool name, got {_describe_input(value)}")

    @field_validator("user_regex")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            m.compile_user_regex(value)
        except re.error as exc:
            raise ValueError(f"invalid regex: {exc}") from None
        except m.UnsafeRegexError as exc:
            raise ValueError(str(exc)) from None
        return value

    def condition(self) -> m.All:
        """Compile to matcher objects, in the file's field order (the order near-miss reports use)."""
        parts: list[m.Condition] = []
        if self.api is not None:
            parts.append(m.Api(self.api))
        if self.input is not None:
            parts.append(m.Input(self.input))
        if self.model is not None:
            parts.append(m.Model(self.model))
        if self.user is not None:
            parts.append(m.UserContains(self.user))
        if self.user_regex is not None:
            parts.append(m.UserRegex(self.user_regex))
        if self.user_sha256 is not None:
            parts.append(m.UserSha(self.user_sha256))
        if self.system is not None:
            parts.append(m.System(self.system))
        if self.system_sha256 is not None:
            parts.append(m.SystemSha(self.system_sha256))
        if self.tools_sha256 is not None:
            parts.append(m.ToolsSha(self.tools_sha256))
        if self.has_image is not None:
            parts.append(m.HasImage(self.has_image))
        if self.image_count is not None:
            parts.append(m.ImageCount(self.image_count))
        if self.image_sha256 is not None:
            parts.append(m.ImageSha(self.image_sha256))
        if self.response_format is not None:
            parts.append(m.ResponseFormatIs(self.response_format))
        if self.tool is not None:
            parts.append(m.OffersTool(self.tool))
        if self.tool_result is not None:
            parts.append(m.ToolResult(self.tool_result))
        if self.turn is not None:
            parts.append(m.Turn(self.turn))
        if self.loop_sha256 is not None:
            parts.append(m.LoopSha(self.loop_sha256))
        if self.stream is not None:
            parts.append(m.Stream(self.stream))
        for name, value in sorted((self.headers or {}).items()):
            parts.append(m.Header(name, value))
        if self.session is not None:
            parts.append(m.Session(self.session))
        return m.All(*parts)


_BODIES = ("reply", "replies", "error", "fault")


class FixtureModel(_Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    priority: int = 0
    match: MatchModel | None = None
    reply: ReplyModel | None = None
    replies: list[ReplyModel] | None = Field(None, min_length=1)
    error: ErrorModel | None = None
    fault: FaultModel | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return lift_overrides(data)

    @model_validator(mode="after")
    def _one_body(self) -> FixtureModel:
        given = [b for b in _BODIES if getattr(self, b) is not None]
        if given == ["reply", "replies"]:
            raise ValueError("reply and replies are mutually exclusive: use replies for a sequence")
        if not given:
            raise ValueError("one of reply, replies, error or fault is required")
        if len(given) > 1:
            raise ValueError(f"only one of reply, replies, error or fault may be given, got {', '.join(given)}")
        if self.reply is not None and self.reply.times is not None:
            raise ValueError("reply.times: times is only meaningful inside replies")
        kinds = {r.kind() for r in ([self.reply] if self.reply else self.replies or [])} - {None}
        if len(kinds) > 1:
            raise ValueError("replies mix chat answers and embeddings (embedding, like): a fixture answers one API")
        wanted = None
        if self.match is not None:
            wanted = self.match.api or ("embeddings" if self.match.input is not None else None)
        if kinds and wanted is not None:
            kind = kinds.pop()
            if (kind == "embeddings") != (wanted == "embeddings"):
                what = "an embeddings answer (embedding, like)" if kind == "embeddings" else "a chat answer"
                raise ValueError(f"{what} cannot answer {wanted} requests (match.api / match.input)")
        return self


class InjectionModel(_Strict):
    """The ``x-mockllm-fault`` header's JSON form: one error or one fault, written as in a fixture
    (``{"error": "rate_limit", "headers": {...}}``, ``{"fault": {"kind": "disconnect", "after_chunks": 2}}``)."""

    error: ErrorModel | None = None
    fault: FaultModel | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return lift_overrides(data)

    @model_validator(mode="after")
    def _one(self) -> InjectionModel:
        if (self.error is None) == (self.fault is None):
            raise ValueError('expected {"error": ...} or {"fault": ...}, one of the two')
        return self


class VisionPolicyModel(_Strict):
    kind: Literal["tile", "patch"] | None = None
    base: int | None = Field(None, ge=0)
    tile: int | None = Field(None, ge=0)
    multiplier: float | None = Field(None, gt=0)
    patch_cap: int | None = Field(None, ge=1)


_NULLABLE_MODEL_FIELDS = frozenset({"reasoning", "snapshot", "system_fingerprint"})


class ModelEntry(_Strict):
    """``models:`` entry. Every field but ``id`` is optional and defaults from the catalog entry it overrides
    (or an earlier ``models:`` entry with the same id), else from :class:`ModelInfo`'s defaults."""

    id: str = Field(min_length=1)
    owned_by: str | None = None
    context_window: int | None = Field(None, ge=1)
    max_output_tokens: int | None = Field(None, ge=1)
    vision: bool | None = None
    audio: bool | None = None
    reasoning: Literal["openai", "visible"] | None = None
    encoding: Literal["o200k_base", "cl100k_base"] | None = None
    input_price: float | None = Field(None, ge=0)
    output_price: float | None = Field(None, ge=0)
    snapshot: str | None = None
    system_fingerprint: str | None = None
    vision_policy: VisionPolicyModel | None = None
    search: bool | None = None
    ttft_ms: float | None = Field(None, ge=0)
    tokens_per_second: float | None = Field(None, gt=0)
    needs_verification: bool | None = None
    max_images: int | None = Field(None, ge=0)
    max_image_bytes: int | None = Field(None, ge=0)
    created: int | None = None
    extra: dict[str, Any] | None = None
    embedding_dims: int | None = Field(None, ge=1)  # an embedding model of this native size
    shortenable: bool | None = None  # ``dimensions`` accepted
    dimension_choices: list[int] | None = None  # the only sizes ``dimensions`` may ask for (empty: any)

    @model_validator(mode="after")
    def _no_null(self) -> ModelEntry:
        nulls = [f for f in self.model_fields_set if getattr(self, f) is None and f not in _NULLABLE_MODEL_FIELDS]
        if nulls:
            raise ValueError(f"{', '.join(sorted(nulls))}: may not be null (omit the key to keep the default)")
        return self

    def build(self, base: ModelInfo | None) -> ModelInfo:
        base = base or ModelInfo(id=self.id)
        changes: dict[str, Any] = {
            f: getattr(self, f) for f in self.model_fields_set if f not in ("id", "vision_policy", "extra")
        }
        if self.vision_policy is not None:
            changes["vision_policy"] = replace(base.vision_policy, **self.vision_policy.model_dump(exclude_unset=True))
        if self.extra is not None:
            changes["extra"] = dict(self.extra)
        if self.dimension_choices is not None:
            changes["dimension_choices"] = tuple(self.dimension_choices)
        return replace(base, id=self.id, **changes)


#: Where each kind of mapping is written, to say where a misplaced key belongs.
_SECTIONS: tuple[tuple[type[BaseModel], str], ...] = (
    (FixtureModel, "a fixture"), (MatchModel, "match"), (ReplyModel, "a reply"), (ErrorModel, "error"),
    (FaultModel, "fault"), (PacingModel, "pacing"), (ToolCallModel, "a tool call"), (ModelEntry, "a model"),
    (VisionPolicyModel, "vision"),
)  # fmt: skip


def _all_keys() -> list[str]:
    return sorted({name for model, _ in _SECTIONS for name in model.model_fields} | {"models", "fixtures"})


_KNOWN_KEYS = _all_keys()


def _unknown_key(key: str) -> str:
    """``unknown key`` plus a hint: a near spelling, or, for a real key written in the wrong mapping,
    where it belongs (never "did you mean" the very key that was written)."""
    homes = [where for model, where in _SECTIONS if key in model.model_fields]
    if homes:
        return f"unknown key here ({key!r} is a key of {' and '.join(homes)})"
    return "unknown key" + did_you_mean(key, _KNOWN_KEYS)


# ===== runtime objects ==============================================================================


@dataclass(frozen=True, slots=True)
class ReplyTemplate:
    """One pre-validated sequence entry; :meth:`build` makes a fresh :class:`Reply` per request.

    Fresh because later stages may mutate the Reply (``choices``, trimming); templates must never change.
    """

    content: str | None = None
    reasoning_content: str | None = None
    tool_calls: tuple[ToolCallSpec, ...] = ()
    refusal: str | None = None
    finish_reason: str | None = None
    annotations: tuple[dict[str, Any], ...] = ()
    echo: bool = False
    error: ErrorSpec | None = None
    fault: FaultSpec | None = None
    pacing: Pacing | None = None
    times: int = 1
    #: ``times`` was written: on the last entry it means "then stop answering" instead of "repeat".
    limited: bool = False
    content_is_json: bool = False  # content was written as a mapping/list, so it is JSON by construction
    path: str = "reply"  # where it was written ("reply", "replies[2]", "error"), for check warnings
    embedding: tuple[float, ...] | None = None
    like: str | None = None
    kind: str | None = None  # "chat", "embeddings", or None for an error/fault alone

    def build(self, request: Conversation | m.RequestView, source: str) -> Reply:
        if self.echo:
            content = request.user_text if isinstance(request, m.RequestView) else request.last_user_text
        else:
            content = self.content
        return Reply(
            content=content,
            reasoning_content=self.reasoning_content,
            tool_calls=list(self.tool_calls),
            refusal=self.refusal,
            finish_reason=self.finish_reason,
            annotations=copy.deepcopy(list(self.annotations)) if self.annotations else [],
            error=self.error,
            fault=self.fault,
            pacing=self.pacing,
            source=source,
            embedding=self.embedding,
            like=self.like,
        )

    @classmethod
    def from_model(cls, model: ReplyModel, path: str) -> ReplyTemplate:
        content = model.content
        is_json = isinstance(content, dict | list)
        pacing = Pacing(**model.pacing.model_dump()) if model.pacing else None
        return cls(
            content=_json_text(content) if is_json else content,
            reasoning_content=model.reasoning_content,
            tool_calls=tuple(t.spec() for t in model.tool_calls or ()),
            refusal=model.refusal,
            finish_reason=model.finish_reason,
            annotations=tuple(model.annotations or ()),
            echo=model.echo,
            error=model.error.spec() if model.error else None,
            fault=model.fault.spec() if model.fault else None,
            pacing=pacing,
            times=model.times or 1,
            limited=model.times is not None,
            content_is_json=is_json,
            path=path,
            embedding=tuple(model.embedding) if model.embedding is not None else None,
            like=model.like,
            kind=model.kind(),
        )


@dataclass(eq=False, slots=True)
class Fixture:
    """A compiled fixture: a condition plus the sequence of replies it gives (the last one repeats)."""

    name: str
    condition: m.Condition
    entries: tuple[ReplyTemplate, ...]
    priority: int = 0
    source: str = "<runtime>"
    index: int = 0
    definition: dict[str, Any] = field(default_factory=dict)  # as written, for the admin API's listing
    origin: Literal["file", "runtime"] = "file"
    #: The APIs its replies can answer (None: every API, for a fixture of errors and faults only).
    apis: frozenset[str] | None = field(init=False, default=None)
    _ends: tuple[int, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.condition, m.All):
            self.condition = m.All(self.condition)
        if not self.entries:
            raise ValueError(f"fixture {self.name!r} has no replies")
        kinds = {entry.kind for entry in self.entries} - {None}
        if "embeddings" in kinds:
            self.apis = _EMBEDDING_APIS
        elif "chat" in kinds:
            self.apis = _CHAT_APIS
        ends, total = [], 0
        for entry in self.entries:
            total += entry.times
            ends.append(total)
        self._ends = tuple(ends)

    @property
    def conditions(self) -> tuple[m.Condition, ...]:
        return self.condition.conditions if isinstance(self.condition, m.All) else (self.condition,)

    @property
    def location(self) -> str:
        return f"{self.source} fixtures[{self.index}]"

    def spent(self, call: int) -> bool:
        """True when the ``call``-th match has no reply left: the last entry had a ``times`` and used it up
        (a ``fail(times=2)`` with nothing after it fails twice, then lets other fixtures answer)."""
        return self.entries[-1].limited and call >= self._ends[-1]

    def entry_index(self, call: int) -> int:
        """Which written entry answers the ``call``-th match (0-based); past the end, the last one."""
        if call >= self._ends[-1]:
            return len(self.entries) - 1
        return bisect.bisect_right(self._ends, call)


@dataclass(slots=True)
class Match:
    fixture: Fixture
    reply: Reply
    index: int  # which written entry of ``replies`` (0 for ``reply``)
    call: int  # how many earlier requests of this session this fixture answered


@dataclass(slots=True)
class NearMiss:
    fixture: Fixture
    failures: list[str]

    @property
    def name(self) -> str:
        return self.fixture.name

    def __str__(self) -> str:
        return f"{self.fixture.name} ({self.fixture.location}): " + "; ".join(self.failures)


@dataclass(slots=True)
class FixtureSet:
    models: list[ModelInfo] = field(default_factory=list)
    fixtures: list[Fixture] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# ===== the table ====================================================================================

_ALL_SESSIONS = object()


class FixtureTable:
    """The fixtures in force, in decision order, with per-(fixture, session) sequence counters.

    Decision order: higher ``priority`` first; at equal priority, fixtures added at run time (admin API,
    pytest plugin) before file fixtures, the newest addition first, as in WireMock, so what a test
    scripts is not answered by a bundled fixture; within one added document and among files, the order
    written. Replacing a run-time fixture by name keeps its place (an edit is not a new fixture).

    Counters are keyed by session so parallel tests sending different ``x-mockllm-session`` values walk
    their own copy of each ``replies`` script. The counter map is an LRU bounded by ``max_counter_keys``
    (a client inventing a session per request must not grow memory forever); ``evictions`` counts what
    was forgotten, which the journal can surface.
    """

    def __init__(self, fixtures: Iterable[Fixture] = (), *, max_counter_keys: int = DEFAULT_MAX_COUNTER_KEYS) -> None:
        self._by_name: dict[str, Fixture] = {}
        # the tie-breaker after priority: (0, -batch, position) at run time, (1, load order, 0) from files
        self._rank: dict[str, tuple[int, int, int]] = {}
        self._next_seq = 0
        self._ordered: tuple[Fixture, ...] = ()
        self._counters: OrderedDict[tuple[str, str | None], int] = OrderedDict()
        self._from_files: dict[str, tuple[Fixture, int]] = {}  # as loaded at start, for reset_runtime
        self.max_counter_keys = max_counter_keys
        self.evictions = 0
        self.add(fixtures, origin="file")

    # ----- editing (rare; may be slow) -------------------------------------------------------------

    def add(self, fixtures: Iterable[Fixture], *, origin: Literal["file", "runtime"], replace: bool = False) -> None:
        """Add fixtures: from files after the existing ones, at run time before the earlier run-time ones
        (see the class docstring). A name already present is an error unless ``replace``, in which case
        the old fixture (and its counters) go; a run-time fixture replacing a run-time one keeps its place."""
        if origin not in ("file", "runtime"):
            raise ValueError(f"origin must be 'file' or 'runtime', got {origin!r}")
        batch = builtins.list(fixtures)
        problems: builtins.list[str] = []
        seen: dict[str, Fixture] = {}
        for fx in batch:
            other = seen.get(fx.name) or (None if replace else self._by_name.get(fx.name))
            if other is not None:
                problems.append(
                    f"{fx.source}: fixtures[{fx.index}] ({fx.name}): name: duplicate fixture name {fx.name!r}, "
                    f"already used by {other.location}"
                )
            seen[fx.name] = fx
        if problems:
            raise FixtureError(problems)
        batch_no = self._next_seq
        self._next_seq += 1
        for position, fx in enumerate(batch):
            rank: tuple[int, int, int]
            old = self._by_name.get(fx.name)
            if old is not None and old.origin == "runtime" and origin == "runtime":
                rank = self._rank[fx.name]
            elif origin == "runtime":
                rank = (0, -batch_no, position)
            else:
                rank = (1, self._next_seq, 0)
                self._next_seq += 1
            if old is not None:
                self._forget(fx.name)
            fx.origin = origin
            self._by_name[fx.name] = fx
            self._rank[fx.name] = rank
            if origin == "file":
                self._from_files[fx.name] = (fx, rank)
        self._reorder()

    def remove(self, name: str) -> bool:
        if name not in self._by_name:
            return False
        self._forget(name)
        self._reorder()
        return True

    def reset_runtime(self) -> int:
        """Back to the fixtures loaded from files: drop every fixture added at runtime (admin API, pytest
        plugin) and bring back, in their places, file fixtures deleted or replaced since. Returns how many
        runtime fixtures went."""
        names = [n for n, fx in self._by_name.items() if fx.origin == "runtime"]
        for name in names:
            self._forget(name)
        for name, (fx, rank) in self._from_files.items():
            if name not in self._by_name:
                fx.origin = "file"
                self._by_name[name] = fx
                self._rank[name] = rank
        self._reorder()
        return len(names)

    def reset_counters(self, session: str | object | None = _ALL_SESSIONS) -> None:
        """Restart every sequence, or only those of one session (``None`` = requests without a session)."""
        if session is _ALL_SESSIONS:
            self._counters.clear()
        else:
            for key in [k for k in self._counters if k[1] == session]:
                del self._counters[key]

    def _forget(self, name: str) -> None:
        del self._by_name[name]
        del self._rank[name]
        for key in [k for k in self._counters if k[0] == name]:
            del self._counters[key]

    def _reorder(self) -> None:
        self._ordered = tuple(sorted(self._by_name.values(), key=lambda fx: (-fx.priority, *self._rank[fx.name])))

    # ----- the hot path ----------------------------------------------------------------------------

    def decide(self, request: Conversation, input_text: str | None = None) -> Match | None:
        """The reply of the first fixture (priority, then load order) whose conditions all hold and whose
        replies answer the request's API. ``input_text``: the embeddings input being decided (each input
        of a batch is decided on its own)."""
        view = m.RequestView(request, input_text)
        api = view.api
        for fx in self._ordered:
            if fx.apis is not None and api not in fx.apis:
                continue
            if fx.condition.test(view):
                if fx.entries[-1].limited and fx.spent(self._counters.get((fx.name, request.session), 0)):
                    continue
                call = self._advance(fx.name, request.session)
                index = fx.entry_index(call)
                return Match(fixture=fx, reply=fx.entries[index].build(view, fx.name), index=index, call=call)
        return None

    def _advance(self, name: str, session: str | None) -> int:
        """Read and bump one counter in a single step (no await in between: atomic on the event loop)."""
        counters = self._counters
        key = (name, session)
        call = counters.get(key, 0)
        counters[key] = call + 1
        counters.move_to_end(key)
        if len(counters) > self.max_counter_keys:
            counters.popitem(last=False)
            self.evictions += 1
        return call

    # ----- inspection ------------------------------------------------------------------------------

    def explain(self, request: Conversation, limit: int | None = None) -> builtins.list[NearMiss]:
        """Why each fixture did not match, nearest first (fewest failed conditions, then decision order).

        Only called when a request matched nothing or the journal asks, so it may do the full work.
        """
        return _explain(self._ordered, request, limit)

    def explainer(self, request: Conversation, limit: int | None = None) -> Callable[[], builtins.list[NearMiss]]:
        """:meth:`explain`, deferred: bound to the fixtures in force now, computed when called."""
        ordered = self._ordered
        return lambda: _explain(ordered, request, limit)

    def calls(self, name: str, session: str | None = None) -> int:
        """How many requests of ``session`` the fixture answered since the last reset (0 if evicted)."""
        return self._counters.get((name, session), 0)

    def get(self, name: str) -> Fixture | None:
        return self._by_name.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __len__(self) -> int:
        return len(self._by_name)

    def list(self) -> builtins.list[Fixture]:
        """Fixtures in decision order."""
        return builtins.list(self._ordered)


def _explain(ordered: tuple[Fixture, ...], request: Conversation, limit: int | None) -> list[NearMiss]:
    view = m.RequestView(request)
    misses = []
    for position, fx in enumerate(ordered):
        if fx.apis is not None and view.api not in fx.apis:
            continue  # answers another API: not a near miss, whatever its conditions say
        failures = fx.condition.failures(view) if isinstance(fx.condition, m.All) else []
        if failures:
            misses.append((len(failures), position, NearMiss(fx, failures)))
    misses.sort(key=lambda t: (t[0], t[1]))
    found = [t[2] for t in misses]
    return found if limit is None else found[:limit]


# ===== loading ======================================================================================


class _StrictYamlLoader(yaml.SafeLoader):
    """``SafeLoader`` (no arbitrary objects, ever) that also rejects duplicate keys in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *anchor` merges may be overridden by explicit keys, as YAML intends
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                continue  # unhashable key: let the base class raise its own error
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"found duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _json_no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _describe_input(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {value[:60]!r}" + ("…" if len(value) > 60 else "")
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _loc_text(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _error_text(err: Any) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "extra_forbidden":
        return _unknown_key(str(err["loc"][-1]) if err["loc"] else "")
    if kind == "missing":
        return "required"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping, got {_describe_input(err.get('input'))}"
    if kind == "list_type":
        return f"expected a list, got {_describe_input(err.get('input'))}"
    return f"{msg} (got {_describe_input(err.get('input'))})"


def _node_line(root: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """The 1-based line where the field at ``loc`` is written, or the nearest ancestor's line."""
    node, line = root, None
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                    line, node = key_node.start_mark.line + 1, value_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


class _Loader:
    """Accumulates models, fixtures, problems and warnings across files, so every mistake is reported."""

    def __init__(
        self,
        *,
        known_presets: Collection[str] | None,
        known_faults: Collection[str] | None,
        catalog: Iterable[ModelInfo] | None,
    ) -> None:
        self.context = {"known_presets": known_presets, "known_faults": known_faults}
        self.catalog = {info.id: info for info in (BUILTIN_MODELS if catalog is None else catalog)}
        self.models: dict[str, ModelInfo] = {}
        self.fixtures: list[Fixture] = []
        self.names: dict[str, Fixture] = {}
        self.files: list[str] = []
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def result(self) -> FixtureSet:
        return FixtureSet(list(self.models.values()), list(self.fixtures), list(self.files), list(self.warnings))

    # ----- files -----------------------------------------------------------------------------------

    def load_paths(self, paths: Sequence[str | Path]) -> None:
        for path in self._discover(paths):
            self.load_file(path)

    def _discover(self, paths: Sequence[str | Path]) -> list[Path]:
        found: list[Path] = []
        seen: set[Path] = set()
        for raw in paths:
            path = Path(raw)
            if path.is_dir():
                inside = [
                    f
                    for f in path.rglob("*")
                    if f.suffix.lower() in FIXTURE_SUFFIXES
                    and f.is_file()
                    and not any(p.startswith(".") for p in f.relative_to(path).parts)
                ]
                inside.sort(key=lambda f: f.relative_to(path).parts)
                if not inside:
                    self.warnings.append(f"{path}: no *.yaml, *.yml or *.json files found")
            elif path.exists():
                inside = [path]
            else:
                self.problems.append(f"{path}: cannot read: no such file or directory")
                continue
            for f in inside:
                resolved = f.resolve()
                if resolved not in seen:
                    seen.add(resolved)
                    found.append(f)
        return found

    def load_file(self, path: Path) -> None:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.problems.append(f"{source}: cannot read: {exc}")
            return
        self.files.append(source)
        root: yaml.Node | None = None
        if path.suffix.lower() == ".json":
            try:
                data = loads_strict(text, object_pairs_hook=_json_no_duplicates)
            except json.JSONDecodeError as exc:
                self.problems.append(f"{source}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
                return
            except ValueError as exc:
                self.problems.append(f"{source}: invalid JSON: {exc}")
                return
        else:
            loader = _StrictYamlLoader(text)
            try:
                root = loader.get_single_node()
                data = loader.construct_document(root) if root is not None else None
            except yaml.MarkedYAMLError as exc:
                mark = exc.problem_mark or exc.context_mark
                where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
                self.problems.append(f"{source}: invalid YAML{where}: {exc.problem or exc.context}")
                return
            except yaml.YAMLError as exc:
                self.problems.append(f"{source}: invalid YAML: {exc}")
                return
            except RecursionError:
                self.problems.append(f"{source}: invalid YAML: nesting too deep")
                return
            finally:
                loader.dispose()
        if data is None:
            self.warnings.append(f"{source}: empty file")
            return
        self.load_document(data, source, root)

    # ----- documents -------------------------------------------------------------------------------

    def load_document(self, data: Any, source: str, root: yaml.Node | None = None) -> None:
        if isinstance(data, list):  # shorthand: a bare list of fixtures
            data, shorthand = {"fixtures": data}, True
        else:
            shorthand = False
        if not isinstance(data, dict):
            self.problems.append(
                f"{source}: expected a mapping with `models` and/or `fixtures` (or a list of fixtures), "
                f"got {_describe_input(data)}"
            )
            return
        for key in data:
            if key not in ("models", "fixtures"):
                hint = did_you_mean(str(key), ("models", "fixtures"))
                self.problems.append(f"{source}: {key}: unknown key{hint}; expected `models` and/or `fixtures`")

        def line_of(loc: Sequence[int | str]) -> int | None:
            return _node_line(root, loc[1:] if shorthand else loc)

        for section in ("models", "fixtures"):
            items = data.get(section)
            if items is None:
                continue
            if not isinstance(items, list):
                self.problems.append(f"{source}: {section}: expected a list, got {_describe_input(items)}")
                continue
            for index, item in enumerate(items):
                if section == "models":
                    self._load_model(item, source, index, line_of)
                else:
                    self._load_fixture(item, source, index, line_of)

    def _report(self, exc: ValidationError, source: str, where: str, loc0: tuple[str, int], line_of: Any) -> None:
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            line = line_of((*loc0, *loc))
            field_text = _loc_text(loc)
            parts = [source, where, *([field_text] if field_text else []), _error_text(err)]
            self.problems.append(": ".join(parts) + (f" (line {line})" if line else ""))

    def _load_model(self, item: Any, source: str, index: int, line_of: Any) -> None:
        label = item.get("id") if isinstance(item, dict) else None
        where = f"models[{index}]" + (f" ({label})" if isinstance(label, str) else "")
        try:
            entry = ModelEntry.model_validate(item, context=self.context)
        except ValidationError as exc:
            self._report(exc, source, where, ("models", index), line_of)
            return
        base = self.models.get(entry.id) or self.catalog.get(entry.id)
        self.models[entry.id] = entry.build(base)

    def _load_fixture(self, item: Any, source: str, index: int, line_of: Any) -> None:
        label = item.get("name") if isinstance(item, dict) else None
        where = f"fixtures[{index}]" + (f" ({label})" if isinstance(label, str) else "")
        try:
            model = FixtureModel.model_validate(item, context=self.context)
        except ValidationError as exc:
            self._report(exc, source, where, ("fixtures", index), line_of)
            return
        name = model.name or f"{Path(source).stem}#{index}"
        other = self.names.get(name)
        if other is not None:
            line = line_of(("fixtures", index, "name"))
            self.problems.append(
                f"{source}: {where}: name: duplicate fixture name {name!r}, already used by {other.location}"
                + (f" (line {line})" if line else "")
            )
            return
        fixture = Fixture(
            name=name,
            condition=model.match.condition() if model.match else m.All(),
            entries=_entries(model),
            priority=model.priority,
            source=source,
            index=index,
            definition=copy.deepcopy(item),
        )
        self.names[name] = fixture
        self.fixtures.append(fixture)


def _entries(model: FixtureModel) -> tuple[ReplyTemplate, ...]:
    if model.reply is not None:
        return (ReplyTemplate.from_model(model.reply, "reply"),)
    if model.replies is not None:
        return tuple(ReplyTemplate.from_model(r, f"replies[{i}]") for i, r in enumerate(model.replies))
    if model.error is not None:
        return (ReplyTemplate(error=model.error.spec(), path="error"),)
    assert model.fault is not None  # guaranteed by FixtureModel._one_body
    return (ReplyTemplate(fault=model.fault.spec(), path="fault"),)


def load_fixture_files(
    paths: Sequence[str | Path],
    *,
    known_presets: Collection[str] | None = None,
    known_faults: Collection[str] | None = None,
    catalog: Iterable[ModelInfo] | None = None,
) -> FixtureSet:
    """Load fixture files and folders; raise :class:`FixtureError` listing *every* problem found.

    ``known_presets``/``known_faults`` are the error-preset and fault-kind vocabularies (None accepts any
    ``[a-z_]+`` name). ``catalog`` supplies the entries ``models:`` overrides (default: the built-ins).
    """
    loader = _Loader(known_presets=known_presets, known_faults=known_faults, catalog=catalog)
    loader.load_paths(paths)
    if loader.problems:
        raise FixtureError(loader.problems)
    return loader.result()


def parse_fixture_document(
    data: Any,
    source: str,
    *,
    known_presets: Collection[str] | None = None,
    known_faults: Collection[str] | None = None,
    catalog: Iterable[ModelInfo] | None = None,
) -> FixtureSet:
    """Validate an already-decoded document (the admin API's JSON body) exactly like a file.

    ``source`` names it in errors and in default fixture names (``<stem of source>#<index>``), so callers
    adding several documents at runtime should give each a distinct source, or name their fixtures.
    """
    loader = _Loader(known_presets=known_presets, known_faults=known_faults, catalog=catalog)
    loader.load_document(data, source)
    if loader.problems:
        raise FixtureError(loader.problems)
    return loader.result()


# ===== mockllm check ================================================================================


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@dataclass(slots=True)
class CheckReport:
    files: list[str] = field(default_factory=list)
    fixtures: int = 0
    models: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return ", ".join(
            (
                _plural(len(self.files), "file"),
                _plural(self.fixtures, "fixture"),
                _plural(self.models, "model"),
                _plural(len(self.problems), "problem"),
                _plural(len(self.warnings), "warning"),
            )
        )


def check_files(
    paths: Sequence[str | Path],
    *,
    known_presets: Collection[str] | None = None,
    known_faults: Collection[str] | None = None,
    catalog: Iterable[ModelInfo] | None = None,
) -> CheckReport:
    """Everything :func:`load_fixture_files` would reject, plus warnings about fixtures that load but
    cannot do what their author meant. Fixtures with problems are left out of the warning analysis."""
    loader = _Loader(known_presets=known_presets, known_faults=known_faults, catalog=catalog)
    loader.load_paths(paths)
    fixtures = loader.fixtures
    warnings = [*loader.warnings, *_shadow_warnings(fixtures), *_loop_warnings(fixtures), *_json_warnings(fixtures)]
    return CheckReport(
        files=list(loader.files),
        fixtures=len(fixtures),
        models=len(loader.models),
        problems=list(loader.problems),
        warnings=warnings,
    )


def _shadow_warnings(fixtures: list[Fixture]) -> list[str]:
    """A fixture whose conditions include all of an earlier-deciding fixture's can never be reached.

    Syntactic on purpose (identical conditions, compared by value): implications such as ``image_count: 2``
    ⇒ ``has_image: true`` are not reasoned about, so a warning is always a real shadow.
    """
    ordered = sorted(enumerate(fixtures), key=lambda t: (-t[1].priority, t[0]))
    warnings: list[str] = []
    for pos, (_, fx) in enumerate(ordered):
        mine = set(fx.conditions)
        for _, earlier in ordered[:pos]:
            # Only a fixture answering every API this one answers can hide it (a chat reply never
            # shadows an embeddings reply, whatever their conditions).
            covers = earlier.apis is None or (fx.apis is not None and fx.apis <= earlier.apis)
            if covers and set(earlier.conditions) <= mine:
                warnings.append(
                    f"{fx.source}: fixtures[{fx.index}] ({fx.name}): can never match: {earlier.name!r} "
                    f"({earlier.location}, priority {earlier.priority}) matches every request it matches "
                    "and is tried first"
                )
                break
    return warnings


def _loop_warnings(fixtures: list[Fixture]) -> list[str]:
    """``turn: 0`` with a ``tool_result`` other than false: a tool result answers an assistant message's
    call, so the conversation already holds one (usually ``turn: 1`` was meant). Only a deprecated
    ``function`` message sent with no assistant message before it could match such a fixture."""
    warnings: list[str] = []
    for fx in fixtures:
        turns = [c.count for c in fx.conditions if isinstance(c, m.Turn)]
        results = [c.value for c in fx.conditions if isinstance(c, m.ToolResult) and c.value is not False]
        if 0 in turns and results:
            shown = "true" if results[0] is True else results[0]
            warnings.append(
                f"{fx.source}: fixtures[{fx.index}] ({fx.name}): will not match an agent loop: tool_result: {shown} "
                "answers an assistant message's tool call, but turn: 0 means there is none yet (the first tool "
                "result arrives on turn 1)"
            )
    return warnings


def _json_warnings(fixtures: list[Fixture]) -> list[str]:
    warnings: list[str] = []
    for fx in fixtures:
        modes = [c.type for c in fx.conditions if isinstance(c, m.ResponseFormatIs) and c.type != "text"]
        if not modes:
            continue
        for entry in fx.entries:
            if entry.content is None or entry.content_is_json or entry.echo:
                continue
            try:
                json.loads(entry.content)
            except json.JSONDecodeError as exc:
                warnings.append(
                    f"{fx.source}: fixtures[{fx.index}] ({fx.name}): {entry.path}.content: not valid JSON "
                    f"({exc.msg} at line {exc.lineno}, column {exc.colno}) but the fixture matches "
                    f"response_format {modes[0]}"
                )
    return warnings
