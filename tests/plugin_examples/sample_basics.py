"""A user's test file: no conftest, the plugin comes from the installed package (pytest11 entry point)."""

import anyio
import openai
import pytest

MESSAGES = [{"role": "user", "content": "hi there"}]


def ask(client, text, model="gpt-4o-mini", **kwargs):
    reply = client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}], **kwargs)
    return reply.choices[0].message.content


def test_reply(mockllm):
    mockllm.on(user="hi").reply("hello")
    assert ask(mockllm.client(), "hi there") == "hello"
    request = mockllm.assert_called_once(user="hi", model="gpt-4o-mini")
    assert request.status == 200
    assert request.source == request.fixture == "on(user='hi')"
    assert request.user == "hi there"
    assert request.messages == MESSAGES
    assert request.content == "hello"
    assert request.usage["completion_tokens"] >= 1
    mockllm.assert_not_called(model="gpt-4o")


def test_state_was_reset(mockllm):
    # The previous test's route is gone: the generator answers, and the journal starts empty.
    assert mockllm.requests == []
    assert ask(mockllm.client(), "hi there") != "hello"
    assert mockllm.requests[0].source == "generator"


def test_sequence_and_retry(mockllm):
    route = mockllm.on(user="flaky").fail("rate_limit", times=2).reply("ok")
    assert ask(mockllm.client(max_retries=2), "flaky call") == "ok"
    assert [r.status for r in mockllm.requests] == [429, 429, 200]
    assert [r.headers["x-stainless-retry-count"] for r in mockllm.requests] == ["0", "1", "2"]
    assert route.call_count == 3
    mockllm.assert_called(status=429, times=2)


def test_failure_surfaces_without_retries(mockllm):
    mockllm.on(model="gpt-4o").fail("overloaded")
    with pytest.raises(openai.InternalServerError) as info:
        ask(mockllm.client(), "anything", model="gpt-4o")
    assert info.value.status_code == 503
    mockllm.assert_called_once(status=503)


def test_replies_and_tool_calls(mockllm):
    mockllm.on(tool="get_time").reply(tool_calls=[{"name": "get_time", "arguments": {"tz": "UTC"}}])
    mockllm.on(user="count").replies(["one", "two", {"content": "three"}])
    client = mockllm.client()
    assert [ask(client, "count please") for _ in range(4)] == ["one", "two", "three", "three"]
    tools = [{"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}]
    out = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, tools=tools)
    assert out.choices[0].message.tool_calls[0].function.arguments == '{"tz": "UTC"}'


def test_fault_disconnect(mockllm):
    mockllm.on(stream=True).fault("disconnect", after_chunks=2, content="a long answer that will be cut short")
    with pytest.raises(openai.APIError):
        chunks = mockllm.client().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
        for _ in chunks:
            pass
    assert mockllm.assert_called_once(stream=True).fault == "disconnect"


def test_invalid_route_reads_like_a_file_error(mockllm):
    with pytest.raises(ValueError, match=r"unknown condition 'usr' \(did you mean 'user'\?\)"):
        mockllm.on(usr="typo").reply("x")


def test_load_file_and_models(mockllm):
    assert mockllm.load("llm-fixtures/weather.yaml") == ["weather"]
    assert ask(mockllm.client(), "what's the weather?", model="acme-small") == "Sunny, 21 °C."
    mockllm.assert_called_once(fixture="weather", model="acme-*")
    assert mockllm.usage["cost_usd"] > 0


def test_loaded_model_is_gone_again(mockllm):
    with pytest.raises(openai.NotFoundError):
        ask(mockllm.client(), "what's the weather?", model="acme-small")


@pytest.mark.mockllm(fixtures=["llm-fixtures/weather.yaml"], strict=True)
def test_marker_strict(mockllm):
    assert ask(mockllm.client(), "weather today?") == "Sunny, 21 °C."
    with pytest.raises(openai.NotFoundError, match="No fixture matched"):
        ask(mockllm.client(), "something else")
    assert mockllm.settings.strict


@pytest.mark.asyncio
async def test_async_pytest_asyncio(mockllm):
    mockllm.on(user="async").reply("from asyncio")
    client = mockllm.async_client()
    out = await client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "async?"}])
    assert out.choices[0].message.content == "from asyncio"
    mockllm.assert_called_once(user="async")


@pytest.mark.anyio
async def test_async_anyio(mockllm):
    mockllm.on(user="anyio").reply("from anyio")
    client = mockllm.async_client()
    texts = []

    async def one():
        out = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "anyio!"}], stream=True
        )
        texts.append("".join([c.choices[0].delta.content or "" async for c in out if c.choices]))

    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(one)
    assert texts == ["from anyio"] * 3
    mockllm.assert_called(user="anyio", stream=True, times=3)
