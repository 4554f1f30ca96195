"""The request contract, end to end through the real ``openai`` SDK (issue #3).

Every validation rule of PROTOCOL.md §1 is sent as a bad request through ``openai.OpenAI`` and checked
for HTTP status, SDK exception class, and the error body's ``type``, ``code``, ``param`` and message.
Then the endpoints (models, health, unknown routes, wrong methods), the model catalog, the shape of a
``chat.completion`` answer (validated against the official OpenAPI spec), response headers and auth.

Expected values are OpenAI's (PROTOCOL.md quotes, recorded traffic, or OpenAI's generic templates), not
whatever the server happens to say; where OpenAI's exact words are unrecorded only the parts that follow
from the template (status, code, param, message prefix) are pinned.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
import spec

from mockllm.config import Settings
from mockllm.server import MockServer

ROOT = Path(__file__).resolve().parents[1]
HI = [{"role": "user", "content": "hi"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
REQUEST_ID = re.compile(r"req_[0-9a-f]{32}")
COMPLETION_ID = re.compile(r"chatcmpl-[A-Za-z0-9]{29}")
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
EXC_BY_STATUS: dict[int, type[openai.APIStatusError]] = {
    400: openai.BadRequestError,
    401: openai.AuthenticationError,
    404: openai.NotFoundError,
}
BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP "
    "library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have "
    "trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)"
)
NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer "
    "auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're "
    "accessing the API from your browser and are prompted for a username and password. You can obtain an API "
    "key from https://platform.openai.com/account/api-keys."
)
PART0, PART1, PART2 = (re.compile(rf"messages\[{i}\]\.content(\[0\](\.type)?)?") for i in range(3))
ALL_PART_TYPES = "'text', 'image_url', 'input_audio', 'refusal', 'audio', and 'file'"
ROLES = "'system', 'assistant', 'user', 'function', 'tool', and 'developer'"


# ----- helpers ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(server: MockServer) -> Iterator[openai.OpenAI]:
    """conftest's client, shared by this module: building an SDK client costs ~50 ms, and there are 200 tests."""
    with openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0) as sdk:
        yield sdk


ANY = object()  # a field whose value OpenAI has not been seen to give (checked only for its type)


def _matches(actual: str | None, wanted: Any) -> bool:
    """``wanted``: an exact value (None included), a regex (None reads as ""), or ANY."""
    if wanted is ANY:
        return actual is None or isinstance(actual, str)
    if isinstance(wanted, re.Pattern):
        return wanted.fullmatch(actual or "") is not None
    return actual == wanted


def expect_error(
    exc: pytest.ExceptionInfo[openai.APIStatusError] | openai.APIStatusError,
    status: int,
    code: Any,
    param: Any,
    message: str | re.Pattern[str],
    type_: str = "invalid_request_error",
) -> None:
    """Check one SDK exception against OpenAI's answer: class, status, and the four error fields."""
    e = exc.value if isinstance(exc, pytest.ExceptionInfo) else exc
    wanted = EXC_BY_STATUS.get(status, openai.APIStatusError)
    assert type(e) is wanted, f"{type(e).__name__} for {e.status_code}: {e.body}"
    assert e.status_code == status
    assert isinstance(e.body, dict) and set(e.body) == {"message", "type", "param", "code"}, e.body
    assert e.type == type_, e.body
    assert _matches(e.code, code), e.body
    assert _matches(e.param, param), e.body
    text = e.body["message"]
    if isinstance(message, re.Pattern):
        assert message.fullmatch(text), text
    else:
        assert text == message
    spec.validate("ErrorResponse", e.response.json())


def validate_completion(body: dict[str, Any]) -> None:
    """Validate a 200 body against the spec's CreateChatCompletionResponse.

    One tolerated gap: the spec types ``system_fingerprint`` as a plain string, but the real API answers
    ``null`` on gpt-5 / gpt-4.1 (PROTOCOL.md §3, recorded traffic), so a null is checked by leaving the
    (optional) key out; any other value is validated as is.
    """
    if "system_fingerprint" in body and body["system_fingerprint"] is None:
        body = {k: v for k, v in body.items() if k != "system_fingerprint"}
    spec.validate("CreateChatCompletionResponse", body)


def raw_post(url: str, data: bytes, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """POST raw bytes with urllib (no SDK in the way); return status, headers and body."""
    request = urllib.request.Request(url, data=data, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def raw_get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# ----- the rule table: one bad request per row ---------------------------------------------------------


def case(
    case_id: str,
    params: dict[str, Any],
    code: Any,
    param: Any,
    message: str | re.Pattern[str],
    *,
    status: int = 400,
    model: str = "gpt-4o-mini",
    messages: list[Any] | None = None,
    extra: dict[str, Any] | None = None,
    marks: Any = (),
) -> Any:
    return pytest.param(model, messages or HI, params, extra, status, code, param, message, id=case_id, marks=marks)


def below(p: str, lo: str, got: str, kind: str = "decimal") -> str:
    return f"Invalid '{p}': {kind} below minimum value. Expected a value >= {lo}, but got {got} instead."


def above(p: str, hi: str, got: str, kind: str = "decimal") -> str:
    return f"Invalid '{p}': {kind} above maximum value. Expected a value <= {hi}, but got {got} instead."


def bad_type(p: str, expected: str, got: str) -> str:
    return f"Invalid type for '{p}': expected {expected}, but got {got} instead."


def empty(p: str) -> str:
    return f"Invalid '{p}': empty array. Expected an array with minimum length 1, but got an empty array instead."


def missing(p: str) -> str:
    return f"Missing required parameter: '{p}'."


def prefix(text: str) -> re.Pattern[str]:
    return re.compile(re.escape(text) + ".*", re.S)


TOOL_ORDER = (
    "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
    "'tool_call_id'. The following tool_call_ids did not have response messages: "
)
ORPHAN_TOOL = (
    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'."
)
JSON_WORD = "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'."


def assistant_calls(*ids: str) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": i, "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}
            for i in ids
        ],
    }


