"""Pure pieces of the Messages API: stop reasons, partial tool input, ids, signatures, image tokens,
model names, error translation."""

from __future__ import annotations

import re

import pytest

from mockllm.apis.messages.errors import AnthropicError, anthropic_request_id, translate
from mockllm.apis.messages.models import display_name
from mockllm.apis.messages.render import signature, stop_reason, tool_input
from mockllm.core.catalog import CLAUDE_AREA
from mockllm.core.conversation import ImageInfo
from mockllm.core.errors import ApiError
from mockllm.core.ratelimit import RateLimiter
from mockllm.core.shaping import Choice
from mockllm.core.vision import image_tokens


def _choice(content, finish):
    return Choice(index=0, content=content, content_tokens=[1], finish_reason=finish)


@pytest.mark.parametrize(
    ("content", "finish", "original", "stops", "expected"),
    [
        ("Hello", "stop", "Hello", ("END",), ("end_turn", None)),
        ("Hello ", "stop", "Hello END there", ("zz", "END"), ("stop_sequence", "END")),
        ("", "stop", "END at once", ("END",), ("stop_sequence", "END")),
        ("Hel", "length", "Hello", (), ("max_tokens", None)),
        (None, "tool_calls", None, (), ("tool_use", None)),
        ("Hal", "content_filter", "Half", (), ("refusal", None)),
    ],
)
def test_stop_reason(content, finish, original, stops, expected):
    assert stop_reason(_choice(content, finish), stops, original) == expected


def test_tool_input_reads_cut_arguments_as_far_as_they_go():
    assert tool_input('{"city": "Paris"}') == {"city": "Paris"}
    assert tool_input('{"city": "Par') == {}  # an unfinished string is dropped, as the SDK's jiter does
    assert tool_input('{"city": "Paris", "un') == {"city": "Paris"}
    assert tool_input("") == {} and tool_input("[1, 2]") == {}


def test_request_ids_and_signatures_are_stable_and_shaped():
    rid = anthropic_request_id("req_" + "ab" * 16)
    assert re.fullmatch(r"req_011C[A-Za-z0-9]{20}", rid) and rid == anthropic_request_id("req_" + "ab" * 16)
    assert rid != anthropic_request_id("req_" + "cd" * 16)
    first = signature("thinking text", "claude-sonnet-4-6")
    assert first == signature("thinking text", "claude-sonnet-4-6") != signature("other", "claude-sonnet-4-6")
    assert len(first) > 300


@pytest.mark.parametrize(
    ("size", "tokens"),
    [((200, 150), 40), ((1000, 1000), 1334), ((1568, 1568), 1600), ((4000, 3000), 1600), ((3136, 200), 210)],
)
def test_claude_image_tokens(size, tokens):
    info = ImageInfo("data", "data:", "auto", "png", size[0], size[1], 1, "x", None)
    assert image_tokens(info, CLAUDE_AREA) == tokens


def test_display_names():
    assert display_name("claude-sonnet-4-6") == "Claude Sonnet 4.6"
    assert display_name("claude-haiku-4-5-20251001") == "Claude Haiku 4.5"
    assert display_name("claude-opus-4-1-20250805") == "Claude Opus 4.1"


def test_translate_core_errors():
    assert translate(AnthropicError(529, "overloaded_error", "Overloaded")) == ("overloaded_error", "Overloaded")
    assert translate(ApiError.model_not_found("claude-x")) == ("not_found_error", "model: claude-x")
    assert translate(ApiError(401, "Incorrect API key provided"))[0] == "authentication_error"
    assert translate(ApiError.bad_json())[1].startswith("The request body is not valid JSON")
    assert translate(ApiError(503, "Service unavailable"))[0] == "api_error"
    limiter = RateLimiter(1, None)
    limiter.admit("k", 1, "claude-x", 0.0)
    with pytest.raises(ApiError) as caught:
        limiter.admit("k", 1, "claude-x", 0.0)
    kind, message = translate(caught.value)
    assert kind == "rate_limit_error" and message.startswith("Number of requests has exceeded")
