"""``POST /v1/responses`` validation: the Responses wire JSON in, the neutral conversation out.

The checks follow PROTOCOL-responses.md §2–§3 and reuse chat's value checkers, so the shared OpenAI
templates (``Invalid type for ...``, ``integer below minimum value``, ``Missing required parameter``)
read the same on both APIs. Where the two APIs word a rule differently, this module has the Responses
wording: ``Unknown parameter: 'x'.`` for an unknown key, ``Unsupported parameter: 'temperature' ...`` with
a null code on reasoning models, ``max_output_tokens >= 16``, the "json" rule over the input messages.

Items become :class:`~mockllm.core.conversation.Message` objects as chat would carry them:
``instructions`` is a developer message first; consecutive ``function_call`` items become one assistant
message with ``tool_calls``; a ``function_call_output`` is a ``tool`` message with its ``call_id``. So
the engine (fixture conditions, the generator, token counting) sees the same conversation whichever API
it came on, and the answer to a chained request (``previous_response_id``) equals the answer to the
explicit history it stands for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from ...core.auth import bearer_key
from ...core.catalog import ModelInfo
from ...core.conversation import Conversation, Message, Part, ResponseFormat, ToolChoice, ToolSpec
from ...core.errors import ApiError
from ...core.surface import InspectImage
from ..openai_params import (
    StrictSchemaCheck,
    check_boolean,
    check_decimal,
    check_enum,
    check_integer,
    check_metadata,
    check_name,
    check_object,
    check_string,
    only_when,
    unknown_member,
)

__all__ = [
    "CONTEXT_PARAMS",
    "INCLUDE_VALUES",
    "KNOWN_PARAMS",
    "ParsedResponseRequest",
    "PreviousResponses",
    "parse_items",
    "validate_responses_request",
]

#: Every property of ``CreateResponse`` (spec 2.3.0), in spec order. Anything else is refused.
KNOWN_PARAMS: tuple[str, ...] = (
    "metadata", "top_logprobs", "temperature", "top_p", "user", "safety_identifier", "prompt_cache_key",
    "prompt_cache_retention", "prompt_cache_options", "service_tier", "previous_response_id", "model",
    "reasoning", "background", "max_output_tokens", "max_tool_calls", "text", "tools", "tool_choice",
    "prompt", "truncation", "input", "include", "parallel_tool_calls", "store", "instructions", "stream",
    "stream_options", "conversation", "context_management", "moderation",
)  # fmt: skip
_KNOWN = frozenset(KNOWN_PARAMS)
#: What ``POST /v1/responses/input_tokens`` takes: the create body's context fields.
CONTEXT_PARAMS: frozenset[str] = frozenset(
    {"model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "text", "reasoning",
     "truncation", "previous_response_id", "conversation"}
)  # fmt: skip

_ROLES = ("user", "assistant", "system", "developer")
_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
_SUMMARIES = ("auto", "concise", "detailed")
_VERBOSITIES = ("low", "medium", "high")
_SERVICE_TIERS = ("auto", "default", "flex", "scale", "priority", "fast", "ultrafast")
_TRUNCATIONS = ("auto", "disabled")
_CACHE_RETENTIONS = ("in_memory", "24h")
_FORMAT_TYPES = ("text", "json_object", "json_schema")
_TOOL_CHOICE_MODES = ("none", "auto", "required")
INCLUDE_VALUES: tuple[str, ...] = (
    "reasoning.encrypted_content", "message.output_text.logprobs", "message.input_image.image_url",
    "file_search_call.results", "web_search_call.results", "web_search_call.action.sources",
    "code_interpreter_call.outputs", "computer_call_output.output.image_url",
)  # fmt: skip
_BUILT_IN_TOOLS = frozenset(
    {"web_search", "web_search_preview", "web_search_2025_08_26", "web_search_preview_2025_03_11", "file_search",
     "computer_use_preview", "computer_use", "code_interpreter", "image_generation", "mcp", "local_shell", "shell",
     "apply_patch", "custom", "namespace", "tool_search"}
)  # fmt: skip
_ID_RE = re.compile(r"[A-Za-z0-9_-]+")
_INPUT_PARTS = ("input_text", "input_image", "input_file")
_OUTPUT_PARTS = ("output_text", "refusal")


@dataclass(slots=True)
class ParsedResponseRequest:
    """What the Responses surface keeps besides the conversation: the echo fields and the items."""

    instructions: str | None
    items: list[dict[str, Any]]  # the whole context as wire items: previous chain, then the new input
    new_items: list[dict[str, Any]]  # the input of this request alone (for input_items)
    tools_echo: list[dict[str, Any]]
    tool_choice_echo: Any
    text_echo: dict[str, Any]
    reasoning_echo: dict[str, Any]
    summary: str | None
    include: tuple[str, ...]
    store: bool
    metadata: dict[str, Any]
    previous_response_id: str | None
    extra_echo: dict[str, Any] = field(default_factory=dict)


class PreviousResponses:
    """What validation needs of the response store (``store.py``): the context a stored response left."""

    def context(self, response_id: str, session: str | None) -> list[dict[str, Any]] | None:  # pragma: no cover
        raise NotImplementedError

    def knows_reasoning(self, item_id: str, session: str | None) -> bool:  # pragma: no cover
        raise NotImplementedError


def _mock_refusal(param: str, what: str) -> ApiError:
    """A feature that runs on OpenAI's side (background runs, conversations, built-in tools): mockllm has
    nothing to emulate it with, so it says so in OpenAI's envelope rather than pretending."""
    return ApiError(400, f"mockllm does not emulate {what}.", param=param, code="unsupported_parameter")


