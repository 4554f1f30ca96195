"""The Messages API through the real ``anthropic`` SDK (sync and async): bodies and events validated
against the SDK's own pydantic types, token-exact limits, tools, thinking, count_tokens, models."""

from __future__ import annotations

import base64
import io
import json
import re

import anthropic
import httpx
import jsonschema
import pytest
from anthropic.types import Message, MessageTokensCount, ModelInfo, RawMessageStreamEvent
from PIL import Image
from pydantic import TypeAdapter

from mockllm.config import Settings
from mockllm.server import MockServer

MODEL = "claude-sonnet-4-6"
USER = [{"role": "user", "content": "Tell me something about rivers"}]
WEATHER = {
    "name": "get_weather",
    "description": "Current weather in a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["city"],
    },
}
FORECAST = {**WEATHER, "name": "get_forecast"}
EVENTS = TypeAdapter(RawMessageStreamEvent)


@pytest.fixture
def claude(server):
    return anthropic.Anthropic(base_url=server.root_url, api_key="sk-ant-test", max_retries=0)


def _raw(server, body, headers=None, path="/v1/messages"):
    sent = {"anthropic-version": "2023-06-01", "x-api-key": "sk-ant-test", **(headers or {})}
    return httpx.post(server.root_url + path, json=body, headers=sent, timeout=30)


def _events(text):
    """Parse an SSE body into (event name, data) pairs, checking each name equals its data's type."""
    out = []
    for block in text.strip().split("\n\n"):
        lines = block.split("\n")
        assert lines[0].startswith("event: "), block
        name = lines[0][7:]
        data = json.loads(lines[1].removeprefix("data: "))
        assert data["type"] == name
        out.append((name, data))
    return out


def _png(width, height, color=(0, 0, 255)):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


# ----- the message object -----------------------------------------------------------------------------------


