"""The neutral conversation: what the engine reasons about once an API's wire JSON passed validation.

Every API package (``mockllm.apis.chat``, ``.responses``, ...) parses its own format into these same
objects: messages with text, images, audio, tool calls and tool results; tools and the tool choice; the
output constraints (max tokens, stop, response format, n, reasoning); model, stream, session and headers.
Fixture conditions (``user``, ``system``, ``tool``, ``has_image``, ...) are questions about a
:class:`Conversation`, so they hold on every API. A tool result is always a ``tool`` message carrying the
``tool_call_id`` of an assistant message's ``tool_calls`` entry (chat-shaped), whatever the API calls it.

Plain slotted dataclasses rather than pydantic models: validation has already checked every field with
the API's exact wording, so building these costs nothing on the hot path. The original body stays
available as ``raw`` for the journal and for fixtures that match on arbitrary fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "developer", "user", "assistant", "tool", "function"]


@dataclass(slots=True, frozen=True)
class ImageInfo:
    """What we could learn about one image part without fetching anything (see ``vision.py``)."""

    source: Literal["data", "url"]
    url: str  # the URL as sent (data URLs included; never logged in full by the journal)
    detail: Literal["auto", "low", "high"]
    format: str | None  # png / jpeg / gif / webp; None for an unfetched http(s) URL
    width: int  # for an unfetched URL: the documented default size
    height: int
    byte_size: int  # decoded bytes; 0 for an unfetched URL
    sha256: str | None  # of the decoded bytes; None for an unfetched URL
    dominant_color: str | None  # "#rrggbb" when the pixels were readable


@dataclass(slots=True, frozen=True)
class AudioInfo:
    """One ``input_audio`` part, decoded and measured."""

    format: Literal["wav", "mp3"]
    duration_s: float
    byte_size: int
    sha256: str


@dataclass(slots=True)
class Part:
    """One content part. ``type`` is OpenAI's part type; only the matching payload field is set."""

    type: Literal["text", "image_url", "input_audio", "file", "refusal"]
    text: str | None = None
    image: ImageInfo | None = None
    audio: AudioInfo | None = None
    file: dict[str, Any] | None = None


@dataclass(slots=True)
class Message:
    role: Role
    text: str  # all text of the message joined with "\n" ("" when none): what matchers and the generator read
    content: str | list[Part] | None  # as sent (string form kept as a string)
    name: str | None = None
    tool_calls: list[dict[str, Any]] | None = None  # as sent on assistant messages
    tool_call_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True, frozen=True)
class ToolSpec:
    name: str
    type: Literal["function", "custom"] = "function"
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool = False


@dataclass(slots=True, frozen=True)
class ToolChoice:
    """Normalised ``tool_choice``: mode plus, for a named choice, the one function allowed.

    ``allowed`` restricts the tools the model may call (``allowed_tools``); None means all offered.
    """

    mode: Literal["none", "auto", "required"]
    name: str | None = None
    allowed: tuple[str, ...] | None = None


@dataclass(slots=True, frozen=True)
class ResponseFormat:
    type: Literal["text", "json_object", "json_schema"] = "text"
    name: str | None = None
    schema: dict[str, Any] | None = None
    strict: bool = False


