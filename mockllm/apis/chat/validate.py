"""Request validation: wire JSON in, a typed :class:`Conversation` (or OpenAI's exact 400/404) out.

Why hand-written checks rather than pydantic or jsonschema: this runs on every request of a server
that must sustain thousands of requests per second on one core, and OpenAI's errors name the *first*
problem in a fixed order with fixed templates (``Invalid type for 'n': expected an integer, ...``) that
no generic validator produces. Each check below is a dict lookup plus an ``isinstance``; nothing is
compiled or allocated per call unless an error is raised.

Order of checks (the first problem found is reported, as OpenAI does):

1. the body is an object; ``model`` and ``messages`` are present (a third-party conformance capture
   shows a missing ``model``/``messages`` beats an unknown key);
2. unknown top-level keys (``Unrecognized request argument supplied: top_k``);
3. ``model`` / ``messages`` types, then every other parameter's type and range in the order of
   ``CreateChatCompletionRequest`` in the OpenAPI spec, then the dialect's extra parameters;
4. each message, deep (role, unknown keys, content and parts, tool calls), with the tool-call ordering
   rule and the dialect's conversation rules (OpenSearch: system first, alternation, no empty content);
5. cross-field rules (``stream_options`` without ``stream``, ``tool_choice`` without ``tools``, JSON
   mode without the word "json", ...);
6. the model lookup (404 ``model_not_found``);
7. model-specific rules (reasoning models, max output, search models, vision/audio input).

Gateways differ only by a :class:`Dialect` (data). Context length is checked later by the pipeline,
because it needs token counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from ...core.auth import bearer_key
from ...core.catalog import Catalog, ModelInfo
from ...core.conversation import (
    AudioInfo,
    Conversation,
    ImageInfo,
    Message,
    Part,
    ResponseFormat,
    Role,
    ToolChoice,
    ToolSpec,
)
from ...core.errors import ApiError, _render_value
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
    or_list,
    unknown_member,
)

__all__ = [
    "KNOWN_PARAMS",
    "OPENAI",
    "Dialect",
    "InspectAudio",
    "InspectImage",
    "ParamRule",
    "validate_chat_request",
]

InspectImage = Callable[[Mapping[str, Any], str], ImageInfo]
InspectAudio = Callable[[Mapping[str, Any], str], AudioInfo]

#: Every property of ``CreateChatCompletionRequest`` (spec 2.3.0, allOf flattened), in spec order,
#: plus the deprecated ``functions`` / ``function_call`` (also in the spec). Anything else at the top
#: level is rejected unless the dialect declares it.
KNOWN_PARAMS: tuple[str, ...] = (
    "metadata", "top_logprobs", "temperature", "top_p", "user", "safety_identifier", "prompt_cache_key",
    "prompt_cache_retention", "prompt_cache_options", "messages", "model", "service_tier", "modalities",
    "verbosity", "reasoning_effort", "max_completion_tokens", "frequency_penalty", "presence_penalty",
    "web_search_options", "response_format", "audio", "store", "moderation", "stream", "stop", "logit_bias",
    "logprobs", "max_tokens", "n", "prediction", "seed", "stream_options", "tools", "tool_choice",
    "parallel_tool_calls", "function_call", "functions",
)  # fmt: skip
_KNOWN = frozenset(KNOWN_PARAMS)

# ----- dialect ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParamRule:
    """How to check one extra top-level parameter a gateway accepts (``top_k``, ``enable_thinking``...).

    Errors use OpenAI's generic templates, so a gateway's extra parameters fail like native ones.
    ``min``/``max`` bound numbers and integers; ``choices`` lists an enum's values; ``max_length``
    bounds strings.
    """

    kind: Literal["int", "number", "bool", "string", "enum"]
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    max_length: int | None = None

    def check(self, value: Any, param: str) -> Any:
        """Return ``value`` (floats for numbers) or raise the ApiError OpenAI's templates would give."""
        kind = self.kind
        if kind == "int":
            return check_integer(value, param, self.min, self.max)
        if kind == "number":
            return check_decimal(value, param, self.min, self.max)
        if kind == "bool":
            return check_boolean(value, param)
        if kind == "enum":
            return check_enum(value, param, self.choices)
        return check_string(value, param, self.max_length)


Range = tuple[float, float, bool, bool]  # min, max, min_inclusive, max_inclusive

#: OpenAI's six roles, in the order its error message lists them.
OPENAI_ROLES: tuple[str, ...] = ("system", "assistant", "user", "function", "tool", "developer")


@dataclass(frozen=True, slots=True)
class Dialect:
    """What a gateway profile changes in validation. Data, not if-chains: each field is one rule.

    ``roles`` is both the accepted set and the order the invalid-role message lists them in.
    ``system_first`` / ``alternate`` / ``nonempty_content`` are Alibaba OpenSearch's documented rules
    (OpenAI enforces none of them, PROTOCOL.md §10). ``extra_message_keys`` are message members the
    gateway tolerates beyond OpenAI's (e.g. ``reasoning_content`` sent back to DeepSeek-style APIs).
    """

    name: str = "openai"
    extra_params: Mapping[str, ParamRule] = field(default_factory=dict, hash=False)
    temperature_range: Range = (0, 2, True, True)
    top_p_range: Range = (0, 1, True, True)
    roles: tuple[str, ...] = OPENAI_ROLES
    system_first: bool = False
    alternate: bool = False
    nonempty_content: bool = False
    extra_message_keys: frozenset[str] = frozenset()


OPENAI = Dialect()

# ----- enums (SPEC) --------------------------------------------------------------------------------------

_REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
_VERBOSITIES = ("low", "medium", "high")
# The invalid-value message observed lists these five; the spec also has "scale", accepted silently.
_SERVICE_TIERS = ("auto", "default", "fast", "flex", "priority")
_SERVICE_TIERS_EXTRA = frozenset({"scale"})
_MODALITIES = ("text", "audio")
_AUDIO_FORMATS = ("wav", "aac", "mp3", "flac", "opus", "pcm16")
_CONTEXT_SIZES = ("low", "medium", "high")
_CACHE_RETENTIONS = ("in_memory", "24h")
_RESPONSE_FORMATS = ("json_object", "json_schema", "text")  # order of the observed message
_TOOL_TYPES = ("function", "custom")
_TOOL_CHOICE_MODES = ("none", "auto", "required")
_INT64 = (-(2**63), 2**63 - 1)

# ----- messages ---------------------------------------------------------------------------------------

_BASE_KEYS = frozenset({"role", "content", "name"})
#: Members each role may carry (SPEC); anything else is OpenAI's "Additional properties" error.
_ROLE_KEYS: dict[str, frozenset[str]] = {
    "system": _BASE_KEYS,
    "developer": _BASE_KEYS,
    "user": _BASE_KEYS,
    # ``annotations``: the SDK's own message object, appended to the history as the docs show, carries
    # ``annotations: []`` (url citations on search models); the API takes it back, so must we.
    "assistant": frozenset(
        {"role", "content", "refusal", "name", "audio", "tool_calls", "function_call", "annotations"}
    ),
    "tool": frozenset({"role", "content", "tool_call_id"}),
    "function": _BASE_KEYS,
}
#: Every content part type the API knows, in the order its invalid-value message lists them. An unknown
#: type gets this whole union whatever the role (quoted 400s: "Invalid value: 'input_file'. Supported
#: values are: 'text', 'image_url', 'input_audio', 'refusal', 'audio', and 'file'."): SDKs and users
#: see the same list the real API gives, not a per-role subset it never sends.
_ALL_PART_TYPES: tuple[str, ...] = ("text", "image_url", "input_audio", "refusal", "audio", "file")
#: Content part types each role accepts; a known type in the wrong role is refused with the role's list.
_PART_TYPES: dict[str, tuple[str, ...]] = {
    "system": ("text",),
    "developer": ("text",),
    "user": ("text", "image_url", "input_audio", "file"),
    "assistant": ("text", "refusal"),
    "tool": ("text",),
    "function": (),
}
_CONTENT_TYPES = "one of a string or array of objects"


def _null_content(i: int) -> ApiError:
    """OpenAI's (odd) wording for absent/null content; note the ``messages.[i]`` param format."""
    return ApiError(400, "Invalid value for 'content': expected a string, got null.", param=f"messages.[{i}].content")


def _tool_order_error(i: int, missing_ids: Sequence[str]) -> ApiError:
    return ApiError(
        400,
        "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
        f"'tool_call_id'. The following tool_call_ids did not have response messages: {', '.join(missing_ids)}",
        param=f"messages.[{i}].role",
    )


def _orphan_tool_error(i: int) -> ApiError:
    return ApiError(
        400,
        "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
        param=f"messages.[{i}].role",
    )


class _Media:
    """Where the first image / audio part was seen, for the model-specific capability check."""

    __slots__ = ("audio", "image")

    def __init__(self) -> None:
        self.image: str | None = None
        self.audio: str | None = None


def _parts(
    content: list[Any],
    i: int,
    role: str,
    inspect_image: InspectImage | None,
    inspect_audio: InspectAudio | None,
    media: _Media,
) -> tuple[list[Part], str]:
    """Validate an array content; return its Part objects and its text parts joined with newlines."""
    if not content:
        raise ApiError.empty_array(f"messages[{i}].content")
    allowed = _PART_TYPES.get(role, ("text",))
    parts: list[Part] = []
    texts: list[str] = []
    refusals = 0
    for j, raw in enumerate(content):
        if type(raw) is not dict:
            raise ApiError.invalid_type(f"messages[{i}].content[{j}]", "an object", raw)
        kind = raw.get("type")
        if kind is None:
            raise ApiError.missing(f"messages[{i}].content[{j}].type")
        if kind not in allowed:
            if type(kind) is not str:
                raise ApiError.invalid_type(f"messages[{i}].content[{j}].type", "a string", kind)
            known = kind in _ALL_PART_TYPES
            raise ApiError.invalid_value(
                f"messages[{i}].content[{j}].type", kind, allowed if known else _ALL_PART_TYPES
            )
        if kind == "text":
            text = raw.get("text")
            if text is None:
                raise ApiError.missing(f"messages[{i}].content[{j}].text")
            if type(text) is not str:
                raise ApiError.invalid_type(f"messages[{i}].content[{j}].text", "a string", text)
            texts.append(text)
            parts.append(Part("text", text=text))
        elif kind == "image_url":
            path = f"messages[{i}].content[{j}]"
            if media.image is None:
                media.image = path
            parts.append(Part("image_url", image=inspect_image(raw, path) if inspect_image else None))
        elif kind == "input_audio":
            path = f"messages[{i}].content[{j}]"
            if media.audio is None:
                media.audio = path
            parts.append(Part("input_audio", audio=inspect_audio(raw, path) if inspect_audio else None))
        elif kind == "file":
            file = raw.get("file")
            if file is None:
                raise ApiError.missing(f"messages[{i}].content[{j}].file")
            parts.append(Part("file", file=check_object(file, f"messages[{i}].content[{j}].file")))
        else:  # refusal (assistant only)
            refusal = raw.get("refusal")
            if refusal is None:
                raise ApiError.missing(f"messages[{i}].content[{j}].refusal")
            parts.append(Part("refusal", text=check_string(refusal, f"messages[{i}].content[{j}].refusal")))
            refusals += 1
    if refusals and len(content) > 1:
        raise ApiError(
            400,
            f"Invalid 'messages[{i}].content': an assistant message may contain one or more 'text' parts "
            "or exactly one 'refusal' part.",
            param=f"messages[{i}].content",
            code="invalid_value",
        )
    return parts, "\n".join(texts)