# ----- items -----------------------------------------------------------------------------------------------


def _text_of_parts(content: Any, param: str, role: str, inspect_image: InspectImage | None) -> tuple[list[Part], str]:
    """Validate a message's content list; return its parts and its text (joined with newlines, as chat)."""
    if type(content) is not list:
        raise ApiError.invalid_type(param, "a string or an array of objects", content)
    allowed = _OUTPUT_PARTS if role == "assistant" else _INPUT_PARTS
    parts: list[Part] = []
    texts: list[str] = []
    for j, raw in enumerate(content):
        p = f"{param}[{j}]"
        if type(raw) is not dict:
            raise ApiError.invalid_type(p, "an object", raw)
        kind = raw.get("type")
        if kind is None:
            raise ApiError.missing(f"{p}.type")
        if type(kind) is not str or kind not in allowed:
            if type(kind) is not str:
                raise ApiError.invalid_type(f"{p}.type", "a string", kind)
            raise ApiError.invalid_value(f"{p}.type", kind, allowed)
        if kind in ("input_text", "output_text"):
            if raw.get("text") is None:
                raise ApiError.missing(f"{p}.text")
            text = check_string(raw["text"], f"{p}.text")
            texts.append(text)
            parts.append(Part("text", text=text))
        elif kind == "refusal":
            if raw.get("refusal") is None:
                raise ApiError.missing(f"{p}.refusal")
            parts.append(Part("refusal", text=check_string(raw["refusal"], f"{p}.refusal")))
        elif kind == "input_image":
            url = raw.get("image_url")
            if url is None:
                if raw.get("file_id") is not None:
                    check_string(raw["file_id"], f"{p}.file_id")
                    parts.append(Part("image_url"))
                    continue
                raise ApiError.missing(f"{p}.image_url")
            check_string(url, f"{p}.image_url")
            detail = raw.get("detail")
            if detail is not None:
                check_enum(detail, f"{p}.detail", ("low", "high", "auto", "original"))
            chat_part = {"type": "image_url", "image_url": {"url": url, "detail": _chat_detail(detail)}}
            parts.append(Part("image_url", image=inspect_image(chat_part, p) if inspect_image else None))
        else:  # input_file
            parts.append(Part("file", file=raw))
    return parts, "\n".join(texts)


