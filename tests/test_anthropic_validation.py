"""Every request rule of ``POST /v1/messages`` through raw HTTP: Anthropic's envelope, type, status and
wording (PROTOCOL-anthropic.md §1–§2, §5), the path of the offending field leading the message."""

from __future__ import annotations

import base64
import io

import httpx
import pytest
from PIL import Image

from mockllm.config import Settings
from mockllm.core.catalog import ModelInfo
from mockllm.server import MockServer

MODEL = "claude-sonnet-4-6"
USER = [{"role": "user", "content": "hello there"}]
OK = {"model": MODEL, "max_tokens": 100, "messages": USER}
TOOL = {"name": "get_stock", "input_schema": {"type": "object", "properties": {"symbol": {"type": "string"}}}}


def _post(server, body, headers=None, raw=None):
    sent = {"anthropic-version": "2023-06-01", "x-api-key": "sk-ant-test", "content-type": "application/json"}
    sent.update(headers or {})
    sent = {k: v for k, v in sent.items() if v is not None}
    if raw is not None:
        return httpx.post(server.root_url + "/v1/messages", content=raw, headers=sent, timeout=30)
    return httpx.post(server.root_url + "/v1/messages", json=body, headers=sent, timeout=30)


def _error(response, status=400, error_type="invalid_request_error"):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"type", "error", "request_id"} and body["type"] == "error"
    assert body["error"]["type"] == error_type
    assert response.headers["request-id"] == body["request_id"] and body["request_id"].startswith("req_011C")
    if status == 400:
        assert response.headers["x-should-retry"] == "false"
    return body["error"]["message"]


def _png(width, height):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _image(media_type="image/png", data=None):
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data or _png(8, 8)}}


def _with_blocks(*blocks):
    return {**OK, "messages": [{"role": "user", "content": list(blocks)}]}