def test_create_answers_a_message_the_sdk_types_accept(claude, server):
    raw = claude.messages.with_raw_response.create(model=MODEL, max_tokens=256, messages=USER)
    body = json.loads(raw.http_response.text)
    message = Message.model_validate(body)
    assert re.fullmatch(r"msg_01[1-9A-HJ-NP-Za-km-z]{22}", message.id)
    assert message.type == "message" and message.role == "assistant"
    assert message.stop_reason == "end_turn" and body["stop_sequence"] is None
    assert [b.type for b in message.content] == ["text"] and message.content[0].text
    usage = body["usage"]
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["cache_creation_input_tokens"] == 0 and usage["cache_read_input_tokens"] == 0
    assert usage["service_tier"] == "standard"
    request_id = raw.http_response.headers["request-id"]
    assert re.fullmatch(r"req_011C[A-Za-z0-9]{20}", request_id) and raw.request_id == request_id
    headers = raw.http_response.headers
    assert "x-request-id" not in headers and "x-ratelimit-limit-requests" not in headers
    assert int(headers["anthropic-ratelimit-requests-limit"]) >= int(headers["anthropic-ratelimit-requests-remaining"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", headers["anthropic-ratelimit-tokens-reset"])


def test_fixtures_answer_on_this_api(claude):
    message = claude.messages.create(
        model=MODEL, max_tokens=100, messages=[{"role": "user", "content": "What is the capital of France?"}]
    )
    assert message.content[0].text == "The capital of France is Paris."


def test_an_alias_answers_with_its_dated_snapshot(claude):
    message = claude.messages.create(model="claude-haiku-4-5", max_tokens=50, messages=USER)
    assert message.model == "claude-haiku-4-5-20251001"


def test_same_request_same_answer(claude):
    first = claude.messages.create(model=MODEL, max_tokens=300, messages=USER)
    second = claude.messages.create(model=MODEL, max_tokens=300, messages=USER)
    assert first.content == second.content and first.id != second.id


@pytest.mark.parametrize("limit", [1, 3, 17])
def test_max_tokens_is_token_exact(claude, limit):
    full = claude.messages.create(model=MODEL, max_tokens=4000, messages=USER)
    cut = claude.messages.create(model=MODEL, max_tokens=limit, messages=USER)
    assert cut.stop_reason == "max_tokens" and cut.usage.output_tokens == limit
    assert full.content[0].text.startswith(cut.content[0].text)


def test_stop_sequence_cuts_before_the_sequence_and_names_it(claude):
    full = claude.messages.create(model=MODEL, max_tokens=4000, messages=USER).content[0].text
    word = full.split()[3]
    cut = claude.messages.create(model=MODEL, max_tokens=4000, messages=USER, stop_sequences=["zzz-never", word])
    assert cut.stop_reason == "stop_sequence" and cut.stop_sequence == word
    assert cut.content[0].text == full[: full.index(word)]


def test_system_string_and_blocks_reach_the_system_condition(mockllm):
    mockllm.on(system="pirate").reply("Arr, matey.")
    client = mockllm.anthropic_client()
    as_string = client.messages.create(model=MODEL, max_tokens=50, system="You are a pirate.", messages=USER)
    as_blocks = client.messages.create(
        model=MODEL, max_tokens=50, system=[{"type": "text", "text": "You are a pirate."}], messages=USER
    )
    assert as_string.content[0].text == as_blocks.content[0].text == "Arr, matey."
    assert mockllm.last_request.system == "You are a pirate."
    assert mockllm.last_request.content == "Arr, matey."


# ----- tools ---------------------------------------------------------------------------------------------------


def test_tool_choice_any_answers_tool_use_valid_against_the_schema(claude):
    message = claude.messages.create(
        model=MODEL, max_tokens=500, messages=USER, tools=[WEATHER], tool_choice={"type": "any"}
    )
    assert message.stop_reason == "tool_use"
    assert [b.type for b in message.content] == ["tool_use"]
    block = message.content[0]
    assert re.fullmatch(r"toolu_01[1-9A-HJ-NP-Za-km-z]{22}", block.id)
    jsonschema.validate(block.input, WEATHER["input_schema"])


def test_tool_choice_tool_names_the_tool_and_none_forbids_calls(claude):
    other = {"name": "get_time", "input_schema": {"type": "object", "properties": {"zone": {"type": "string"}}}}
    named = claude.messages.create(
        model=MODEL,
        max_tokens=500,
        messages=USER,
        tools=[WEATHER, other],
        tool_choice={"type": "tool", "name": "get_time"},
    )
    assert [b.name for b in named.content if b.type == "tool_use"] == ["get_time"]
    none = claude.messages.create(
        model=MODEL,
        max_tokens=500,
        messages=[{"role": "user", "content": "the time please, and get going"}],
        tools=[WEATHER, other],
        tool_choice={"type": "none"},
    )
    assert none.stop_reason == "end_turn" and [b.type for b in none.content] == ["text"]


def test_disable_parallel_tool_use_gives_one_call(claude):
    stock = {"name": "get_stock", "input_schema": {"type": "object", "properties": {"symbol": {"type": "string"}}}}
    price = {"name": "get_price", "input_schema": {"type": "object", "properties": {}}}
    ask = [{"role": "user", "content": "the stock and the price"}]
    both = claude.messages.create(model=MODEL, max_tokens=500, messages=ask, tools=[stock, price])
    one = claude.messages.create(
        model=MODEL,
        max_tokens=500,
        messages=ask,
        tools=[stock, price],
        tool_choice={"type": "auto", "disable_parallel_tool_use": True},
    )
    assert len([b for b in both.content if b.type == "tool_use"]) == 2
    assert len([b for b in one.content if b.type == "tool_use"]) == 1


def test_tool_use_loop_with_the_fixture_tool_conditions(mockllm):
    mockllm.on(tool="get_weather", user="weather").replies(
        [{"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]}, "It is 18 degrees in Paris."]
    )
    client = mockllm.anthropic_client()
    history = [{"role": "user", "content": "What's the weather in Paris?"}]
    first = client.messages.create(model=MODEL, max_tokens=500, messages=history, tools=[WEATHER])
    assert first.stop_reason == "tool_use"
    call = next(b for b in first.content if b.type == "tool_use")
    assert call.input == {"city": "Paris"}
    history += [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "18 C, sunny"}]},
    ]
    second = client.messages.create(model=MODEL, max_tokens=500, messages=history, tools=[WEATHER])
    assert second.stop_reason == "end_turn" and second.content[0].text == "It is 18 degrees in Paris."


def test_the_generator_answers_text_after_tool_results(claude):
    first = claude.messages.create(
        model=MODEL, max_tokens=500, messages=[{"role": "user", "content": "forecast in Oslo?"}], tools=[FORECAST]
    )
    call = next(b for b in first.content if b.type == "tool_use")
    second = claude.messages.create(
        model=MODEL,
        max_tokens=500,
        tools=[FORECAST],
        messages=[
            {"role": "user", "content": "forecast in Oslo?"},
            {"role": "assistant", "content": first.content},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "-3 C"}]},
        ],
    )
    assert second.stop_reason == "end_turn" and second.content[0].type == "text"


