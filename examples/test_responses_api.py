"""The OpenAI Responses API against the `mockllm` pytest fixture. Run: pytest examples/test_responses_api.py"""

import openai
import pydantic
import pytest

TOOLS = [
    {
        "type": "function",
        "name": "get_time",
        "parameters": {
            "type": "object",
            "properties": {"tz": {"type": "string"}},
            "required": ["tz"],
            "additionalProperties": False,
        },
    }
]


def test_create_stream_and_chain(mockllm):
    mockllm.on(user="capital of France").reply("Paris.")
    client = mockllm.client()

    first = client.responses.create(
        model="gpt-4o-mini", input="What is the capital of France?", instructions="Be brief."
    )
    assert first.output_text == "Paris."
    mockllm.assert_called_once(user="capital of france", system="be brief")

    # No route matches the follow-up: the seeded generator answers, with the whole chain as its context.
    with client.responses.stream(model="gpt-4o-mini", input="And of Italy?", previous_response_id=first.id) as stream:
        final = stream.get_final_response()
    assert final.output_text and final.usage.input_tokens > first.usage.input_tokens
    assert client.responses.retrieve(final.id).output_text == final.output_text


def test_tool_loop(mockllm):
    mockllm.on(tool="get_time").replies(
        [{"tool_calls": [{"name": "get_time", "arguments": {"tz": "UTC"}}]}, "It is noon in UTC."]
    )
    client = mockllm.client()

    asked = client.responses.create(model="gpt-4o-mini", input="What time is it?", tools=TOOLS)
    call = asked.output[0]  # a function_call item
    assert (call.type, call.name, call.arguments) == ("function_call", "get_time", '{"tz": "UTC"}')

    answer = client.responses.create(
        model="gpt-4o-mini",
        previous_response_id=asked.id,
        tools=TOOLS,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "12:00"}],
    )
    assert answer.output_text == "It is noon in UTC."


class Cat(pydantic.BaseModel):
    name: str
    age: int


def test_parse_limits_and_reasoning(mockllm):
    client = mockllm.client()
    parsed = client.responses.parse(model="gpt-4o-mini", input="Invent a cat.", text_format=Cat)
    assert isinstance(parsed.output_parsed, Cat)

    cut = client.responses.create(model="gpt-4o-mini", input="Tell me a long story.", max_output_tokens=16)
    assert cut.status == "incomplete" and cut.incomplete_details.reason == "max_output_tokens"
    assert cut.usage.output_tokens == 16

    thought = client.responses.create(model="o4-mini", input="Why is the sky blue?", reasoning={"summary": "auto"})
    assert thought.output[0].type == "reasoning" and thought.output[0].summary[0].text
    assert thought.usage.output_tokens_details.reasoning_tokens > 0


def test_failures(mockllm):
    mockllm.on(user="flaky").fail("rate_limit", times=1)  # one 429, then the generator answers
    assert mockllm.client(max_retries=1).responses.create(model="gpt-4o-mini", input="flaky call").output_text

    mockllm.on(user="cut").fault("stream_error", after_chunks=3)
    with pytest.raises(openai.APIError):
        with mockllm.client().responses.stream(model="gpt-4o-mini", input="cut me off") as stream:
            stream.get_final_response()
    assert [r.status for r in mockllm.requests] == [429, 200, 200]


async def test_agent(mockllm):
    agents = pytest.importorskip("agents")  # pip install openai-agents
    agents.set_tracing_disabled(True)  # the SDK would otherwise upload traces to OpenAI

    @agents.function_tool
    def get_weather(city: str) -> str:
        """The current weather in a city."""
        return f"It is 21 degrees and sunny in {city}."

    client = openai.AsyncOpenAI(base_url=mockllm.base_url, api_key="sk-test")
    model = agents.OpenAIResponsesModel(model="gpt-4o-mini", openai_client=client)
    agent = agents.Agent(name="weather", tools=[get_weather], model=model)
    result = await agents.Runner.run(agent, "What's the weather in Oslo?")
    assert result.final_output  # the generator called get_weather once, then answered
    assert [r.path for r in mockllm.requests] == ["/v1/responses", "/v1/responses"]
