"""Unit tests for ``mockllm.apis.chat.validate``: one row per rule, exact OpenAI bodies, plus valid shapes.

Expected messages are written out literally (never rebuilt with ``ApiError`` templates) so a wording
change in either place shows up here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from mockllm.apis.chat.validate import KNOWN_PARAMS, OPENAI, Dialect, ParamRule, validate_chat_request
from mockllm.core.catalog import Catalog
from mockllm.core.conversation import AudioInfo, ImageInfo, ResponseFormat, ToolChoice, ToolSpec
from mockllm.core.errors import ApiError

CATALOG = Catalog()
DROP = object()
USER = {"role": "user", "content": "hi"}
TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
CALL2 = {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
AUDIO = {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}
FAKE_IMAGE = ImageInfo("url", "https://example.com/cat.png", "auto", None, 512, 512, 0, None, None)
FAKE_AUDIO = AudioInfo("wav", 1.5, 100, "0" * 64)


def body(**overrides: Any) -> dict[str, Any]:
    """A valid minimal request with some keys replaced (``DROP`` removes one)."""
    out: dict[str, Any] = {"model": "gpt-4o-mini", "messages": [USER]}
    for key, value in overrides.items():
        if value is DROP:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def msgs(*messages: Any, **overrides: Any) -> dict[str, Any]:
    return body(messages=list(messages), **overrides)


def fake_image(part: Mapping[str, Any], param: str) -> ImageInfo:
    if part.get("image_url", {}).get("url") == "bad":
        raise ApiError(400, "Invalid image.", param=f"{param}.image_url.url", code="invalid_image")
    return FAKE_IMAGE


def fake_audio(part: Mapping[str, Any], param: str) -> AudioInfo:
    return FAKE_AUDIO


class StrictRecorder:
    """Stands in for ``structured.check_strict_schema``: records calls, rejects ``{"bad": true}``."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, str, str, str]] = []

    def __call__(self, schema: Any, param: str, *, name: str, kind: str, code: str | None = "x") -> None:
        self.calls.append((schema, param, name, kind))
        if schema.get("bad"):
            raise ApiError(400, f"Invalid schema for {kind} '{name}'.", param=param, code="invalid_value")


def run(request: Any, dialect: Dialect = OPENAI, **kw: Any) -> Any:
    kw.setdefault("inspect_image", fake_image)
    kw.setdefault("inspect_audio", fake_audio)
    kw.setdefault("check_strict_schema", StrictRecorder())
    return validate_chat_request(request, catalog=CATALOG, dialect=dialect, **kw)


def expect_error(request: Any, status: int, message: str, param: str | None, code: str | None, **kw: Any) -> None:
    with pytest.raises(ApiError) as info:
        run(request, **kw)
    err = info.value
    assert (err.status, err.message, err.type, err.param, err.code) == (
        status,
        message,
        "invalid_request_error",
        param,
        code,
    )


def _cases(*rows: tuple[str, Any, int, str, str | None, str | None]) -> list[Any]:
    return [pytest.param(*row[1:], id=row[0]) for row in rows]


ROLES = "'system', 'assistant', 'user', 'function', 'tool', and 'developer'"
TOO_MANY_META = {f"k{i}": "v" for i in range(17)}

# (id, request, status, message, param, code)
TOP_LEVEL = _cases(
    ("body-array", [1], 400, "Invalid type for 'body': expected an object, but got an array instead.", None,
     "invalid_type"),
    ("model-missing", body(model=DROP), 400, "you must provide a model parameter", None, None),
    ("model-empty", body(model=""), 400, "you must provide a model parameter", None, None),
    ("model-missing-beats-unknown", body(model=DROP, top_k=5), 400, "you must provide a model parameter", None,
     None),
    ("messages-missing", body(messages=DROP), 400, "Missing required parameter: 'messages'.", "messages",
     "missing_required_parameter"),
    ("unknown-top-k", body(top_k=5), 400, "Unrecognized request argument supplied: top_k", None, None),
    ("unknown-beats-empty-messages", body(messages=[], enable_thinking=True), 400,
     "Unrecognized request argument supplied: enable_thinking", None, None),
    ("model-int", body(model=4), 400, "Invalid type for 'model': expected a string, but got an integer instead.",
     "model", "invalid_type"),
    ("messages-string", body(messages="hi"), 400,
     "Invalid type for 'messages': expected an array of objects, but got a string instead.", "messages",
     "invalid_type"),
    ("messages-empty", body(messages=[]), 400,
     "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
     "messages", "empty_array"),
)  # fmt: skip

NUMBERS = _cases(
    ("temperature-above", body(temperature=2.5), 400,
     "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 2.5 instead.",
     "temperature", "decimal_above_max_value"),
    ("temperature-below", body(temperature=-2.5), 400,
     "Invalid 'temperature': decimal below minimum value. Expected a value >= 0, but got -2.5 instead.",
     "temperature", "decimal_below_min_value"),
    ("temperature-string", body(temperature="hot"), 400,
     "Invalid type for 'temperature': expected a decimal, but got a string instead.", "temperature", "invalid_type"),
    ("temperature-bool", body(temperature=True), 400,
     "Invalid type for 'temperature': expected a decimal, but got a boolean instead.", "temperature",
     "invalid_type"),
    ("top-p-above", body(top_p=1.5), 400,
     "Invalid 'top_p': decimal above maximum value. Expected a value <= 1, but got 1.5 instead.", "top_p",
     "decimal_above_max_value"),
    ("presence-above", body(presence_penalty=3), 400,
     "Invalid 'presence_penalty': decimal above maximum value. Expected a value <= 2, but got 3 instead.",
     "presence_penalty", "decimal_above_max_value"),
    ("frequency-below", body(frequency_penalty=-3), 400,
     "Invalid 'frequency_penalty': decimal below minimum value. Expected a value >= -2, but got -3 instead.",
     "frequency_penalty", "decimal_below_min_value"),
    ("n-zero", body(n=0), 400,
     "Invalid 'n': integer below minimum value. Expected a value >= 1, but got 0 instead.", "n",
     "integer_below_min_value"),
    ("n-129", body(n=129), 400,
     "Invalid 'n': integer above maximum value. Expected a value <= 128, but got 129 instead.", "n",
     "integer_above_max_value"),
    ("n-float", body(n=1.0), 400, "Invalid type for 'n': expected an integer, but got a decimal instead.", "n",
     "invalid_type"),
    ("n-string", body(n="2"), 400, "Invalid type for 'n': expected an integer, but got a string instead.", "n",
     "invalid_type"),
    ("max-tokens-zero", body(max_tokens=0), 400,
     "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead.", "max_tokens",
     "integer_below_min_value"),
    ("max-completion-zero", body(max_completion_tokens=0), 400,
     "Invalid 'max_completion_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead.",
     "max_completion_tokens", "integer_below_min_value"),
    ("top-logprobs-21", body(top_logprobs=21, logprobs=True), 400,
     "Invalid 'top_logprobs': integer above maximum value. Expected a value <= 20, but got 21 instead.",
     "top_logprobs", "integer_above_max_value"),
    ("top-logprobs-without-logprobs", body(top_logprobs=2), 400,
     "The 'top_logprobs' parameter is only allowed when 'logprobs' is enabled.", "top_logprobs", None),
    ("seed-above-int64", body(seed=2**63), 400,
     "Invalid 'seed': integer above maximum value. Expected a value <= 9223372036854775807, "
     "but got 9223372036854775808 instead.", "seed", "integer_above_max_value"),
    ("seed-float", body(seed=1.5), 400, "Invalid type for 'seed': expected an integer, but got a decimal instead.",
     "seed", "invalid_type"),
    ("logit-bias-key", body(logit_bias={"abc": 1}), 400,
     "Invalid key in 'logit_bias': abc. You should only be submitting non-negative integers.", "logit_bias", None),
    ("logit-bias-value", body(logit_bias={"50256": 101}), 400,
     "Invalid 'logit_bias.50256': integer above maximum value. Expected a value <= 100, but got 101 instead.",
     "logit_bias.50256", "integer_above_max_value"),
    ("logit-bias-list", body(logit_bias=[1]), 400,
     "Invalid type for 'logit_bias': expected an object, but got an array instead.", "logit_bias", "invalid_type"),
)  # fmt: skip