def _chat_detail(detail: Any) -> str:
    """Responses' ``original`` detail costs what chat's ``high`` does (the full image is seen)."""
    return "high" if detail == "original" else (detail or "auto")


def _output_text(value: Any, param: str) -> str:
    """A function_call_output's ``output``: a string, or parts whose texts are joined."""
    if type(value) is str:
        return value
    if type(value) is not list:
        raise ApiError.invalid_type(param, "a string or an array of objects", value)
    texts = []
    for j, part in enumerate(value):
        if type(part) is not dict:
            raise ApiError.invalid_type(f"{param}[{j}]", "an object", part)
        if part.get("type") == "input_text":
            texts.append(check_string(part.get("text"), f"{param}[{j}].text"))
    return "\n".join(texts)


def parse_items(
    items: list[Any],
    *,
    inspect_image: InspectImage | None,
    previous: PreviousResponses | None,
    session: str | None,
    first_new: int = 0,
) -> tuple[list[Message], str | None]:
    """Input items → messages. Returns the messages and the ``param`` path of the first image (for the
    vision check). ``first_new`` is the index of the first item this request sent (the ones before come
    from ``previous_response_id``), so error paths name ``input[i]`` as the client numbered them."""
    messages: list[Message] = []
    open_calls: dict[str, str] = {}  # call_id -> function name, for tool results
    unanswered: dict[str, None] = {}  # calls with no function_call_output yet, in order
    first_image: str | None = None
    for index, item in enumerate(items):
        n = index - first_new
        p = f"input[{n}]"
        if type(item) is not dict:
            raise ApiError.invalid_type(p, "an object", item)
        kind = item.get("type")
        if kind is None and "role" in item:
            kind = "message"
        if kind is None:
            raise ApiError.missing(f"{p}.type")
        if kind == "message":
            role = item.get("role")
            if role is None:
                raise ApiError.missing(f"{p}.role")
            role = check_enum(role, f"{p}.role", _ROLES)
            content = item.get("content")
            if content is None:
                raise ApiError.missing(f"{p}.content")
            if type(content) is str:
                messages.append(Message(cast(Any, role), content, content, raw=item))
                continue
            parts, text = _text_of_parts(content, f"{p}.content", role, inspect_image)
            if first_image is None and any(part.type == "image_url" for part in parts):
                first_image = f"{p}.content"
            # Text alone is the same message however it is spelt (a string, input_text or output_text
            # parts): one form for the engine, so the answer and its usage do not depend on the spelling.
            text_only = all(part.type == "text" for part in parts)
            messages.append(Message(cast(Any, role), text, text if text_only else parts, raw=item))
        elif kind == "function_call":
            for member in ("call_id", "name", "arguments"):
                if item.get(member) is None:
                    raise ApiError.missing(f"{p}.{member}")
                check_string(item[member], f"{p}.{member}")
            call = {
                "id": item["call_id"],
                "type": "function",
                "function": {"name": item["name"], "arguments": item["arguments"]},
            }
            open_calls[item["call_id"]] = item["name"]
            unanswered[item["call_id"]] = None
            last = messages[-1] if messages else None
            if last is not None and last.role == "assistant" and (last.tool_calls is not None or _is_call(last)):
                assert last.tool_calls is not None
                last.tool_calls.append(call)
            elif last is not None and last.role == "assistant" and last.tool_calls is None:
                last.tool_calls = [call]  # a commentary message before the calls: one assistant turn
            else:
                messages.append(Message("assistant", "", None, tool_calls=[call], raw={"role": "assistant"}))
        elif kind == "function_call_output":
            for member in ("call_id", "output"):
                if item.get(member) is None:
                    raise ApiError.missing(f"{p}.{member}")
            call_id = check_string(item["call_id"], f"{p}.call_id")
            if call_id not in open_calls:
                raise ApiError(
                    400, f"No tool call found for function call output with call_id {call_id}.", param="input"
                )
            text = _output_text(item["output"], f"{p}.output")
            unanswered.pop(call_id, None)
            messages.append(Message("tool", text, text, tool_call_id=call_id, raw=item))
        elif kind == "reasoning":
            item_id = item.get("id")
            if item_id is None:
                raise ApiError.missing(f"{p}.id")
            check_string(item_id, f"{p}.id")
            if item.get("summary") is None:
                raise ApiError.missing(f"{p}.summary")
            known = previous is not None and previous.knows_reasoning(item_id, session)
            if not known and not item.get("encrypted_content") and index >= first_new:
                raise ApiError(
                    404,
                    f"Item with id '{item_id}' not found. Items are not persisted when `store` is set to false. "
                    "Try again with `store` set to true, or remove this item from your input.",
                    param="input",
                )
            # Reasoning is the model's own: it is neither shown to the generator nor billed again.
        elif kind == "item_reference":
            raise _mock_refusal(f"{p}.type", "item references (send the item itself)")
        else:
            if type(kind) is not str:
                raise ApiError.invalid_type(f"{p}.type", "a string", kind)
            raise ApiError.invalid_value(
                f"{p}.type", kind, ("message", "function_call", "function_call_output", "reasoning", "item_reference")
            )
    if unanswered:
        # A call the client never answered (also one made by the previous response when the chained input
        # carries no output for it): OpenAI's wording (PROTOCOL-responses.md §2.1; status and param are
        # [UNVERIFIED], given as for the reverse case).
        raise ApiError(400, f"No tool output found for function call {next(iter(unanswered))}.", param="input")
    return messages, first_image