def tool_reply(call_id: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": "18C"}


def image_part() -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}


RULES = [
    # --- temperature / top_p: decimal templates (PROTOCOL §1.2 quotes) ---
    case("temperature-above", {"temperature": 2.5}, "decimal_above_max_value", "temperature",
         above("temperature", "2", "2.5")),
    case("temperature-below", {"temperature": -2.5}, "decimal_below_min_value", "temperature",
         below("temperature", "0", "-2.5")),
    case("temperature-type", {"temperature": "hot"}, "invalid_type", "temperature",
         bad_type("temperature", "a decimal", "a string")),
    case("temperature-bool", {"temperature": True}, "invalid_type", "temperature",
         bad_type("temperature", "a decimal", "a boolean")),
    case("top_p-above", {"top_p": 1.5}, "decimal_above_max_value", "top_p", above("top_p", "1", "1.5")),
    case("top_p-below", {"top_p": -0.5}, "decimal_below_min_value", "top_p", below("top_p", "0", "-0.5")),
    case("top_p-type", {"top_p": "high"}, "invalid_type", "top_p", bad_type("top_p", "a decimal", "a string")),
    # --- penalties ---
    case("presence-above", {"presence_penalty": 2.5}, "decimal_above_max_value", "presence_penalty",
         above("presence_penalty", "2", "2.5")),
    case("presence-below", {"presence_penalty": -2.5}, "decimal_below_min_value", "presence_penalty",
         below("presence_penalty", "-2", "-2.5")),
    case("presence-type", {"presence_penalty": "x"}, "invalid_type", "presence_penalty",
         bad_type("presence_penalty", "a decimal", "a string")),
    case("frequency-above", {"frequency_penalty": 3.5}, "decimal_above_max_value", "frequency_penalty",
         above("frequency_penalty", "2", "3.5")),
    case("frequency-below", {"frequency_penalty": -2.1}, "decimal_below_min_value", "frequency_penalty",
         below("frequency_penalty", "-2", "-2.1")),
    case("frequency-type", {"frequency_penalty": [1]}, "invalid_type", "frequency_penalty",
         bad_type("frequency_penalty", "a decimal", "an array")),
    # --- n ---
    case("n-zero", {"n": 0}, "integer_below_min_value", "n", below("n", "1", "0", "integer")),
    case("n-above", {"n": 129}, "integer_above_max_value", "n", above("n", "128", "129", "integer")),
    case("n-string", {"n": "2"}, "invalid_type", "n", bad_type("n", "an integer", "a string")),
    case("n-decimal", {"n": 1.5}, "invalid_type", "n", bad_type("n", "an integer", "a decimal")),
    # --- max_tokens / max_completion_tokens ---
    case("max_tokens-zero", {"max_tokens": 0}, "integer_below_min_value", "max_tokens",
         below("max_tokens", "1", "0", "integer")),
    case("max_tokens-type", {"max_tokens": "10"}, "invalid_type", "max_tokens",
         bad_type("max_tokens", "an integer", "a string")),
    case("max_completion_tokens-type", {"max_completion_tokens": 1.5}, "invalid_type", "max_completion_tokens",
         bad_type("max_completion_tokens", "an integer", "a decimal")),
    case("max_tokens-too-large", {"max_tokens": 32000}, "invalid_value", "max_tokens",
         "max_tokens is too large: 32000. This model supports at most 16384 completion tokens, whereas you "
         "provided 32000.", model="gpt-4o"),
    case("max_tokens-gpt-5", {"max_tokens": 100}, "unsupported_parameter", "max_tokens",
         "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' "
         "instead.", model="gpt-5"),
    case("max_tokens-o3", {"max_tokens": 100}, "unsupported_parameter", "max_tokens",
         "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' "
         "instead.", model="o3"),
    case("temperature-o3", {"temperature": 0.7}, "unsupported_value", "temperature",
         "Unsupported value: 'temperature' does not support 0.7 with this model. Only the default (1) value is "
         "supported.", model="o3"),
    # --- stream / stream_options ---
    case("stream-type", {}, "invalid_type", "stream", bad_type("stream", "a boolean", "a string"),
         extra={"stream": "yes"}),
    case("stream_options-without-stream", {"stream_options": {"include_usage": True}}, None, "stream_options",
         "The 'stream_options' parameter is only allowed when 'stream' is enabled."),
    case("stream_options-stream-false", {"stream_options": {"include_usage": True}, "stream": False}, None,
         "stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled."),
    # --- stop ---
    case("stop-five", {"stop": ["a", "b", "c", "d", "e"]}, "array_above_max_length", "stop",
         "Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length 5 "
         "instead."),
    case("stop-item-type", {"stop": ["a", 1]}, "invalid_type", "stop[1]",
         bad_type("stop[1]", "a string", "an integer")),
    case("stop-type", {"stop": 7}, "invalid_type", "stop", prefix("Invalid type for 'stop': expected ")),
    # --- logprobs / top_logprobs / logit_bias ---
    case("logprobs-type", {"logprobs": "yes"}, "invalid_type", "logprobs",
         bad_type("logprobs", "a boolean", "a string")),
    case("top_logprobs-above", {"logprobs": True, "top_logprobs": 21}, "integer_above_max_value", "top_logprobs",
         above("top_logprobs", "20", "21", "integer")),
    case("top_logprobs-below", {"logprobs": True, "top_logprobs": -1}, "integer_below_min_value", "top_logprobs",
         below("top_logprobs", "0", "-1", "integer")),
    case("top_logprobs-without-logprobs", {"top_logprobs": 3}, ANY, "top_logprobs",
         re.compile(r".*'?top_logprobs'?.*'?logprobs'?.*")),  # OpenAI's words are unrecorded
    # logit_bias: the doc's -100..100 range; OpenAI's words are unrecorded, so the integer template is pinned
    # loosely (the param may name the token or the map)
    case("logit_bias-above", {"logit_bias": {"50256": 101}}, "integer_above_max_value",
         re.compile(r"logit_bias(\.50256)?"), re.compile(r"Invalid 'logit_bias(\.50256)?': integer above maximum "
                                                         r"value\. Expected a value <= 100, but got 101 instead\.")),
    case("logit_bias-below", {"logit_bias": {"50256": -101}}, "integer_below_min_value",
         re.compile(r"logit_bias(\.50256)?"), re.compile(r"Invalid 'logit_bias(\.50256)?': integer below minimum "
                                                         r"value\. Expected a value >= -100, but got -101 instead\.")),
    case("logit_bias-key", {"logit_bias": {"abc": 5}}, None, "logit_bias",
         "Invalid key in 'logit_bias': abc. You should only be submitting non-negative integers."),
    case("logit_bias-type", {"logit_bias": "none"}, "invalid_type", "logit_bias",
         bad_type("logit_bias", "an object", "a string")),
    # --- misc scalar parameters ---
    case("seed-type", {"seed": "7"}, "invalid_type", "seed", bad_type("seed", "an integer", "a string")),
    case("user-too-long", {"user": "u" * 65}, "string_above_max_length", "user",
         "Invalid 'user': string too long. Expected a string with maximum length 64, but got a string with length "
         "65 instead."),
    case("user-type", {"user": 5}, "invalid_type", "user", bad_type("user", "a string", "an integer")),
    case("parallel_tool_calls-type", {"tools": [WEATHER_TOOL], "parallel_tool_calls": "yes"}, "invalid_type",
         "parallel_tool_calls", bad_type("parallel_tool_calls", "a boolean", "a string")),
    case("service_tier-value", {"service_tier": "turbo"}, "invalid_value", "service_tier",
         prefix("Invalid value: 'turbo'. Supported values are: ")),
    case("reasoning_effort-non-reasoning", {"reasoning_effort": "low"}, None, None,
         "Unrecognized request argument supplied: reasoning_effort"),
    case("reasoning_effort-value", {"reasoning_effort": "extreme"}, "invalid_value", "reasoning_effort",
         prefix("Invalid value: 'extreme'. Supported values are: "), model="o3"),
    case("modalities-value", {"modalities": ["video"]}, "invalid_value", "modalities[0]",
         prefix("Invalid value: 'video'. Supported values are: ")),
    case("metadata-too-many", {"metadata": {f"k{i}": "v" for i in range(17)}}, "object_above_max_properties",
         "metadata", "Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but "
         "got an object with 17 properties instead."),
    case("web_search_options-non-search", {"web_search_options": {}}, ANY, "web_search_options",
         "Web search options not supported with this model."),
    case("search-model-with-tools", {"tools": [WEATHER_TOOL]}, ANY, re.compile("(tools)?"),
         "tools is not supported in this model",
         status=404, model="gpt-4o-search-preview"),
    # --- unknown top-level arguments (sent through extra_body) ---
    case("unknown-top_k", {}, None, None, "Unrecognized request argument supplied: top_k", extra={"top_k": 40}),
    case("unknown-enable_thinking", {}, None, None, "Unrecognized request argument supplied: enable_thinking",
         extra={"enable_thinking": True}),
    case("unknown-thinking", {}, None, None, "Unrecognized request argument supplied: thinking",
         extra={"thinking": {"type": "enabled"}}),
    # --- model ---
    case("model-unknown", {}, "model_not_found", None,
         "The model `gpt-4.1-nano-wrong` does not exist or you do not have access to it.", status=404,
         model="gpt-4.1-nano-wrong"),
    case("model-unknown-slash", {}, "model_not_found", None,
         "The model `deepseek-ai/DeepSeek-V9` does not exist or you do not have access to it.", status=404,
         model="deepseek-ai/DeepSeek-V9"),
    case("model-type", {}, "invalid_type", "model", bad_type("model", "a string", "an integer"), extra={"model": 4}),
    # --- tools / tool_choice ---
    case("tools-empty", {"tools": []}, "empty_array", "tools", empty("tools")),
    case("tools-missing-function", {"tools": [{"type": "function"}]}, "missing_required_parameter",
         "tools[0].function", missing("tools[0].function")),
    case("tools-missing-name", {"tools": [{"type": "function", "function": {"description": "x"}}]},
         "missing_required_parameter", "tools[0].function.name", missing("tools[0].function.name")),
    case("tools-bad-type", {"tools": [{"type": "retrieval", "function": {"name": "f"}}]}, "invalid_value",
         "tools[0].type", prefix("Invalid value: 'retrieval'. Supported values are: ")),
    case("tools-name-pattern", {"tools": [{"type": "function", "function": {"name": "get weather"}}]},
         "invalid_value", "tools[0].function.name",
         "Invalid 'tools[0].function.name': string does not match pattern. Expected a string that matches the "
         "pattern '^[a-zA-Z0-9_-]+$'."),
    case("tools-name-too-long", {"tools": [{"type": "function", "function": {"name": "f" * 65}}]},
         "string_above_max_length", "tools[0].function.name",
         "Invalid 'tools[0].function.name': string too long. Expected a string with maximum length 64, but got a "
         "string with length 65 instead."),
    case("tool_choice-without-tools", {"tool_choice": "auto"}, None, "tool_choice",
         "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified."),
    case("tool_choice-object-without-tools", {"tool_choice": {"type": "function", "function": {"name": "f"}}},
         None, "tool_choice",
         "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified."),
    case("tool_choice-value", {"tools": [WEATHER_TOOL], "tool_choice": "sometimes"}, "invalid_value", "tool_choice",
         "Invalid value: 'sometimes'. Supported values are: 'none', 'auto', and 'required'."),
    case("function_call-without-functions", {"function_call": "auto"}, None, "function_call",
         "Invalid value for 'function_call': 'function_call' is only allowed when 'functions' are specified."),
    # --- response_format / JSON mode ---
    case("json_object-without-json", {"response_format": {"type": "json_object"}}, None, "messages", JSON_WORD),
    case("response_format-value", {"response_format": {"type": "xml"}}, "invalid_value", "response_format.type",
         "Invalid value: 'xml'. Supported values are: 'json_object', 'json_schema', and 'text'."),
    case("response_format-no-schema", {"response_format": {"type": "json_schema"}}, "missing_required_parameter",
         "response_format.json_schema", missing("response_format.json_schema")),
    case("response_format-no-name", {"response_format": {"type": "json_schema", "json_schema": {"schema": {}}}},
         "missing_required_parameter", "response_format.json_schema.name",
         missing("response_format.json_schema.name")),
    # --- messages: shape and roles ---
    case("messages-empty", {}, "empty_array", "messages", empty("messages"), extra={"messages": []}),
    case("messages-item-type", {}, "invalid_type", "messages[0]",
         bad_type("messages[0]", "an object", "a string"), extra={"messages": ["hi"]}),
    case("role-invalid", {}, "invalid_value", "messages[0].role",
         f"Invalid value: 'foobar'. Supported values are: {ROLES}.",
         messages=[{"role": "foobar", "content": "hi"}]),
    case("role-invalid-second", {}, "invalid_value", "messages[1].role",
         f"Invalid value: 'bot'. Supported values are: {ROLES}.",
         messages=[{"role": "user", "content": "hi"}, {"role": "bot", "content": "hello"}]),
    case("role-missing", {}, "missing_required_parameter", "messages[0].role", missing("messages[0].role"),
         messages=[{"content": "hi"}]),
    case("message-extra-key", {}, None, None,
         "Additional properties are not allowed ('foo' was unexpected) - 'messages.0'",
         messages=[{"role": "user", "content": "hi", "foo": 1}]),
    case("user-content-null", {}, None, "messages.[0].content",
         "Invalid value for 'content': expected a string, got null.",
         messages=[{"role": "user", "content": None}]),
    case("assistant-content-null", {}, None, "messages.[1].content",
         "Invalid value for 'content': expected a string, got null.",
         messages=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": None}]),
    case("content-type", {}, "invalid_type", "messages[0].content",
         bad_type("messages[0].content", "one of a string or array of objects", "an integer"),
         messages=[{"role": "user", "content": 42}]),
    case("content-object", {}, "invalid_type", "messages[0].content",
         bad_type("messages[0].content", "one of a string or array of objects", "an object"),
         messages=[{"role": "user", "content": {"type": "text", "text": "hi"}}]),
    case("content-empty-array", {}, "empty_array", "messages[0].content", empty("messages[0].content"),
         messages=[{"role": "user", "content": []}]),
    case("part-not-object", {}, "invalid_type", "messages[0].content[0]",
         bad_type("messages[0].content[0]", "an object", "a string"),
         messages=[{"role": "user", "content": ["hi"]}]),
    case("part-missing-type", {}, "missing_required_parameter", "messages[0].content[0].type",
         missing("messages[0].content[0].type"), messages=[{"role": "user", "content": [{"text": "hi"}]}]),
    case("text-part-missing-text", {}, "missing_required_parameter", "messages[0].content[0].text",
         missing("messages[0].content[0].text"), messages=[{"role": "user", "content": [{"type": "text"}]}]),
    # --- content part types per role ---
    # An unknown part type: OpenAI lists the union of every part type (many quoted 2025 400s, e.g.
    # "Invalid value: 'input_file'. Supported values are: 'text', 'image_url', 'input_audio', 'refusal',
    # 'audio', and 'file'." param messages[0].content[1].type).
    case("user-part-unknown", {}, "invalid_value", "messages[0].content[1].type",
         f"Invalid value: 'input_file'. Supported values are: {ALL_PART_TYPES}.",
         messages=[{"role": "user", "content": [{"type": "text", "text": "read"}, {"type": "input_file"}]}]),
    case("assistant-part-unknown", {}, "invalid_value", "messages[1].content[0].type",
         f"Invalid value: 'thinking'. Supported values are: {ALL_PART_TYPES}.",
         messages=[HI[0], {"role": "assistant", "content": [{"type": "thinking", "thinking": "hmm"}]}]),
    # A known type in a role that does not take it (PROTOCOL §1.1: system/developer/tool take text only,
    # assistant text or refusal): OpenAI's words are unrecorded; pinned: a 400 naming the part and its type.
    case("system-image-part", {}, ANY, PART0, re.compile(r".*'image_url'.*"),
         messages=[{"role": "system", "content": [image_part()]}, HI[0]]),
    case("developer-image-part", {}, ANY, PART0, re.compile(r".*'image_url'.*"),
         messages=[{"role": "developer", "content": [image_part()]}, HI[0]]),
    case("tool-image-part", {}, ANY, PART2, re.compile(r".*'image_url'.*"),
         messages=[HI[0], assistant_calls("call_1"), {"role": "tool", "tool_call_id": "call_1",
                                                      "content": [image_part()]}]),
    case("assistant-image-part", {}, ANY, PART1,
         re.compile(r".*'image_url'.*"), messages=[HI[0], {"role": "assistant", "content": [image_part()]}]),
    case("system-refusal-part", {}, ANY, PART0, re.compile(r".*'refusal'.*"),
         messages=[{"role": "system", "content": [{"type": "refusal", "refusal": "no"}]}, HI[0]]),
    # --- tool-message ordering (PROTOCOL §1.1) ---
    case("tool-orphan", {}, None, "messages.[1].role", ORPHAN_TOOL, messages=[HI[0], tool_reply("call_x")]),
    case("tool-wrong-id", {}, None, "messages.[2].role", ORPHAN_TOOL,
         messages=[HI[0], assistant_calls("call_1"), tool_reply("call_2")]),
    case("tool-after-plain-assistant", {}, None, "messages.[2].role", ORPHAN_TOOL,
         messages=[HI[0], {"role": "assistant", "content": "ok"}, tool_reply("call_1")]),
    case("tool-calls-unanswered", {}, None, re.compile(r"messages\.\[[12]\]\.role"),
         TOOL_ORDER + "call_1", messages=[HI[0], assistant_calls("call_1"), {"role": "user", "content": "and?"}]),
    case("tool-calls-half-answered", {}, None, re.compile(r"messages\.\[[123]\]\.role"),
         TOOL_ORDER + "call_b",
         messages=[HI[0], assistant_calls("call_a", "call_b"), tool_reply("call_a"), {"role": "user", "content": "?"}]),
    case("tool-calls-last-unanswered", {}, None, re.compile(r"messages\.\[[12]\]\.role"), TOOL_ORDER + "call_1",
         messages=[HI[0], assistant_calls("call_1")]),
    case("tool-missing-id", {}, "missing_required_parameter", "messages[2].tool_call_id",
         missing("messages[2].tool_call_id"),
         messages=[HI[0], assistant_calls("call_1"), {"role": "tool", "content": "18C"}]),
    case("tool_calls-missing-id", {}, "missing_required_parameter", "messages[1].tool_calls[0].id",
         missing("messages[1].tool_calls[0].id"),
         messages=[HI[0], {"role": "assistant", "tool_calls": [
             {"type": "function", "function": {"name": "f", "arguments": "{}"}}]}]),
    case("tool_calls-empty", {}, "empty_array", "messages[1].tool_calls", empty("messages[1].tool_calls"),
         messages=[HI[0], {"role": "assistant", "content": "x", "tool_calls": []}]),
]  # fmt: skip


@pytest.mark.parametrize(("model", "messages", "params", "extra", "status", "code", "param", "message"), RULES)
def test_rule(client, model, messages, params, extra, status, code, param, message):
    with pytest.raises(openai.APIStatusError) as exc:
        client.chat.completions.create(model=model, messages=messages, extra_body=extra, **params)
    expect_error(exc, status, code, param, message)


def test_rule_table_is_large_enough():
    assert len(RULES) >= 70


def test_missing_model(client):
    with pytest.raises(openai.APIStatusError) as exc:
        client.chat.completions.create(model=openai.omit, messages=HI)  # type: ignore[arg-type]
    expect_error(exc, 400, None, None, "you must provide a model parameter")


def test_missing_messages(client):
    with pytest.raises(openai.APIStatusError) as exc:
        client.chat.completions.create(model="gpt-4o-mini", messages=openai.omit)  # type: ignore[arg-type]
    expect_error(exc, 400, "missing_required_parameter", "messages", missing("messages"))


def test_validation_error_carries_request_id(client):
    """Real 400s carry ``x-request-id`` (recorded api.openai.com 400: ``X-Request-Id: req_…``)."""
    with pytest.raises(openai.BadRequestError) as exc:
        client.chat.completions.create(model="gpt-4o-mini", messages=HI, temperature=9)
    assert exc.value.request_id is not None and REQUEST_ID.fullmatch(exc.value.request_id), exc.value.response.headers


# ----- accepted edge values (the ranges are inclusive; nulls mean "not given") ------------------------------

ACCEPTED = [
    pytest.param({"temperature": 0}, id="temperature-0"),
    pytest.param({"temperature": 2}, id="temperature-2"),
    pytest.param({"top_p": 0, "presence_penalty": -2, "frequency_penalty": 2}, id="bounds"),
    pytest.param({"top_p": 1, "presence_penalty": 2, "frequency_penalty": -2}, id="bounds-other-end"),
    pytest.param({"stop": ["a", "b", "c", "d"]}, id="stop-four"),
    pytest.param({"stop": "END"}, id="stop-string"),
    pytest.param({"logprobs": True, "top_logprobs": 20}, id="top_logprobs-20"),
    pytest.param({"logprobs": True, "top_logprobs": 0}, id="top_logprobs-0"),
    pytest.param({"logit_bias": {"50256": -100, "1": 100}}, id="logit_bias-bounds"),
    pytest.param({"n": 2}, id="n-2"),
    pytest.param({"seed": 2**63 - 1}, id="seed-int64"),
    pytest.param({"user": "u" * 64}, id="user-64"),
    pytest.param({"stream_options": None, "tool_choice": None, "reasoning_effort": None}, id="explicit-nulls"),
    pytest.param({"temperature": None, "top_p": None, "max_tokens": None, "n": None}, id="explicit-nulls-2"),
    pytest.param({"response_format": {"type": "json_object"}, "messages": [
        {"role": "system", "content": "Answer in JSON."}, {"role": "user", "content": "a colour"}]}, id="json-word"),
    pytest.param({"response_format": {"type": "json_object"}, "messages": [
        {"role": "user", "content": [{"type": "text", "text": "a Json object please"}]}]}, id="json-word-in-part"),
    pytest.param({"messages": [{"role": "system", "content": f"rule {i}", "name": "example_user"} for i in range(5)]
                  + HI}, id="five-systems-no-alternation"),
    pytest.param({"messages": [HI[0], HI[0], {"role": "assistant", "content": "a"}, {"role": "assistant",
                                                                                    "content": "b"}]},
                 id="no-alternation-rule"),
    pytest.param({"messages": [{"role": "developer", "content": [{"type": "text", "text": "be brief"}]}, HI[0]]},
                 id="developer-text-parts"),
    pytest.param({"messages": [HI[0], {"role": "assistant", "content": [{"type": "refusal", "refusal": "no"}]},
                               HI[0]]}, id="assistant-refusal-part"),
    pytest.param({"messages": [HI[0], assistant_calls("call_a", "call_b"), tool_reply("call_b"),
                               tool_reply("call_a"), {"role": "user", "content": "thanks"}],
                  "tools": [WEATHER_TOOL]}, id="tool-replies-any-order"),
    pytest.param({"tools": [WEATHER_TOOL], "tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
                 id="tool_choice-named"),
    pytest.param({"stream_options": {"include_usage": True}, "stream": True}, id="stream_options-with-stream"),
]  # fmt: skip


@pytest.mark.parametrize("params", ACCEPTED)
def test_accepted(client, params):
    params = dict(params)
    messages = params.pop("messages", HI)
    if params.get("stream"):
        with client.chat.completions.create(model="gpt-4o-mini", messages=messages, **params) as stream:
            chunks = list(stream)
        assert chunks and chunks[-1].usage is not None
        return
    response = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=messages, **params)
    assert response.status_code == 200
    validate_completion(response.http_response.json())


# ----- context length (PROTOCOL §2) -------------------------------------------------------------------------


def _prompt_tokens(client: openai.OpenAI, model: str, messages: list[dict[str, Any]]) -> int:
    completion = client.chat.completions.create(model=model, messages=messages, max_tokens=1)
    assert completion.usage is not None
    return completion.usage.prompt_tokens


@pytest.mark.parametrize(("model", "window"), [("deepseek-ai/deepseek-vl2", 4096), ("gpt-4", 8192)])
def test_context_length_without_max_tokens(client, model, window):
    words = "lorem ipsum dolor sit amet " * (window // 4)
    messages = [{"role": "user", "content": words}]
    with pytest.raises(openai.BadRequestError) as exc:
        client.chat.completions.create(model=model, messages=messages)
    pattern = re.compile(
        rf"This model's maximum context length is {window} tokens\. However, your messages resulted in (\d+) "
        r"tokens\. Please reduce the length of the messages\."
    )
    expect_error(exc, 400, "context_length_exceeded", "messages", pattern)
    match = pattern.fullmatch(exc.value.body["message"])
    assert match and int(match.group(1)) > window
    # LiteLLM's ContextWindowExceededError detection
    assert "This model's maximum context length is" in exc.value.body["message"]


@pytest.mark.parametrize(("model", "window"), [("deepseek-ai/deepseek-vl2", 4096), ("gpt-4", 8192)])
def test_context_length_with_max_tokens(client, model, window):
    messages = [{"role": "user", "content": "lorem ipsum dolor sit amet " * (window // 10)}]
    prompt = _prompt_tokens(client, model, messages)
    assert prompt < window
    completion = window - prompt + 1
    with pytest.raises(openai.BadRequestError) as exc:
        client.chat.completions.create(model=model, messages=messages, max_tokens=completion)
    expect_error(
        exc,
        400,
        "context_length_exceeded",
        "messages",
        f"This model's maximum context length is {window} tokens. However, you requested {prompt + completion} "
        f"tokens ({prompt} in the messages, {completion} in the completion). Please reduce the length of the "
        "messages or completion.",
    )
    assert "This model's maximum context length is" in exc.value.body["message"]
    # exactly at the window is still fine
    ok = client.chat.completions.create(model=model, messages=messages, max_tokens=completion - 1)
    assert ok.usage is not None and ok.usage.prompt_tokens == prompt


# ----- raw bodies: not JSON, too large ------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"{not json", b"", b'{"model": "gpt-4o", "messages": [', "caf\u00e9".encode("latin-1"), b"model=gpt-4o"],
    ids=["broken", "empty", "truncated", "not-utf8", "form"],
)
def test_body_not_json(server, data):
    status, headers, body = raw_post(server.base_url + "/chat/completions", data, {"Content-Type": "application/json"})
    assert status == 400
    assert headers["Content-Type"].startswith("application/json")
    payload = json.loads(body)
    assert payload == {"error": {"message": BAD_JSON, "type": "invalid_request_error", "param": None, "code": None}}


def test_body_not_json_through_sdk(client):
    """The SDK's raw ``post`` with a non-JSON content: BadRequestError with OpenAI's words."""
    with pytest.raises(openai.APIStatusError) as exc:
        client.post(
            "/chat/completions",
            cast_to=object,
            options={"headers": {"Content-Type": "application/json"}},
            content=b"{oops",
        )
    expect_error(exc, 400, None, None, BAD_JSON)


@pytest.fixture(scope="module")
def small_body_server() -> Iterator[MockServer]:
    with MockServer(Settings(port=0, max_body_mb=1)) as srv:
        yield srv


def test_body_over_limit_is_413(small_body_server):
    big = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x" * (1024 * 1024 + 10)}]})
    status, _, body = raw_post(
        small_body_server.base_url + "/chat/completions", big.encode(), {"Content-Type": "application/json"}
    )
    assert status == 413
    error = json.loads(body)["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    spec.validate("ErrorResponse", json.loads(body))


def test_body_over_limit_through_sdk(small_body_server):
    c = openai.OpenAI(base_url=small_body_server.base_url, api_key="sk-test", max_retries=0)
    with pytest.raises(openai.APIStatusError) as exc:
        c.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "y" * (1536 * 1024)}])
    assert type(exc.value) is openai.APIStatusError
    assert exc.value.status_code == 413
    assert isinstance(exc.value.body, dict) and set(exc.value.body) == {"message", "type", "param", "code"}
    # just under the limit is served (a 1M-token-window model, so only the byte limit is in play)
    ok = c.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "z " * 450_000}])
    assert ok.choices