def _tool_calls(value: Any, i: int) -> list[str]:
    """Validate an assistant message's ``tool_calls``; return the call ids in order."""
    if type(value) is not list:
        raise ApiError.invalid_type(f"messages[{i}].tool_calls", "an array of objects", value)
    if not value:
        raise ApiError.empty_array(f"messages[{i}].tool_calls")
    ids: list[str] = []
    for k, call in enumerate(value):
        p = f"messages[{i}].tool_calls[{k}]"
        if type(call) is not dict:
            raise ApiError.invalid_type(p, "an object", call)
        call_id = call.get("id")
        if call_id is None:
            raise ApiError.missing(f"{p}.id")
        ids.append(check_string(call_id, f"{p}.id"))
        kind = call.get("type")
        if kind is None:
            raise ApiError.missing(f"{p}.type")
        kind = check_enum(kind, f"{p}.type", _TOOL_TYPES)
        body = call.get(kind)
        if body is None:
            raise ApiError.missing(f"{p}.{kind}")
        check_object(body, f"{p}.{kind}")
        for member in ("name", "arguments") if kind == "function" else ("name", "input"):
            member_value = body.get(member)
            if member_value is None:
                raise ApiError.missing(f"{p}.{kind}.{member}")
            check_string(member_value, f"{p}.{kind}.{member}")
    return ids


def _messages(
    raw_messages: list[Any],
    dialect: Dialect,
    inspect_image: InspectImage | None,
    inspect_audio: InspectAudio | None,
    media: _Media,
) -> list[Message]:
    """Validate every message and the conversation rules; build the Message objects.

    Tool-call ordering is OpenAI's one enforced conversation rule (PROTOCOL.md §1.1): the tool messages
    right after an assistant ``tool_calls`` message must answer each id, and a tool message must answer
    a pending id. It is checked in the same pass to keep one loop per request.
    """
    roles = dialect.roles
    extra_keys = dialect.extra_message_keys
    out: list[Message] = []
    pending: dict[str, None] | None = None  # ids of the last assistant tool_calls not yet answered
    pending_at = -1
    previous_turn: str | None = None  # for the OpenSearch alternation rule
    previous_at = -1
    for i, m in enumerate(raw_messages):
        if type(m) is not dict:
            raise ApiError.invalid_type(f"messages[{i}]", "an object", m)
        role = m.get("role")
        if role is None:
            raise ApiError.missing(f"messages[{i}].role")
        if role not in roles:
            if type(role) is not str:
                raise ApiError.invalid_type(f"messages[{i}].role", f"one of {or_list(roles)}", role)
            raise ApiError.invalid_value(f"messages[{i}].role", role, roles)
        allowed = _ROLE_KEYS.get(role, _BASE_KEYS)  # a dialect may add roles: base members only
        if not allowed.issuperset(m):
            for key in m:
                if key not in allowed and key not in extra_keys:
                    raise ApiError(
                        400, f"Additional properties are not allowed ('{key}' was unexpected) - 'messages.{i}'"
                    )

        content = m.get("content")
        tool_calls: list[Any] | None = None
        call_ids: list[str] | None = None
        if role == "assistant":
            raw_calls = m.get("tool_calls")
            if raw_calls is not None:
                call_ids = _tool_calls(raw_calls, i)
                tool_calls = raw_calls
            if m.get("refusal") is not None:
                check_string(m["refusal"], f"messages[{i}].refusal")
            if m.get("function_call") is not None:
                check_object(m["function_call"], f"messages[{i}].function_call")
            if m.get("audio") is not None:
                check_object(m["audio"], f"messages[{i}].audio")
            if m.get("annotations") is not None and type(m["annotations"]) is not list:
                raise ApiError.invalid_type(f"messages[{i}].annotations", "an array", m["annotations"])

        # content: string (the common case, kept as sent), array of parts, or null where allowed
        if type(content) is str:
            text = content
            parsed: str | list[Part] | None = content
        elif content is None:
            if role == "assistant":
                if call_ids is None and all(m.get(k) is None for k in ("function_call", "refusal", "audio")):
                    raise _null_content(i)
            elif role == "developer":
                if "content" not in m:
                    raise ApiError.missing(f"messages[{i}].content")
                raise ApiError.invalid_type(f"messages[{i}].content", _CONTENT_TYPES, None)
            elif role != "function":  # function content is nullable in the spec
                raise _null_content(i)
            text = ""
            parsed = None
        elif type(content) is list and role != "function":
            parsed, text = _parts(content, i, role, inspect_image, inspect_audio, media)
        else:
            expected = "a string" if role == "function" else _CONTENT_TYPES
            raise ApiError.invalid_type(f"messages[{i}].content", expected, content)

        name = m.get("name")
        if name is not None:
            check_string(name, f"messages[{i}].name")
        elif role == "function":
            raise ApiError.missing(f"messages[{i}].name")

        tool_call_id: str | None = None
        if role == "tool":
            raw_id = m.get("tool_call_id")
            if raw_id is None:
                raise ApiError.missing(f"messages[{i}].tool_call_id")
            tool_call_id = check_string(raw_id, f"messages[{i}].tool_call_id")
            if pending is None or tool_call_id not in pending:
                raise _orphan_tool_error(i)
            del pending[tool_call_id]
        else:
            if pending:
                raise _tool_order_error(i, list(pending))
            pending = dict.fromkeys(call_ids) if call_ids else None
            pending_at = i

        # the dialect's conversation rules (all off for OpenAI)
        if dialect.system_first and role in ("system", "developer") and i > 0:
            raise ApiError(
                400,
                f"Invalid 'messages[{i}].role': a '{role}' message is only allowed as the first message.",
                param=f"messages[{i}].role",
                code="invalid_value",
            )
        if dialect.alternate:
            if role in ("user", "assistant"):
                if role == previous_turn:
                    raise ApiError(
                        400,
                        f"Invalid 'messages[{i}].role': 'user' and 'assistant' messages must alternate, but "
                        f"messages[{previous_at}] is also '{role}'.",
                        param=f"messages[{i}].role",
                        code="invalid_value",
                    )
                previous_turn, previous_at = role, i
            elif role in ("tool", "function"):
                previous_turn = None
        if dialect.nonempty_content and not text and call_ids is None:
            if parsed is None or type(parsed) is str or all(p.type == "text" for p in parsed):
                raise ApiError(
                    400,
                    f"Invalid 'messages[{i}].content': content cannot be empty.",
                    param=f"messages[{i}].content",
                    code="invalid_value",
                )

        out.append(
            Message(
                cast(Role, role),
                text,
                parsed,
                name=name,
                tool_calls=tool_calls,
                tool_call_id=tool_call_id,
                raw=m,
            )
        )
    if pending:
        raise _tool_order_error(pending_at, list(pending))
    return out