def _is_call(message: Message) -> bool:
    return bool(message.tool_calls)


# ----- tools, choice, format -------------------------------------------------------------------------


def _tools(value: Any, check_strict: StrictSchemaCheck | None) -> tuple[tuple[ToolSpec, ...], list[dict[str, Any]]]:
    if type(value) is not list:
        raise ApiError.invalid_type("tools", "an array of objects", value)
    specs: list[ToolSpec] = []
    echo: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, tool in enumerate(value):
        p = f"tools[{i}]"
        if type(tool) is not dict:
            raise ApiError.invalid_type(p, "an object", tool)
        kind = tool.get("type")
        if kind is None:
            raise ApiError.missing(f"{p}.type")
        if kind in _BUILT_IN_TOOLS:
            raise _mock_refusal(f"{p}.type", f"the built-in '{kind}' tool; offer a function tool instead")
        if kind != "function":
            if type(kind) is not str:
                raise ApiError.invalid_type(f"{p}.type", "a string", kind)
            raise ApiError.invalid_value(f"{p}.type", kind, ("function", *sorted(_BUILT_IN_TOOLS)))
        if tool.get("name") is None:
            raise ApiError.missing(f"{p}.name")  # also what a chat-shaped tool ({"function": {...}}) gets
        for key in tool:
            if key not in ("type", "name", "description", "parameters", "strict"):
                raise unknown_member(f"{p}.{key}")
        name = check_name(tool["name"], f"{p}.name")
        description = tool.get("description")
        if description is not None:
            check_string(description, f"{p}.description")
        parameters = tool.get("parameters")
        if parameters is not None:
            check_object(parameters, f"{p}.parameters")
        strict_sent = tool.get("strict")
        strict = True if strict_sent is None else check_boolean(strict_sent, f"{p}.strict")
        if name in seen:
            raise ApiError(
                400,
                f"Invalid 'tools': duplicate tool name '{name}'. Each tool must have a unique name.",
                param=f"{p}.name",
                code="invalid_value",
            )
        seen.add(name)
        # The echo says strict: true by default (SPEC); the strict-mode schema rules are enforced only when
        # the client asked for strict explicitly, so a loose schema without ``strict`` is still served.
        if strict_sent is True and parameters is not None and check_strict is not None:
            check_strict(parameters, f"{p}.parameters", name=name, kind="function")
        specs.append(ToolSpec(name, "function", description, parameters, strict))
        echo.append(
            {"type": "function", "description": description, "name": name, "parameters": parameters, "strict": strict}
        )
    return tuple(specs), echo


