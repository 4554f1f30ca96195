"""The matcher algebra: small condition objects that say whether a request fits a fixture, and why not.

Modelled on respx's patterns: every condition is a tiny immutable object with ``matches(request)``;
conditions combine with ``&`` (:class:`All`), ``|`` (:class:`Any`) and ``~`` (:class:`Not`). A fixture's
``match:`` block compiles to one :class:`All`. Every condition can also *explain* a failure in words
(``describe_failure``), which is what strict mode's 404 and the journal's near misses print.

Conditions are frozen and compare by value, so ``mockllm check`` can spot a fixture whose conditions are
a superset of an earlier one's (it can never win) with plain set inclusion.

Speed: ``matches`` runs for every fixture on every request, so the expensive views of a request (last
user text, its case-folded form, the image list, the offered tool names) are computed once per request
by :class:`RequestView` and shared by all conditions. Pass a ``RequestView`` when testing many conditions
against one request; a bare ``Conversation`` is wrapped on the fly.

Regex safety (``user_regex``): Python's ``re`` backtracks, so a pattern like ``(a+)+$`` can take
exponential time on a crafted message and freeze the single event loop. Two cheap guards apply:

1. At compile time :func:`compile_user_regex` rejects patterns where a group repeated more than once
   (``*``, ``+``, ``{2,}``, ``{3}``) contains another quantifier that can vary (``(a+)+``, ``(a*)*``,
   ``(\\w+\\s?)*``, ``(aa?)+``, ``(.*a){10}``), or an alternation whose branches can start with the same
   character or be empty (``(a|a)*``, ``(a|aa)+``, ``(.|x)*``). This is "star height 1", checked on the
   tree of Python's own parser, and deliberately conservative. Possessive repeats (``a*+``) and atomic
   groups (``(?>...)``) never backtrack, so they are exempt: rewrite a rejected pattern with them, or with
   a character class (``(a|b)*`` is ``[ab]*``; ``(?:foo|bar)*`` is fine as is).
2. At match time only the first :data:`REGEX_TEXT_LIMIT` characters are searched.
3. The search itself runs on the ``regex`` engine (a hard dependency of ``tiktoken``, so always installed)
   with a :data:`REGEX_TIMEOUT_S` timeout; a search that times out counts as "no match". This is the
   real bound: with plain ``re``, even innocent patterns are quadratic or worse on a long message
   (``\\d+x`` over 100k digits takes ~30 s, ``\\w+@\\w+\\.com`` over 100k letters ~25 s), while
   ``regex`` answers those instantly. Patterns are validated and error messages come from ``re``, whose
   syntax ``regex`` (in its default VERSION0 mode) accepts unchanged; should ``regex`` be missing, ``re``
   is used and only guards 1 and 2 apply.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar, Literal

from .conversation import Conversation, ImageInfo, Message, call_name, loop_messages

try:  # see guard 3 in the module docstring
    import regex as _regex_engine
except ImportError:  # pragma: no cover - tiktoken requires it
    _regex_engine = None

# Python 3.11's home of the regex parser (``sre_parse`` is the deprecated alias): we only read its tree.
_sre = re._constants  # type: ignore[attr-defined]
_sre_parse = re._parser  # type: ignore[attr-defined]


__all__ = [
    "API_NAMES",
    "REGEX_TEXT_LIMIT",
    "REGEX_TIMEOUT_S",
    "All",
    "Any",
    "Api",
    "Condition",
    "HasImage",
    "Header",
    "ImageCount",
    "ImageSha",
    "Input",
    "LoopSha",
    "Model",
    "Not",
    "OffersTool",
    "RequestView",
    "ResponseFormatIs",
    "Session",
    "Stream",
    "System",
    "SystemSha",
    "ToolResult",
    "ToolsSha",
    "Turn",
    "UnsafeRegexError",
    "UserContains",
    "UserRegex",
    "UserSha",
    "compile_user_regex",
    "loop_digest",
    "system_digest",
    "tools_digest",
]

#: The APIs a fixture's ``api:`` may name (a request's :attr:`RequestView.api`).
API_NAMES = ("chat", "responses", "messages", "embeddings")

#: Characters of the last user message a ``user_regex`` is run over (see the module docstring).
REGEX_TEXT_LIMIT = 100_000
#: Longest a single ``user_regex`` search may run before it counts as no match.
REGEX_TIMEOUT_S = 0.1

_SHOWN_CHARS = 120  # how much of a message a failure description quotes


def _quote(text: str | None, limit: int = _SHOWN_CHARS) -> str:
    """Quote user text for a failure message: repr-style, clipped so a 50k-token prompt stays one line."""
    if text is None:
        return "None"
    if len(text) > limit:
        return repr(text[:limit]) + f"… ({len(text)} chars)"
    return repr(text)


def _bool(value: bool) -> str:
    return "true" if value else "false"


# ----- the per-request view -------------------------------------------------------------------------


class RequestView:
    """One request plus lazily computed, cached derivations shared by all conditions.

    ``Conversation.last_user_text`` and ``.images`` walk the messages on every access; with fifty fixtures
    that would be fifty walks per request. The view does each walk at most once.
    """

    def __init__(self, request: Conversation, input_text: str | None = None) -> None:
        self.request = request
        # Which API the request came through ("chat" unless the request says otherwise: an embeddings
        # request carries ``api = "embeddings"``), and, for embeddings, the one input being decided.
        self.api: str = getattr(request, "api", "chat")
        self.input_text: str | None = input_text if input_text is not None else getattr(request, "input_text", None)

    @cached_property
    def user_text(self) -> str:
        return self.request.last_user_text

    @cached_property
    def user_folded(self) -> str:
        return self.user_text.casefold()

    @cached_property
    def user_text_bounded(self) -> str:
        return self.user_text[:REGEX_TEXT_LIMIT]

    @cached_property
    def system_text(self) -> str:
        return self.request.system_text

    @cached_property
    def system_folded(self) -> str:
        return self.system_text.casefold()

    @cached_property
    def has_system(self) -> bool:
        return any(m.role in ("system", "developer") for m in self.request.messages)

    @cached_property
    def user_sha256(self) -> str:
        return system_digest(self.user_text)

    @cached_property
    def system_sha256(self) -> str:
        return system_digest(self.system_text)

    @cached_property
    def tools_sha256(self) -> str:
        return tools_digest(self.request.raw.get("tools"))

    @cached_property
    def images(self) -> list[ImageInfo]:
        return self.request.images

    @cached_property
    def image_hashes(self) -> frozenset[str]:
        return frozenset(i.sha256.lower() for i in self.images if i.sha256)

    @cached_property
    def tool_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.request.tools)

    @cached_property
    def turn(self) -> int:
        return self.request.turn

    @cached_property
    def answered_tools(self) -> tuple[str, ...]:
        return self.request.answered_tools

    @cached_property
    def loop_sha256(self) -> str:
        return loop_digest(self.request.messages)

    @cached_property
    def newest(self) -> str:
        """The newest message in words, for failure explanations ("a 'user' message", "the result of ...")."""
        messages = self.request.messages
        if not messages:
            return "no messages"
        if self.request.ends_with_tool_result:
            names = self.answered_tools
            return "the result of " + (" and ".join(repr(n) for n in names) if names else "an unknown tool call")
        return f"a {messages[-1].role!r} message"


def system_digest(text: str) -> str:
    """sha256 (hex) of a text's UTF-8 bytes: the system/developer text as :attr:`Conversation.system_text`
    joins it ("" if none), or the last user message's text (``user_sha256``)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def tools_digest(tools: typing.Any) -> str:
    """sha256 (hex) of the ``tools`` array as sent, in canonical JSON (sorted keys, no spaces, UTF-8);
    no tools hashes as ``[]``, so "no tools" is a value a fixture can require too."""
    text = json.dumps(tools or [], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def loop_digest(messages: typing.Sequence[Message]) -> str:
    """sha256 (hex) of the agent loop so far: the messages after the last user message, each reduced to
    role, text, tool calls (id, name, arguments) and the ``tool_call_id`` or function name it answers, as
    canonical JSON. Reduced, so that what a client echoes back differently from how the model sent it
    (``content: null`` or ``""``, extra ``refusal``/``annotations`` keys) does not change the digest."""
    reduced = []
    for message in loop_messages(messages):
        calls = [
            [call.get("id"), call_name(call), _call_input(call)]
            for call in message.tool_calls or ()
            if isinstance(call, dict)
        ]
        answers = (
            message.tool_call_id if message.role == "tool" else (message.name if message.role == "function" else None)
        )
        reduced.append([message.role, message.text, calls, answers])
    text = json.dumps(reduced, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _call_input(call: dict[str, typing.Any]) -> typing.Any:
    body = call.get("function") if call.get("type", "function") == "function" else call.get("custom")
    if not isinstance(body, dict):
        return None
    return body.get("arguments") if "arguments" in body else body.get("input")


def as_view(request: Conversation | RequestView) -> RequestView:
    """Accept either form, so callers testing one condition need not build a view themselves."""
    return request if isinstance(request, RequestView) else RequestView(request)


# ----- the algebra ----------------------------------------------------------------------------------


class Condition:
    """Base of every matcher. Subclasses implement ``test`` (on a view), ``describe`` and ``explain``.

    ``cost`` orders evaluation inside :class:`All`: cheap equality checks run before substring scans and
    regexes, so a request that fails on ``model`` never pays for the regex.
    """

    __slots__ = ()
    key: ClassVar[str] = "?"  # the fixture-file field the condition comes from
    cost: ClassVar[int] = 1

    def test(self, view: RequestView) -> bool:
        raise NotImplementedError

    def describe(self) -> str:
        """What the condition requires, e.g. ``model glob 'gpt-4o*'``."""
        raise NotImplementedError

    def explain(self, view: RequestView) -> str:
        """Why ``view`` fails this condition, in the fixture file's words."""
        raise NotImplementedError

    def matches(self, request: Conversation | RequestView) -> bool:
        return self.test(as_view(request))

    def describe_failure(self, request: Conversation | RequestView) -> str:
        return self.explain(as_view(request))

    def __and__(self, other: Condition) -> All:
        return All(self, other)

    def __or__(self, other: Condition) -> Any:
        return Any(self, other)

    def __invert__(self) -> Not:
        return Not(self)


class All(Condition):
    """Every child must hold; no children matches everything (an absent ``match:``)."""

    __slots__ = ("_ordered", "conditions")
    key = "all"

    def __init__(self, *conditions: Condition) -> None:
        flat: list[Condition] = []
        for c in conditions:
            flat.extend(c.conditions if isinstance(c, All) else (c,))
        self.conditions: tuple[Condition, ...] = tuple(flat)
        self._ordered = tuple(sorted(flat, key=lambda c: c.cost))

    @property
    def cost(self) -> int:  # type: ignore[override]
        return sum(c.cost for c in self.conditions)

    def test(self, view: RequestView) -> bool:
        for c in self._ordered:  # a plain loop: measurably cheaper than all(<genexpr>) on the hot path
            if not c.test(view):
                return False
        return True

    def failures(self, request: Conversation | RequestView) -> list[str]:
        """One explanation per failed child, in the order the fixture wrote them."""
        view = as_view(request)
        return [c.explain(view) for c in self.conditions if not c.test(view)]

    def describe(self) -> str:
        return " and ".join(c.describe() for c in self.conditions) if self.conditions else "anything"

    def explain(self, view: RequestView) -> str:
        return "; ".join(self.failures(view))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, All) and other.conditions == self.conditions

    def __hash__(self) -> int:
        return hash(("all", self.conditions))

    def __repr__(self) -> str:
        return f"All({', '.join(map(repr, self.conditions))})"


class Any(Condition):
    """At least one child must hold."""

    __slots__ = ("conditions",)
    key = "any"

    def __init__(self, *conditions: Condition) -> None:
        flat: list[Condition] = []
        for c in conditions:
            flat.extend(c.conditions if isinstance(c, Any) else (c,))
        self.conditions: tuple[Condition, ...] = tuple(flat)

    @property
    def cost(self) -> int:  # type: ignore[override]
        return sum(c.cost for c in self.conditions)

    def test(self, view: RequestView) -> bool:
        return any(c.test(view) for c in self.conditions)

    def describe(self) -> str:
        return "(" + " or ".join(c.describe() for c in self.conditions) + ")"

    def explain(self, view: RequestView) -> str:
        return "none of: " + " | ".join(c.explain(view) for c in self.conditions)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Any) and other.conditions == self.conditions

    def __hash__(self) -> int:
        return hash(("any", self.conditions))

    def __repr__(self) -> str:
        return f"Any({', '.join(map(repr, self.conditions))})"


