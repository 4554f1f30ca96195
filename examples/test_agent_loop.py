"""Testing an agent: a tool loop scripted by turn and tool result. Run: pytest examples/test_agent_loop.py"""

import json

import pytest

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]


def get_weather(city):
    return {"city": city, "temp_c": 21, "sky": "sunny"}


def run_agent(client, question, stream=False, max_steps=5):
    """The code under test: call the model, run the tools it asks for, send the results back, repeat."""
    messages = [{"role": "user", "content": question}]
    calls = []
    for _ in range(max_steps):
        if stream:  # the SDK's streaming helper reassembles the deltas into the same completion
            with client.chat.completions.stream(model="gpt-4o-mini", messages=messages, tools=TOOLS) as events:
                message = events.get_final_completion().choices[0].message
        else:
            message = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
            message = message.choices[0].message
        if not message.tool_calls:
            return message.content, calls
        messages.append(message.model_dump(exclude_none=True))  # the assistant turn, as the SDK gave it
        for call in message.tool_calls:
            calls.append((call.function.name, json.loads(call.function.arguments)))
            result = get_weather(**json.loads(call.function.arguments))
            messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
    raise AssertionError(f"the agent did not finish in {max_steps} steps")


@pytest.mark.parametrize("stream", [False, True])
def test_agent_scripted_by_a_fixture_file(mockllm, stream):
    mockllm.load("llm-fixtures/agent.yaml")
    client = mockllm.client()
    for _ in range(2):  # the fixtures key on the conversation's state, not on call order: run it again
        answer, calls = run_agent(client, "What's the weather in Paris?", stream=stream)
        assert answer == "It is 21 °C and sunny in Paris."
        assert calls == [("get_weather", {"city": "Paris"})]
    assert [r.fixture for r in mockllm.requests] == ["agent-calls-the-tool", "agent-answers-from-the-result"] * 2
    assert all(r.stream == stream for r in mockllm.requests)


def test_agent_scripted_by_routes(mockllm):
    mockllm.on(turn=0, tool="get_weather").reply(tool_calls=[{"name": "get_weather", "arguments": {"city": "Lyon"}}])
    mockllm.on(tool_result="get_weather").reply("Sunny in Lyon.")
    answer, calls = run_agent(mockllm.client(), "Weather in Lyon?")
    assert (answer, calls) == ("Sunny in Lyon.", [("get_weather", {"city": "Lyon"})])
    mockllm.assert_called(times=2)


def test_agent_against_the_generator(mockllm):
    """No fixtures: the generator calls a tool whose name is in the question, then answers the result."""
    answer, calls = run_agent(mockllm.client(), "What's the weather in Paris?")
    assert answer and [name for name, _ in calls] == ["get_weather"]
    assert [r.source for r in mockllm.requests] == ["generator", "generator"]
