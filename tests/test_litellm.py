"""LiteLLM (PROTOCOL.md §6.4) classifies the mock's errors exactly as it classifies OpenAI's.

Optional: skipped unless ``litellm`` is installed (it pins ``openai<3``, so it is not in the ``test`` extra).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network fetch of the price map on import
litellm = pytest.importorskip("litellm")

from mockllm.config import Settings  # noqa: E402
from mockllm.server import MockServer  # noqa: E402

HI = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(Settings(port=0, seed=5)) as srv:
        yield srv


def call(server: MockServer, messages: list[dict[str, Any]] = HI, fault: str | None = None, **kw: Any) -> Any:
    session = "ll-" + uuid.uuid4().hex[:10]
    headers = {"x-mockllm-session": session}
    if fault is not None:
        headers["x-mockllm-fault"] = fault
    kw.setdefault("model", "openai/gpt-4")
    return litellm.completion(
        api_base=server.base_url, api_key="sk-test", messages=messages, extra_headers=headers, max_retries=0, **kw
    )


def test_real_context_overflow_is_context_window_exceeded(server: MockServer) -> None:
    huge = [{"role": "user", "content": "word " * 9000}]  # gpt-4: 8,192 tokens
    with pytest.raises(litellm.ContextWindowExceededError) as info:
        call(server, huge)
    assert "This model's maximum context length is 8192 tokens" in str(info.value)
    assert info.value.status_code == 400


def test_context_preset_is_context_window_exceeded(server: MockServer) -> None:
    with pytest.raises(litellm.ContextWindowExceededError):
        call(server, fault="context_length_exceeded")


@pytest.mark.parametrize(
    ("fault", "cls", "status"),
    [
        ("rate_limit", "RateLimitError", 429),
        ("insufficient_quota", "RateLimitError", 429),
        ("model_not_found", "NotFoundError", 404),
        ("invalid_api_key", "AuthenticationError", 401),
        ("server_error", "InternalServerError", 500),
        ("bad_gateway", "BadGatewayError", 502),
        ("overloaded", "ServiceUnavailableError", 503),
        ("gateway_timeout", "Timeout", 504),
    ],
)
def test_presets_map_to_litellm_exceptions(server: MockServer, fault: str, cls: str, status: int) -> None:
    with pytest.raises(getattr(litellm, cls)) as info:
        call(server, fault=fault)
    assert info.value.status_code == status
    if cls != "ContextWindowExceededError":
        assert not isinstance(info.value, litellm.ContextWindowExceededError)


def test_unknown_model_is_not_found(server: MockServer) -> None:
    with pytest.raises(litellm.NotFoundError) as info:
        call(server, model="openai/gpt-does-not-exist")
    assert "The model `gpt-does-not-exist` does not exist or you do not have access to it." in str(info.value)


def test_answers_and_streams_pass_through(server: MockServer) -> None:
    answer = call(server)
    assert answer.choices[0].message.content
    assert answer.usage.total_tokens > 0
    chunks = list(call(server, stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == answer.choices[0].message.content