@dataclass(frozen=True, slots=True)
class Not(Condition):
    condition: Condition
    key: ClassVar[str] = "not"

    @property
    def cost(self) -> int:  # type: ignore[override]
        return self.condition.cost

    def test(self, view: RequestView) -> bool:
        return not self.condition.test(view)

    def describe(self) -> str:
        return f"not {self.condition.describe()}"

    def explain(self, view: RequestView) -> str:
        return f"not: expected the request not to match {self.condition.describe()}, but it did"


# ----- leaf conditions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Model(Condition):
    """``model``: a glob matched case-sensitively (``fnmatchcase``), like model ids themselves."""

    glob: str
    _regex: re.Pattern[str] | None = field(init=False, compare=False, repr=False)
    key: ClassVar[str] = "model"

    def __post_init__(self) -> None:
        # Pre-translate once; plain ids (the usual case) stay a string comparison.
        is_glob = any(ch in self.glob for ch in "*?[")
        object.__setattr__(self, "_regex", re.compile(fnmatch.translate(self.glob)) if is_glob else None)

    def test(self, view: RequestView) -> bool:
        if self._regex is None:
            return view.request.model == self.glob
        return self._regex.match(view.request.model) is not None

    def describe(self) -> str:
        return f"model {self.glob!r}"

    def explain(self, view: RequestView) -> str:
        return f"model: expected {self.glob!r}, got {view.request.model!r}"


