"""``POST /v1/messages`` validation: Anthropic's wire JSON in, the neutral conversation out.

Errors read as the API's (PROTOCOL-anthropic.md §2): a 400 ``invalid_request_error`` whose message
starts with the dotted path of the offending field (``messages.1.content.0.source.media_type: ...``),
with pydantic's templates for schema errors (``Field required``, ``Extra inputs are not permitted``,
``Input should be ...``) and the API's own sentences for its semantic rules (tool pairing, thinking
budget, the ``max_tokens`` ceiling, empty content).

The translation mirrors the Responses validator's: ``system`` becomes a system message first;
``tool_use`` blocks become the assistant message's chat-shaped ``tool_calls``; each ``tool_result``
block becomes a ``tool`` message with its ``tool_call_id``, and a user turn's text blocks a user
message after them. So fixture conditions (``user``, ``system``, ``tool``, ``has_image``...), the
generator and token counting see the same conversation whichever API it came on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from ...core.catalog import ModelInfo
from ...core.conversation import Conversation, ImageInfo, Message, Part, ToolChoice, ToolSpec
from ...core.errors import ApiError
from ...core.surface import InspectImage
from .errors import AnthropicError, invalid

__all__ = [
    "COUNT_PARAMS",
    "CREATE_PARAMS",
    "VERSIONS",
    "ParsedMessages",
    "check_version",
    "validate_messages_request",
]

#: ``anthropic-version`` values the API accepts (DOCS versioning; 2023-01-01 still accepted [UNVERIFIED]).
VERSIONS = ("2023-06-01", "2026-10-21", "2023-01-01")
#: Fields the 2026-10-21 version removed (PROTOCOL-anthropic.md §1.2).
_REMOVED_IN_2026 = ("temperature", "top_p", "top_k")

#: Every top-level field of ``MessageCreateParams`` (SDK2); the fields after ``metadata`` are accepted
#: and have no effect here (cache, containers, geography, effort, speed).
CREATE_PARAMS = frozenset(
    {"model", "max_tokens", "messages", "system", "stop_sequences", "stream", "temperature", "top_p", "top_k",
     "tools", "tool_choice", "thinking", "metadata", "service_tier", "cache_control", "container", "diagnostics",
     "inference_geo", "output_config", "speed", "user_profile_id", "workspace_id", "context_management",
     "mcp_servers"}
)  # fmt: skip
#: ``MessageCountTokensParams``: the create body without ``max_tokens``, ``stream`` and the sampling knobs.
COUNT_PARAMS = frozenset(
    {"model", "messages", "system", "tools", "tool_choice", "thinking", "output_config", "cache_control",
     "context_management", "mcp_servers", "speed"}
)  # fmt: skip

_MEDIA_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
_USER_BLOCKS = ("text", "image", "document", "tool_result", "search_result")
_ASSISTANT_BLOCKS = ("text", "tool_use", "thinking", "redacted_thinking")
_ALL_BLOCKS = (
    "text", "image", "document", "search_result", "thinking", "redacted_thinking", "tool_use", "tool_result",
    "server_tool_use", "web_search_tool_result",
)  # fmt: skip
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
_MAX_IMAGE_B64 = 5 * 1024 * 1024
#: Images per request, and the pixel limits (DOCS vision, PROTOCOL-anthropic.md §2.2).
_MAX_IMAGES = 100
_MAX_SIDE, _MAX_SIDE_MANY = 8000, 2000


@dataclass(slots=True)
class ParsedMessages:
    """What the Messages surface keeps besides the conversation, for rendering."""

    version: str
    thinking: str  # "disabled" / "enabled" / "adaptive"
    budget_tokens: int | None
    stop_sequences: tuple[str, ...]


# ----- value checks, in pydantic's words ------------------------------------------------------------------


def _kind(value: Any) -> str:
    return type(value).__name__


def _required(obj: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in obj:
        raise invalid(f"{path}{key}: Field required")
    return obj[key]


def _string(value: Any, path: str) -> str:
    if type(value) is not str:
        raise invalid(f"{path}: Input should be a valid string")
    return value


def _integer(value: Any, path: str, minimum: int | None = None) -> int:
    if type(value) is float and value.is_integer():
        value = int(value)
    if type(value) is not int:
        if type(value) is float:
            raise invalid(f"{path}: Input should be a valid integer, got a number with a fractional part")
        raise invalid(f"{path}: Input should be a valid integer")
    if minimum is not None and value < minimum:
        raise invalid(f"{path}: Input should be greater than or equal to {minimum}")
    return value


def _number(value: Any, path: str, minimum: float, maximum: float | None) -> float:
    if type(value) not in (int, float):
        raise invalid(f"{path}: Input should be a valid number")
    if value < minimum:
        raise invalid(f"{path}: Input should be greater than or equal to {_num(minimum)}")
    if maximum is not None and value > maximum:
        raise invalid(f"{path}: Input should be less than or equal to {_num(maximum)}")
    return float(value)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _boolean(value: Any, path: str) -> bool:
    if type(value) is not bool:
        raise invalid(f"{path}: Input should be a valid boolean")
    return value


def _object(value: Any, path: str) -> dict[str, Any]:
    if type(value) is not dict:
        raise invalid(f"{path}: Input should be a valid dictionary")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if type(value) is not list:
        raise invalid(f"{path}: Input should be a valid list")
    return value


def _choices(values: Sequence[str]) -> str:
    quoted = [f"'{v}'" for v in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f" or {quoted[-1]}"


def _enum(value: Any, path: str, allowed: Sequence[str]) -> str:
    if value not in allowed or type(value) is not str:
        raise invalid(f"{path}: Input should be {_choices(allowed)}")
    return value


def _no_extra(obj: Mapping[str, Any], allowed: frozenset[str] | tuple[str, ...], path: str) -> None:
    for key in obj:
        if key not in allowed:
            raise invalid(f"{path}{key}: Extra inputs are not permitted")


# ----- headers ---------------------------------------------------------------------------------------------


def check_version(headers: Mapping[str, str]) -> str:
    """The ``anthropic-version`` header, required and one of :data:`VERSIONS` (§1.2)."""
    version = headers.get("anthropic-version")
    if version is None:
        raise invalid("anthropic-version: header is required")
    if version not in VERSIONS:
        raise invalid(f'anthropic-version: "{version}" is not a valid version')
    return version


# ----- content blocks ----------------------------------------------------------------------------------


def _text_blocks(value: Any, path: str) -> str:
    """``system`` (or a tool result's content) as a string or a list of ``text`` blocks; their text."""
    if type(value) is str:
        return value
    blocks = _list(value, path)
    texts = []
    for j, block in enumerate(blocks):
        p = f"{path}.{j}"
        _object(block, p)
        _enum(_required(block, "type", f"{p}."), f"{p}.type", ("text",))
        texts.append(_string(_required(block, "text", f"{p}."), f"{p}.text"))
    return "\n".join(texts)


def _image(block: dict[str, Any], path: str, inspect_image: InspectImage | None) -> ImageInfo | None:
    """An ``image`` block, checked as strictly as chat's images by the same inspector (a chat-shaped part
    is built for it), with the API's own wording for its own limits (§2.2)."""
    source = _object(_required(block, "source", f"{path}."), f"{path}.source")
    kind = _enum(_required(source, "type", f"{path}.source."), f"{path}.source.type", ("base64", "url", "file"))
    if kind == "file":
        _string(_required(source, "file_id", f"{path}.source."), f"{path}.source.file_id")
        return None
    if kind == "url":
        url = _string(_required(source, "url", f"{path}.source."), f"{path}.source.url")
        part = {"type": "image_url", "image_url": {"url": url}}
        return _inspect(inspect_image, part, f"{path}.source.url", None)
    media_type = _required(source, "media_type", f"{path}.source.")
    _enum(media_type, f"{path}.source.base64.media_type", _MEDIA_TYPES)
    data = _string(_required(source, "data", f"{path}.source."), f"{path}.source.data")
    if len(data) > _MAX_IMAGE_B64:
        raise invalid(f"{path}.source.base64: image exceeds 5 MB maximum: {len(data)} bytes > {_MAX_IMAGE_B64} bytes")
    part = {"type": "image_url", "image_url": {"url": f"data:{media_type};base64,{data}"}}
    return _inspect(inspect_image, part, f"{path}.source.base64.data", media_type)


def _inspect(
    inspect_image: InspectImage | None, part: dict[str, Any], path: str, media: str | None
) -> ImageInfo | None:
    if inspect_image is None:
        return None
    try:
        return inspect_image(part, path)
    except AnthropicError:
        raise
    except ApiError as error:
        if media is not None and "bytes are a" in error.message:
            raise invalid(f"{path}: Image does not match the provided media type {media}") from None
        if error.code == "invalid_image_url" or error.code == "image_fetch_failed":
            raise invalid(f"{path}: {error.message}") from None
        raise invalid("Could not process image") from None


@dataclass(slots=True)
class _Turn:
    """One message of the request once parsed, before it is split into neutral messages."""

    role: str
    index: int
    texts: list[str]
    parts: list[Part]
    tool_uses: list[dict[str, Any]]
    tool_results: list[tuple[int, str, str]]  # (block index, tool_use_id, text)
    raw: dict[str, Any]
    string_content: bool


def _parse_turn(
    raw: Any, i: int, inspect_image: InspectImage | None, version: str, last: bool, images: list[ImageInfo]
) -> _Turn:
    p = f"messages.{i}"
    item = _object(raw, p)
    _no_extra(item, ("role", "content"), f"{p}.")
    role = _required(item, "role", f"{p}.")
    if role == "system" and version == "2023-06-01":
        raise invalid(
            'messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, '
            'not "system" as an input message role.'
        )
    role = _enum(role, f"{p}.role", ("user", "assistant", "system"))
    content = _required(item, "content", f"{p}.")
    empty = invalid(f"{p}: all messages must have non-empty content except for the optional final assistant message")
    turn = _Turn(role, i, [], [], [], [], item, type(content) is str)
    if type(content) is str:
        if not content and not (last and role == "assistant"):
            raise empty
        turn.texts.append(content)
        return turn
    blocks = _list(content, f"{p}.content")
    if not blocks and not (last and role == "assistant"):
        raise empty
    allowed = {"user": _USER_BLOCKS, "assistant": _ASSISTANT_BLOCKS, "system": ("text",)}[role]
    for j, block in enumerate(blocks):
        q = f"{p}.content.{j}"
        _object(block, q)
        kind = _required(block, "type", f"{q}.")
        if kind not in _ALL_BLOCKS or type(kind) is not str:
            raise invalid(
                f"{q}: Input tag '{kind}' found using 'type' does not match any of the expected tags: "
                f"{_choices(_ALL_BLOCKS)}"
            )
        if kind not in allowed:
            # [UNVERIFIED wording] the API refuses blocks of the other role's kind.
            raise invalid(f"{q}.type: `{kind}` blocks are not allowed in `{role}` messages")
        if kind == "text":
            text = _string(_required(block, "text", f"{q}."), f"{q}.text")
            if not text:
                raise invalid("messages: text content blocks must be non-empty")  # [UNVERIFIED wording]
            turn.texts.append(text)
            turn.parts.append(Part("text", text=text))
        elif kind == "image":
            info = _image(block, q, inspect_image)
            if info is not None:
                images.append(info)
            turn.parts.append(Part("image_url", image=info))
        elif kind == "document":
            if version == "2026-10-21" and role == "assistant":
                raise invalid(f"{q}: document blocks are not allowed in assistant messages")
            source = _object(_required(block, "source", f"{q}."), f"{q}.source")
            if source.get("type") == "text" and type(source.get("data")) is str:
                turn.texts.append(source["data"])
                turn.parts.append(Part("text", text=source["data"]))
            else:
                turn.parts.append(Part("file", file=block))
        elif kind == "search_result":
            turn.parts.append(Part("file", file=block))
        elif kind == "tool_use":
            call_id = _string(_required(block, "id", f"{q}."), f"{q}.id")
            name = _string(_required(block, "name", f"{q}."), f"{q}.name")
            arguments = _object(_required(block, "input", f"{q}."), f"{q}.input")
            turn.tool_uses.append(
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)},
                }
            )
        elif kind == "tool_result":
            use_id = _string(_required(block, "tool_use_id", f"{q}."), f"{q}.tool_use_id")
            text = ""
            if block.get("content") is not None:
                text = _tool_result_text(block["content"], f"{q}.content", inspect_image, images, turn)
            if block.get("is_error") is not None:
                _boolean(block["is_error"], f"{q}.is_error")
            turn.tool_results.append((j, use_id, text))
        elif kind == "thinking":
            _string(_required(block, "thinking", f"{q}."), f"{q}.thinking")
            _string(_required(block, "signature", f"{q}."), f"{q}.signature")
        elif kind == "redacted_thinking":
            _string(_required(block, "data", f"{q}."), f"{q}.data")
    if last and role == "assistant" and turn.texts and turn.texts[-1] != turn.texts[-1].rstrip():
        raise invalid("messages: final assistant content cannot end with trailing whitespace")  # [UNVERIFIED]
    return turn