STRINGS_AND_ENUMS = _cases(
    ("metadata-17", body(metadata=TOO_MANY_META), 400,
     "Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got an object "
     "with 17 properties instead.", "metadata", "object_above_max_properties"),
    ("metadata-long-key", body(metadata={"k" * 65: "v"}), 400,
     f"Invalid property name in 'metadata': '{'k' * 20}...{'k' * 20}' is too long. Expected a string with maximum "
     "length 64, but got a string with length 65 instead.", f"metadata.{'k' * 65}", "property_name_above_max_length"),
    ("metadata-long-value", body(metadata={"k": "x" * 513}), 400,
     "Invalid 'metadata.k': string too long. Expected a string with maximum length 512, but got a string with "
     "length 513 instead.", "metadata.k", "string_above_max_length"),
    ("metadata-int-value", body(metadata={"k": 7}), 400,
     "Invalid type for 'metadata.k': expected a string, but got an integer instead.", "metadata.k", "invalid_type"),
    ("metadata-string", body(metadata="x"), 400,
     "Invalid type for 'metadata': expected a metadata object, but got a string instead.", "metadata",
     "invalid_type"),
    ("user-too-long", body(user="u" * 65), 400,
     "Invalid 'user': string too long. Expected a string with maximum length 64, but got a string with length 65 "
     "instead.", "user", "string_above_max_length"),
    ("safety-identifier-too-long", body(safety_identifier="s" * 65), 400,
     "Invalid 'safety_identifier': string too long. Expected a string with maximum length 64, but got a string "
     "with length 65 instead.", "safety_identifier", "string_above_max_length"),
    ("stop-empty", body(stop=[]), 400,
     "Invalid 'stop': empty array. Expected an array with minimum length 1, but got an empty array instead.",
     "stop", "empty_array"),
    ("stop-five", body(stop=list("abcde")), 400,
     "Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length 5 "
     "instead.", "stop", "array_above_max_length"),
    ("stop-item-int", body(stop=[1]), 400,
     "Invalid type for 'stop[0]': expected a string, but got an integer instead.", "stop[0]", "invalid_type"),
    ("stop-int", body(stop=5), 400,
     "Invalid type for 'stop': expected one of a string or array of strings, but got an integer instead.", "stop",
     "invalid_type"),
    ("stream-string", body(stream="yes"), 400,
     "Invalid type for 'stream': expected a boolean, but got a string instead.", "stream", "invalid_type"),
    ("logprobs-string", body(logprobs="x"), 400,
     "Invalid type for 'logprobs': expected a boolean, but got a string instead.", "logprobs", "invalid_type"),
    ("parallel-tool-calls-int", body(parallel_tool_calls=1), 400,
     "Invalid type for 'parallel_tool_calls': expected a boolean, but got an integer instead.",
     "parallel_tool_calls", "invalid_type"),
    ("store-string", body(store="x"), 400,
     "Invalid type for 'store': expected a boolean, but got a string instead.", "store", "invalid_type"),
    ("stream-options-without-stream", body(stream_options={"include_usage": True}), 400,
     "The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options", None),
    ("stream-options-stream-false", body(stream=False, stream_options={"include_usage": True}), 400,
     "The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options", None),
    ("include-usage-string", body(stream=True, stream_options={"include_usage": "yes"}), 400,
     "Invalid type for 'stream_options.include_usage': expected a boolean, but got a string instead.",
     "stream_options.include_usage", "invalid_type"),
    ("stream-options-unknown", body(stream=True, stream_options={"bogus": 1}), 400,
     "Unknown parameter: 'stream_options.bogus'.", "stream_options.bogus", "unknown_parameter"),
    ("service-tier-bogus", body(service_tier="bogus"), 400,
     "Invalid value: 'bogus'. Supported values are: 'auto', 'default', 'fast', 'flex', and 'priority'.",
     "service_tier", "invalid_value"),
    ("service-tier-object", body(service_tier={"a": 1}), 400,
     "Invalid type for 'service_tier': expected one of 'auto', 'default', 'fast', 'flex', or 'priority', but got "
     "an object instead.", "service_tier", "invalid_type"),
    ("reasoning-effort-bogus", body(reasoning_effort="extreme"), 400,
     "Invalid value: 'extreme'. Supported values are: 'none', 'minimal', 'low', 'medium', 'high', 'xhigh', and "
     "'max'.", "reasoning_effort", "invalid_value"),
    ("verbosity-bogus", body(verbosity="bogus"), 400,
     "Invalid value: 'bogus'. Supported values are: 'low', 'medium', and 'high'.", "verbosity", "invalid_value"),
    ("modalities-video", body(modalities=["video"]), 400,
     "Invalid value: 'video'. Supported values are: 'text' and 'audio'.", "modalities[0]", "invalid_value"),
    ("modalities-audio-needs-audio", body(modalities=["text", "audio"]), 400,
     "Missing required parameter: 'audio'.", "audio", "missing_required_parameter"),
    ("audio-no-voice", body(audio={"format": "wav"}), 400, "Missing required parameter: 'audio.voice'.",
     "audio.voice", "missing_required_parameter"),
    ("audio-bad-format", body(audio={"voice": "alloy", "format": "ogg"}), 400,
     "Invalid value: 'ogg'. Supported values are: 'wav', 'aac', 'mp3', 'flac', 'opus', and 'pcm16'.",
     "audio.format", "invalid_value"),
    ("prompt-cache-retention-bogus", body(prompt_cache_retention="1h"), 400,
     "Invalid prompt_cache_retention argument", "prompt_cache_retention", None),
    ("prompt-cache-options-unknown", body(prompt_cache_options={"bogus": 1}), 400,
     "Unknown parameter: 'prompt_cache_options.bogus'.", "prompt_cache_options.bogus", "unknown_parameter"),
    ("moderation-no-model", body(moderation={}), 400, "Missing required parameter: 'moderation.model'.",
     "moderation.model", "missing_required_parameter"),
    ("prediction-bad-type", body(prediction={"type": "diff", "content": "x"}), 400,
     "Invalid value: 'diff'. Supported values are: 'content'.", "prediction.type", "invalid_value"),
    ("web-search-context-size", body(model="gpt-4o-search-preview", web_search_options={"search_context_size": "max"}),
     400, "Invalid value: 'max'. Supported values are: 'low', 'medium', and 'high'.",
     "web_search_options.search_context_size", "invalid_value"),
)  # fmt: skip