@dataclass(frozen=True, slots=True)
class UserContains(Condition):
    """``user``: a case-insensitive substring of the last user message's text.

    Case-insensitive because fixture authors copy phrases from prompts that get capitalised differently
    by templates; use ``user_regex`` for an exact-case test.
    """

    text: str
    _folded: str = field(init=False, compare=False, repr=False)
    key: ClassVar[str] = "user"
    cost: ClassVar[int] = 5

    def __post_init__(self) -> None:
        object.__setattr__(self, "_folded", self.text.casefold())

    def test(self, view: RequestView) -> bool:
        return self._folded in view.user_folded

    def describe(self) -> str:
        return f"user message containing {self.text!r}"

    def explain(self, view: RequestView) -> str:
        if not view.user_text:
            return f"user: expected substring {self.text!r} in last user message, but there is none"
        return f"user: expected substring {self.text!r} in last user message {_quote(view.user_text)}"


@dataclass(frozen=True, slots=True)
class UserRegex(Condition):
    """``user_regex``: a search over the last user message (first :data:`REGEX_TEXT_LIMIT` chars), with a
    :data:`REGEX_TIMEOUT_S` time limit (see the module docstring)."""

    pattern: str
    _regex: re.Pattern[str] = field(init=False, compare=False, repr=False)
    _engine: typing.Any = field(init=False, compare=False, repr=False)  # a ``regex`` pattern, or None
    key: ClassVar[str] = "user_regex"
    cost: ClassVar[int] = 20

    def __post_init__(self) -> None:
        object.__setattr__(self, "_regex", compile_user_regex(self.pattern))
        engine = None
        if _regex_engine is not None:
            try:
                engine = _regex_engine.compile(self.pattern)
            except Exception:  # any disagreement between the engines: fall back to ``re``
                engine = None
        object.__setattr__(self, "_engine", engine)

    def _search(self, text: str) -> bool | None:
        """True/False, or None when the search timed out."""
        if self._engine is None:
            return self._regex.search(text) is not None
        try:
            return self._engine.search(text, timeout=REGEX_TIMEOUT_S) is not None
        except TimeoutError:
            return None

    def test(self, view: RequestView) -> bool:
        return bool(self._search(view.user_text_bounded))

    def describe(self) -> str:
        return f"user message matching /{self.pattern}/"

    def explain(self, view: RequestView) -> str:
        if self._search(view.user_text_bounded) is None:
            return (
                f"user_regex: /{self.pattern}/ timed out after {REGEX_TIMEOUT_S * 1000:g} ms on last user message "
                f"{_quote(view.user_text)}"
            )
        return f"user_regex: expected /{self.pattern}/ to match last user message {_quote(view.user_text)}"