# ----- thinking --------------------------------------------------------------------------------------------------


def test_thinking_comes_first_with_a_signature_and_counts_as_output(claude):
    plain = claude.messages.create(model=MODEL, max_tokens=3000, messages=USER)
    thought = claude.messages.create(
        model=MODEL, max_tokens=3000, messages=USER, thinking={"type": "enabled", "budget_tokens": 1024}
    )
    assert [b.type for b in thought.content] == ["thinking", "text"]
    block = thought.content[0]
    assert block.thinking and len(block.signature) > 100
    base64.b64decode(block.signature, validate=True)
    assert thought.content[1].text == plain.content[0].text
    assert thought.usage.output_tokens > plain.usage.output_tokens


def test_fixture_reasoning_becomes_thinking_only_when_thinking_is_on(mockllm):
    mockllm.on(user="riddle").reply(content="A map.", reasoning_content="Cities without houses: a map.")
    client = mockllm.anthropic_client()
    ask = [{"role": "user", "content": "a riddle for you"}]
    off = client.messages.create(model=MODEL, max_tokens=2000, messages=ask)
    on = client.messages.create(model=MODEL, max_tokens=2000, messages=ask, thinking={"type": "adaptive"})
    assert [b.type for b in off.content] == ["text"]
    assert [b.type for b in on.content] == ["thinking", "text"]
    assert on.content[0].thinking == "Cities without houses: a map."


def test_thinking_stays_within_its_budget(mockllm):
    mockllm.on(user="long think").reply(content="Done.", reasoning_content="step " * 3000)
    client = mockllm.anthropic_client()
    message = client.messages.create(
        model=MODEL,
        max_tokens=2000,
        messages=[{"role": "user", "content": "a long think"}],
        thinking={"type": "enabled", "budget_tokens": 1024},
    )
    assert [b.type for b in message.content] == ["thinking", "text"]
    assert message.usage.output_tokens <= 1024 + 10 and message.stop_reason == "end_turn"


# ----- images ----------------------------------------------------------------------------------------------------


def test_images_base64_and_url_are_accepted_and_billed(claude):
    text_only = claude.messages.count_tokens(model=MODEL, messages=[{"role": "user", "content": "what is this"}])
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": _png(200, 150)}}
    with_image = [{"role": "user", "content": [image, {"type": "text", "text": "what is this"}]}]
    counted = claude.messages.count_tokens(model=MODEL, messages=with_image)
    assert counted.input_tokens == text_only.input_tokens + 40  # 200*150/750
    message = claude.messages.create(model=MODEL, max_tokens=300, messages=with_image)
    assert "blue" in message.content[0].text
    url = {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}}
    answer = claude.messages.create(
        model=MODEL, max_tokens=100, messages=[{"role": "user", "content": [url, {"type": "text", "text": "hi"}]}]
    )
    assert answer.usage.input_tokens > 1000  # an unfetched URL is billed as a 1024x1024 image