def _tool_result_text(
    content: Any, path: str, inspect_image: InspectImage | None, images: list[ImageInfo], turn: _Turn
) -> str:
    if type(content) is str:
        return content
    texts = []
    for k, block in enumerate(_list(content, path)):
        q = f"{path}.{k}"
        _object(block, q)
        kind = _enum(_required(block, "type", f"{q}."), f"{q}.type", ("text", "image", "document", "search_result"))
        if kind == "text":
            texts.append(_string(_required(block, "text", f"{q}."), f"{q}.text"))
        elif kind == "image":
            info = _image(block, q, inspect_image)
            if info is not None:
                images.append(info)
            turn.parts.append(Part("image_url", image=info))
    return "\n".join(texts)


def _check_pairing(turns: list[_Turn]) -> None:
    """Each ``tool_use`` needs its ``tool_result`` in the next message and each result its use in the
    previous one (§2.2, the API's own wording)."""
    for n, turn in enumerate(turns):
        previous = {c["id"] for c in turns[n - 1].tool_uses} if n > 0 else set()
        for j, use_id, _ in turn.tool_results:
            if use_id not in previous:
                raise invalid(
                    f"messages.{turn.index}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: "
                    f"{use_id}. Each `tool_result` block must have a corresponding `tool_use` block in the previous "
                    "message."
                )
        if turn.tool_uses:
            answered = {r[1] for r in turns[n + 1].tool_results} if n + 1 < len(turns) else set()
            missing = [c["id"] for c in turn.tool_uses if c["id"] not in answered]
            if missing:
                raise invalid(
                    f"messages.{turn.index}: `tool_use` ids were found without `tool_result` blocks immediately "
                    f"after: {', '.join(missing)}. Each `tool_use` block must have a corresponding `tool_result` "
                    "block in the next message."
                )