@dataclass(frozen=True, slots=True)
class System(Condition):
    """``system``: a case-insensitive substring of any system or developer message."""

    text: str
    _folded: str = field(init=False, compare=False, repr=False)
    key: ClassVar[str] = "system"
    cost: ClassVar[int] = 5

    def __post_init__(self) -> None:
        object.__setattr__(self, "_folded", self.text.casefold())

    def test(self, view: RequestView) -> bool:
        return self._folded in view.system_folded

    def describe(self) -> str:
        return f"system message containing {self.text!r}"

    def explain(self, view: RequestView) -> str:
        if not view.has_system:
            return f"system: expected substring {self.text!r} in a system/developer message, but there is none"
        return f"system: expected substring {self.text!r} in system/developer messages {_quote(view.system_text)}"


@dataclass(frozen=True, slots=True)
class UserSha(Condition):
    """``user_sha256``: the last user message's text hashes to this (:func:`system_digest`).

    The exact-match condition for long messages: an anchored ``user_regex`` of a few thousand
    characters costs the ``regex`` engine seconds on its first search (it builds tables for the
    literal), and a hash keeps the file small.
    """

    sha256: str
    key: ClassVar[str] = "user_sha256"
    cost: ClassVar[int] = 8

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", self.sha256.lower())

    def test(self, view: RequestView) -> bool:
        return view.user_sha256 == self.sha256

    def describe(self) -> str:
        return f"last user message with sha256 {self.sha256[:12]}…"

    def explain(self, view: RequestView) -> str:
        return f"user_sha256: expected {self.sha256[:12]}…, got {view.user_sha256[:12]}… ({_quote(view.user_text)})"