# ----- endpoints -----------------------------------------------------------------------------------------


def test_list_models(client, server):
    status, headers, body = raw_get(server.base_url + "/models")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    payload = json.loads(body)
    spec.validate("ListModelsResponse", payload)
    listed = client.models.list()
    assert [m.id for m in listed.data] == [m["id"] for m in payload["data"]]
    assert len({m["id"] for m in payload["data"]}) == len(payload["data"]), "duplicate ids"


ISSUE_MODELS = [
    "deepseek-ai/DeepSeek-V3", "deepseek-ai/DeepSeek-V2.5", "deepseek-ai/deepseek-vl2",
    "Qwen/Qwen2.5-Math-72B-Instruct", "Qwen/Qwen2.5-Coder-32B-Instruct", "Qwen/QVQ-72B-Preview",
    "deepseek-ai/DeepSeek-R1", "claude-opus-4-6", "claude-sonnet-4-6", "claude-haiku-4-5-20251001", "gpt-4o",
    "gpt-4.1", "gpt-5", "gemini-2.5-pro", "gemini-2.5-flash", "gemini-3.1-pro-preview", "gemini-2.5-flash-image",
    "gemini-3-pro-image-preview", "gemini-3.1-flash-image-preview", "gpt-4o-mini", "gpt-4o-search-preview",
    "gpt-4o-mini-search-preview", "ops-qwen-turbo", "o1", "o3", "o3-mini", "o4-mini",
]  # fmt: skip