NAME_PATTERN = "Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'."


def fn_tool(name: Any = "get_weather", **function: Any) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, **function}}


TOOLS = _cases(
    ("tools-empty", body(tools=[]), 400,
     "Invalid 'tools': empty array. Expected an array with minimum length 1, but got an empty array instead.",
     "tools", "empty_array"),
    ("tools-string", body(tools="none"), 400,
     "Invalid type for 'tools': expected an array of objects, but got a string instead.", "tools", "invalid_type"),
    ("tools-item-string", body(tools=["x"]), 400,
     "Invalid type for 'tools[0]': expected an object, but got a string instead.", "tools[0]", "invalid_type"),
    ("tools-no-function", body(tools=[{"type": "function"}]), 400,
     "Missing required parameter: 'tools[0].function'.", "tools[0].function", "missing_required_parameter"),
    ("tools-no-name", body(tools=[{"type": "function", "function": {"parameters": {}}}]), 400,
     "Missing required parameter: 'tools[0].function.name'.", "tools[0].function.name",
     "missing_required_parameter"),
    ("tools-name-pattern", body(tools=[TOOL, fn_tool("get weather")]), 400,
     f"Invalid 'tools[1].function.name': string does not match pattern. {NAME_PATTERN}", "tools[1].function.name",
     "invalid_value"),
    ("tools-name-empty", body(tools=[fn_tool("")]), 400,
     "Invalid 'tools[0].function.name': empty string. Expected a string with minimum length 1, but got an empty "
     "string instead.", "tools[0].function.name", "empty_string"),
    ("tools-name-65", body(tools=[fn_tool("f" * 65)]), 400,
     "Invalid 'tools[0].function.name': string too long. Expected a string with maximum length 64, but got a "
     "string with length 65 instead.", "tools[0].function.name", "string_above_max_length"),
    ("tools-type-bogus", body(tools=[{"type": "retrieval"}]), 400,
     "Invalid value: 'retrieval'. Supported values are: 'function' and 'custom'.", "tools[0].type", "invalid_value"),
    ("tools-parameters-string", body(tools=[fn_tool(parameters="x")]), 400,
     "Invalid type for 'tools[0].function.parameters': expected an object, but got a string instead.",
     "tools[0].function.parameters", "invalid_type"),
    ("tools-duplicate", body(tools=[TOOL, TOOL]), 400,
     "Invalid 'tools': duplicate tool name 'get_weather'. Each tool must have a unique name.",
     "tools[1].function.name", "invalid_value"),
    ("tools-strict-schema-rejected", body(tools=[fn_tool(parameters={"bad": True}, strict=True)]), 400,
     "Invalid schema for function 'get_weather'.", "tools[0].function.parameters", "invalid_value"),
    ("tool-choice-without-tools", body(tool_choice="auto"), 400,
     "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", "tool_choice",
     None),
    ("tool-choice-bogus", body(tools=[TOOL], tool_choice="bogus"), 400,
     "Invalid value: 'bogus'. Supported values are: 'none', 'auto', and 'required'.", "tool_choice",
     "invalid_value"),
    ("tool-choice-int", body(tools=[TOOL], tool_choice=7), 400,
     "Invalid type for 'tool_choice': expected one of one of 'none', 'auto', or 'required' or object, but got an "
     "integer instead.", "tool_choice", "invalid_type"),
    ("tool-choice-unknown-function",
     body(tools=[TOOL], tool_choice={"type": "function", "function": {"name": "never_declared"}}), 400,
     "Invalid value for 'function_call': no function named 'never_declared' was specified in the 'functions' "
     "parameter.", "function_call", None),
    ("tool-choice-no-name", body(tools=[TOOL], tool_choice={"type": "function", "function": {}}), 400,
     "Missing required parameter: 'tool_choice.function.name'.", "tool_choice.function.name",
     "missing_required_parameter"),
    ("tool-choice-type-bogus", body(tools=[TOOL], tool_choice={"type": "bogus"}), 400,
     "Missing required parameter: 'tool_choice.function'.", "tool_choice.function", "missing_required_parameter"),
    ("allowed-tools-unknown",
     body(tools=[TOOL], tool_choice={"type": "allowed_tools", "allowed_tools": {
         "mode": "auto", "tools": [{"type": "function", "function": {"name": "nope"}}]}}), 400,
     "Invalid value for 'tool_choice': no function tool named 'nope' was specified in the 'tools' parameter.",
     "tool_choice.allowed_tools.tools[0]", None),
    ("allowed-tools-mode",
     body(tools=[TOOL], tool_choice={"type": "allowed_tools", "allowed_tools": {"mode": "none", "tools": []}}), 400,
     "Invalid value: 'none'. Supported values are: 'auto' and 'required'.", "tool_choice.allowed_tools.mode",
     "invalid_value"),
    ("functions-string", body(functions="x"), 400,
     "Invalid type for 'functions': expected an array of function definitions, but got a string instead.",
     "functions", "invalid_type"),
    ("functions-no-name", body(functions=[{"parameters": {}}]), 400,
     "Missing required parameter: 'functions[0].name'.", "functions[0].name", "missing_required_parameter"),
    ("function-call-without-functions", body(function_call="auto"), 400,
     "Invalid value for 'function_call': 'function_call' is only allowed when 'functions' are specified.",
     "function_call", None),
    ("function-call-unknown", body(functions=[{"name": "f"}], function_call={"name": "g"}), 400,
     "Invalid value for 'function_call': no function named 'g' was specified in the 'functions' parameter.",
     "function_call", None),
)  # fmt: skip