@dataclass(frozen=True, slots=True)
class SystemSha(Condition):
    """``system_sha256``: the system/developer text hashes to this (:func:`system_digest`).

    Written by ``mockllm record``: the same user message under two system prompts is two exchanges,
    and a hash keeps a long prompt out of the fixture file.
    """

    sha256: str
    key: ClassVar[str] = "system_sha256"
    cost: ClassVar[int] = 8

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", self.sha256.lower())

    def test(self, view: RequestView) -> bool:
        return view.system_sha256 == self.sha256

    def describe(self) -> str:
        return f"system text with sha256 {self.sha256[:12]}…"

    def explain(self, view: RequestView) -> str:
        return (
            f"system_sha256: expected {self.sha256[:12]}…, got {view.system_sha256[:12]}… ({_quote(view.system_text)})"
        )


@dataclass(frozen=True, slots=True)
class ToolsSha(Condition):
    """``tools_sha256``: the request's ``tools`` hash to this (:func:`tools_digest`; no tools is ``[]``)."""

    sha256: str
    key: ClassVar[str] = "tools_sha256"
    cost: ClassVar[int] = 8

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", self.sha256.lower())

    def test(self, view: RequestView) -> bool:
        return view.tools_sha256 == self.sha256

    def describe(self) -> str:
        return f"tools with sha256 {self.sha256[:12]}…"

    def explain(self, view: RequestView) -> str:
        return (
            f"tools_sha256: expected {self.sha256[:12]}…, got {view.tools_sha256[:12]}… (tools {list(view.tool_names)})"
        )


@dataclass(frozen=True, slots=True)
class HasImage(Condition):
    """``has_image``: whether the request carries at least one image part."""

    value: bool = True
    key: ClassVar[str] = "has_image"

    def test(self, view: RequestView) -> bool:
        return bool(view.images) is self.value

    def describe(self) -> str:
        return "a request with images" if self.value else "a request without images"

    def explain(self, view: RequestView) -> str:
        if self.value:
            return "has_image: expected at least one image, got none"
        return f"has_image: expected no images, got {len(view.images)}"


@dataclass(frozen=True, slots=True)
class ImageCount(Condition):
    """``image_count``: the exact number of image parts across all messages."""

    count: int
    key: ClassVar[str] = "image_count"

    def test(self, view: RequestView) -> bool:
        return len(view.images) == self.count

    def describe(self) -> str:
        return f"exactly {self.count} image(s)"

    def explain(self, view: RequestView) -> str:
        return f"image_count: expected {self.count} image(s), got {len(view.images)}"


