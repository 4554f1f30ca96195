"""Scripting failures with the `mockllm` fixture. Run: pytest examples/test_plugin_failures.py"""

import openai
import pytest


def test_retries_after_two_rate_limits(mockllm):
    route = mockllm.on(user="checkout").fail("rate_limit", times=2).reply("Order confirmed.")
    client = mockllm.client(max_retries=2)  # mockllm.client() defaults to max_retries=0

    out = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "checkout"}])
    assert out.choices[0].message.content == "Order confirmed."
    assert [r.status for r in mockllm.requests] == [429, 429, 200]
    assert [r.headers["x-stainless-retry-count"] for r in route.calls] == ["0", "1", "2"]
    mockllm.assert_called(status=429, times=2)


def test_error_surfaces_without_retries(mockllm):
    mockllm.on(model="gpt-4o").fail("overloaded")
    with pytest.raises(openai.InternalServerError) as info:
        mockllm.client().chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 503


def test_stream_cut_after_three_chunks(mockllm):
    mockllm.on(stream=True).fault("disconnect", after_chunks=3, content="a long answer that will be cut short")
    received = []
    with pytest.raises(openai.APIError):
        stream = mockllm.client().chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        for chunk in stream:
            received.append(chunk)
    assert len(received) == 3
    assert mockllm.assert_called_once(stream=True).fault == "disconnect"