def _neutral(turns: list[_Turn]) -> list[Message]:
    """Turns → neutral messages: consecutive turns of a role merge (as the API combines them), tool
    results become ``tool`` messages ahead of the user's text."""
    messages: list[Message] = []
    for turn in turns:
        for _, use_id, text in turn.tool_results:
            messages.append(Message("tool", text, text, tool_call_id=use_id, raw={"role": "tool"}))
        has_text = bool(turn.texts) or any(p.type != "text" for p in turn.parts)
        if not has_text and not turn.tool_uses:
            if turn.tool_results:
                continue
            if turn.role != "assistant":
                continue
        text = "\n".join(turn.texts)
        content: str | list[Part] = text if turn.string_content else [*turn.parts]
        previous = messages[-1] if messages else None
        if previous is not None and previous.role == turn.role and not turn.tool_results:
            previous.text = "\n".join(t for t in (previous.text, text) if t)
            if isinstance(previous.content, list) or isinstance(content, list):
                before = previous.content if isinstance(previous.content, list) else [Part("text", text=previous.text)]
                after = content if isinstance(content, list) else [Part("text", text=text)]
                previous.content = [*before, *after]
            else:
                previous.content = previous.text
            if turn.tool_uses:
                previous.tool_calls = [*(previous.tool_calls or []), *turn.tool_uses]
            continue
        role = cast(Any, turn.role)
        messages.append(Message(role, text, content, tool_calls=list(turn.tool_uses) or None, raw=turn.raw))
    return messages