# ----- tools ----------------------------------------------------------------------------------------


def _tools(value: Any, check_strict_schema: StrictSchemaCheck | None) -> tuple[ToolSpec, ...]:
    if type(value) is not list:
        raise ApiError.invalid_type("tools", "an array of objects", value)
    if not value:
        raise ApiError.empty_array("tools")
    specs: list[ToolSpec] = []
    seen: set[str] = set()
    for i, tool in enumerate(value):
        if type(tool) is not dict:
            raise ApiError.invalid_type(f"tools[{i}]", "an object", tool)
        kind = tool.get("type")
        if kind is None:
            raise ApiError.missing(f"tools[{i}].type")
        kind = check_enum(kind, f"tools[{i}].type", _TOOL_TYPES)
        body = tool.get(kind)
        if body is None:
            raise ApiError.missing(f"tools[{i}].{kind}")
        check_object(body, f"tools[{i}].{kind}")
        raw_name = body.get("name")
        if raw_name is None:
            raise ApiError.missing(f"tools[{i}].{kind}.name")
        name = check_name(raw_name, f"tools[{i}].{kind}.name")
        description = body.get("description")
        if description is not None:
            check_string(description, f"tools[{i}].{kind}.description")
        parameters: dict[str, Any] | None = None
        strict = False
        if kind == "function":
            if body.get("parameters") is not None:
                parameters = check_object(body["parameters"], f"tools[{i}].function.parameters")
            if body.get("strict") is not None:
                strict = check_boolean(body["strict"], f"tools[{i}].function.strict")
        elif body.get("format") is not None:
            check_object(body["format"], f"tools[{i}].custom.format")
        if name in seen:
            raise ApiError(
                400,
                f"Invalid 'tools': duplicate tool name '{name}'. Each tool must have a unique name.",
                param=f"tools[{i}].{kind}.name",
                code="invalid_value",
            )
        seen.add(name)
        if strict and parameters is not None and check_strict_schema is not None:
            check_strict_schema(parameters, f"tools[{i}].function.parameters", name=name, kind="function")
        specs.append(ToolSpec(name, cast(Literal["function", "custom"], kind), description, parameters, strict))
    return tuple(specs)


def _function_choice(value: Any) -> ToolChoice:
    """The deprecated ``function_call`` (already checked) as a tool choice: "none", "auto" (the default
    when ``functions`` are given) or ``{"name": ...}``, which forces that function."""
    if type(value) is dict:
        return ToolChoice("required", name=value["name"])
    return ToolChoice("none") if value == "none" else ToolChoice("auto")


def _functions(value: Any) -> tuple[ToolSpec, ...]:
    """The deprecated ``functions`` list (1-128 items), as tool specs (names for ``function_call``, and
    definitions billed as prompt tokens like ``tools``)."""
    if type(value) is not list:
        raise ApiError.invalid_type("functions", "an array of function definitions", value)
    if not value:
        raise ApiError.empty_array("functions")
    if len(value) > 128:
        raise ApiError.array_too_long("functions", 128, len(value))
    specs: list[ToolSpec] = []
    for i, fn in enumerate(value):
        check_object(fn, f"functions[{i}]")
        if fn.get("name") is None:
            raise ApiError.missing(f"functions[{i}].name")
        name = check_name(fn["name"], f"functions[{i}].name")
        description = parameters = None
        if fn.get("description") is not None:
            description = check_string(fn["description"], f"functions[{i}].description")
        if fn.get("parameters") is not None:
            parameters = check_object(fn["parameters"], f"functions[{i}].parameters")
        specs.append(ToolSpec(name, "function", description, parameters))
    return tuple(specs)