def _tool_choice(value: Any, tools: tuple[ToolSpec, ...]) -> ToolChoice:
    if type(value) is str:
        return ToolChoice(
            cast(Literal["none", "auto", "required"], check_enum(value, "tool_choice", _TOOL_CHOICE_MODES))
        )
    check_object(value, "tool_choice")
    kind = value.get("type")
    if kind is None:
        raise ApiError.missing("tool_choice.type")
    names = {t.name for t in tools}
    if kind == "function":
        if value.get("name") is None:
            raise ApiError.missing("tool_choice.name")
        name = check_string(value["name"], "tool_choice.name")
        if name not in names:
            raise ApiError(
                400,
                f"Tool choice '{name}' not found in 'tools' parameter.",
                param="tool_choice",
                code="invalid_value",
            )
        return ToolChoice("required", name=name)
    if kind == "allowed_tools":
        mode = check_enum(value.get("mode"), "tool_choice.mode", ("auto", "required"))
        listed = value.get("tools")
        if type(listed) is not list:
            raise ApiError.invalid_type("tool_choice.tools", "an array of objects", listed)
        allowed: list[str] = []
        for k, entry in enumerate(listed):
            check_object(entry, f"tool_choice.tools[{k}]")
            name = check_string(entry.get("name"), f"tool_choice.tools[{k}].name")
            if name not in names:
                raise ApiError(
                    400,
                    f"Tool choice '{name}' not found in 'tools' parameter.",
                    param=f"tool_choice.tools[{k}]",
                    code="invalid_value",
                )
            allowed.append(name)
        return ToolChoice(cast(Literal["auto", "required"], mode), allowed=tuple(allowed))
    if type(kind) is not str:
        raise ApiError.invalid_type("tool_choice.type", "a string", kind)
    raise ApiError.invalid_value("tool_choice.type", kind, ("function", "allowed_tools"))


def _text(value: Any, check_strict: StrictSchemaCheck | None) -> tuple[ResponseFormat, dict[str, Any], str | None]:
    """``text``: the format (flat, unlike chat's nested json_schema), its echo, and the verbosity sent."""
    check_object(value, "text")
    for key in value:
        if key not in ("format", "verbosity"):
            raise unknown_member(f"text.{key}")
    verbosity = value.get("verbosity")
    if verbosity is not None:
        check_enum(verbosity, "text.verbosity", _VERBOSITIES)
    fmt = value.get("format")
    if fmt is None:
        return ResponseFormat(), {"format": {"type": "text"}, "verbosity": verbosity or "medium"}, verbosity
    check_object(fmt, "text.format")
    kind = fmt.get("type")
    if kind is None:
        raise ApiError.missing("text.format.type")
    kind = check_enum(kind, "text.format.type", _FORMAT_TYPES)
    echo: dict[str, Any]
    if kind == "text":
        parsed, echo = ResponseFormat(), {"type": "text"}
    elif kind == "json_object":
        parsed, echo = ResponseFormat("json_object"), {"type": "json_object"}
    else:
        if fmt.get("name") is None:
            raise ApiError.missing("text.format.name")
        name = check_name(fmt["name"], "text.format.name")
        schema = fmt.get("schema")
        if schema is None:
            raise ApiError.missing("text.format.schema")
        check_object(schema, "text.format.schema")
        description = fmt.get("description")
        if description is not None:
            check_string(description, "text.format.description")
        strict = fmt.get("strict")
        strict = False if strict is None else check_boolean(strict, "text.format.strict")
        if strict and check_strict is not None:
            check_strict(schema, "text.format.schema", name=name, kind="response_format")
        parsed = ResponseFormat("json_schema", name, schema, strict)
        echo = {"type": "json_schema", "description": description, "name": name, "schema": schema, "strict": strict}
    return parsed, {"format": echo, "verbosity": verbosity or "medium"}, verbosity


