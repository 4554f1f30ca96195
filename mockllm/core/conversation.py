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
    def images(self) -> list[ImageInfo]:
        return [p.image for m in self.messages if isinstance(m.content, list) for p in m.content if p.image]

    @property
    def audios(self) -> list[AudioInfo]:
        return [p.audio for m in self.messages if isinstance(m.content, list) for p in m.content if p.audio]