def _tool_choice_shape(value: Any) -> tuple[str, str | None, tuple[tuple[str, str], ...] | None]:
    """Check ``tool_choice``'s shape; return (mode, forced name, allowed (type, name) pairs).

    Names are resolved against ``tools`` later (a cross-field rule). A non-string, non-object value
    gets OpenAI's generated wording, doubled "one of" included (third-party capture).
    """
    if type(value) is str:
        return check_enum(value, "tool_choice", _TOOL_CHOICE_MODES), None, None
    if type(value) is not dict:
        raise ApiError.invalid_type("tool_choice", f"one of one of {or_list(_TOOL_CHOICE_MODES)} or object", value)
    kind = value.get("type")
    if kind == "allowed_tools":
        allowed = value.get("allowed_tools")
        if allowed is None:
            raise ApiError.missing("tool_choice.allowed_tools")
        check_object(allowed, "tool_choice.allowed_tools")
        if allowed.get("mode") is None:
            raise ApiError.missing("tool_choice.allowed_tools.mode")
        mode = check_enum(allowed["mode"], "tool_choice.allowed_tools.mode", ("auto", "required"))
        tools = allowed.get("tools")
        if tools is None:
            raise ApiError.missing("tool_choice.allowed_tools.tools")
        if type(tools) is not list:
            raise ApiError.invalid_type("tool_choice.allowed_tools.tools", "an array of objects", tools)
        pairs: list[tuple[str, str]] = []
        for k, tool in enumerate(tools):
            p = f"tool_choice.allowed_tools.tools[{k}]"
            check_object(tool, p)
            tool_kind = check_enum(tool.get("type", "function"), f"{p}.type", _TOOL_TYPES)
            body = tool.get(tool_kind)
            if body is None:
                raise ApiError.missing(f"{p}.{tool_kind}")
            check_object(body, f"{p}.{tool_kind}")
            if body.get("name") is None:
                raise ApiError.missing(f"{p}.{tool_kind}.name")
            pairs.append((tool_kind, check_string(body["name"], f"{p}.{tool_kind}.name")))
        return mode, None, tuple(pairs)
    if kind == "custom":
        custom = value.get("custom")
        if custom is None:
            raise ApiError.missing("tool_choice.custom")
        check_object(custom, "tool_choice.custom")
        if custom.get("name") is None:
            raise ApiError.missing("tool_choice.custom.name")
        return "required", check_string(custom["name"], "tool_choice.custom.name"), (("custom", custom["name"]),)
    # function form (also what a missing or unknown type is read as, per the third-party capture)
    function = value.get("function")
    if function is None:
        raise ApiError.missing("tool_choice.function")
    check_object(function, "tool_choice.function")
    if function.get("name") is None:
        raise ApiError.missing("tool_choice.function.name")
    name = check_string(function["name"], "tool_choice.function.name")
    if kind is None:
        raise ApiError.missing("tool_choice.type")
    if kind != "function":
        raise ApiError.invalid_value("tool_choice.type", kind, ("function", "allowed_tools", "custom"))
    return "required", name, (("function", name),)


def _no_such_function(name: str, param: str = "function_call") -> ApiError:
    """OpenAI answers a ``tool_choice`` naming an undeclared function in the legacy words (capture)."""
    return ApiError(
        400,
        f"Invalid value for 'function_call': no function named '{name}' was specified in the 'functions' parameter.",
        param=param,
    )


# ----- response_format and other objects --------------------------------------------------------------


def _response_format(value: Any, check_strict_schema: StrictSchemaCheck | None) -> ResponseFormat:
    check_object(value, "response_format")
    kind = value.get("type")
    if kind is None:
        raise ApiError.missing("response_format.type")
    kind = check_enum(kind, "response_format.type", _RESPONSE_FORMATS)
    if kind == "text":
        return _TEXT_FORMAT
    if kind == "json_object":
        return _JSON_OBJECT_FORMAT
    spec = value.get("json_schema")
    if spec is None:
        raise ApiError.missing("response_format.json_schema")
    check_object(spec, "response_format.json_schema")
    if spec.get("name") is None:
        raise ApiError.missing("response_format.json_schema.name")
    name = check_name(spec["name"], "response_format.json_schema.name")
    if spec.get("description") is not None:
        check_string(spec["description"], "response_format.json_schema.description")
    schema = spec.get("schema")
    if schema is not None:
        check_object(schema, "response_format.json_schema.schema")
    strict = spec.get("strict")
    strict = False if strict is None else check_boolean(strict, "response_format.json_schema.strict")
    if strict and schema is not None and check_strict_schema is not None:
        # As the real API's bodies quoted in bug reports show (PROTOCOL-responses.md §strict): chat names
        # the whole ``response_format``, with code null; the Responses API names ``text.format.schema``.
        check_strict_schema(schema, "response_format", name=name, kind="response_format", code=None)
    return ResponseFormat("json_schema", name, schema, strict)


_TEXT_FORMAT = ResponseFormat()
_JSON_OBJECT_FORMAT = ResponseFormat("json_object")


def _logit_bias(value: Any) -> None:
    """Token-id strings to integers in [-100, 100]; the key wording is a 2023 OpenAI message."""
    check_object(value, "logit_bias")
    for key, bias in value.items():
        if not key.isdigit() or not key.isascii():
            raise ApiError(
                400,
                f"Invalid key in 'logit_bias': {key}. You should only be submitting non-negative integers.",
                param="logit_bias",
            )
        check_integer(bias, f"logit_bias.{key}", -100, 100)


def _stop(value: Any) -> tuple[str, ...]:
    if type(value) is str:
        return (value,)
    if type(value) is not list:
        raise ApiError.invalid_type("stop", "one of a string or array of strings", value)
    if not value:
        raise ApiError.empty_array("stop")
    if len(value) > 4:
        raise ApiError.array_too_long("stop", 4, len(value))
    for k, item in enumerate(value):
        check_string(item, f"stop[{k}]")
    return tuple(value)