# ----- count_tokens ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"system": "You are terse."},
        {"tools": [WEATHER]},
        {"tools": [WEATHER], "tool_choice": {"type": "any"}},
        {"thinking": {"type": "enabled", "budget_tokens": 2000}},
    ],
)
def test_count_tokens_equals_usage_input_tokens(claude, extra):
    counted = claude.messages.count_tokens(model=MODEL, messages=USER, **extra)
    assert isinstance(counted, MessageTokensCount)
    message = claude.messages.create(model=MODEL, max_tokens=3000, messages=USER, **extra)
    assert counted.input_tokens == message.usage.input_tokens > 0


def test_count_tokens_grows_with_the_prompt(claude):
    base = claude.messages.count_tokens(model=MODEL, messages=USER).input_tokens
    longer = claude.messages.count_tokens(model=MODEL, messages=[{"role": "user", "content": USER[0]["content"] * 3}])
    system = claude.messages.count_tokens(model=MODEL, messages=USER, system="Be brief.").input_tokens
    tools = claude.messages.count_tokens(model=MODEL, messages=USER, tools=[WEATHER]).input_tokens
    assert longer.input_tokens > base and system > base and tools > base


def test_count_tokens_errors_in_anthropic_envelope(server):
    response = _raw(server, {"model": "claude-does-not-exist", "messages": USER}, path="/v1/messages/count_tokens")
    assert response.status_code == 404
    assert response.json()["error"] == {"type": "not_found_error", "message": "model: claude-does-not-exist"}
    assert response.headers["request-id"] == response.json()["request_id"]
    extra = _raw(server, {"model": MODEL, "messages": USER, "max_tokens": 5}, path="/v1/messages/count_tokens")
    assert extra.json()["error"]["message"] == "max_tokens: Extra inputs are not permitted"


# ----- models ------------------------------------------------------------------------------------------------------


def test_models_in_anthropic_shape_for_the_anthropic_sdk(claude, client):
    listed = list(claude.models.list(limit=2))  # auto-pagination across pages of two
    ids = [m.id for m in listed]
    assert len(ids) == len(set(ids)) >= 5 and all(i.startswith("claude-") for i in ids)
    assert "claude-sonnet-4-6" in ids and "claude-haiku-4-5-20251001" in ids
    sonnet = claude.models.retrieve("claude-sonnet-4-6")
    assert isinstance(sonnet, ModelInfo) and sonnet.max_input_tokens == 1_000_000 and sonnet.max_tokens == 128_000
    assert sonnet.display_name == "Claude Sonnet 4.6"
    openai_ids = {m.id for m in client.models.list().data}
    assert "gpt-4o" in openai_ids and "claude-sonnet-4-6" in openai_ids  # OpenAI's shape without the header
    with pytest.raises(anthropic.NotFoundError) as caught:
        claude.models.retrieve("claude-nope")
    assert caught.value.body["error"] == {"type": "not_found_error", "message": "model: claude-nope"}


def test_models_page_shape(server):
    page = httpx.get(server.root_url + "/v1/models?limit=3", headers={"anthropic-version": "2023-06-01"}).json()
    assert set(page) == {"data", "has_more", "first_id", "last_id"} and len(page["data"]) == 3
    assert page["has_more"] is True and page["first_id"] == page["data"][0]["id"]
    for item in page["data"]:
        ModelInfo.model_validate(item)
        assert item["type"] == "model" and "object" not in item


# ----- streaming ---------------------------------------------------------------------------------------------------