@dataclass(frozen=True, slots=True)
class ImageSha(Condition):
    """``image_sha256``: some image's decoded bytes hash to this (lower-case hex; unfetched URLs never match)."""

    sha256: str
    key: ClassVar[str] = "image_sha256"

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", self.sha256.lower())

    def test(self, view: RequestView) -> bool:
        return self.sha256 in view.image_hashes

    def describe(self) -> str:
        return f"an image with sha256 {self.sha256[:12]}…"

    def explain(self, view: RequestView) -> str:
        got = sorted(h[:12] + "…" for h in view.image_hashes)
        return f"image_sha256: expected an image with sha256 {self.sha256!r}, got {got or 'no hashable images'}"


@dataclass(frozen=True, slots=True)
class ResponseFormatIs(Condition):
    """``response_format``: the request's ``response_format.type``."""

    type: Literal["text", "json_object", "json_schema"]
    key: ClassVar[str] = "response_format"

    def test(self, view: RequestView) -> bool:
        return view.request.response_format.type == self.type

    def describe(self) -> str:
        return f"response_format {self.type!r}"

    def explain(self, view: RequestView) -> str:
        return f"response_format: expected {self.type!r}, got {view.request.response_format.type!r}"


@dataclass(frozen=True, slots=True)
class OffersTool(Condition):
    """``tool``: a tool of this name is among the request's ``tools`` (whatever ``tool_choice`` says)."""

    name: str
    key: ClassVar[str] = "tool"

    def test(self, view: RequestView) -> bool:
        return self.name in view.tool_names

    def describe(self) -> str:
        return f"tool {self.name!r} offered"

    def explain(self, view: RequestView) -> str:
        offered = list(view.tool_names)
        return f"tool: expected a tool named {self.name!r}, got {offered if offered else 'no tools'}"


@dataclass(frozen=True, slots=True)
class ToolResult(Condition):
    """``tool_result``: whether the newest message is a tool result (``true``/``false``), or a result of a
    call to the tool of this name (after parallel calls, any of the results sent back together)."""

    value: bool | str
    key: ClassVar[str] = "tool_result"
    cost: ClassVar[int] = 2

    def test(self, view: RequestView) -> bool:
        if self.value is True:
            return view.request.ends_with_tool_result
        if self.value is False:
            return not view.request.ends_with_tool_result
        return self.value in view.answered_tools

    def describe(self) -> str:
        if self.value is True:
            return "a tool result as the newest message"
        if self.value is False:
            return "a newest message that is not a tool result"
        return f"the result of a call to {self.value!r}"

    def explain(self, view: RequestView) -> str:
        if self.value is True:
            return f"tool_result: expected the newest message to be a tool result, got {view.newest}"
        if self.value is False:
            return f"tool_result: expected the newest message not to be a tool result, got {view.newest}"
        return f"tool_result: expected the result of a call to {self.value!r}, got {view.newest}"


@dataclass(frozen=True, slots=True)
class Turn(Condition):
    """``turn``: how many assistant messages the conversation already holds (0 on the first call), so each
    step of an agent loop, which repeats the same user message, can be told apart."""

    count: int
    key: ClassVar[str] = "turn"
    cost: ClassVar[int] = 2

    def test(self, view: RequestView) -> bool:
        return view.turn == self.count

    def describe(self) -> str:
        return f"turn {self.count}"

    def explain(self, view: RequestView) -> str:
        return (
            f"turn: expected {self.count} assistant message(s) before this request, got {view.turn} "
            f"(newest: {view.newest})"
        )


@dataclass(frozen=True, slots=True)
class LoopSha(Condition):
    """``loop_sha256``: the messages after the last user message hash to this (:func:`loop_digest`).

    Written by ``mockllm record`` so that two agent loops started by the same question, whose tool calls
    or tool results differ, are two recordings rather than one sequence.
    """

    sha256: str
    key: ClassVar[str] = "loop_sha256"
    cost: ClassVar[int] = 8

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", self.sha256.lower())

    def test(self, view: RequestView) -> bool:
        return view.loop_sha256 == self.sha256

    def describe(self) -> str:
        return f"agent loop with sha256 {self.sha256[:12]}…"

    def explain(self, view: RequestView) -> str:
        after = len(loop_messages(view.request.messages))
        return (
            f"loop_sha256: expected {self.sha256[:12]}…, got {view.loop_sha256[:12]}… ({after} message(s) after "
            f"the last user message, newest: {view.newest})"
        )