def test_catalog_lists_every_issue_model(client):
    listed = {m.id for m in client.models.list().data}
    assert not set(ISSUE_MODELS) - listed


@pytest.mark.parametrize("model_id", ISSUE_MODELS)
def test_retrieve_model(client, model_id):
    response = client.models.with_raw_response.retrieve(model_id)
    spec.validate("Model", response.http_response.json())
    model = response.parse()
    assert model.id == model_id and model.object == "model"
    assert isinstance(model.created, int) and model.owned_by


@pytest.mark.parametrize("model_id", ["deepseek-ai/DeepSeek-V3", "Qwen/QVQ-72B-Preview"])
def test_retrieve_model_with_slash_raw(server, model_id):
    status, _, body = raw_get(f"{server.base_url}/models/{model_id}")
    assert status == 200 and json.loads(body)["id"] == model_id


@pytest.mark.parametrize("model_id", ["gpt-4.1-nano-wrong", "deepseek-ai/nope"])
def test_retrieve_unknown_model(client, model_id):
    with pytest.raises(openai.NotFoundError) as exc:
        client.models.retrieve(model_id)
    expect_error(exc, 404, "model_not_found", None,
                 f"The model `{model_id}` does not exist or you do not have access to it.")  # fmt: skip


def test_health(server):
    status, headers, body = raw_get(server.root_url + "/health")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert isinstance(json.loads(body), dict)