def _stream(server, body):
    response = _raw(server, {**body, "stream": True})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    events = _events(response.text)
    for _, data in events:
        if data["type"] != "ping":
            EVENTS.validate_python(data)
    return events


def _grammar(events):
    names = [name for name, _ in events if name != "ping"]
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    index = -1
    state = "closed"
    for name, data in events[1:-2]:
        if name == "content_block_start":
            assert state == "closed" and data["index"] == index + 1
            index, state = data["index"], "open"
        elif name == "content_block_delta":
            assert state == "open" and data["index"] == index
        elif name == "content_block_stop":
            assert state == "open" and data["index"] == index
            state = "closed"
    assert state == "closed"


def test_stream_events_rebuild_the_json_answer(server):
    body = {
        "model": MODEL,
        "max_tokens": 3000,
        "messages": USER,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
    }
    final = _raw(server, body).json()
    events = _stream(server, body)
    _grammar(events)
    names = [name for name, _ in events]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    start = events[0][1]["message"]
    assert start["content"] == [] and start["stop_reason"] is None
    assert start["usage"]["input_tokens"] == final["usage"]["input_tokens"]
    thinking = "".join(d["delta"]["thinking"] for n, d in events if d.get("delta", {}).get("type") == "thinking_delta")
    signatures = [d["delta"]["signature"] for n, d in events if d.get("delta", {}).get("type") == "signature_delta"]
    text = "".join(d["delta"]["text"] for n, d in events if d.get("delta", {}).get("type") == "text_delta")
    assert thinking == final["content"][0]["thinking"] and signatures == [final["content"][0]["signature"]]
    assert text == final["content"][1]["text"]
    delta = events[-2][1]
    assert delta["delta"]["stop_reason"] == final["stop_reason"] == "end_turn"
    assert delta["usage"]["output_tokens"] == final["usage"]["output_tokens"]
    assert all(d["type"] != "error" for _, d in events)


def test_stream_tool_input_arrives_as_json_pieces(server):
    body = {"model": MODEL, "max_tokens": 500, "messages": USER, "tools": [WEATHER], "tool_choice": {"type": "any"}}
    final = _raw(server, body).json()
    events = _stream(server, body)
    _grammar(events)
    start = next(d for n, d in events if n == "content_block_start")
    assert start["content_block"]["input"] == {} and start["content_block"]["id"].startswith("toolu_01")
    pieces = [d["delta"]["partial_json"] for n, d in events if d.get("delta", {}).get("type") == "input_json_delta"]
    assert pieces[0] == "" and len(pieces) > 2
    assert json.loads("".join(pieces)) == final["content"][0]["input"]
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"


def test_stream_stop_sequence_and_max_tokens(server):
    cut = _stream(server, {"model": MODEL, "max_tokens": 4, "messages": USER})
    assert cut[-2][1]["delta"]["stop_reason"] == "max_tokens" and cut[-2][1]["usage"]["output_tokens"] == 4
    full = _raw(server, {"model": MODEL, "max_tokens": 4000, "messages": USER}).json()["content"][0]["text"]
    word = full.split()[2]
    stopped = _stream(server, {"model": MODEL, "max_tokens": 4000, "messages": USER, "stop_sequences": [word]})
    assert stopped[-2][1]["delta"] == {"stop_reason": "stop_sequence", "stop_sequence": word, "stop_details": None}


def test_sdk_stream_helpers(claude):
    with claude.messages.stream(model=MODEL, max_tokens=400, messages=USER) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    plain = claude.messages.create(model=MODEL, max_tokens=400, messages=USER)
    assert text == final.content[0].text == plain.content[0].text
    assert final.usage.output_tokens == plain.usage.output_tokens
    assert final.usage.input_tokens == plain.usage.input_tokens
    assert final.stop_reason == plain.stop_reason


