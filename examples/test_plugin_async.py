"""The `mockllm` fixture in async tests: pytest-asyncio and anyio. Run: pytest examples/test_plugin_async.py"""

import anyio
import pytest


@pytest.mark.asyncio
async def test_with_pytest_asyncio(mockllm):
    mockllm.on(user="ping").reply("pong")
    client = mockllm.async_client()  # create it inside the test, on the test's event loop
    out = await client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "ping"}])
    assert out.choices[0].message.content == "pong"
    mockllm.assert_called_once(user="ping")


@pytest.mark.anyio
async def test_with_anyio_concurrent_streams(mockllm):
    mockllm.on(user="stream me").reply("streamed answer")
    client = mockllm.async_client()
    texts = []

    async def one():
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "stream me"}], stream=True
        )
        texts.append("".join([c.choices[0].delta.content or "" async for c in stream if c.choices]))

    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(one)
    assert texts == ["streamed answer"] * 3
    mockllm.assert_called(user="stream me", stream=True, times=3)