def _stream_options(value: Any) -> dict[str, Any]:
    check_object(value, "stream_options")
    for key, item in value.items():
        if key not in ("include_usage", "include_obfuscation"):
            raise unknown_member(f"stream_options.{key}")
        if item is not None:
            check_boolean(item, f"stream_options.{key}")
    return value


def _modalities(value: Any) -> tuple[str, ...]:
    if type(value) is not list:
        raise ApiError.invalid_type("modalities", "an array of strings", value)
    for k, item in enumerate(value):
        check_enum(item, f"modalities[{k}]", _MODALITIES)
    return tuple(value)


def _audio(value: Any) -> None:
    check_object(value, "audio")
    voice = value.get("voice")
    if voice is None:
        raise ApiError.missing("audio.voice")
    if type(voice) is dict:
        if voice.get("id") is None:
            raise ApiError.missing("audio.voice.id")
        check_string(voice["id"], "audio.voice.id")
    else:
        check_string(voice, "audio.voice")
    if value.get("format") is None:
        raise ApiError.missing("audio.format")
    check_enum(value["format"], "audio.format", _AUDIO_FORMATS)


def _web_search_options(value: Any) -> dict[str, Any]:
    check_object(value, "web_search_options")
    size = value.get("search_context_size")
    if size is not None:
        check_enum(size, "web_search_options.search_context_size", _CONTEXT_SIZES)
    location = value.get("user_location")
    if location is not None:
        check_object(location, "web_search_options.user_location")
        if location.get("type") is None:
            raise ApiError.missing("web_search_options.user_location.type")
        check_enum(location["type"], "web_search_options.user_location.type", ("approximate",))
        if location.get("approximate") is None:
            raise ApiError.missing("web_search_options.user_location.approximate")
        approximate = check_object(location["approximate"], "web_search_options.user_location.approximate")
        for key in ("country", "region", "city", "timezone"):
            if approximate.get(key) is not None:
                check_string(approximate[key], f"web_search_options.user_location.approximate.{key}")
    return value


def _prediction(value: Any) -> None:
    check_object(value, "prediction")
    if value.get("type") is None:
        raise ApiError.missing("prediction.type")
    check_enum(value["type"], "prediction.type", ("content",))
    content = value.get("content")
    if content is None:
        raise ApiError.missing("prediction.content")
    if type(content) is str:
        return
    if type(content) is not list:
        raise ApiError.invalid_type("prediction.content", _CONTENT_TYPES, content)
    if not content:
        raise ApiError.empty_array("prediction.content")
    for k, part in enumerate(content):
        check_object(part, f"prediction.content[{k}]")
        if part.get("type") is None:
            raise ApiError.missing(f"prediction.content[{k}].type")
        check_enum(part["type"], f"prediction.content[{k}].type", ("text",))
        if part.get("text") is None:
            raise ApiError.missing(f"prediction.content[{k}].text")
        check_string(part["text"], f"prediction.content[{k}].text")


def _moderation(value: Any) -> None:
    check_object(value, "moderation")
    if value.get("model") is None:
        raise ApiError.missing("moderation.model")
    check_string(value["model"], "moderation.model")
    if value.get("policy") is not None:
        check_object(value["policy"], "moderation.policy")


def _prompt_cache_options(value: Any) -> None:
    check_object(value, "prompt_cache_options")
    for key, item in value.items():
        if key == "ttl":
            check_enum(item, "prompt_cache_options.ttl", ("30m",))
        elif key == "mode":
            check_enum(item, "prompt_cache_options.mode", ("implicit", "explicit"))
        else:
            raise unknown_member(f"prompt_cache_options.{key}")


# ----- the entry point --------------------------------------------------------------------------------