def test_sdk_stream_tool_use_final_message(claude):
    kwargs = {"model": MODEL, "max_tokens": 500, "messages": USER, "tools": [WEATHER], "tool_choice": {"type": "any"}}
    with claude.messages.stream(**kwargs) as stream:
        kinds = {event.type for event in stream}
        final = stream.get_final_message()
    plain = claude.messages.create(**kwargs)
    assert "input_json" in kinds
    assert final.content[0].input == plain.content[0].input and final.stop_reason == "tool_use"


def test_cut_tool_input_is_the_partial_object_streamed_or_not(claude):
    kwargs = {"model": MODEL, "max_tokens": 6, "messages": USER, "tools": [WEATHER], "tool_choice": {"type": "any"}}
    plain = claude.messages.create(**kwargs)
    with claude.messages.stream(**kwargs) as stream:
        final = stream.get_final_message()
    assert plain.stop_reason == final.stop_reason == "max_tokens" and plain.usage.output_tokens == 6
    assert final.content[0].input == plain.content[0].input


async def test_async_client_create_and_stream(server):
    client = anthropic.AsyncAnthropic(base_url=server.root_url, api_key="sk-ant-test", max_retries=0)
    message = await client.messages.create(model=MODEL, max_tokens=200, messages=USER)
    async with client.messages.stream(model=MODEL, max_tokens=200, messages=USER) as stream:
        text = "".join([piece async for piece in stream.text_stream])
    assert text == message.content[0].text
    counted = await client.messages.count_tokens(model=MODEL, messages=USER)
    assert counted.input_tokens == message.usage.input_tokens
    await client.close()


# ----- keys -------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keyed():
    with MockServer(Settings(port=0, api_keys=("sk-ant-good",))) as srv:
        yield srv


def test_keys_from_x_api_key_or_bearer_with_anthropic_401s(keyed):
    body = {"model": MODEL, "max_tokens": 10, "messages": USER}
    version = {"anthropic-version": "2023-06-01"}
    assert (
        httpx.post(
            keyed.root_url + "/v1/messages", json=body, headers={**version, "x-api-key": "sk-ant-good"}
        ).status_code
        == 200
    )
    good = anthropic.Anthropic(base_url=keyed.root_url, api_key="sk-ant-good", max_retries=0)  # sends Bearer
    assert good.messages.create(**body).content
    cases = [
        ({}, "x-api-key header is required"),
        ({"x-api-key": "sk-ant-bad"}, "invalid x-api-key"),
        ({"authorization": "Bearer sk-ant-bad"}, "Invalid bearer token"),
    ]
    for headers, message in cases:
        response = httpx.post(keyed.root_url + "/v1/messages", json=body, headers={**version, **headers})
        assert response.status_code == 401
        assert response.json()["error"] == {"type": "authentication_error", "message": message}
    with pytest.raises(anthropic.AuthenticationError):
        anthropic.Anthropic(base_url=keyed.root_url, api_key="sk-ant-bad", max_retries=0).messages.create(**body)
    models = httpx.get(keyed.root_url + "/v1/models", headers={**version, "x-api-key": "nope"})
    assert models.status_code == 401 and models.json()["error"]["type"] == "authentication_error"


def test_stream_splits_no_character_and_joins_to_the_text(mockllm):
    mockllm.on(user="emoji").reply("Hé 👋🏽 — 你好，世界！ 🦉🦉 done")
    client = mockllm.anthropic_client()
    ask = [{"role": "user", "content": "emoji please"}]
    with client.messages.stream(model=MODEL, max_tokens=200, messages=ask) as stream:
        pieces = list(stream.text_stream)
    assert "".join(pieces) == "Hé 👋🏽 — 你好，世界！ 🦉🦉 done"
    assert all("\ufffd" not in piece for piece in pieces)
    cut = client.messages.create(model=MODEL, max_tokens=4, messages=ask)
    assert cut.usage.output_tokens == 4 and "\ufffd" not in cut.content[0].text