@pytest.mark.parametrize("path", ["/nope", "/chat/complete", "/engines/gpt-4o/completions"])
def test_unknown_route_is_404(client, path):
    with pytest.raises(openai.NotFoundError) as exc:
        client.get(path, cast_to=object)
    expect_error(exc, 404, None, None, f"Invalid URL (GET /v1{path})")


def test_unknown_route_outside_v1(server):
    status, _, body = raw_get(server.root_url + "/v2/models")
    assert status == 404
    assert json.loads(body)["error"]["message"] == "Invalid URL (GET /v2/models)"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("get", "/chat/completions", "POST"), ("delete", "/chat/completions", "POST"), ("post", "/models", "GET")],
)
def test_wrong_method_is_405(client, method, path, allowed):
    with pytest.raises(openai.APIStatusError) as exc:
        getattr(client, method)(path, cast_to=object)
    e = exc.value
    assert type(e) is openai.APIStatusError and e.status_code == 405
    assert isinstance(e.body, dict) and set(e.body) == {"message", "type", "param", "code"}
    assert e.type == "invalid_request_error" and e.param is None
    assert allowed in e.response.headers["allow"]
    spec.validate("ErrorResponse", e.response.json())


# ----- answers -------------------------------------------------------------------------------------------


def test_chat_completion_object(client):
    response = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=[
        {"role": "user", "content": "hello"}])  # fmt: skip
    body = response.http_response.json()
    validate_completion(body)
    assert COMPLETION_ID.fullmatch(body["id"])
    assert body["object"] == "chat.completion"
    assert type(body["created"]) is int and body["created"] > 1_700_000_000
    assert body["model"] == "gpt-4o-2024-08-06"
    assert re.fullmatch(r"fp_[0-9a-f]{10}", body["system_fingerprint"])
    assert body["service_tier"] == "default"
    (choice,) = body["choices"]
    assert choice["index"] == 0 and choice["logprobs"] is None and choice["finish_reason"] == "stop"
    message = choice["message"]
    assert message["role"] == "assistant" and isinstance(message["content"], str) and message["content"]
    assert message["refusal"] is None and message["annotations"] == []
    assert "tool_calls" not in message
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["prompt_tokens_details"] == {"cached_tokens": 0, "audio_tokens": 0}
    assert set(usage["completion_tokens_details"]) >= {
        "reasoning_tokens", "audio_tokens", "accepted_prediction_tokens", "rejected_prediction_tokens"}  # fmt: skip
    parsed = response.parse()
    assert parsed.id == body["id"] and parsed.choices[0].message.content == message["content"]