def _reasoning(value: Any) -> tuple[str | None, str | None]:
    check_object(value, "reasoning")
    for key in value:
        if key not in ("effort", "summary", "generate_summary", "mode", "context"):
            raise unknown_member(f"reasoning.{key}")
    effort = value.get("effort")
    if effort is not None:
        check_enum(effort, "reasoning.effort", _EFFORTS)
    summary = value.get("summary")
    if summary is None:
        summary = value.get("generate_summary")
        if summary is not None:
            check_enum(summary, "reasoning.generate_summary", _SUMMARIES)
    elif summary is not None:
        check_enum(summary, "reasoning.summary", _SUMMARIES)
    return effort, summary


# ----- the request --------------------------------------------------------------------------------------


def validate_responses_request(
    body: Any,
    *,
    pipeline: Any,
    headers: Mapping[str, str],
    inspect_image: InspectImage | None,
    previous: PreviousResponses | None,
    known: frozenset[str] = _KNOWN,
    require_input: bool = True,
) -> tuple[Conversation, ModelInfo, ParsedResponseRequest]:
    """Check a parsed ``/v1/responses`` body; return the conversation, the model and the echo fields.

    ``known`` narrows the accepted keys and ``require_input`` drops the need for a context
    (``input_tokens`` takes only :data:`CONTEXT_PARAMS`, and counts an empty one).
    """
    if type(body) is not dict:
        raise ApiError.body_not_an_object(body)
    get = body.get
    lowered = {k.lower(): v for k, v in headers.items()}
    session = lowered.get("x-mockllm-session")

    model_id = get("model")
    if model_id is None:
        raise ApiError.missing("model")
    for key in body:
        if key not in known:
            raise unknown_member(key)
    check_string(model_id, "model")

    if (v := get("metadata")) is not None:
        check_metadata(v)
    top_logprobs = get("top_logprobs")
    if top_logprobs is not None:
        check_integer(top_logprobs, "top_logprobs", 0, 20)
    temperature = get("temperature")
    if temperature is not None:
        temperature = check_decimal(temperature, "temperature", 0, 2)
    top_p = get("top_p")
    if top_p is not None:
        top_p = check_decimal(top_p, "top_p", 0, 1)
    user = get("user")
    if user is not None:
        check_string(user, "user")
    if (v := get("safety_identifier")) is not None:
        check_string(v, "safety_identifier", 64)
    if (v := get("prompt_cache_key")) is not None:
        check_string(v, "prompt_cache_key")
    if (v := get("prompt_cache_retention")) is not None:
        check_enum(v, "prompt_cache_retention", _CACHE_RETENTIONS)
    service_tier = get("service_tier")
    if service_tier is not None:
        check_enum(service_tier, "service_tier", _SERVICE_TIERS)
    previous_id = get("previous_response_id")
    if previous_id is not None:
        check_string(previous_id, "previous_response_id")
        if _ID_RE.fullmatch(previous_id) is None:
            raise ApiError(
                400,
                f"Invalid 'previous_response_id': '{previous_id}'. Expected an ID that contains letters, numbers, "
                "underscores, or dashes, but this value contained additional characters.",
                param="previous_response_id",
                code="invalid_value",
            )
    effort: str | None = None
    summary: str | None = None
    if (v := get("reasoning")) is not None:
        effort, summary = _reasoning(v)
    if get("prompt") is not None:
        # A hosted prompt template supplies instructions and input kept on OpenAI's side.
        raise _mock_refusal("prompt", "hosted prompt templates; send instructions and input instead")
    if (v := get("background")) is not None and check_boolean(v, "background"):
        raise _mock_refusal("background", "background responses (mockllm answers at once; leave background unset)")
    max_output = get("max_output_tokens")
    if max_output is not None:
        check_integer(max_output, "max_output_tokens", 16)
    if (v := get("max_tool_calls")) is not None:
        check_integer(v, "max_tool_calls", 1)
    response_format = ResponseFormat()
    text_echo: dict[str, Any] = {"format": {"type": "text"}, "verbosity": "medium"}
    verbosity: str | None = None
    if (v := get("text")) is not None:
        response_format, text_echo, verbosity = _text(v, pipeline.check_strict)
    tools: tuple[ToolSpec, ...] = ()
    tools_echo: list[dict[str, Any]] = []
    if (v := get("tools")) is not None:
        tools, tools_echo = _tools(v, pipeline.check_strict)
    raw_choice = get("tool_choice")
    tool_choice = ToolChoice("auto") if tools else ToolChoice("none")
    if raw_choice is not None:
        tool_choice = _tool_choice(raw_choice, tools)
    if (v := get("truncation")) is not None:
        check_enum(v, "truncation", _TRUNCATIONS)
    include: tuple[str, ...] = ()
    if (v := get("include")) is not None:
        if type(v) is not list:
            raise ApiError.invalid_type("include", "an array of strings", v)
        include = tuple(check_enum(x, f"include[{k}]", INCLUDE_VALUES) for k, x in enumerate(v))
    parallel = get("parallel_tool_calls")
    parallel = True if parallel is None else check_boolean(parallel, "parallel_tool_calls")
    store = get("store")
    store = True if store is None else check_boolean(store, "store")
    instructions = get("instructions")
    if instructions is not None:
        check_string(instructions, "instructions")
    stream = get("stream")
    stream = False if stream is None else check_boolean(stream, "stream")
    stream_options = get("stream_options")
    include_obfuscation = True
    if stream_options is not None:
        check_object(stream_options, "stream_options")
        for key in stream_options:
            if key != "include_obfuscation":
                raise unknown_member(f"stream_options.{key}")
        if stream_options.get("include_obfuscation") is not None:
            include_obfuscation = check_boolean(
                stream_options["include_obfuscation"], "stream_options.include_obfuscation"
            )
        if not stream:
            raise only_when("stream_options", "stream")
    if get("conversation") is not None:
        if previous_id is not None:
            raise ApiError(
                400,
                "Mutually exclusive parameters: Ensure you are only providing one of: 'previous_response_id' or "
                "'conversation'.",
                param=None,
                code="mutually_exclusive_parameters",
            )
        raise _mock_refusal("conversation", "the Conversations API; chain with previous_response_id instead")

    # The context: the previous response's items, then this input.
    raw_input = get("input")
    new_items: list[Any]
    if raw_input is None:
        new_items = []
    elif type(raw_input) is str:
        new_items = [{"role": "user", "content": raw_input}]
    elif type(raw_input) is list:
        new_items = raw_input
    else:
        raise ApiError.invalid_type("input", "a string or an array of objects", raw_input)
    items: list[Any] = []
    if previous_id is not None:
        context = previous.context(previous_id, session) if previous is not None else None
        if context is None:
            raise ApiError(
                400,
                f"Previous response with id '{previous_id}' not found.",
                param="previous_response_id",
                code="previous_response_not_found",
            )
        items.extend(context)
    first_new = len(items)
    items.extend(new_items)
    messages, first_image = parse_items(
        items, inspect_image=inspect_image, previous=previous, session=session, first_new=first_new
    )
    if instructions is not None:
        messages.insert(0, Message("developer", instructions, instructions, raw={"role": "developer"}))
    if not messages and require_input:
        raise ApiError.missing("input")
    if response_format.type == "json_object" and not any(
        "json" in m.text.lower() for m in messages[1 if instructions is not None else 0 :]
    ):
        raise ApiError(
            400,
            "Response input messages must contain the word 'json' in some form to use 'text.format' of type "
            "'json_object'.",
            param="input",
        )

    model: ModelInfo | None = pipeline.catalog.get(model_id)
    if model is None:
        # PROTOCOL-responses.md §3: this API names the parameter and words the message its own way.
        raise ApiError(404, f"The requested model '{model_id}' does not exist.", param="model", code="model_not_found")
    if model.embedding_dims:
        # The Responses API's refusal of a model it does not serve, as quoted from it (Laisky/one-api#88:
        # gpt-4o-search-preview); its status is not quoted, 400 is assumed [UNVERIFIED].
        raise ApiError(
            400,
            f"The requested model '{model_id}' is not supported with the Responses API.",
            param="model",
            code="model_not_found",
        )
    reasoning_model = model.reasoning == "openai"
    if effort is not None and not reasoning_model:
        raise ApiError.unsupported_parameter("reasoning.effort")
    if reasoning_model:
        for param, value in (("temperature", temperature), ("top_p", top_p)):
            if value is not None and value != 1:
                raise ApiError(400, f"Unsupported parameter: '{param}' is not supported with this model.", param=param)
    elif verbosity not in (None, "medium") and model.owned_by == "openai":
        raise ApiError.unsupported_value(
            "text.verbosity",
            f"'{verbosity}' is not supported with the '{model_id}' model. Supported values are: 'medium'.",
        )
    if max_output is not None and max_output > model.max_output_tokens:
        raise ApiError(
            400,
            f"max_output_tokens is too large: {max_output}. This model supports at most {model.max_output_tokens} "
            f"output tokens, whereas you provided {max_output}.",
            param="max_output_tokens",
            code="invalid_value",
        )
    if first_image is not None and not model.vision:
        raise ApiError(400, "Invalid content type. input_image is only supported by certain models.", param=first_image)

    api_key = bearer_key(lowered)
    if reasoning_model:
        reasoning_echo = {"effort": effort or "medium", "summary": summary}
    else:
        reasoning_echo = {"effort": None, "summary": None}
    request = Conversation(
        model=model_id,
        messages=messages,
        raw=body,
        stream=stream,
        include_obfuscation=include_obfuscation,
        max_tokens=max_output,
        temperature=temperature,
        top_p=top_p,
        # ``include: ["message.output_text.logprobs"]`` is this API's ``logprobs: true``.
        logprobs="message.output_text.logprobs" in include,
        top_logprobs=top_logprobs,
        tools=tools,
        tool_choice=tool_choice,
        parallel_tool_calls=parallel,
        response_format=response_format,
        reasoning_effort=effort if reasoning_model else None,
        service_tier=service_tier,
        user=user,
        headers=lowered,
        api_key=api_key,
        session=session,
        api="responses",
    )
    # The new items are copied once (the body belongs to the journal); the chain's are the store's own
    # copies already, shared rather than copied again, so a long chain costs its store linear memory.
    copied = [dict(item) for item in new_items]
    parsed = ParsedResponseRequest(
        instructions=instructions,
        items=[*items[:first_new], *copied],
        new_items=copied,
        tools_echo=tools_echo,
        tool_choice_echo=raw_choice if raw_choice is not None else "auto",
        text_echo=text_echo,
        reasoning_echo=reasoning_echo,
        summary=summary if reasoning_model else None,
        include=include,
        store=store,
        metadata=dict(get("metadata") or {}),
        previous_response_id=previous_id,
        extra_echo={
            "temperature": 1.0 if temperature is None else temperature,
            "top_p": 1.0 if top_p is None else top_p,
            "top_logprobs": top_logprobs or 0,
            "truncation": get("truncation") or "disabled",
            "user": user,
            "safety_identifier": get("safety_identifier"),
            "prompt_cache_key": get("prompt_cache_key"),
            "prompt_cache_retention": get("prompt_cache_retention") or "in_memory",
            "max_tool_calls": get("max_tool_calls"),
            "service_tier": service_tier or "auto",
        },
    )
    return request, model, parsed