@dataclass(frozen=True, slots=True)
class Stream(Condition):
    """``stream``: whether the request asked for server-sent events."""

    value: bool
    key: ClassVar[str] = "stream"

    def test(self, view: RequestView) -> bool:
        return view.request.stream is self.value

    def describe(self) -> str:
        return "a streamed request" if self.value else "a non-streamed request"

    def explain(self, view: RequestView) -> str:
        return f"stream: expected {_bool(self.value)}, got {_bool(view.request.stream)}"


@dataclass(frozen=True, slots=True)
class Header(Condition):
    """``headers``: one request header, name case-insensitive, value exact."""

    name: str
    value: str
    key: ClassVar[str] = "headers"

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", self.name.lower())

    def test(self, view: RequestView) -> bool:
        return view.request.headers.get(self.name) == self.value

    def describe(self) -> str:
        return f"header {self.name}: {self.value!r}"

    def explain(self, view: RequestView) -> str:
        got = view.request.headers.get(self.name)
        if got is None:
            return f"headers.{self.name}: expected {self.value!r}, but the header is absent"
        return f"headers.{self.name}: expected {self.value!r}, got {_quote(got)}"


@dataclass(frozen=True, slots=True)
class Session(Condition):
    """``session``: the ``x-mockllm-session`` value, so one test's fixtures never answer another's calls."""

    session: str
    key: ClassVar[str] = "session"

    def test(self, view: RequestView) -> bool:
        return view.request.session == self.session

    def describe(self) -> str:
        return f"session {self.session!r}"

    def explain(self, view: RequestView) -> str:
        got = view.request.session
        if got is None:
            return f"session: expected {self.session!r}, but the request has no x-mockllm-session header"
        return f"session: expected {self.session!r}, got {got!r}"


@dataclass(frozen=True, slots=True)
class Api(Condition):
    """``api``: which API the request came through (``chat``, ``responses``, ``messages``, ``embeddings``)."""

    api: str
    key: ClassVar[str] = "api"

    def test(self, view: RequestView) -> bool:
        return view.api == self.api

    def describe(self) -> str:
        return f"a {self.api} request"

    def explain(self, view: RequestView) -> str:
        return f"api: expected {self.api!r}, got {view.api!r}"


@dataclass(frozen=True, slots=True)
class Input(Condition):
    """``input``: an embeddings input equal to this text, exactly (case and spaces included): pinning a
    vector is about one text, and a substring would pin every text that contains it. Each input of a
    batch is decided on its own."""

    text: str
    key: ClassVar[str] = "input"
    cost: ClassVar[int] = 2

    def test(self, view: RequestView) -> bool:
        return view.input_text == self.text

    def describe(self) -> str:
        return f"embeddings input {self.text!r}"

    def explain(self, view: RequestView) -> str:
        if view.input_text is None:
            return f"input: expected the embeddings input {_quote(self.text)}, but this is a {view.api} request"
        return f"input: expected {_quote(self.text)}, got {_quote(view.input_text)}"


# ----- regex safety ---------------------------------------------------------------------------------


class UnsafeRegexError(ValueError):
    """A pattern that could backtrack exponentially (see the module docstring for the rule)."""


_REPEATS = (_sre.MAX_REPEAT, _sre.MIN_REPEAT)
_WILD = "<any>"  # first-character set marker: could start with (nearly) anything
_EMPTY = "<empty>"  # the sequence can match the empty string


def compile_user_regex(pattern: str) -> re.Pattern[str]:
    """Compile a ``user_regex``; raise ``re.error`` if invalid, :class:`UnsafeRegexError` if unsafe.

    The message of either is meant to be shown to the fixture author as is.
    """
    compiled = re.compile(pattern)  # re.error carries "missing ), unterminated subpattern at position 8"
    parsed = _sre_parse.parse(pattern)
    ignore_case = bool(parsed.state.flags & re.IGNORECASE)
    problem = _unsafe_repeat(parsed, ignore_case, inside_repeat=False)
    if problem:
        raise UnsafeRegexError(
            f"unsafe regex: {problem} can backtrack exponentially; use a possessive quantifier (a++), "
            "an atomic group (?>...) or a character class instead"
        )
    return compiled