@pytest.mark.parametrize(
    ("model", "snapshot"),
    [
        ("gpt-4o", "gpt-4o-2024-08-06"),
        ("gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
        ("gpt-4.1", "gpt-4.1-2025-04-14"),
        ("gpt-5", "gpt-5-2025-08-07"),
        ("o3", "o3-2025-04-16"),
        ("gpt-4o-2024-11-20", "gpt-4o-2024-11-20"),
        ("deepseek-ai/DeepSeek-V3", "deepseek-ai/DeepSeek-V3"),
        ("claude-sonnet-4-6", "claude-sonnet-4-6"),
        ("gemini-2.5-flash", "gemini-2.5-flash"),
    ],
)
def test_answer_model_is_resolved_snapshot(client, model, snapshot):
    response = client.chat.completions.with_raw_response.create(model=model, messages=HI)
    body = response.http_response.json()
    validate_completion(body)
    assert body["model"] == snapshot


@pytest.mark.parametrize("model", ["gpt-5", "gpt-4.1"])
def test_system_fingerprint_null_on_new_models(client, model):
    body = client.chat.completions.with_raw_response.create(model=model, messages=HI).http_response.json()
    assert body["system_fingerprint"] is None


def test_search_preview_answer_shape(client):
    """VCR chat-web-search: id ``chatcmpl-<uuid4>``, ``system_fingerprint: ""``, no ``service_tier``."""
    body = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini-search-preview", messages=[{"role": "user", "content": "news today"}]
    ).http_response.json()
    validate_completion(body)
    assert body["model"] == "gpt-4o-mini-search-preview-2025-03-11"
    assert "service_tier" not in body
    assert body["id"].startswith("chatcmpl-") and UUID4.fullmatch(body["id"][len("chatcmpl-") :]), body["id"]
    assert body["system_fingerprint"] == ""