CASES = [
    ({k: v for k, v in OK.items() if k != "max_tokens"}, "max_tokens: Field required"),
    ({k: v for k, v in OK.items() if k != "model"}, "model: Field required"),
    ({k: v for k, v in OK.items() if k != "messages"}, "messages: Field required"),
    ({**OK, "messages": []}, "messages: at least one message is required"),
    ({**OK, "max_tokens": "ten"}, "max_tokens: Input should be a valid integer"),
    ({**OK, "max_tokens": -1}, "max_tokens: Input should be greater than or equal to 0"),
    (
        {**OK, "max_tokens": 200_000},
        "max_tokens: 200000 > 128000, which is the maximum allowed number of output tokens for claude-sonnet-4-6",
    ),
    (
        {**OK, "model": "claude-haiku-4-5", "max_tokens": 70_000},
        "max_tokens: 70000 > 64000, which is the maximum allowed number of output tokens for claude-haiku-4-5-20251001",
    ),
    ({**OK, "response_format": {"type": "json"}}, "response_format: Extra inputs are not permitted"),
    ({**OK, "temperature": 1.5}, "temperature: Input should be less than or equal to 1"),
    ({**OK, "temperature": -0.1}, "temperature: Input should be greater than or equal to 0"),
    ({**OK, "top_p": "high"}, "top_p: Input should be a valid number"),
    ({**OK, "top_k": -2}, "top_k: Input should be greater than or equal to 0"),
    ({**OK, "stream": "yes"}, "stream: Input should be a valid boolean"),
    ({**OK, "stop_sequences": "END"}, "stop_sequences: Input should be a valid list"),
    ({**OK, "stop_sequences": ["a", 3]}, "stop_sequences.1: Input should be a valid string"),
    ({**OK, "system": [{"type": "image"}]}, "system.0.type: Input should be 'text'"),
    ({**OK, "system": 5}, "system: Input should be a valid list"),
    ({**OK, "metadata": {"user_id": 5}}, "metadata.user_id: Input should be a valid string"),
    ({**OK, "metadata": {"session": "x"}}, "metadata.session: Extra inputs are not permitted"),
    (
        {**OK, "messages": [{"role": "robot", "content": "hi"}]},
        "messages.0.role: Input should be 'user', 'assistant' or 'system'",
    ),
    ({**OK, "messages": [{"content": "hi"}]}, "messages.0.role: Field required"),
    ({**OK, "messages": [{"role": "user"}]}, "messages.0.content: Field required"),
    (
        {**OK, "messages": [{"role": "user", "content": ""}]},
        "messages.0: all messages must have non-empty content except for the optional final assistant message",
    ),
    (
        {**OK, "messages": [*USER, {"role": "assistant", "content": []}, {"role": "user", "content": "x"}]},
        "messages.1: all messages must have non-empty content except for the optional final assistant message",
    ),
    (
        {**OK, "messages": [{"role": "system", "content": "be nice"}, *USER]},
        'messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, not "system" '
        "as an input message role.",
    ),
    (_with_blocks({"type": "text"}), "messages.0.content.0.text: Field required"),
    (_with_blocks({"text": "hi"}), "messages.0.content.0.type: Field required"),
    (
        _with_blocks({"type": "video"}),
        "messages.0.content.0: Input tag 'video' found using 'type' does not match any of the expected tags: 'text', "
        "'image', 'document', 'search_result', 'thinking', 'redacted_thinking', 'tool_use', 'tool_result', "
        "'server_tool_use' or 'web_search_tool_result'",
    ),
    (
        _with_blocks(_image("image/bmp")),
        "messages.0.content.0.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or "
        "'image/webp'",
    ),
    (
        _with_blocks(_image("image/jpeg")),
        "messages.0.content.0.source.base64.data: Image does not match the provided media type image/jpeg",
    ),
    (_with_blocks(_image("image/png", base64.b64encode(b"not an image at all").decode())), "Could not process image"),
    (_with_blocks(_image("image/png", "%%%not base64%%%")), "Could not process image"),
    (
        _with_blocks(_image("image/png", "A" * (5 * 1024 * 1024 + 4))),
        "messages.0.content.0.source.base64: image exceeds 5 MB maximum: 5242884 bytes > 5242880 bytes",
    ),
    (
        _with_blocks(_image("image/png", _png(8001, 10))),
        "messages: At least one of the image dimensions exceed max allowed size: 8000 pixels",
    ),
    (
        _with_blocks({"type": "image", "source": {"type": "url", "url": "ftp://example.com/a.png"}}),
        "messages.0.content.0.source.url: Invalid image URL: the URL must be an http(s) URL or a base64 data URL "
        "(data:image/<format>;base64,...).",
    ),
    (
        _with_blocks({"type": "image", "source": {"type": "svg"}}),
        "messages.0.content.0.source.type: Input should be 'base64', 'url' or 'file'",
    ),
    ({**OK, "tools": {"name": "x"}}, "tools: Input should be a valid list"),
    ({**OK, "tools": [{"name": "x"}]}, "tools.0.input_schema: Field required"),
    ({**OK, "tools": [{"input_schema": {"type": "object"}}]}, "tools.0.name: Field required"),
    (
        {**OK, "tools": [{**TOOL, "name": "bad name"}]},
        "tools.0.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'",
    ),
    (
        {**OK, "tools": [{**TOOL, "input_schema": {"type": "array"}}]},
        "tools.0.input_schema.type: Input should be 'object'",
    ),
    ({**OK, "tools": [{**TOOL, "parameters": {}}]}, "tools.0.parameters: Extra inputs are not permitted"),
    (
        {**OK, "tools": [{"type": "web_search_20250305", "name": "web_search"}]},
        "tools.0.type: mockllm does not emulate the server tool 'web_search_20250305'; define a client tool",
    ),
    (
        {**OK, "tools": [TOOL], "tool_choice": {"type": "required"}},
        "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'",
    ),
    ({**OK, "tools": [TOOL], "tool_choice": {"type": "tool"}}, "tool_choice.tool.name: Field required"),
    (
        {**OK, "tools": [TOOL], "tool_choice": {"type": "tool", "name": "nope"}},
        "tool_choice: Tool 'nope' not found in tools",
    ),
    (
        {**OK, "tools": [TOOL], "tool_choice": {"type": "any", "disable_parallel_tool_use": "yes"}},
        "tool_choice.any.disable_parallel_tool_use: Input should be a valid boolean",
    ),
    ({**OK, "thinking": {"type": "on"}}, "thinking.type: Input should be 'enabled', 'disabled' or 'adaptive'"),
    ({**OK, "thinking": {"type": "enabled"}}, "thinking.enabled.budget_tokens: Field required"),
    (
        {**OK, "thinking": {"type": "enabled", "budget_tokens": 1000}},
        "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
    ),
    (
        {**OK, "max_tokens": 2000, "thinking": {"type": "enabled", "budget_tokens": 2000}},
        "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at "
        "https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size",
    ),
    (
        {**OK, "model": "claude-opus-4-7", "max_tokens": 4000, "thinking": {"type": "enabled", "budget_tokens": 2000}},
        '"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" and '
        '"output_config.effort" to control thinking behavior.',
    ),
]