def _unsafe_repeat(items: Iterable[tuple[object, object]], ignore_case: bool, *, inside_repeat: bool) -> str | None:
    """Walk the parsed pattern; report the first repeat whose body makes backtracking ambiguous."""
    for op, av in items:
        if op in _REPEATS:
            lo, hi, body = av  # type: ignore[misc]
            if inside_repeat and hi != lo:
                return "a quantifier inside a repeated group"
            if hi > 1:
                found = _ambiguous_branch(body, ignore_case) or _unsafe_repeat(body, ignore_case, inside_repeat=True)
            else:
                found = _unsafe_repeat(body, ignore_case, inside_repeat=inside_repeat)
            if found:
                return found
        elif op is _sre.POSSESSIVE_REPEAT or op is _sre.ATOMIC_GROUP:
            continue  # no backtracking into these: the escape hatch the error message recommends
        else:
            for sub in _children(op, av):
                found = _unsafe_repeat(sub, ignore_case, inside_repeat=inside_repeat)
                if found:
                    return found
    return None


def _children(op: object, av: object) -> list[list[tuple[object, object]]]:
    """Sub-sequences of one parsed item (groups, branches, look-arounds, conditionals)."""
    if op is _sre.SUBPATTERN:
        return [av[3]]  # type: ignore[index]
    if op is _sre.BRANCH:
        return list(av[1])  # type: ignore[index]
    if op in (_sre.ASSERT, _sre.ASSERT_NOT):
        return [av[1]]  # type: ignore[index]
    if op is _sre.GROUPREF_EXISTS:
        return [b for b in av[1:] if b is not None]  # type: ignore[index]
    return []


def _ambiguous_branch(items: Iterable[tuple[object, object]], ignore_case: bool) -> str | None:
    """Inside a repeated body: an alternation whose branches could consume the same input."""
    for op, av in items:
        if op is _sre.BRANCH:
            firsts = [_first_chars(branch, ignore_case) for branch in av[1]]  # type: ignore[index]
            if any(_EMPTY in first for first in firsts):
                return "a repeated alternation with overlapping or empty branches"
            for i, a in enumerate(firsts):
                for b in firsts[i + 1 :]:
                    if _WILD in a or _WILD in b or a & b:
                        return "a repeated alternation with overlapping or empty branches"
        for sub in _children(op, av):
            found = _ambiguous_branch(sub, ignore_case)
            if found:
                return found
    return None


def _first_chars(items: Iterable[tuple[object, object]], ignore_case: bool) -> set[str]:
    """The characters a sequence can start with (approximated: anything unclear is ``_WILD``)."""
    result: set[str] = set()
    for op, av in items:
        if op is _sre.AT:
            continue  # anchors consume nothing
        if op is _sre.LITERAL:
            ch = chr(av)  # type: ignore[arg-type]
            result.add(ch.casefold() if ignore_case else ch)
            return result
        if op is _sre.IN:
            chars = _class_chars(av, ignore_case)  # type: ignore[arg-type]
            result |= chars
            return result
        if op is _sre.SUBPATTERN:
            inner = _first_chars(av[3], ignore_case)  # type: ignore[index]
        elif op is _sre.BRANCH:
            inner = set().union(*(_first_chars(b, ignore_case) for b in av[1]))  # type: ignore[index]
        elif op in _REPEATS or op is _sre.POSSESSIVE_REPEAT:
            lo, _hi, body = av  # type: ignore[misc]
            inner = _first_chars(body, ignore_case)
            if lo == 0:
                inner.add(_EMPTY)
        else:
            return result | {_WILD}  # ANY, CATEGORY, NOT_LITERAL, back-references, look-arounds...
        result |= inner - {_EMPTY}
        if _EMPTY not in inner:
            return result
    result.add(_EMPTY)
    return result


def _class_chars(members: list[tuple[object, object]], ignore_case: bool) -> set[str]:
    chars: set[str] = set()
    for op, av in members:
        if op is _sre.LITERAL:
            ch = chr(av)  # type: ignore[arg-type]
            chars.add(ch.casefold() if ignore_case else ch)
        elif op is _sre.RANGE and av[1] - av[0] < 256:  # type: ignore[index,operator]
            for code in range(av[0], av[1] + 1):  # type: ignore[index,operator]
                ch = chr(code)
                chars.add(ch.casefold() if ignore_case else ch)
        else:  # NEGATE, CATEGORY, wide ranges
            return {_WILD}
    return chars