def test_logprobs_n_and_length(client):
    body = client.chat.completions.with_raw_response.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hello"}], logprobs=True, top_logprobs=2, n=3,
        max_tokens=3,
    ).http_response.json()  # fmt: skip
    validate_completion(body)
    assert [c["index"] for c in body["choices"]] == [0, 1, 2]
    for choice in body["choices"]:
        assert choice["finish_reason"] == "length"
        content = choice["logprobs"]["content"]
        assert len(content) == 3 and choice["logprobs"]["refusal"] is None
        assert "".join(t["token"] for t in content) == choice["message"]["content"]
        for token in content:
            assert token["bytes"] == list(token["token"].encode())
            assert token["logprob"] <= 0 and len(token["top_logprobs"]) == 2
    assert body["usage"]["completion_tokens"] == 9


def test_tool_call_answer(client):
    body = client.chat.completions.with_raw_response.create(
        model="gpt-4o", messages=[{"role": "user", "content": "What's the weather in Paris?"}], tools=[WEATHER_TOOL]
    ).http_response.json()
    validate_completion(body)
    (choice,) = body["choices"]
    assert choice["finish_reason"] == "tool_calls"
    message = choice["message"]
    assert message["content"] is None and message["refusal"] is None
    (call,) = message["tool_calls"]
    assert re.fullmatch(r"call_[A-Za-z0-9]{24}", call["id"])
    assert call["type"] == "function" and call["function"]["name"] == "get_weather"
    assert isinstance(json.loads(call["function"]["arguments"]), dict)


