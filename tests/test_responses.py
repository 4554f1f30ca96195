"""The Responses API (``POST /v1/responses`` and companions) through openai-python, sync and async, and
raw HTTP: every body and stream event validated against the official spec (PROTOCOL-responses.md)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import openai
import pydantic
import pytest
from responses_support import TOOLS, error_of, post, stream_events, valid_response

from mockllm.core.tokens import get_encoding
from mockllm.server import MockServer

ENC = get_encoding("o200k_base")
PNG = (  # a 1x1 red PNG
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)  # the tokenizer mockllm ships (no download)
STORY = "Tell me a long story about the history of Rome."


def create(client: openai.OpenAI, **kwargs: Any) -> Any:
    """``responses.create`` with the raw body checked against the spec too."""
    raw = client.responses.with_raw_response.create(**kwargs)
    valid_response(json.loads(raw.text))
    return raw.parse()


def message_texts(response: Any) -> list[str]:
    return [c.text for item in response.output if item.type == "message" for c in item.content]


# ----- input forms, instructions ----------------------------------------------------------------------


def test_string_easy_and_typed_input_are_the_same_request(client: openai.OpenAI) -> None:
    forms: list[Any] = [
        STORY,
        [{"role": "user", "content": STORY}],
        [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": STORY}]}],
    ]
    answers = [create(client, model="gpt-4o-mini", input=form) for form in forms]
    assert len({a.output_text for a in answers}) == 1 and answers[0].output_text
    assert len({a.usage.input_tokens for a in answers}) == 1
    assert len({a.usage.output_tokens for a in answers}) == 1
    assert len({a.id for a in answers}) == 3  # each create is stored under its own id


def test_fixture_answers_on_responses_with_exact_usage(client: openai.OpenAI) -> None:
    answer = create(client, model="gpt-4o", input="What is the capital of France?")
    assert answer.output_text == "The capital of France is Paris."
    assert answer.status == "completed" and answer.completed_at is not None
    assert answer.model == "gpt-4o-2024-08-06"
    assert answer.usage.input_tokens == 14  # PROTOCOL-responses.md §9: the recorded count
    assert answer.usage.output_tokens == len(ENC.encode(answer.output_text))
    assert answer.usage.total_tokens == answer.usage.input_tokens + answer.usage.output_tokens
    item = answer.output[0]
    assert item.type == "message" and item.role == "assistant" and item.status == "completed"
    assert item.id.startswith("msg_") and len(item.id) == 4 + 50
    assert answer.id.startswith("resp_") and len(answer.id) == 5 + 50


def test_instructions_are_a_developer_message_and_echoed(client: openai.OpenAI) -> None:
    plain = create(client, model="gpt-4o", input="What is the capital of France?")
    told = create(
        client, model="gpt-4o", input="What is the capital of France?", instructions="You are a helpful assistant."
    )
    assert told.instructions == "You are a helpful assistant."
    assert told.usage.input_tokens == 24  # §9: 24 with these instructions
    assert told.usage.input_tokens - plain.usage.input_tokens == 10
    counted = client.responses.input_tokens.count(
        model="gpt-4o", input="What is the capital of France?", instructions="You are a helpful assistant."
    )
    assert counted.input_tokens == told.usage.input_tokens


def test_echoed_defaults(client: openai.OpenAI) -> None:
    body = post(client.base_url.__str__().rstrip("/"), {"model": "gpt-4o-mini", "input": "hi"}).json()
    valid_response(body)
    assert body["tool_choice"] == "auto" and body["tools"] == [] and body["parallel_tool_calls"] is True
    assert body["text"] == {"format": {"type": "text"}, "verbosity": "medium"}
    assert body["reasoning"] == {"effort": None, "summary": None}
    assert body["store"] is True and body["metadata"] == {} and body["truncation"] == "disabled"
    assert body["user"] is None and body["service_tier"] == "default" and body["temperature"] == 1.0


def test_metadata_is_echoed_and_changes_nothing(client: openai.OpenAI) -> None:
    plain = create(client, model="gpt-4o-mini", input=STORY)
    tagged = create(client, model="gpt-4o-mini", input=STORY, metadata={"run": "42"}, include=[])
    assert tagged.metadata == {"run": "42"}
    assert tagged.output_text == plain.output_text and tagged.usage == plain.usage


# ----- tools ------------------------------------------------------------------------------------------


def _calls(response: Any) -> list[Any]:
    return [item for item in response.output if item.type == "function_call"]


def test_fixture_tool_call_becomes_a_function_call_item(client: openai.OpenAI) -> None:
    answer = create(client, model="gpt-4o-mini", input="What's the weather in Paris?", tools=TOOLS)
    (call,) = _calls(answer)
    assert call.name == "get_weather" and json.loads(call.arguments) == {"city": "Paris", "unit": "celsius"}
    assert call.call_id.startswith("call_") and len(call.call_id) == 5 + 24 and call.id.startswith("fc_")
    assert call.status == "completed"
    assert not message_texts(answer) and answer.output_text == ""  # tool calls and no content: no message item
    assert answer.usage.output_tokens == len(ENC.encode(call.arguments))
    echoed = answer.tools[0]
    assert (echoed.name, echoed.strict, echoed.description) == ("get_weather", True, "The weather in a city.")
    assert answer.tools[1].strict is True and answer.tools[1].description is None  # strict defaults to true


@pytest.mark.parametrize(
    ("tool_choice", "expected"),
    [
        ("none", []),
        ("auto", ["get_time"]),
        ("required", ["get_time"]),
        ({"type": "function", "name": "get_weather"}, ["get_weather"]),
    ],
)
def test_tool_choice(client: openai.OpenAI, tool_choice: Any, expected: list[str]) -> None:
    answer = create(
        client, model="gpt-4o-mini", input="What time is it in Tokyo?", tools=TOOLS, tool_choice=tool_choice
    )
    assert [c.name for c in _calls(answer)] == expected
    assert answer.tool_choice == tool_choice if isinstance(tool_choice, str) else answer.tool_choice.name
    for call in _calls(answer):
        schema = next(t["parameters"] for t in TOOLS if t["name"] == call.name)
        jsonschema.validate(json.loads(call.arguments), schema)
    if not expected:
        assert answer.output_text


def test_required_without_a_matching_word_calls_the_first_tool(client: openai.OpenAI) -> None:
    answer = create(client, model="gpt-4o-mini", input=STORY, tools=TOOLS, tool_choice="required")
    assert [c.name for c in _calls(answer)] == ["get_weather"]


def test_parallel_tool_calls(client: openai.OpenAI) -> None:
    ask = "What is the date and the time in Oslo?"
    tools = [*TOOLS, {**TOOLS[1], "name": "get_date"}]
    both = create(client, model="gpt-4o-mini", input=ask, tools=tools)
    one = create(client, model="gpt-4o-mini", input=ask, tools=tools, parallel_tool_calls=False)
    assert [c.name for c in _calls(both)] == ["get_time", "get_date"]
    assert [c.name for c in _calls(one)] == ["get_time"] and one.parallel_tool_calls is False
    assert len({c.call_id for c in _calls(both)}) == 2


def test_tool_loop_ends_through_previous_response_id(client: openai.OpenAI) -> None:
    first = create(client, model="gpt-4o-mini", input="What time is it in Tokyo?", tools=TOOLS)
    (call,) = _calls(first)
    second = create(
        client,
        model="gpt-4o-mini",
        previous_response_id=first.id,
        tools=TOOLS,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": '{"time": "09:00"}'}],
    )
    assert not _calls(second) and second.output_text
    assert second.previous_response_id == first.id


# ----- structured output ------------------------------------------------------------------------------

CAT = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["name", "age", "tags"],
    "additionalProperties": False,
}


def test_json_schema_strict_output_validates(client: openai.OpenAI) -> None:
    fmt = {"type": "json_schema", "name": "cat", "schema": CAT, "strict": True}
    answer = create(client, model="gpt-4o-mini", input="Describe a cat.", text={"format": fmt})
    jsonschema.validate(json.loads(answer.output_text), CAT)
    assert answer.text.format.type == "json_schema" and answer.text.format.name == "cat"


def test_json_object_needs_the_word_json_in_the_input(client: openai.OpenAI) -> None:
    answer = create(
        client, model="gpt-4o-mini", input="Reply in JSON about cats.", text={"format": {"type": "json_object"}}
    )
    assert isinstance(json.loads(answer.output_text), dict)
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(
            model="gpt-4o-mini",
            input="About cats.",
            instructions="Always answer in json.",  # instructions do not count (§2.3)
            text={"format": {"type": "json_object"}},
        )
    assert caught.value.status_code == 400
    assert caught.value.body == {
        "message": "Response input messages must contain the word 'json' in some form to use 'text.format' of type "
        "'json_object'.",
        "type": "invalid_request_error",
        "param": "input",
        "code": None,
    }


class Cat(pydantic.BaseModel):
    name: str
    age: int
    nickname: str | None


def test_parse_fills_output_parsed(client: openai.OpenAI) -> None:
    parsed = client.responses.parse(model="gpt-4o-mini", input="Describe a cat.", text_format=Cat)
    assert isinstance(parsed.output_parsed, Cat)
    assert Cat.model_validate_json(parsed.output_text) == parsed.output_parsed
    assert parsed.text.format.type == "json_schema" and parsed.text.format.name == "Cat"


# ----- max_output_tokens ------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [16, 23])
def test_max_output_tokens_is_token_exact(client: openai.OpenAI, limit: int) -> None:
    full = create(client, model="gpt-4o-mini", input=STORY)
    cut = create(client, model="gpt-4o-mini", input=STORY, max_output_tokens=limit)
    assert full.usage.output_tokens > limit
    assert cut.status == "incomplete" and cut.incomplete_details.reason == "max_output_tokens"
    assert cut.completed_at is None and cut.max_output_tokens == limit
    assert cut.usage.output_tokens == limit
    assert cut.output[0].status == "incomplete"
    assert ENC.encode(full.output_text)[:limit] == ENC.encode(cut.output_text)

    events = stream_events(
        str(client.base_url).rstrip("/"), {"model": "gpt-4o-mini", "input": STORY, "max_output_tokens": limit}
    )
    assert events[-1]["type"] == "response.incomplete"
    final = events[-1]["response"]
    assert final["usage"]["output_tokens"] == limit and final["output"][0]["status"] == "incomplete"
    assert final["output"][0]["content"][0]["text"] == cut.output_text
    deltas = [e for e in events if e["type"] == "response.output_text.delta"]
    assert len(deltas) == limit  # one token per delta
    with pytest.raises(RuntimeError, match=r"response\.completed"):
        with client.responses.stream(model="gpt-4o-mini", input=STORY, max_output_tokens=limit) as stream:
            stream.get_final_response()


# ----- reasoning models -------------------------------------------------------------------------------


def test_reasoning_model_without_summary(client: openai.OpenAI) -> None:
    answer = create(client, model="o4-mini", input=STORY)
    kinds = [item.type for item in answer.output]
    assert kinds == ["reasoning", "message"]
    reasoning = answer.output[0]
    assert reasoning.id.startswith("rs_") and reasoning.summary == [] and reasoning.encrypted_content is None
    assert answer.reasoning.effort == "medium" and answer.reasoning.summary is None
    used = answer.usage.output_tokens_details.reasoning_tokens
    assert used > 0 and answer.usage.output_tokens == used + len(ENC.encode(answer.output_text))


def test_reasoning_summary_and_encrypted_content(client: openai.OpenAI) -> None:
    answer = create(
        client,
        model="o4-mini",
        input=STORY,
        reasoning={"effort": "low", "summary": "auto"},
        include=["reasoning.encrypted_content"],
    )
    reasoning = answer.output[0]
    assert reasoning.type == "reasoning" and reasoning.summary and reasoning.summary[0].text
    assert reasoning.encrypted_content and reasoning.encrypted_content.startswith("gAAAA")
    assert answer.reasoning.effort == "low" and answer.reasoning.summary == "auto"
    assert answer.usage.output_tokens_details.reasoning_tokens >= len(ENC.encode(reasoning.summary[0].text))


def test_reasoning_summary_streams_with_its_events(client: openai.OpenAI) -> None:
    body = {"model": "o4-mini", "input": STORY, "reasoning": {"summary": "detailed"}}
    events = stream_events(str(client.base_url).rstrip("/"), body)
    kinds = [e["type"] for e in events]
    first = kinds.index("response.reasoning_summary_part.added")
    assert kinds[first - 1] == "response.output_item.added" and events[first - 1]["item"]["type"] == "reasoning"
    summary = "".join(e["delta"] for e in events if e["type"] == "response.reasoning_summary_text.delta")
    done = next(e for e in events if e["type"] == "response.reasoning_summary_text.done")
    assert summary == done["text"] == events[-1]["response"]["output"][0]["summary"][0]["text"]


def test_reasoning_models_refuse_sampling_parameters(client: openai.OpenAI) -> None:
    base = str(client.base_url).rstrip("/")
    for param, value in (("temperature", 0.2), ("top_p", 0.5)):
        answer = post(base, {"model": "o4-mini", "input": "hi", param: value})
        assert answer.status_code == 400
        assert error_of(answer) == {
            "message": f"Unsupported parameter: '{param}' is not supported with this model.",
            "type": "invalid_request_error",
            "param": param,
            "code": None,
        }
    assert post(base, {"model": "o4-mini", "input": "hi", "temperature": 1}).status_code == 200
    answer = post(base, {"model": "gpt-4o-mini", "input": "hi", "reasoning": {"effort": "low"}})
    assert error_of(answer) == {
        "message": "Unsupported parameter: 'reasoning.effort' is not supported with this model.",
        "type": "invalid_request_error",
        "param": "reasoning.effort",
        "code": "unsupported_parameter",
    }


# ----- streaming --------------------------------------------------------------------------------------


def test_stream_event_order_and_sequence_numbers(client: openai.OpenAI) -> None:
    events = stream_events(str(client.base_url).rstrip("/"), {"model": "gpt-4o-mini", "input": STORY})
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    kinds = [e["type"] for e in events]
    deltas = kinds.count("response.output_text.delta")
    assert kinds == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * deltas,
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    created, final = events[0]["response"], events[-1]["response"]
    assert created["status"] == "in_progress" and created["output"] == [] and created["usage"] is None
    assert created["id"] == final["id"] == events[1]["response"]["id"]
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert text == final["output"][0]["content"][0]["text"] and deltas == final["usage"]["output_tokens"]
    assert all(e["obfuscation"] for e in events if e["type"] == "response.output_text.delta")


def test_stream_without_obfuscation(client: openai.OpenAI) -> None:
    body = {"model": "gpt-4o-mini", "input": "hi", "stream_options": {"include_obfuscation": False}}
    events = stream_events(str(client.base_url).rstrip("/"), body)
    assert not any("obfuscation" in e for e in events)


def test_streamed_tool_calls(client: openai.OpenAI) -> None:
    tools = [*TOOLS, {**TOOLS[1], "name": "get_date"}]
    body = {"model": "gpt-4o-mini", "input": "What is the date and the time in Oslo?", "tools": tools}
    events = stream_events(str(client.base_url).rstrip("/"), body)
    final = events[-1]["response"]
    for index, item in enumerate(final["output"]):
        added = next(e for e in events if e["type"] == "response.output_item.added" and e["output_index"] == index)
        assert added["item"]["arguments"] == "" and added["item"]["status"] == "in_progress"
        args = "".join(
            e["delta"]
            for e in events
            if e["type"] == "response.function_call_arguments.delta" and e["output_index"] == index
        )
        done = next(
            e for e in events if e["type"] == "response.function_call_arguments.done" and e["output_index"] == index
        )
        assert args == done["arguments"] == item["arguments"]
    assert len(final["output"]) == 2


def test_stream_helper_matches_create(client: openai.OpenAI) -> None:
    plain = create(client, model="gpt-4o-mini", input=STORY)
    seen: list[str] = []
    with client.responses.stream(model="gpt-4o-mini", input=STORY) as stream:
        for event in stream:
            seen.append(event.type)
        final = stream.get_final_response()
    assert seen[0] == "response.created" and seen[-1] == "response.completed"
    assert final.output_text == plain.output_text and final.usage == plain.usage
    assert client.responses.retrieve(final.id).output_text == plain.output_text


def test_create_stream_true_yields_typed_events(client: openai.OpenAI) -> None:
    stream = client.responses.create(model="gpt-4o-mini", input="What is the capital of France?", stream=True)
    events = list(stream)
    assert events[-1].type == "response.completed"
    assert events[-1].response.output_text == "The capital of France is Paris."


async def test_async_client_create_and_stream(aclient: openai.AsyncOpenAI) -> None:
    answer = await aclient.responses.create(model="gpt-4o-mini", input=STORY)
    async with aclient.responses.stream(model="gpt-4o-mini", input=STORY) as stream:
        texts = [event.delta async for event in stream if event.type == "response.output_text.delta"]
        final = await stream.get_final_response()
    assert "".join(texts) == final.output_text == answer.output_text
    assert final.usage == answer.usage
    parsed = await aclient.responses.parse(model="gpt-4o-mini", input="Describe a cat.", text_format=Cat)
    assert isinstance(parsed.output_parsed, Cat)
    count = await aclient.responses.input_tokens.count(model="gpt-4o-mini", input=STORY)
    assert count.input_tokens == answer.usage.input_tokens


# ----- conversation state -----------------------------------------------------------------------------


def test_previous_response_id_equals_the_explicit_history(client: openai.OpenAI) -> None:
    first = create(client, model="gpt-4o-mini", input="Plan a trip to Kyoto.", instructions="Be brief.")
    chained = create(client, model="gpt-4o-mini", previous_response_id=first.id, input="And Osaka?")
    history = [
        {"role": "user", "content": "Plan a trip to Kyoto."},
        *[item.model_dump(exclude_none=True) for item in first.output],
        {"role": "user", "content": "And Osaka?"},
    ]
    explicit = create(client, model="gpt-4o-mini", input=history)
    assert chained.output_text == explicit.output_text
    assert chained.usage.input_tokens == explicit.usage.input_tokens > first.usage.input_tokens
    assert chained.instructions is None  # instructions are not carried over (SPEC)
    counted = client.responses.input_tokens.count(
        model="gpt-4o-mini", previous_response_id=first.id, input="And Osaka?"
    )
    assert counted.input_tokens == chained.usage.input_tokens


def test_store_false_is_not_kept(client: openai.OpenAI) -> None:
    answer = create(client, model="gpt-4o-mini", input="hi", store=False)
    assert answer.store is False
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.retrieve(answer.id)
    assert caught.value.body == {
        "message": f"No response found with id '{answer.id}'.",
        "type": "invalid_request_error",
        "param": "response_id",
        "code": "response_not_found",
    }
    with pytest.raises(openai.BadRequestError) as chained:
        client.responses.create(model="gpt-4o-mini", input="more", previous_response_id=answer.id)
    assert chained.value.body == {
        "message": f"Previous response with id '{answer.id}' not found.",
        "type": "invalid_request_error",
        "param": "previous_response_id",
        "code": "previous_response_not_found",
    }


def test_retrieve_delete_and_input_items(client: openai.OpenAI) -> None:
    items = [{"role": "user", "content": f"message {k}"} for k in range(5)]
    raw = client.responses.with_raw_response.create(model="gpt-4o-mini", input=items)
    answer = raw.parse()
    got = client.responses.with_raw_response.retrieve(answer.id)
    assert valid_response(json.loads(got.text)) == json.loads(raw.text)  # GET returns what create returned

    listed = client.responses.input_items.list(answer.id)
    assert [i.content[0].text for i in listed.data] == [f"message {k}" for k in reversed(range(5))]
    assert all(
        i.type == "message" and i.content[0].type == "input_text" and i.id.startswith("msg_") for i in listed.data
    )
    pages = client.responses.input_items.list(answer.id, limit=2, order="asc")
    assert [i.content[0].text for i in pages] == [f"message {k}" for k in range(5)]  # follows has_more/last_id
    first_page = client.responses.input_items.list(answer.id, limit=2, order="asc")
    assert first_page.has_more is True and first_page.first_id == first_page.data[0].id
    after = client.responses.input_items.list(answer.id, limit=10, order="asc", after=first_page.last_id)
    assert [i.content[0].text for i in after.data] == ["message 2", "message 3", "message 4"]
    assert after.has_more is False

    assert client.responses.delete(answer.id) is None
    for call in (client.responses.retrieve, client.responses.delete, client.responses.input_items.list):
        with pytest.raises(openai.NotFoundError) as caught:
            call(answer.id)
        assert caught.value.body["code"] == "response_not_found"


def test_stored_responses_are_per_session(server: MockServer) -> None:
    a = openai.OpenAI(base_url=server.base_url, api_key="sk", max_retries=0, default_headers={"x-mockllm-session": "a"})
    b = openai.OpenAI(base_url=server.base_url, api_key="sk", max_retries=0, default_headers={"x-mockllm-session": "b"})
    answer = a.responses.create(model="gpt-4o-mini", input="hi")
    assert a.responses.retrieve(answer.id).id == answer.id
    with pytest.raises(openai.NotFoundError):
        b.responses.retrieve(answer.id)


def test_replayed_output_items_are_accepted(client: openai.OpenAI) -> None:
    first = create(client, model="o4-mini", input="What time is it in Tokyo?", tools=TOOLS)
    assert [i.type for i in first.output] == ["reasoning", "function_call"]
    call = first.output[1]
    replay = [
        {"role": "user", "content": "What time is it in Tokyo?"},
        *[item.model_dump(exclude_none=True) for item in first.output],
        {"type": "function_call_output", "call_id": call.call_id, "output": "09:00"},
    ]
    answer = create(client, model="o4-mini", input=replay, tools=TOOLS)
    assert answer.output_text and not _calls(answer)


# ----- input_tokens -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"model": "gpt-4o-mini", "input": STORY},
        {"model": "gpt-4o-mini", "input": STORY, "instructions": "Answer like a pirate.", "tools": TOOLS},
        {"model": "o4-mini", "input": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello!"}]},
    ],
)
def test_input_tokens_count_equals_create(client: openai.OpenAI, body: dict[str, Any]) -> None:
    created = create(client, **body)
    counted = client.responses.input_tokens.count(**body)
    assert counted.input_tokens == created.usage.input_tokens
    assert counted.object == "response.input_tokens"


# ----- validation errors (PROTOCOL-responses.md §2-§3) -------------------------------------------------

ERRORS: list[tuple[dict[str, Any], int, str, str | None, str | None]] = [
    ({"input": "hi"}, 400, "Missing required parameter: 'model'.", "model", "missing_required_parameter"),
    ({"model": "gpt-4o-mini", "input": "hi", "parent_id": "x"}, 400, "Unknown parameter: 'parent_id'.", "parent_id",
     "unknown_parameter"),
    ({"model": "gpt-4o-mini", "input": "hi", "max_output_tokens": 10}, 400,
     "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got 10 instead.",
     "max_output_tokens", "integer_below_min_value"),
    ({"model": "gpt-4o-mini", "input": "hi", "temperature": -1}, 400,
     "Invalid 'temperature': decimal below minimum value. Expected a value >= 0, but got -1 instead.", "temperature",
     "decimal_below_min_value"),
    ({"model": "gpt-4o-mini", "input": "hi", "tools": [{"type": "function", "function": {"name": "f"}}]}, 400,
     "Missing required parameter: 'tools[0].name'.", "tools[0].name", "missing_required_parameter"),
    ({"model": "gpt-4o-mini", "input": "hi", "text": {"format": {"type": "json_schema", "schema": {}}}}, 400,
     "Missing required parameter: 'text.format.name'.", "text.format.name", "missing_required_parameter"),
    ({"model": "gpt-4o-mini", "input": "hi", "previous_response_id": "@results.ress"}, 400,
     "Invalid 'previous_response_id': '@results.ress'. Expected an ID that contains letters, numbers, underscores, or "
     "dashes, but this value contained additional characters.", "previous_response_id", "invalid_value"),
    ({"model": "gpt-4o-mini", "input": "hi", "previous_response_id": "resp_abc"}, 400,
     "Previous response with id 'resp_abc' not found.", "previous_response_id", "previous_response_not_found"),
    ({"model": "gpt-4o-mini", "input": [{"type": "function_call_output", "call_id": "call_TnakLSVsqtVt5cJssAhRwMoe",
                                         "output": "x"}]}, 400,
     "No tool call found for function call output with call_id call_TnakLSVsqtVt5cJssAhRwMoe.", "input", None),
    ({"model": "o4-mini", "input": [{"role": "user", "content": "hi"},
                                    {"type": "reasoning", "id": "rs_123", "summary": []}]}, 404,
     "Item with id 'rs_123' not found. Items are not persisted when `store` is set to false. Try again with `store` "
     "set to true, or remove this item from your input.", "input", None),
    ({"model": "gpt-4o-mini", "input": "hi", "text": {"verbosity": "low"}}, 400,
     "Unsupported value: 'low' is not supported with the 'gpt-4o-mini' model. Supported values are: 'medium'.",
     "text.verbosity", "unsupported_value"),
    ({"model": "gpt-4o-mini", "input": "hi", "tool_choice": {"type": "function", "name": "nope"}, "tools": TOOLS}, 400,
     "Tool choice 'nope' not found in 'tools' parameter.", "tool_choice", "invalid_value"),
    ({"model": "gpt-4o-mini", "input": [{"role": "robot", "content": "hi"}]}, 400,
     "Invalid value: 'robot'. Supported values are: 'user', 'assistant', 'system', and 'developer'.", "input[0].role",
     "invalid_value"),
    ({"model": "gpt-4o-mini"}, 400, "Missing required parameter: 'input'.", "input", "missing_required_parameter"),
    ({"model": "gpt-4o-mini", "input": "hi", "text": {"format": {
        "type": "json_schema", "name": "codex_output_schema", "strict": True,
        "schema": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}}}}, 400,
     "Invalid schema for response_format 'codex_output_schema': In context=(), 'additionalProperties' is required to "
     "be supplied and to be false.", "text.format.schema", "invalid_json_schema"),
    ({"model": "gpt-4o-mini", "input": [{"role": "user", "content": "hi"},
                                        {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{}"},
                                        {"role": "user", "content": "and?"}]}, 400,
     "No tool output found for function call call_1.", "input", None),
]  # fmt: skip


@pytest.mark.parametrize(("body", "status", "message", "param", "code"), ERRORS, ids=[e[2][:50] for e in ERRORS])
def test_validation_errors(
    server: MockServer, body: dict[str, Any], status: int, message: str, param: str | None, code: str | None
) -> None:
    answer = post(server.base_url, body)
    assert answer.status_code == status, answer.text
    assert error_of(answer) == {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    assert answer.headers["x-request-id"].startswith("req_")


def test_unknown_model_through_the_sdk(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(model="gpt-9-ultra", input="hi")
    assert caught.value.body == {
        "message": "The requested model 'gpt-9-ultra' does not exist.",
        "type": "invalid_request_error",
        "param": "model",
        "code": "model_not_found",
    }


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"background": True}, "background"),
        ({"conversation": "conv_1"}, "conversation"),
        ({"prompt": {"id": "pmpt_1"}}, "prompt"),
        ({"tools": [{"type": "web_search"}]}, "tools[0].type"),
        ({"input": [{"type": "item_reference", "id": "msg_1"}]}, "input[0].type"),
    ],
)
def test_features_mockllm_does_not_emulate_say_so(server: MockServer, extra: dict[str, Any], param: str) -> None:
    answer = post(server.base_url, {"model": "gpt-4o-mini", "input": "hi", **extra})
    error = error_of(answer)
    assert answer.status_code == 400 and error["param"] == param and error["code"] == "unsupported_parameter"
    assert error["message"].startswith("mockllm does not emulate ")


def test_companion_route_errors(server: MockServer) -> None:
    import httpx

    answer = httpx.get(f"{server.base_url}/responses/resp_nope")
    assert answer.status_code == 404 and error_of(answer)["message"] == "No response found with id 'resp_nope'."
    created = post(server.base_url, {"model": "gpt-4o-mini", "input": "hi"}).json()
    bad = httpx.get(f"{server.base_url}/responses/{created['id']}/input_items", params={"limit": 0})
    assert bad.status_code == 400 and error_of(bad)["param"] == "limit"
    counted = httpx.post(f"{server.base_url}/responses/input_tokens", json={"model": "gpt-4o-mini", "stream": True})
    assert counted.status_code == 400 and error_of(counted) == {
        "message": "Unknown parameter: 'stream'.",
        "type": "invalid_request_error",
        "param": "stream",
        "code": "unknown_parameter",
    }


def test_a_chained_call_needs_its_output(client: openai.OpenAI) -> None:
    asked = create(client, model="gpt-4o-mini", input="What time is it in Tokyo?", tools=TOOLS)
    (call,) = _calls(asked)
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="gpt-4o-mini", previous_response_id=asked.id, input="Never mind.", tools=TOOLS)
    assert caught.value.body["message"] == f"No tool output found for function call {call.call_id}."


def test_context_length_error_names_input(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(
            model="gpt-4o-mini", input="hi", extra_headers={"x-mockllm-fault": "context_length_exceeded"}
        )
    assert caught.value.code == "context_length_exceeded" and caught.value.param == "input"


def test_include_output_text_logprobs(client: openai.OpenAI) -> None:
    body = {"model": "gpt-4o-mini", "input": STORY, "include": ["message.output_text.logprobs"], "top_logprobs": 2}
    answer = create(client, **body)
    part = answer.output[0].content[0]
    assert "".join(entry.token for entry in part.logprobs) == part.text
    assert len(part.logprobs) == answer.usage.output_tokens
    assert all(len(entry.top_logprobs) == 2 and entry.top_logprobs[0].token == entry.token for entry in part.logprobs)
    events = stream_events(str(client.base_url).rstrip("/"), body)
    streamed = [entry for e in events if e["type"] == "response.output_text.delta" for entry in e["logprobs"]]
    assert [(e["token"], e["logprob"]) for e in streamed] == [(e.token, e.logprob) for e in part.logprobs]
    done = next(e for e in events if e["type"] == "response.output_text.done")
    assert done["logprobs"] == events[-1]["response"]["output"][0]["content"][0]["logprobs"]
    plain = create(client, model="gpt-4o-mini", input=STORY)
    assert plain.output_text == answer.output_text and plain.output[0].content[0].logprobs == []


def test_reasoning_items_with_store_false(client: openai.OpenAI) -> None:
    """Not stored: a replayed reasoning item needs its encrypted_content (§7.4); with it, it is accepted."""
    ask = {"model": "o4-mini", "input": "What time is it in Tokyo?", "tools": TOOLS, "store": False}
    bare = create(client, **ask)
    sealed = create(client, **ask, include=["reasoning.encrypted_content"])
    for first, fine in ((bare, False), (sealed, True)):
        reasoning, call = first.output
        history = [
            {"role": "user", "content": "What time is it in Tokyo?"},
            reasoning.model_dump(exclude_none=True),
            call.model_dump(exclude_none=True),
            {"type": "function_call_output", "call_id": call.call_id, "output": "09:00"},
        ]
        if fine:
            assert create(client, model="o4-mini", input=history, tools=TOOLS, store=False).output_text
        else:
            with pytest.raises(openai.NotFoundError) as caught:
                client.responses.create(model="o4-mini", input=history, tools=TOOLS, store=False)
            assert caught.value.body["message"].startswith(f"Item with id '{reasoning.id}' not found.")
            assert caught.value.body["param"] == "input"


def test_companion_bodies_validate(server: MockServer) -> None:
    import httpx
    import spec

    items = [
        {"role": "user", "content": "What time is it in Tokyo?"},
        {"type": "function_call", "call_id": "call_1", "name": "get_time", "arguments": '{"tz": "JST"}'},
        {"type": "function_call_output", "call_id": "call_1", "output": "09:00"},
        {"role": "assistant", "content": "It is nine."},
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "Thanks"}, {"type": "input_image", "image_url": PNG}],
        },
    ]
    created = post(server.base_url, {"model": "gpt-4o-mini", "input": items, "tools": TOOLS}).json()
    listed = httpx.get(f"{server.base_url}/responses/{created['id']}/input_items", params={"order": "asc"}).json()
    spec.validate("ResponseItemList", listed)
    kinds = [i["type"] for i in listed["data"]]
    assert kinds == ["message", "function_call", "function_call_output", "message", "message"]
    assert listed["data"][3]["content"] == [
        {"type": "output_text", "annotations": [], "logprobs": [], "text": "It is nine."}
    ]
    assert all(i["id"] for i in listed["data"]) and listed["data"][1]["call_id"] == "call_1"
    counted = httpx.post(f"{server.base_url}/responses/input_tokens", json={"model": "gpt-4o-mini", "input": items})
    spec.validate("TokenCountsResource", counted.json())
    deleted = httpx.delete(f"{server.base_url}/responses/{created['id']}").json()
    assert deleted == {"id": created["id"], "object": "response", "deleted": True}


def test_refusal_is_a_refusal_part(mockllm: Any) -> None:
    mockllm.on(user="forbidden").reply(refusal="I can't help with that.")
    body = {"model": "gpt-4o-mini", "input": "something forbidden"}
    answer = valid_response(post(mockllm.base_url, body).json())
    assert answer["output"][0]["content"] == [{"type": "refusal", "refusal": "I can't help with that."}]
    assert answer["usage"]["output_tokens"] == len(ENC.encode("I can't help with that."))
    events = stream_events(mockllm.base_url, body)
    refusal = "".join(e["delta"] for e in events if e["type"] == "response.refusal.delta")
    done = next(e for e in events if e["type"] == "response.refusal.done")
    assert refusal == done["refusal"] == "I can't help with that."
    assert mockllm.client().responses.create(**body).output_text == ""  # output_text joins output_text parts only