# ----- tools ---------------------------------------------------------------------------------------------


def _tools(value: Any) -> tuple[ToolSpec, ...]:
    specs: list[ToolSpec] = []
    seen: set[str] = set()
    for i, raw in enumerate(_list(value, "tools")):
        p = f"tools.{i}"
        tool = _object(raw, p)
        kind = tool.get("type")
        if kind not in (None, "custom"):
            # Server tools (web search, code execution...) run on Anthropic's side: nothing to emulate.
            raise invalid(f"{p}.type: mockllm does not emulate the server tool '{kind}'; define a client tool")
        _no_extra(
            tool,
            ("type", "name", "description", "input_schema", "cache_control", "strict", "input_examples",
             "defer_loading", "allowed_callers", "eager_input_streaming"),
            f"{p}.",
        )  # fmt: skip
        name = _string(_required(tool, "name", f"{p}."), f"{p}.name")
        if _TOOL_NAME.match(name) is None:
            raise invalid(f"{p}.name: String should match pattern '^[a-zA-Z0-9_-]{{1,128}}$'")
        schema = _object(_required(tool, "input_schema", f"{p}."), f"{p}.input_schema")
        if schema.get("type") != "object":
            raise invalid(f"{p}.input_schema.type: Input should be 'object'")
        description = tool.get("description")
        if description is not None:
            _string(description, f"{p}.description")
        if name in seen:
            raise invalid("tools: Tool names must be unique.")  # [UNVERIFIED wording]
        seen.add(name)
        specs.append(ToolSpec(name, "function", description, schema, bool(tool.get("strict"))))
    return tuple(specs)


