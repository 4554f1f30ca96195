"""The `mockllm` pytest fixture, synchronous tests. Run: pytest examples/test_plugin_sync.py"""

import pytest


def ask(client, text, model="gpt-4o-mini", **kwargs):
    reply = client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}], **kwargs)
    return reply.choices[0].message


def test_scripted_reply(mockllm):
    mockllm.on(user="capital of France").reply("Paris.")
    assert ask(mockllm.client(), "What is the capital of France?").content == "Paris."

    request = mockllm.assert_called_once(user="capital of france", model="gpt-4o-*")
    assert request.fixture == "on(user='capital of France')"
    assert request.usage["completion_tokens"] == 2


def test_sequence_and_tool_calls(mockllm):
    mockllm.on(user="count").replies(["one", "two", {"content": "three"}])  # the last one repeats
    mockllm.on(tool="get_time").reply(tool_calls=[{"name": "get_time", "arguments": {"tz": "UTC"}}])
    client = mockllm.client()

    assert [ask(client, "count please").content for _ in range(4)] == ["one", "two", "three", "three"]
    tools = [{"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}]
    call = ask(client, "what time is it?", tools=tools).tool_calls[0]
    assert (call.function.name, call.function.arguments) == ("get_time", '{"tz": "UTC"}')


def test_fixture_file_and_journal(mockllm):
    assert mockllm.load("llm-fixtures/weather.yaml") == ["weather"]  # relative to this test file
    assert ask(mockllm.client(), "weather today?", model="acme-small").content == "Sunny, 21 °C."
    assert ask(mockllm.client(), "tell me a joke").content  # no fixture matches: the generator answers

    assert [r.source for r in mockllm.requests] == ["weather", "generator"]
    assert mockllm.usage["requests"] == 2 and mockllm.usage["cost_usd"] > 0
    mockllm.assert_not_called(model="gpt-4o")


@pytest.mark.mockllm(fixtures=["llm-fixtures/weather.yaml"], strict=True, seed=3)
def test_marker(mockllm):
    assert mockllm.settings.strict and mockllm.settings.seed == 3  # a dedicated server with these settings
    assert ask(mockllm.client(), "weather?").content == "Sunny, 21 °C."