def validate_chat_request(
    body: Any,
    *,
    catalog: Catalog,
    dialect: Dialect = OPENAI,
    headers: Mapping[str, str] | None = None,
    inspect_image: InspectImage | None = None,
    inspect_audio: InspectAudio | None = None,
    check_strict_schema: StrictSchemaCheck | None = None,
) -> tuple[Conversation, ModelInfo]:
    """Check a parsed ``/v1/chat/completions`` body the way OpenAI does; return the request and model.

    Raises :class:`ApiError` with OpenAI's status and body on the first problem (order: module doc).
    ``null`` is read as "not given" for every optional parameter: SDKs and LangChain/LiteLLM send
    explicit nulls and OpenAI accepts them. The injected callables measure image/audio parts
    (``vision.py``) and check strict JSON schemas (``structured.py``); None skips that inspection.
    """
    if type(body) is not dict:
        raise ApiError.body_not_an_object(body)
    get = body.get

    # 1. required parameters (captured order: they beat unknown keys)
    model_id = get("model")
    if model_id is None or model_id == "":
        raise ApiError(400, "you must provide a model parameter")
    raw_messages = get("messages")
    if raw_messages is None:
        raise ApiError.missing("messages")

    # 2. unknown top-level keys
    extra_rules = dialect.extra_params
    if not _KNOWN.issuperset(body):
        for key in body:
            if key not in _KNOWN and key not in extra_rules:
                raise ApiError.unrecognized_argument(key)

    # 3. types and ranges: model, messages, then spec order
    if type(model_id) is not str:
        raise ApiError.invalid_type("model", "a string", model_id)
    if type(raw_messages) is not list:
        raise ApiError.invalid_type("messages", "an array of objects", raw_messages)
    if not raw_messages:
        raise ApiError.empty_array("messages")

    if (v := get("metadata")) is not None:
        check_metadata(v)
    top_logprobs = get("top_logprobs")
    if top_logprobs is not None:
        check_integer(top_logprobs, "top_logprobs", 0, 20)
    temperature = get("temperature")
    if temperature is not None:
        lo, hi, lo_inc, hi_inc = dialect.temperature_range
        temperature = check_decimal(temperature, "temperature", lo, hi, lo_inc, hi_inc)
    top_p = get("top_p")
    if top_p is not None:
        lo, hi, lo_inc, hi_inc = dialect.top_p_range
        top_p = check_decimal(top_p, "top_p", lo, hi, lo_inc, hi_inc)
    user = get("user")
    if user is not None:
        check_string(user, "user", 64)
    if (v := get("safety_identifier")) is not None:
        check_string(v, "safety_identifier", 64)
    if (v := get("prompt_cache_key")) is not None:
        check_string(v, "prompt_cache_key")
    if (v := get("prompt_cache_retention")) is not None:
        if type(v) is not str:
            raise ApiError.invalid_type("prompt_cache_retention", f"one of {or_list(_CACHE_RETENTIONS)}", v)
        if v not in _CACHE_RETENTIONS:
            raise ApiError(400, "Invalid prompt_cache_retention argument", param="prompt_cache_retention")
    if (v := get("prompt_cache_options")) is not None:
        _prompt_cache_options(v)
    service_tier = get("service_tier")
    if service_tier is not None:
        check_enum(service_tier, "service_tier", _SERVICE_TIERS, _SERVICE_TIERS_EXTRA)
    modalities: tuple[str, ...] = ()
    if (v := get("modalities")) is not None:
        modalities = _modalities(v)
    if (v := get("verbosity")) is not None:
        check_enum(v, "verbosity", _VERBOSITIES)
    reasoning_effort = get("reasoning_effort")
    if reasoning_effort is not None:
        check_enum(reasoning_effort, "reasoning_effort", _REASONING_EFFORTS)
    max_completion_tokens = get("max_completion_tokens")
    if max_completion_tokens is not None:
        check_integer(max_completion_tokens, "max_completion_tokens", 1)
    frequency_penalty = get("frequency_penalty")
    if frequency_penalty is not None:
        frequency_penalty = check_decimal(frequency_penalty, "frequency_penalty", -2, 2)
    presence_penalty = get("presence_penalty")
    if presence_penalty is not None:
        presence_penalty = check_decimal(presence_penalty, "presence_penalty", -2, 2)
    web_search_options = get("web_search_options")
    if web_search_options is not None:
        _web_search_options(web_search_options)
    response_format = _TEXT_FORMAT
    if (v := get("response_format")) is not None:
        response_format = _response_format(v, check_strict_schema)
    audio = get("audio")
    if audio is not None:
        _audio(audio)
    if (v := get("store")) is not None:
        check_boolean(v, "store")
    if (v := get("moderation")) is not None:
        _moderation(v)
    stream = get("stream")
    stream = False if stream is None else check_boolean(stream, "stream")
    stop: tuple[str, ...] = ()
    if (v := get("stop")) is not None:
        stop = _stop(v)
    if (v := get("logit_bias")) is not None:
        _logit_bias(v)
    logprobs = get("logprobs")
    logprobs = False if logprobs is None else check_boolean(logprobs, "logprobs")
    max_tokens = get("max_tokens")
    if max_tokens is not None:
        check_integer(max_tokens, "max_tokens", 1)
    n = get("n")
    n = 1 if n is None else check_integer(n, "n", 1, 128)
    if (v := get("prediction")) is not None:
        _prediction(v)
    seed = get("seed")
    if seed is not None:
        check_integer(seed, "seed", *_INT64)
    stream_options = get("stream_options")
    if stream_options is not None:
        _stream_options(stream_options)
    raw_tools = get("tools")
    tools: tuple[ToolSpec, ...] = ()
    if raw_tools is not None:
        tools = _tools(raw_tools, check_strict_schema)
    raw_choice = get("tool_choice")
    choice = None if raw_choice is None else _tool_choice_shape(raw_choice)
    parallel_tool_calls = get("parallel_tool_calls")
    parallel_tool_calls = (
        True if parallel_tool_calls is None else check_boolean(parallel_tool_calls, "parallel_tool_calls")
    )
    function_call = get("function_call")
    if function_call is not None:
        if type(function_call) is str:
            check_enum(function_call, "function_call", ("none", "auto"))
        else:
            check_object(function_call, "function_call")
            if function_call.get("name") is None:
                raise ApiError.missing("function_call.name")
            check_string(function_call["name"], "function_call.name")
    function_specs: tuple[ToolSpec, ...] = ()
    functions: tuple[str, ...] | None = None
    if (v := get("functions")) is not None:
        function_specs = _functions(v)
        functions = tuple(spec.name for spec in function_specs)
    extras: dict[str, Any] = {}
    if extra_rules:
        for key, rule in extra_rules.items():
            if (v := get(key)) is not None:
                extras[key] = rule.check(v, key)

    # 4. messages, deep
    media = _Media()
    messages = _messages(raw_messages, dialect, inspect_image, inspect_audio, media)

    # 5. cross-field rules
    if stream_options is not None and not stream:
        raise only_when("stream_options", "stream")
    if top_logprobs is not None and not logprobs:
        raise only_when("top_logprobs", "logprobs")
    tool_choice = _resolve_tool_choice(choice, tools)
    if function_call is not None:
        if functions is None:
            raise ApiError(
                400,
                "Invalid value for 'function_call': 'function_call' is only allowed when 'functions' are specified.",
                param="function_call",
            )
        if type(function_call) is dict and function_call["name"] not in functions:
            raise _no_such_function(function_call["name"])
    if "audio" in modalities and audio is None:
        raise ApiError.missing("audio")
    if response_format.type == "json_object" and not any("json" in m.text.lower() for m in messages):
        raise ApiError(
            400,
            "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
            param="messages",
        )

    # 6. the model
    model = catalog.require(model_id)
    if model.embedding_dims:
        # OpenAI's answer for models that are not chat models (recalled from the live API, not in a
        # recording [UNVERIFIED]).
        raise ApiError(
            404,
            "This is not a chat model and thus not supported in the v1/chat/completions endpoint. "
            "Did you mean to use v1/completions?",
            param="model",
        )

    # 7. model-specific rules
    _model_rules(model, body, reasoning_effort, temperature, top_p, media, modalities, tools)

    include_usage = False
    include_obfuscation = True
    if stream_options is not None:
        include_usage = stream_options.get("include_usage") is True
        include_obfuscation = stream_options.get("include_obfuscation") is not False

    lowered: dict[str, str] = {k.lower(): v for k, v in headers.items()} if headers else {}
    api_key = bearer_key(lowered)

    request = Conversation(
        model=model_id,
        messages=messages,
        raw=body,
        stream=stream,
        include_usage=include_usage,
        include_obfuscation=include_obfuscation,
        n=n,
        stop=stop,
        max_tokens=max_completion_tokens if max_completion_tokens is not None else max_tokens,
        temperature=temperature,
        top_p=top_p,
        presence_penalty=presence_penalty,
        frequency_penalty=frequency_penalty,
        logprobs=logprobs,
        top_logprobs=top_logprobs,
        seed=seed,
        tools=tools,
        functions=function_specs,
        function_choice=_function_choice(function_call),
        tool_choice=tool_choice,
        parallel_tool_calls=parallel_tool_calls,
        response_format=response_format,
        reasoning_effort=reasoning_effort,
        service_tier=service_tier,
        user=user,
        web_search_options=web_search_options,
        extras=extras,
        headers=lowered,
        api_key=api_key,
        session=lowered.get("x-mockllm-session"),
    )
    return request, model


