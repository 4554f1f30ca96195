"""Tests meant to fail: their output shows the assertion diff and the mockllm report section."""

import pytest


def ask(client, text, model="gpt-4o-mini"):
    reply = client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}])
    return reply.choices[0].message.content


def test_wrong_expectation(mockllm):
    mockllm.on(user="weather in Paris").reply("Rainy.")
    ask(mockllm.client(), "weather in Lyon?")
    mockllm.assert_called_once(user="weather in paris", model="gpt-4o")


def test_plain_failure_shows_requests(mockllm):
    mockllm.on(user="capital", name="capital-question").reply("Paris.")
    mockllm.on(model="gpt-4o").fail("rate_limit")
    answer = ask(mockllm.client(), "tell me a joke")
    assert answer == "Paris."


def test_passing_test_has_no_section(mockllm):
    mockllm.on(user="ok").reply("fine")
    assert ask(mockllm.client(), "ok?") == "fine"


@pytest.mark.mockllm(sead=1)
def test_misspelt_marker_setting(mockllm):
    pass