def test_json_mode_answer(client):
    body = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", response_format={"type": "json_object"},
        messages=[{"role": "user", "content": "Reply in JSON: who won table tennis?"}],
    ).http_response.json()  # fmt: skip
    validate_completion(body)
    assert isinstance(json.loads(body["choices"][0]["message"]["content"]), dict)


async def test_async_client_answer(aclient):
    response = await aclient.chat.completions.with_raw_response.create(model="gpt-4o", messages=HI)
    validate_completion(response.http_response.json())
    assert REQUEST_ID.fullmatch(response.request_id or "")


# ----- headers -------------------------------------------------------------------------------------------


def test_response_headers(client):
    response = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=HI)
    headers = response.headers
    assert REQUEST_ID.fullmatch(headers["x-request-id"])
    assert response.request_id == headers["x-request-id"]
    assert response.parse()._request_id == headers["x-request-id"]
    assert headers["openai-version"] == "2020-10-01"
    assert re.fullmatch(r"\d+", headers["openai-processing-ms"])
    assert headers["content-type"].startswith("application/json")


def test_request_ids_differ_between_identical_requests(client):
    first = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=HI)
    second = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=HI)
    assert first.request_id != second.request_id
    assert first.parse().id != second.parse().id


# ----- auth ----------------------------------------------------------------------------------------------


def test_default_accepts_any_key_and_none(server):
    for key in ("sk-anything", "not-even-sk"):
        c = openai.OpenAI(base_url=server.base_url, api_key=key, max_retries=0)
        assert c.chat.completions.create(model="gpt-4o-mini", messages=HI).choices
    c = openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0)
    no_key = c.chat.completions.create(model="gpt-4o-mini", messages=HI, extra_headers={"Authorization": openai.omit})
    assert no_key.choices


GOOD_KEY = "sk-good-0123456789abcdefXYZ"


@pytest.fixture(scope="module")
def auth_server() -> Iterator[MockServer]:
    with MockServer(Settings(port=0, api_keys=(GOOD_KEY,), fixtures=(str(ROOT / "fixtures"),))) as srv:
        yield srv


def test_auth_good_key(auth_server):
    c = openai.OpenAI(base_url=auth_server.base_url, api_key=GOOD_KEY, max_retries=0)
    assert c.chat.completions.create(model="gpt-4o-mini", messages=HI).choices


def test_auth_no_key(auth_server):
    c = openai.OpenAI(base_url=auth_server.base_url, api_key="unused", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as exc:
        c.chat.completions.create(model="gpt-4o-mini", messages=HI, extra_headers={"Authorization": openai.omit})
    expect_error(exc, 401, None, None, NO_KEY)


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        ("sk-PMafP" + "q" * 39 + "E873", "sk-PMafP" + "*" * 39 + "E873"),  # PROTOCOL §2's 51-char example
        ("sk-wrong-key-abcdefghijklmnop", "sk-wrong" + "*" * 17 + "mnop"),
        (GOOD_KEY + "x", GOOD_KEY[:8] + "*" * (len(GOOD_KEY) - 11) + GOOD_KEY[-3:] + "x"),
    ],
    ids=["openai-example", "wrong", "good-plus-one"],
)
def test_auth_wrong_key(auth_server, key, masked):
    c = openai.OpenAI(base_url=auth_server.base_url, api_key=key, max_retries=0)
    with pytest.raises(openai.AuthenticationError) as exc:
        c.chat.completions.create(model="gpt-4o-mini", messages=HI)
    expect_error(
        exc,
        401,
        "invalid_api_key",
        None,
        f"Incorrect API key provided: {masked}. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
    )
    assert key not in exc.value.body["message"]


def test_auth_checked_before_validation(auth_server):
    """A bad key is reported even when the body is broken too (auth comes first)."""
    status, _, body = raw_post(auth_server.base_url + "/chat/completions", b"{nope", {"Authorization": "Bearer sk-x"})
    assert status == 401 and json.loads(body)["error"]["code"] == "invalid_api_key"


@pytest.mark.parametrize("endpoint", ["list", "retrieve"])
def test_auth_applies_to_models_endpoints(auth_server, endpoint):
    """Real OpenAI guards /v1/models like every API route: a wrong key is a 401 there too."""
    c = openai.OpenAI(base_url=auth_server.base_url, api_key="sk-wrong-0123456789abcd", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as exc:
        c.models.list() if endpoint == "list" else c.models.retrieve("gpt-4o")
    expect_error(
        exc,
        401,
        "invalid_api_key",
        None,
        "Incorrect API key provided: sk-wrong***********abcd. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
    )


def test_health_needs_no_key(auth_server):
    status, _, _ = raw_get(auth_server.root_url + "/health")
    assert status == 200
