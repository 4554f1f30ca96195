"""Anthropic's Messages API with the `mockllm` fixture and the official `anthropic` SDK.
Run: pytest examples/test_anthropic.py"""

import anthropic
import pytest

MODEL = "claude-sonnet-4-6"
WEATHER = {
    "name": "get_weather",
    "description": "Current weather in a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def test_scripted_reply_and_usage(mockllm):
    mockllm.on(user="capital of France", system="geography").reply("Paris.")
    client = mockllm.anthropic_client()

    message = client.messages.create(
        model=MODEL,
        max_tokens=100,
        system="You are a geography tutor.",
        messages=[{"role": "user", "content": "What is the capital of France?"}],
    )
    assert message.content[0].text == "Paris." and message.stop_reason == "end_turn"
    counted = client.messages.count_tokens(
        model=MODEL,
        system="You are a geography tutor.",
        messages=[{"role": "user", "content": "What is the capital of France?"}],
    )
    assert counted.input_tokens == message.usage.input_tokens  # one recipe for both
    assert mockllm.assert_called_once(user="capital of france").content == "Paris."


def test_tool_use_loop(mockllm):
    mockllm.on(tool="get_weather").replies(
        [{"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]}, "It is -3 °C in Oslo."]
    )
    client = mockllm.anthropic_client()
    history = [{"role": "user", "content": "How cold is Oslo?"}]

    first = client.messages.create(model=MODEL, max_tokens=500, tools=[WEATHER], messages=history)
    assert first.stop_reason == "tool_use"
    call = next(block for block in first.content if block.type == "tool_use")
    assert call.id.startswith("toolu_") and call.input == {"city": "Oslo"}

    history += [
        {"role": "assistant", "content": first.content},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "-3 C"}]},
    ]
    final = client.messages.create(model=MODEL, max_tokens=500, tools=[WEATHER], messages=history)
    assert final.content[0].text == "It is -3 °C in Oslo."


def test_streaming_and_max_tokens(mockllm):
    client = mockllm.anthropic_client()
    ask = [{"role": "user", "content": "Describe a lighthouse."}]  # no fixture: the seeded generator answers

    with client.messages.stream(model=MODEL, max_tokens=1000, messages=ask) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == final.content[0].text

    cut = client.messages.create(model=MODEL, max_tokens=5, messages=ask)
    assert cut.stop_reason == "max_tokens" and cut.usage.output_tokens == 5
    assert text.startswith(cut.content[0].text)


def test_overloaded_then_retried(mockllm):
    route = mockllm.on(user="flaky").replies([{"error": "overloaded"}, "Recovered."])
    ask = [{"role": "user", "content": "a flaky call"}]

    with pytest.raises(anthropic.OverloadedError):  # 529 overloaded_error, as Anthropic sends it
        mockllm.anthropic_client().messages.create(
            model=MODEL, max_tokens=50, messages=ask, extra_headers={"x-mockllm-fault": "overloaded"}
        )
    retried = mockllm.anthropic_client(max_retries=2).messages.create(model=MODEL, max_tokens=50, messages=ask)
    assert retried.content[0].text == "Recovered."  # the SDK retried the 529 by itself
    assert [call.status for call in route.calls] == [529, 200]