_AUTO = ToolChoice("auto")
_NONE = ToolChoice("none")


def _resolve_tool_choice(
    choice: tuple[str, str | None, tuple[tuple[str, str], ...] | None] | None, tools: tuple[ToolSpec, ...]
) -> ToolChoice:
    """Default ``auto`` with tools, ``none`` without; named tools must be among those offered."""
    if choice is None:
        return _AUTO if tools else _NONE
    if not tools:
        raise ApiError(
            400,
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
            param="tool_choice",
        )
    mode, name, pairs = choice
    if pairs is None:
        return ToolChoice(cast(Literal["none", "auto", "required"], mode))
    offered = {(t.type, t.name) for t in tools}
    for k, pair in enumerate(pairs):
        if pair not in offered:
            if name is not None:  # a forced function / custom tool
                if pair[0] == "function":
                    raise _no_such_function(pair[1])
                raise ApiError(
                    400,
                    f"Invalid value for 'tool_choice': no custom tool named '{pair[1]}' was specified in the "
                    "'tools' parameter.",
                    param="tool_choice.custom.name",
                )
            raise ApiError(
                400,
                f"Invalid value for 'tool_choice': no {pair[0]} tool named '{pair[1]}' was specified in the "
                "'tools' parameter.",
                param=f"tool_choice.allowed_tools.tools[{k}]",
            )
    if name is not None:
        return ToolChoice("required", name=name)
    return ToolChoice(cast(Literal["none", "auto", "required"], mode), allowed=tuple(p[1] for p in pairs))


def _model_rules(
    model: ModelInfo,
    body: dict[str, Any],
    reasoning_effort: str | None,
    temperature: float | None,
    top_p: float | None,
    media: _Media,
    modalities: tuple[str, ...],
    tools: tuple[ToolSpec, ...],
) -> None:
    """What depends on the model: reasoning restrictions, output ceiling, search, vision and audio."""
    if reasoning_effort is not None and model.reasoning is None:
        raise ApiError.unrecognized_argument("reasoning_effort")
    if body.get("web_search_options") is not None and not model.search:
        raise ApiError(400, "Web search options not supported with this model.", param="web_search_options")
    if model.search and tools:
        raise ApiError(404, "tools is not supported in this model", param="tools")
    if model.reasoning == "openai":
        if body.get("max_tokens") is not None:
            raise ApiError.unsupported_parameter("max_tokens", "max_completion_tokens")
        for param, value in (("temperature", temperature), ("top_p", top_p)):
            if value is not None and value != 1:
                raise ApiError.unsupported_value(
                    param,
                    f"'{param}' does not support {_render_value(body[param])} with this model. "
                    "Only the default (1) value is supported.",
                )
        if body.get("stop") is not None:
            raise ApiError.unsupported_parameter("stop")
    for param in ("max_tokens", "max_completion_tokens"):
        limit = body.get(param)
        if limit is not None and limit > model.max_output_tokens:
            raise ApiError(
                400,
                f"{param} is too large: {limit}. This model supports at most {model.max_output_tokens} "
                f"completion tokens, whereas you provided {limit}.",
                param=param,
                code="invalid_value",
            )
    if media.image is not None and not model.vision:
        raise ApiError(
            400, "Invalid content type. image_url is only supported by certain models.", param=f"{media.image}.type"
        )
    if media.audio is not None and not model.audio:
        raise ApiError(
            400,
            "Invalid content type. input_audio is only supported by certain models.",
            param=f"{media.audio}.type",
        )
    if "audio" in modalities and not model.audio:
        raise ApiError(
            400,
            "This model does not support audio output (modalities: 'audio').",
            param="modalities",
            code="invalid_value",
        )