def _tool_choice(value: Any, tools: tuple[ToolSpec, ...]) -> tuple[ToolChoice, bool]:
    """``tool_choice`` → the neutral choice and whether parallel calls stay allowed."""
    choice = _object(value, "tool_choice")
    kind = _enum(_required(choice, "type", "tool_choice."), "tool_choice.type", ("auto", "any", "tool", "none"))
    allowed = ("type", "disable_parallel_tool_use") + (("name",) if kind == "tool" else ())
    if kind == "none":
        allowed = ("type",)
    _no_extra(choice, allowed, f"tool_choice.{kind}.")
    disable = choice.get("disable_parallel_tool_use")
    parallel = True if disable is None else not _boolean(disable, f"tool_choice.{kind}.disable_parallel_tool_use")
    if kind == "none":
        return ToolChoice("none"), parallel
    if kind == "auto":
        return ToolChoice("auto"), parallel
    if kind == "any":
        return ToolChoice("required"), parallel
    name = _string(_required(choice, "name", "tool_choice.tool."), "tool_choice.tool.name")
    if name not in {t.name for t in tools}:
        raise invalid(f"tool_choice: Tool '{name}' not found in tools")  # [UNVERIFIED wording]
    return ToolChoice("required", name=name), parallel


def _thinking(value: Any) -> tuple[str, int | None]:
    thinking = _object(value, "thinking")
    kind = _enum(_required(thinking, "type", "thinking."), "thinking.type", ("enabled", "disabled", "adaptive"))
    if kind == "enabled":
        _no_extra(thinking, ("type", "budget_tokens", "display"), "thinking.enabled.")
        budget = _integer(_required(thinking, "budget_tokens", "thinking.enabled."), "thinking.enabled.budget_tokens")
        if budget < 1024:
            raise invalid("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
        return kind, budget
    _no_extra(thinking, ("type", "display") if kind == "adaptive" else ("type",), f"thinking.{kind}.")
    return kind, None


def _metadata(value: Any) -> str | None:
    metadata = _object(value, "metadata")
    _no_extra(metadata, ("user_id",), "metadata.")
    user = metadata.get("user_id")
    if user is None:
        return None
    _string(user, "metadata.user_id")
    if len(user) > 256:
        raise invalid("metadata.user_id: String should have at most 256 characters")
    return user


# ----- the request --------------------------------------------------------------------------------------


def validate_messages_request(
    body: Any,
    *,
    catalog: Any,
    headers: Mapping[str, str],
    inspect_image: InspectImage | None,
    count_only: bool = False,
) -> tuple[Conversation, ModelInfo, ParsedMessages]:
    """Check a parsed ``/v1/messages`` body (or a ``count_tokens`` one when ``count_only``)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    version = check_version(lowered)
    if type(body) is not dict:
        raise invalid("Input should be a valid dictionary")
    get = body.get
    known = COUNT_PARAMS if count_only else CREATE_PARAMS
    for key in body:
        if key not in known or (version == "2026-10-21" and key in _REMOVED_IN_2026):
            raise invalid(f"{key}: Extra inputs are not permitted")

    model_id = _string(_required(body, "model", ""), "model")
    max_tokens: int | None = None
    if not count_only:
        max_tokens = _integer(_required(body, "max_tokens", ""), "max_tokens", 0)
    raw_messages = _list(_required(body, "messages", ""), "messages")
    if not raw_messages:
        raise invalid("messages: at least one message is required")

    system_text: str | None = None
    if (v := get("system")) is not None:
        system_text = _text_blocks(v, "system")
    stops: tuple[str, ...] = ()
    if (v := get("stop_sequences")) is not None:
        stops = tuple(_string(s, f"stop_sequences.{k}") for k, s in enumerate(_list(v, "stop_sequences")))
    stream = False
    if (v := get("stream")) is not None:
        stream = _boolean(v, "stream")
    temperature = top_p = None
    if (v := get("temperature")) is not None:
        temperature = _number(v, "temperature", 0, 1)
    if (v := get("top_p")) is not None:
        top_p = _number(v, "top_p", 0, 1)
    extras: dict[str, Any] = {}
    if (v := get("top_k")) is not None:
        extras["top_k"] = _integer(v, "top_k", 0)
    tools: tuple[ToolSpec, ...] = ()
    if (v := get("tools")) is not None:
        tools = _tools(v)
    tool_choice = ToolChoice("auto") if tools else ToolChoice("none")
    parallel = True
    if (v := get("tool_choice")) is not None:
        tool_choice, parallel = _tool_choice(v, tools)
    thinking, budget = "disabled", None
    if (v := get("thinking")) is not None:
        thinking, budget = _thinking(v)
    user = _metadata(get("metadata")) if get("metadata") is not None else None
    if (v := get("service_tier")) is not None:
        _enum(v, "service_tier", ("auto", "standard_only"))

    images: list[ImageInfo] = []
    turns = [
        _parse_turn(m, i, inspect_image, version, i == len(raw_messages) - 1, images)
        for i, m in enumerate(raw_messages)
    ]
    _check_pairing(turns)
    if len(images) > _MAX_IMAGES:
        raise invalid(f"messages: too many images in request: {len(images)} > {_MAX_IMAGES} maximum")  # [UNVERIFIED]
    side = _MAX_SIDE_MANY if len(images) > 20 else _MAX_SIDE
    for info in images:
        if info.width > side or info.height > side:
            many = " for many-image requests" if side == _MAX_SIDE_MANY else ""
            raise invalid(
                f"messages: At least one of the image dimensions exceed max allowed size{many}: {side} pixels"
            )
    messages = _neutral(turns)
    if system_text is not None:
        messages.insert(0, Message("system", system_text, system_text, raw={"role": "system"}))

    model: ModelInfo | None = catalog.get(model_id)
    if model is None or model.embedding_dims:
        # An embedding model is no model the Messages API knows: its unknown-model answer.
        raise AnthropicError(404, "not_found_error", f"model: {model_id}")
    if images and not model.vision:
        raise invalid(f"messages: model {model_id} does not support image input")  # [UNVERIFIED wording]
    if thinking == "enabled" and model.extra.get("thinking") == "adaptive":
        raise invalid(
            '"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" and '
            '"output_config.effort" to control thinking behavior.'
        )
    if max_tokens is not None:
        if max_tokens > model.max_output_tokens:
            raise invalid(
                f"max_tokens: {max_tokens} > {model.max_output_tokens}, which is the maximum allowed number of "
                f"output tokens for {model.answered_name}"
            )
        if budget is not None and max_tokens <= budget:
            raise invalid(
                "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at "
                "https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size"
            )
    if thinking != "disabled" and temperature is not None and temperature != 1:
        raise invalid(
            "`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at "
            "https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility"
        )  # [UNVERIFIED wording]

    request = Conversation(
        model=model_id,
        messages=messages,
        raw=body,
        stream=stream,
        stop=stops,
        max_tokens=max_tokens,
        temperature=temperature,
        top_p=top_p,
        tools=tools,
        tool_choice=tool_choice,
        parallel_tool_calls=parallel,
        user=user,
        extras=extras,
        headers=lowered,
        api_key=None,
        session=lowered.get("x-mockllm-session"),
        api="messages",
    )
    parsed = ParsedMessages(version=version, thinking=thinking, budget_tokens=budget, stop_sequences=stops)
    request.edge = parsed
    return request, model, parsed