@pytest.mark.parametrize(("body", "message"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_each_rule_answers_invalid_request_error(server, body, message):
    assert _error(_post(server, body)) == message


def test_tool_pairing_is_enforced_both_ways(server):
    use = {"type": "tool_use", "id": "toolu_01A", "name": "get_stock", "input": {"symbol": "X"}}
    result = {"type": "tool_result", "tool_use_id": "toolu_01A", "content": "12"}
    ok = {
        **OK,
        "tools": [TOOL],
        "messages": [*USER, {"role": "assistant", "content": [use]}, {"role": "user", "content": [result]}],
    }
    assert _post(server, ok).status_code == 200
    unanswered = {
        **ok,
        "messages": [*USER, {"role": "assistant", "content": [use]}, {"role": "user", "content": "and?"}],
    }
    assert _error(_post(server, unanswered)) == (
        "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_01A. Each "
        "`tool_use` block must have a corresponding `tool_result` block in the next message."
    )
    orphan = {**ok, "messages": [{"role": "user", "content": [{**result, "tool_use_id": "toolu_01Z"}]}]}
    assert _error(_post(server, orphan)) == (
        "messages.0.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_01Z. Each `tool_result` "
        "block must have a corresponding `tool_use` block in the previous message."
    )


def test_headers_version_and_json(server):
    assert _error(_post(server, OK, {"anthropic-version": None})) == "anthropic-version: header is required"
    assert _error(_post(server, OK, {"anthropic-version": "2024-01-01"})) == (
        'anthropic-version: "2024-01-01" is not a valid version'
    )
    assert _post(server, OK, {"anthropic-version": "2026-10-21"}).status_code == 200
    removed = _post(server, {**OK, "temperature": 1.0}, {"anthropic-version": "2026-10-21"})
    assert _error(removed) == "temperature: Extra inputs are not permitted"
    assert _post(server, {**OK, "temperature": 0.2, "top_k": 5}).status_code == 200  # fine under 2023-06-01
    assert _error(_post(server, None, raw=b'{"model": ')).startswith("The request body is not valid JSON: ")
    assert _post(server, OK, {"x-api-key": None, "authorization": "Bearer sk-ant"}).status_code == 200


def test_unknown_model_is_a_404_naming_it(server):
    assert _error(_post(server, {**OK, "model": "claude-3-5-sonnet-latest"}), 404, "not_found_error") == (
        "model: claude-3-5-sonnet-latest"
    )


def test_accepted_shapes(server):
    """What the API accepts: consecutive turns of a role, a prefill, system blocks, thinking passed back,
    documents, the ignored fields, a query string (the beta path)."""
    thinking = {"type": "thinking", "thinking": "Let me see.", "signature": "c2ln"}
    body = {
        **OK,
        "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
        "messages": [
            {"role": "user", "content": "one"},
            {"role": "user", "content": [{"type": "text", "text": "two"}, _image()]},
            {"role": "assistant", "content": [thinking, {"type": "text", "text": "Sure"}]},
            {
                "role": "user",
                "content": [
                    {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "doc"}},
                    {"type": "text", "text": "three"},
                ],
            },
            {"role": "assistant", "content": "The answer is"},
        ],
        "metadata": {"user_id": "u-1"},
        "service_tier": "auto",
        "output_config": {"effort": "low"},
    }
    response = httpx.post(
        server.root_url + "/v1/messages?beta=true",
        json=body,
        headers={"anthropic-version": "2023-06-01", "x-api-key": "k", "anthropic-beta": "some-flag-2025"},
    )
    assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def small_window():
    with MockServer(Settings(port=0)) as srv:
        srv.pipeline.catalog.add(
            ModelInfo("claude-tiny", owned_by="anthropic", context_window=60, max_output_tokens=50)
        )
        yield srv


def test_context_window_errors_in_anthropic_wording(small_window):
    long = [{"role": "user", "content": "word " * 100}]
    message = _error(_post(small_window, {"model": "claude-tiny", "max_tokens": 10, "messages": long}))
    assert message.startswith("prompt is too long: ") and message.endswith(" tokens > 60 maximum")
    counted = httpx.post(
        small_window.root_url + "/v1/messages/count_tokens",
        json={"model": "claude-tiny", "messages": long},
        headers={"anthropic-version": "2023-06-01"},
    ).json()["input_tokens"]
    assert message == f"prompt is too long: {counted} tokens > 60 maximum"
    both = _post(
        small_window, {"model": "claude-tiny", "max_tokens": 50, "messages": [{"role": "user", "content": "word " * 8}]}
    )
    assert "exceed context limit" in _error(both)


@pytest.fixture(scope="module")
def tiny_body():
    with MockServer(Settings(port=0, max_body_mb=0.01, test_hooks=True)) as srv:
        yield srv


def test_transport_errors_under_v1_messages_use_anthropic_envelope(tiny_body):
    version = {"anthropic-version": "2023-06-01"}
    unknown = httpx.post(tiny_body.root_url + "/v1/messages/batches", json=OK, headers=version)
    assert _error(unknown, 404, "not_found_error") == "Invalid URL (POST /v1/messages/batches)"
    wrong_method = httpx.get(tiny_body.root_url + "/v1/messages", headers=version)
    assert wrong_method.status_code == 405 and wrong_method.json()["type"] == "error"
    too_large = httpx.post(tiny_body.root_url + "/v1/messages", json={**OK, "system": "x" * 20_000}, headers=version)
    assert too_large.status_code == 413 and too_large.json()["error"]["type"] == "request_too_large"
    crash = httpx.post(tiny_body.root_url + "/v1/messages", json=OK, headers={**version, "x-mockllm-test-raise": "1"})
    body = crash.json()
    assert crash.status_code == 500 and body["error"]["type"] == "api_error"
    assert body["request_id"] in body["error"]["message"] and crash.headers["request-id"] == body["request_id"]