RESPONSE_FORMAT = _cases(
    ("rf-string", body(response_format="json"), 400,
     "Invalid type for 'response_format': expected an object, but got a string instead.", "response_format",
     "invalid_type"),
    ("rf-no-type", body(response_format={}), 400, "Missing required parameter: 'response_format.type'.",
     "response_format.type", "missing_required_parameter"),
    ("rf-bogus-type", body(response_format={"type": "json"}), 400,
     "Invalid value: 'json'. Supported values are: 'json_object', 'json_schema', and 'text'.",
     "response_format.type", "invalid_value"),
    ("rf-no-json-schema", body(response_format={"type": "json_schema"}), 400,
     "Missing required parameter: 'response_format.json_schema'.", "response_format.json_schema",
     "missing_required_parameter"),
    ("rf-no-name", body(response_format={"type": "json_schema", "json_schema": {}}), 400,
     "Missing required parameter: 'response_format.json_schema.name'.", "response_format.json_schema.name",
     "missing_required_parameter"),
    ("rf-name-pattern", body(response_format={"type": "json_schema", "json_schema": {"name": "my schema"}}), 400,
     f"Invalid 'response_format.json_schema.name': string does not match pattern. {NAME_PATTERN}",
     "response_format.json_schema.name", "invalid_value"),
    ("rf-schema-string", body(response_format={"type": "json_schema", "json_schema": {"name": "s", "schema": "x"}}),
     400, "Invalid type for 'response_format.json_schema.schema': expected an object, but got a string instead.",
     "response_format.json_schema.schema", "invalid_type"),
    ("rf-strict-string",
     body(response_format={"type": "json_schema", "json_schema": {"name": "s", "strict": "yes"}}), 400,
     "Invalid type for 'response_format.json_schema.strict': expected a boolean, but got a string instead.",
     "response_format.json_schema.strict", "invalid_type"),
    ("rf-strict-schema-rejected",
     body(response_format={"type": "json_schema", "json_schema": {"name": "s", "strict": True, "schema": {
         "bad": True}}}), 400, "Invalid schema for response_format 's'.", "response_format",
     "invalid_value"),
    ("json-object-without-json", body(response_format={"type": "json_object"}), 400,
     "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
     "messages", None),
)  # fmt: skip

NULL_CONTENT = "Invalid value for 'content': expected a string, got null."
ASSISTANT_TC = {"role": "assistant", "content": None, "tool_calls": [CALL]}

