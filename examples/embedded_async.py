"""mockllm embedded in an asyncio program (a script, a notebook cell). Run: python examples/embedded_async.py"""

import asyncio

from mockllm import MockServer


async def main() -> str:
    async with MockServer(seed=7) as llm:  # starts off the event loop; stops when the block ends
        llm.on(user="summarise").reply("Three short sentences.")
        client = llm.async_client()
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "summarise this"}], stream=True
        )
        text = "".join([chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices])
        llm.assert_called_once(user="summarise", stream=True)
        await client.close()
        return text


if __name__ == "__main__":
    print(asyncio.run(main()))