@dataclass(slots=True)
class Conversation:
    """A request that passed validation. Defaults are OpenAI's chat defaults; ``api`` names the wire API
    it arrived on (``chat``, ``responses``, ``messages``), for the ``api:`` fixture condition and the
    journal."""

    model: str
    messages: list[Message]
    raw: dict[str, Any] = field(default_factory=dict)
    stream: bool = False
    include_usage: bool = False
    include_obfuscation: bool = True
    n: int = 1
    stop: tuple[str, ...] = ()
    max_tokens: int | None = None  # the effective output limit, from max_completion_tokens or max_tokens
    temperature: float | None = None
    top_p: float | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logprobs: bool = False
    top_logprobs: int | None = None
    seed: int | None = None
    tools: tuple[ToolSpec, ...] = ()
    functions: tuple[ToolSpec, ...] = ()  # the deprecated ``functions`` definitions (billed like tools)
    function_choice: ToolChoice = ToolChoice("auto")  # the deprecated ``function_call``, normalised
    tool_choice: ToolChoice = ToolChoice("none")
    parallel_tool_calls: bool = True
    response_format: ResponseFormat = ResponseFormat()
    reasoning_effort: str | None = None
    service_tier: str | None = None
    user: str | None = None
    web_search_options: dict[str, Any] | None = None
    extras: dict[str, Any] = field(default_factory=dict)  # dialect parameters accepted by the profile (top_k, ...)
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    api_key: str | None = None
    session: str | None = None  # x-mockllm-session
    api: str = "chat"
    edge: Any = None  # what the API's edge keeps from parsing for rendering (the Responses echo fields)

    @property
    def last_user_text(self) -> str:
        for message in reversed(self.messages):
            if message.role == "user":
                return message.text
        return ""

    @property
    def system_text(self) -> str:
        return "\n".join(m.text for m in self.messages if m.role in ("system", "developer"))

    @property
    def turn(self) -> int:
        """How many assistant messages the conversation already holds (0 on an agent's first call)."""
        return conversation_turn(self.messages)

    @property
    def ends_with_tool_result(self) -> bool:
        """The newest message is a tool result (role ``tool``, or the deprecated ``function``)."""
        return bool(self.messages) and self.messages[-1].role in TOOL_RESULT_ROLES

    @property
    def answered_tools(self) -> tuple[str, ...]:
        """The tools whose results are the newest messages (see :func:`answered_tools`)."""
        return answered_tools(self.messages)

    @property
    def images(self) -> list[ImageInfo]:
        return [p.image for m in self.messages if isinstance(m.content, list) for p in m.content if p.image]

    @property
    def audios(self) -> list[AudioInfo]:
        return [p.audio for m in self.messages if isinstance(m.content, list) for p in m.content if p.audio]


# ----- the conversation's state ---------------------------------------------------------------------
#
# Questions about where an agent loop stands, asked of the neutral message list rather than of any wire
# format: the Chat Completions validator builds these messages directly, and the other APIs (Responses'
# ``function_call_output`` items, Anthropic's ``tool_result`` blocks) are translated into the same shape
# (assistant messages carrying ``tool_calls``, results as role ``tool`` with a ``tool_call_id``), so
# ``turn`` and ``tool_result`` conditions mean the same thing whichever API carried the conversation.

TOOL_RESULT_ROLES = frozenset({"tool", "function"})


def conversation_turn(messages: Sequence[Message]) -> int:
    """The number of assistant messages already in the conversation: each model answer is one turn."""
    return sum(1 for m in messages if m.role == "assistant")


def call_name(call: Any) -> str | None:
    """The tool name of one entry of an assistant message's ``tool_calls`` (function or custom tool)."""
    if not isinstance(call, dict):
        return None
    body = call.get("function") if call.get("type", "function") == "function" else call.get("custom")
    name = body.get("name") if isinstance(body, dict) else None
    return name if isinstance(name, str) else None


def answered_tools(messages: Sequence[Message]) -> tuple[str, ...]:
    """Names of the tools whose results close the conversation, oldest first; () when it ends otherwise.

    The results are the trailing run of ``tool``/``function`` messages: after parallel calls the client
    sends one result per call, and each of them answers the model's latest move. A ``tool`` message is
    named through the assistant message whose ``tool_calls`` holds its ``tool_call_id``; a ``function``
    message names itself. A result whose call cannot be found (impossible after validation) is skipped.
    """
    end = len(messages)
    start = end
    while start > 0 and messages[start - 1].role in TOOL_RESULT_ROLES:
        start -= 1
    if start == end:
        return ()
    names: dict[str, str] = {}  # call id -> tool name, from the assistant messages before the results
    for message in messages[:start]:
        if message.role == "assistant" and message.tool_calls:
            for call in message.tool_calls:
                name = call_name(call)
                if name is not None and isinstance(call.get("id"), str):
                    names[call["id"]] = name
    found: list[str] = []
    for message in messages[start:end]:
        name = message.name if message.role == "function" else names.get(message.tool_call_id or "")
        if name is not None:
            found.append(name)
    return tuple(found)


def loop_messages(messages: Sequence[Message]) -> Sequence[Message]:
    """The messages after the last user message: the agent loop so far (all of them if no user spoke)."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].role == "user":
            return messages[index + 1 :]
    return messages