MESSAGES = _cases(
    ("message-string", msgs("hi"), 400,
     "Invalid type for 'messages[0]': expected an object, but got a string instead.", "messages[0]",
     "invalid_type"),
    ("message-no-role", msgs({"content": "hi"}), 400, "Missing required parameter: 'messages[0].role'.",
     "messages[0].role", "missing_required_parameter"),
    ("message-bad-role", msgs(USER, {"role": "bot", "content": "x"}), 400,
     f"Invalid value: 'bot'. Supported values are: {ROLES}.", "messages[1].role", "invalid_value"),
    ("message-role-int", msgs({"role": 5, "content": "x"}), 400,
     "Invalid type for 'messages[0].role': expected one of 'system', 'assistant', 'user', 'function', 'tool', or "
     "'developer', but got an integer instead.", "messages[0].role", "invalid_type"),
    ("message-extra-key", msgs({"role": "user", "content": "hi", "id": "m1"}), 400,
     "Additional properties are not allowed ('id' was unexpected) - 'messages.0'", None, None),
    ("tool-message-name", msgs(USER, ASSISTANT_TC, {"role": "tool", "tool_call_id": "call_1", "content": "x",
                                                      "name": "get_weather"}), 400,
     "Additional properties are not allowed ('name' was unexpected) - 'messages.2'", None, None),
    ("content-int", msgs({"role": "user", "content": 7}), 400,
     "Invalid type for 'messages[0].content': expected one of a string or array of objects, but got an integer "
     "instead.", "messages[0].content", "invalid_type"),
    ("content-null-user", msgs({"role": "user", "content": None}), 400, NULL_CONTENT, "messages.[0].content", None),
    ("content-missing-user", msgs({"role": "user"}), 400, NULL_CONTENT, "messages.[0].content", None),
    ("content-missing-tool", msgs(USER, ASSISTANT_TC, {"role": "tool", "tool_call_id": "call_1"}), 400,
     NULL_CONTENT, "messages.[2].content", None),
    ("content-missing-developer", msgs({"role": "developer"}, USER), 400,
     "Missing required parameter: 'messages[0].content'.", "messages[0].content", "missing_required_parameter"),
    ("content-null-developer", msgs({"role": "developer", "content": None}, USER), 400,
     "Invalid type for 'messages[0].content': expected one of a string or array of objects, but got null instead.",
     "messages[0].content", "invalid_type"),
    ("content-null-assistant", msgs(USER, {"role": "assistant", "content": None}), 400, NULL_CONTENT,
     "messages.[1].content", None),
    ("content-empty-array", msgs({"role": "user", "content": []}), 400,
     "Invalid 'messages[0].content': empty array. Expected an array with minimum length 1, but got an empty array "
     "instead.", "messages[0].content", "empty_array"),
    ("part-string", msgs({"role": "user", "content": ["hi"]}), 400,
     "Invalid type for 'messages[0].content[0]': expected an object, but got a string instead.",
     "messages[0].content[0]", "invalid_type"),
    ("part-no-type", msgs({"role": "user", "content": [{"text": "hi"}]}), 400,
     "Missing required parameter: 'messages[0].content[0].type'.", "messages[0].content[0].type",
     "missing_required_parameter"),
    ("part-bogus-type", msgs({"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "video"}]}), 400,
     "Invalid value: 'video'. Supported values are: 'text', 'image_url', 'input_audio', 'refusal', 'audio', and "
     "'file'.", "messages[0].content[1].type", "invalid_value"),
    ("part-bogus-type-in-system", msgs({"role": "system", "content": [{"type": "input_file"}]}, USER), 400,
     "Invalid value: 'input_file'. Supported values are: 'text', 'image_url', 'input_audio', 'refusal', 'audio', "
     "and 'file'.", "messages[0].content[0].type", "invalid_value"),
    ("assistant-annotations-string", msgs(USER, {"role": "assistant", "content": "ok", "annotations": "none"}), 400,
     "Invalid type for 'messages[1].annotations': expected an array, but got a string instead.",
     "messages[1].annotations", "invalid_type"),
    ("part-image-in-system", msgs({"role": "system", "content": [IMAGE]}, USER), 400,
     "Invalid value: 'image_url'. Supported values are: 'text'.", "messages[0].content[0].type", "invalid_value"),
    ("part-text-missing", msgs({"role": "user", "content": [{"type": "text"}]}), 400,
     "Missing required parameter: 'messages[0].content[0].text'.", "messages[0].content[0].text",
     "missing_required_parameter"),
    ("part-text-int", msgs({"role": "user", "content": [{"type": "text", "text": 5}]}), 400,
     "Invalid type for 'messages[0].content[0].text': expected a string, but got an integer instead.",
     "messages[0].content[0].text", "invalid_type"),
    ("part-refusal-plus-text", msgs(USER, {"role": "assistant", "content": [
        {"type": "refusal", "refusal": "no"}, {"type": "text", "text": "x"}]}), 400,
     "Invalid 'messages[1].content': an assistant message may contain one or more 'text' parts or exactly one "
     "'refusal' part.", "messages[1].content", "invalid_value"),
    ("image-inspector-error", msgs({"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "bad"}}]}, model="gpt-4o"), 400, "Invalid image.",
     "messages[0].content[0].image_url.url", "invalid_image"),
    ("name-int", msgs({"role": "user", "content": "hi", "name": 5}), 400,
     "Invalid type for 'messages[0].name': expected a string, but got an integer instead.", "messages[0].name",
     "invalid_type"),
    ("tool-no-call-id", msgs(USER, ASSISTANT_TC, {"role": "tool", "content": "x"}), 400,
     "Missing required parameter: 'messages[2].tool_call_id'.", "messages[2].tool_call_id",
     "missing_required_parameter"),
    ("function-no-name", msgs(USER, {"role": "function", "content": "23C"}), 400,
     "Missing required parameter: 'messages[1].name'.", "messages[1].name", "missing_required_parameter"),
    ("function-content-array", msgs(USER, {"role": "function", "name": "f", "content": [{"type": "text"}]}), 400,
     "Invalid type for 'messages[1].content': expected a string, but got an array instead.", "messages[1].content",
     "invalid_type"),
    ("tool-calls-empty", msgs(USER, {"role": "assistant", "content": "x", "tool_calls": []}), 400,
     "Invalid 'messages[1].tool_calls': empty array. Expected an array with minimum length 1, but got an empty "
     "array instead.", "messages[1].tool_calls", "empty_array"),
    ("tool-calls-string", msgs(USER, {"role": "assistant", "content": "x", "tool_calls": "x"}), 400,
     "Invalid type for 'messages[1].tool_calls': expected an array of objects, but got a string instead.",
     "messages[1].tool_calls", "invalid_type"),
    ("tool-call-no-id", msgs(USER, {"role": "assistant", "tool_calls": [{"type": "function"}]}), 400,
     "Missing required parameter: 'messages[1].tool_calls[0].id'.", "messages[1].tool_calls[0].id",
     "missing_required_parameter"),
    ("tool-call-no-arguments", msgs(USER, {"role": "assistant", "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "f"}}]}), 400,
     "Missing required parameter: 'messages[1].tool_calls[0].function.arguments'.",
     "messages[1].tool_calls[0].function.arguments", "missing_required_parameter"),
    ("tool-call-bad-type", msgs(USER, {"role": "assistant", "tool_calls": [{"id": "c", "type": "retrieval"}]}), 400,
     "Invalid value: 'retrieval'. Supported values are: 'function' and 'custom'.", "messages[1].tool_calls[0].type",
     "invalid_value"),
)  # fmt: skip

UNANSWERED = (
    "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. "
    "The following tool_call_ids did not have response messages: "
)
ORPHAN = "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'."
TOOL_ORDER = _cases(
    ("unanswered-then-user", msgs(USER, ASSISTANT_TC, USER), 400, UNANSWERED + "call_1", "messages.[2].role", None),
    ("one-of-two-unanswered",
     msgs(USER, {"role": "assistant", "tool_calls": [CALL, CALL2]},
          {"role": "tool", "tool_call_id": "call_2", "content": "x"}, USER), 400, UNANSWERED + "call_1",
     "messages.[3].role", None),
    ("two-unanswered", msgs(USER, {"role": "assistant", "tool_calls": [CALL, CALL2]}, USER), 400,
     UNANSWERED + "call_1, call_2", "messages.[2].role", None),
    ("unanswered-at-end", msgs(USER, ASSISTANT_TC), 400, UNANSWERED + "call_1", "messages.[1].role", None),
    ("orphan-tool", msgs(USER, {"role": "tool", "tool_call_id": "call_1", "content": "x"}), 400, ORPHAN,
     "messages.[1].role", None),
    ("tool-wrong-id", msgs(USER, ASSISTANT_TC, {"role": "tool", "tool_call_id": "call_9", "content": "x"}), 400,
     ORPHAN, "messages.[2].role", None),
    ("tool-answered-twice",
     msgs(USER, ASSISTANT_TC, {"role": "tool", "tool_call_id": "call_1", "content": "x"},
          {"role": "tool", "tool_call_id": "call_1", "content": "y"}), 400, ORPHAN, "messages.[3].role", None),
    ("tool-after-answered-turn",
     msgs(USER, ASSISTANT_TC, {"role": "tool", "tool_call_id": "call_1", "content": "x"},
          {"role": "assistant", "content": "done"}, {"role": "tool", "tool_call_id": "call_1", "content": "y"}),
     400, ORPHAN, "messages.[4].role", None),
)  # fmt: skip

MODEL_RULES = _cases(
    ("model-not-found", body(model="gpt-4.1-nano-wrong"), 404,
     "The model `gpt-4.1-nano-wrong` does not exist or you do not have access to it.", None, "model_not_found"),
    ("reasoning-effort-non-reasoning", body(reasoning_effort="low"), 400,
     "Unrecognized request argument supplied: reasoning_effort", None, None),
    ("max-tokens-on-gpt5", body(model="gpt-5", max_tokens=100), 400,
     "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
     "max_tokens", "unsupported_parameter"),
    ("temperature-on-o3", body(model="o3", temperature=0.7), 400,
     "Unsupported value: 'temperature' does not support 0.7 with this model. Only the default (1) value is "
     "supported.", "temperature", "unsupported_value"),
    ("temperature-zero-on-o3", body(model="o3", temperature=0), 400,
     "Unsupported value: 'temperature' does not support 0 with this model. Only the default (1) value is "
     "supported.", "temperature", "unsupported_value"),
    ("top-p-on-gpt5", body(model="gpt-5-mini", top_p=0.5), 400,
     "Unsupported value: 'top_p' does not support 0.5 with this model. Only the default (1) value is supported.",
     "top_p", "unsupported_value"),
    ("stop-on-o4-mini", body(model="o4-mini", stop="END"), 400,
     "Unsupported parameter: 'stop' is not supported with this model.", "stop", "unsupported_parameter"),
    ("max-tokens-too-large", body(max_tokens=32000), 400,
     "max_tokens is too large: 32000. This model supports at most 16384 completion tokens, whereas you provided "
     "32000.", "max_tokens", "invalid_value"),
    ("max-completion-tokens-too-large", body(model="gpt-5", max_completion_tokens=200000), 400,
     "max_completion_tokens is too large: 200000. This model supports at most 128000 completion tokens, whereas "
     "you provided 200000.", "max_completion_tokens", "invalid_value"),
    ("web-search-on-gpt4o", body(model="gpt-4o", web_search_options={}), 400,
     "Web search options not supported with this model.", "web_search_options", None),
    ("search-model-with-tools", body(model="gpt-4o-search-preview", tools=[TOOL]), 404,
     "tools is not supported in this model", "tools", None),
    ("image-on-text-model", msgs({"role": "user", "content": [{"type": "text", "text": "see"}, IMAGE]},
                                 model="gpt-3.5-turbo"), 400,
     "Invalid content type. image_url is only supported by certain models.", "messages[0].content[1].type", None),
    ("audio-on-gpt4o", msgs({"role": "user", "content": [AUDIO]}, model="gpt-4o"), 400,
     "Invalid content type. input_audio is only supported by certain models.", "messages[0].content[0].type", None),
    ("audio-output-on-gpt4o-mini", body(modalities=["text", "audio"], audio={"voice": "alloy", "format": "wav"}),
     400, "This model does not support audio output (modalities: 'audio').", "modalities", "invalid_value"),
)  # fmt: skip


@pytest.mark.parametrize(
    ("request_body", "status", "message", "param", "code"),
    TOP_LEVEL + NUMBERS + STRINGS_AND_ENUMS + TOOLS + RESPONSE_FORMAT + MESSAGES + TOOL_ORDER + MODEL_RULES,
)
def test_openai_rule(request_body: Any, status: int, message: str, param: str | None, code: str | None) -> None:
    expect_error(request_body, status, message, param, code)


# ----- dialects ---------------------------------------------------------------------------------------

OPENSEARCH = Dialect(
    name="opensearch",
    temperature_range=(0, 2, True, False),
    top_p_range=(0, 1, False, False),
    roles=("system", "user", "assistant"),
    system_first=True,
    alternate=True,
    nonempty_content=True,
)
SILICONFLOW = Dialect(
    name="siliconflow",
    extra_params={
        "top_k": ParamRule("int", min=1, max=100),
        "min_p": ParamRule("number", min=0, max=1),
        "enable_thinking": ParamRule("bool"),
        "mode": ParamRule("enum", choices=("fast", "slow")),
        "tag": ParamRule("string", max_length=3),
    },
    extra_message_keys=frozenset({"reasoning_content"}),
)
SYSTEM = {"role": "system", "content": "be brief"}
ASSISTANT = {"role": "assistant", "content": "ok"}

DIALECT_RULES = [
    pytest.param(OPENSEARCH, body(temperature=2), 400,
                 "Invalid 'temperature': decimal above maximum value. Expected a value < 2, but got 2 instead.",
                 "temperature", "decimal_above_max_value", id="opensearch-temperature-exclusive"),
    pytest.param(OPENSEARCH, body(top_p=0), 400,
                 "Invalid 'top_p': decimal below minimum value. Expected a value > 0, but got 0 instead.",
                 "top_p", "decimal_below_min_value", id="opensearch-top-p-exclusive"),
    pytest.param(OPENSEARCH, msgs({"role": "developer", "content": "x"}), 400,
                 "Invalid value: 'developer'. Supported values are: 'system', 'user', and 'assistant'.",
                 "messages[0].role", "invalid_value", id="opensearch-roles"),
    pytest.param(OPENSEARCH, msgs(USER, SYSTEM), 400,
                 "Invalid 'messages[1].role': a 'system' message is only allowed as the first message.",
                 "messages[1].role", "invalid_value", id="opensearch-system-first"),
    pytest.param(OPENSEARCH, msgs(SYSTEM, USER, USER), 400,
                 "Invalid 'messages[2].role': 'user' and 'assistant' messages must alternate, but messages[1] is "
                 "also 'user'.", "messages[2].role", "invalid_value", id="opensearch-alternate"),
    pytest.param(OPENSEARCH, msgs({"role": "user", "content": ""}), 400,
                 "Invalid 'messages[0].content': content cannot be empty.", "messages[0].content", "invalid_value",
                 id="opensearch-empty-content"),
    pytest.param(SILICONFLOW, body(top_k=0), 400,
                 "Invalid 'top_k': integer below minimum value. Expected a value >= 1, but got 0 instead.", "top_k",
                 "integer_below_min_value", id="extra-int-range"),
    pytest.param(SILICONFLOW, body(min_p="x"), 400,
                 "Invalid type for 'min_p': expected a decimal, but got a string instead.", "min_p", "invalid_type",
                 id="extra-number-type"),
    pytest.param(SILICONFLOW, body(enable_thinking="yes"), 400,
                 "Invalid type for 'enable_thinking': expected a boolean, but got a string instead.",
                 "enable_thinking", "invalid_type", id="extra-bool-type"),
    pytest.param(SILICONFLOW, body(mode="medium"), 400,
                 "Invalid value: 'medium'. Supported values are: 'fast' and 'slow'.", "mode", "invalid_value",
                 id="extra-enum"),
    pytest.param(SILICONFLOW, body(tag="abcd"), 400,
                 "Invalid 'tag': string too long. Expected a string with maximum length 3, but got a string with "
                 "length 4 instead.", "tag", "string_above_max_length", id="extra-string-length"),
    pytest.param(SILICONFLOW, body(thinking_budget=5), 400, "Unrecognized request argument supplied: thinking_budget",
                 None, None, id="extra-undeclared"),
]  # fmt: skip


@pytest.mark.parametrize(("dialect", "request_body", "status", "message", "param", "code"), DIALECT_RULES)
def test_dialect_rule(
    dialect: Dialect, request_body: Any, status: int, message: str, param: str | None, code: str | None
) -> None:
    expect_error(request_body, status, message, param, code, dialect=dialect)


def test_opensearch_accepts_a_well_formed_conversation() -> None:
    request, _ = run(msgs(SYSTEM, USER, ASSISTANT, USER, temperature=1.99, top_p=0.5), dialect=OPENSEARCH)
    assert [m.role for m in request.messages] == ["system", "user", "assistant", "user"]
    assert request.temperature == 1.99


def test_siliconflow_extras_and_message_keys() -> None:
    request, _ = run(
        msgs(USER, {"role": "assistant", "content": "ok", "reasoning_content": "hmm"}, USER, top_k=50,
             min_p=0.05, enable_thinking=False, mode="fast", tag=None),
        dialect=SILICONFLOW,
    )  # fmt: skip
    assert request.extras == {"top_k": 50, "min_p": 0.05, "enable_thinking": False, "mode": "fast"}
    assert request.messages[1].raw["reasoning_content"] == "hmm"


# ----- valid requests ----------------------------------------------------------------------------------


def test_minimal_request_defaults_and_headers() -> None:
    headers = {"Authorization": "Bearer sk-test-123", "X-MockLLM-Session": "s1", "Content-Type": "application/json"}
    request, model = run(body(), headers=headers)
    assert model.id == "gpt-4o-mini"
    assert request.model == "gpt-4o-mini"
    assert request.messages[0].role == "user"
    assert request.messages[0].text == "hi"
    assert request.messages[0].content == "hi"
    assert (request.stream, request.include_usage, request.include_obfuscation) == (False, False, True)
    assert (request.n, request.stop, request.max_tokens, request.temperature) == (1, (), None, None)
    assert request.tools == ()
    assert request.tool_choice == ToolChoice("none")
    assert request.response_format == ResponseFormat()
    assert request.parallel_tool_calls is True
    assert request.headers["authorization"] == "Bearer sk-test-123"
    assert request.api_key == "sk-test-123"
    assert request.session == "s1"
    assert request.raw["messages"][0] == USER


def test_no_headers() -> None:
    request, _ = run(body(), headers=None)
    assert (request.headers, request.api_key, request.session) == ({}, None, None)


def test_nulls_read_as_not_given() -> None:
    nulls = {k: None for k in KNOWN_PARAMS if k not in ("model", "messages")}
    request, _ = run(body(**nulls))
    assert request.tool_choice == ToolChoice("none")
    assert request.max_tokens is None
    assert request.stream is False


def test_sampling_parameters() -> None:
    request, _ = run(
        body(temperature=0, top_p=1, presence_penalty=-2, frequency_penalty=2, n=128, seed=-(2**63), user="u" * 64,
             logprobs=True, top_logprobs=20, stop="END", logit_bias={"50256": -100}, metadata=dict.fromkeys(
                 (f"k{i}" for i in range(16)), "v"), service_tier="scale", store=True, verbosity="low")
    )  # fmt: skip
    assert request.temperature == 0.0 and isinstance(request.temperature, float)
    assert request.top_p == 1.0
    assert (request.presence_penalty, request.frequency_penalty) == (-2.0, 2.0)
    assert (request.n, request.seed, request.top_logprobs, request.logprobs) == (128, -(2**63), 20, True)
    assert request.stop == ("END",)
    assert request.service_tier == "scale"
    assert request.user == "u" * 64


def test_stop_list_and_max_completion_tokens_win() -> None:
    request, _ = run(body(stop=["a", "b", "c", "d"], max_tokens=10, max_completion_tokens=20))
    assert request.stop == ("a", "b", "c", "d")
    assert request.max_tokens == 20
    request, _ = run(body(max_tokens=10))
    assert request.max_tokens == 10


def test_stream_options() -> None:
    request, _ = run(body(stream=True, stream_options={"include_usage": True, "include_obfuscation": False}))
    assert (request.stream, request.include_usage, request.include_obfuscation) == (True, True, False)
    request, _ = run(body(stream=True, stream_options={}))
    assert (request.include_usage, request.include_obfuscation) == (False, True)


def test_multipart_user_message() -> None:
    file_part = {"type": "file", "file": {"filename": "a.pdf", "file_data": "AAAA"}}
    content = [{"type": "text", "text": "look"}, IMAGE, AUDIO, file_part, {"type": "text", "text": "and listen"}]
    seen: list[str] = []

    def image(part: Mapping[str, Any], param: str) -> ImageInfo:
        seen.append(param)
        return FAKE_IMAGE

    request, model = run(msgs({"role": "user", "content": content}, model="gemini-2.5-flash"), inspect_image=image)
    message = request.messages[0]
    assert model.vision and model.audio
    assert seen == ["messages[0].content[1]"]
    assert message.text == "look\nand listen"
    assert [p.type for p in message.content] == ["text", "image_url", "input_audio", "file", "text"]
    assert message.content[1].image is FAKE_IMAGE
    assert message.content[2].audio is FAKE_AUDIO
    assert message.content[3].file == file_part["file"]
    assert request.images == [FAKE_IMAGE]
    assert request.audios == [FAKE_AUDIO]


def test_assistant_message_as_the_sdk_returns_it() -> None:
    """The SDK's ``ChatCompletionMessage``, appended to the history, carries ``annotations`` (and nulls)."""
    answer = {"role": "assistant", "content": "Paris.", "refusal": None, "annotations": [], "audio": None,
              "function_call": None, "tool_calls": None}  # fmt: skip
    citation = {"start_index": 0, "end_index": 6, "url": "https://x.org", "title": "X"}
    cited = {**answer, "annotations": [{"type": "url_citation", "url_citation": citation}]}
    for message in (answer, cited):
        request, _ = validate_chat_request(msgs(USER, message, USER), catalog=CATALOG)
        assert request.messages[1].text == "Paris."


def test_parts_without_inspectors() -> None:
    request, _ = run(
        msgs({"role": "user", "content": [IMAGE, AUDIO]}, model="gemini-2.5-flash"), inspect_image=None,
        inspect_audio=None,
    )  # fmt: skip
    parts = request.messages[0].content
    assert (parts[0].image, parts[1].audio, request.messages[0].text) == (None, None, "")


def test_array_content_for_text_roles() -> None:
    text = [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]
    request, _ = run(msgs({"role": "developer", "content": text}, {"role": "system", "content": text},
                          {"role": "user", "content": text}))  # fmt: skip
    assert [m.text for m in request.messages] == ["a\nb"] * 3


def test_tools_and_tool_loop() -> None:
    custom = {"type": "custom", "custom": {"name": "run_sql", "description": "SQL"}}
    strict_tool = fn_tool("lookup", description="Find", parameters={"type": "object"}, strict=True)
    strict = StrictRecorder()
    request, _ = run(
        msgs(
            {"role": "system", "content": "tools!"},
            USER,
            {"role": "assistant", "content": None, "tool_calls": [CALL, CALL2]},
            {"role": "tool", "tool_call_id": "call_2", "content": "rainy"},
            {"role": "tool", "tool_call_id": "call_1", "content": [{"type": "text", "text": "sunny"}]},
            {"role": "assistant", "content": "It is sunny."},
            USER,
            tools=[TOOL, strict_tool, custom],
            parallel_tool_calls=False,
        ),
        check_strict_schema=strict,
    )
    assert request.tools == (
        ToolSpec("get_weather", "function", None, {"type": "object"}, False),
        ToolSpec("lookup", "function", "Find", {"type": "object"}, True),
        ToolSpec("run_sql", "custom", "SQL", None, False),
    )
    assert strict.calls == [({"type": "object"}, "tools[1].function.parameters", "lookup", "function")]
    assert request.tool_choice == ToolChoice("auto")
    assert request.parallel_tool_calls is False
    assistant = request.messages[2]
    assert (assistant.content, assistant.text, assistant.tool_calls) == (None, "", [CALL, CALL2])
    assert request.messages[3].tool_call_id == "call_2"
    assert request.messages[4].text == "sunny"


def test_tool_choice_forms() -> None:
    custom = {"type": "custom", "custom": {"name": "run_sql"}}
    tools = [TOOL, custom]
    cases = [
        ("required", ToolChoice("required")),
        ("none", ToolChoice("none")),
        ({"type": "function", "function": {"name": "get_weather"}}, ToolChoice("required", name="get_weather")),
        ({"type": "custom", "custom": {"name": "run_sql"}}, ToolChoice("required", name="run_sql")),
        (
            {"type": "allowed_tools", "allowed_tools": {"mode": "required", "tools": [
                {"type": "function", "function": {"name": "get_weather"}}]}},
            ToolChoice("required", allowed=("get_weather",)),
        ),
    ]  # fmt: skip
    for raw, expected in cases:
        request, _ = run(body(tools=tools, tool_choice=raw))
        assert request.tool_choice == expected, raw


def test_assistant_substitutes_for_content() -> None:
    for extra in ({"refusal": "no"}, {"function_call": {"name": "f", "arguments": "{}"}}, {"audio": {"id": "a1"}}):
        request, _ = run(msgs(USER, {"role": "assistant", **extra}, USER))
        assert request.messages[1].content is None
    request, _ = run(msgs(USER, {"role": "assistant", "content": [{"type": "refusal", "refusal": "no"}]}, USER))
    assert request.messages[1].content[0].text == "no"


def test_function_role_and_legacy_functions() -> None:
    request, _ = run(
        msgs(USER, {"role": "function", "name": "f", "content": None}, functions=[{"name": "f", "parameters": {}}],
             function_call={"name": "f"})
    )  # fmt: skip
    assert request.messages[1].content is None
    assert request.tools == ()


def test_json_schema_response_format() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    strict = StrictRecorder()
    request, _ = run(
        body(response_format={"type": "json_schema", "json_schema": {"name": "answer", "schema": schema,
                                                                     "strict": True}}),
        check_strict_schema=strict,
    )  # fmt: skip
    assert request.response_format == ResponseFormat("json_schema", "answer", schema, True)
    assert strict.calls == [(schema, "response_format", "answer", "response_format")]
    request, _ = run(body(response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": schema}}))
    assert request.response_format.strict is False


def test_json_object_with_the_word_json() -> None:
    request, _ = run(msgs({"role": "system", "content": "Answer in JSON."}, USER,
                          response_format={"type": "json_object"}))  # fmt: skip
    assert request.response_format == ResponseFormat("json_object")
    request, _ = run(msgs({"role": "user", "content": [{"type": "text", "text": "give me Json"}]},
                          response_format={"type": "json_object"}))  # fmt: skip
    assert request.response_format.type == "json_object"


def test_reasoning_model_accepts_its_parameters() -> None:
    request, model = run(
        body(model="o3", temperature=1, top_p=1.0, max_completion_tokens=100000, reasoning_effort="high")
    )
    assert model.reasoning == "openai"
    assert (request.reasoning_effort, request.max_tokens) == ("high", 100000)


def test_search_model_web_search_options() -> None:
    options = {"search_context_size": "low", "user_location": {"type": "approximate", "approximate": {"city": "Oslo"}}}
    request, model = run(body(model="gpt-4o-search-preview", web_search_options=options))
    assert model.search
    assert request.web_search_options == options


def test_audio_output_on_audio_model() -> None:
    request, model = run(
        body(model="gpt-4o-audio-preview", modalities=["text", "audio"], audio={"voice": {"id": "v1"}, "format": "mp3"})
    )
    assert model.audio
    assert request.raw["modalities"] == ["text", "audio"]


def test_accepts_every_known_param_shape() -> None:
    """One request with every other top-level key set, well-formed: nothing in the table is rejected."""
    request, _ = run(
        body(
            prompt_cache_key="k", prompt_cache_retention="24h", prompt_cache_options={"ttl": "30m", "mode": "explicit"},
            safety_identifier="sid", moderation={"model": "omni-moderation-latest"},
            prediction={"type": "content", "content": [{"type": "text", "text": "x"}]},
        )
    )  # fmt: skip
    assert request.messages[0].text == "hi"


def test_validation_does_not_mutate_the_body() -> None:
    original = msgs(SYSTEM, USER, tools=[TOOL], stream=True, stream_options={"include_usage": True})
    snapshot = repr(original)
    run(original)
    assert repr(original) == snapshot
