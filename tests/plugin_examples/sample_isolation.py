"""Run with ``pytest -n 2``: every test scripts its own answer to the same prompt, and must see only its
own script and its own requests, whichever worker runs it and in whatever order."""

import os

import pytest


@pytest.mark.parametrize("n", range(8))
def test_own_script(mockllm, n):
    mockllm.on(user="which test").replies([f"test {n} first", f"test {n} second"])
    client = mockllm.client()
    answers = [
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "which test is this?"}]
        )
        .choices[0]
        .message.content
        for _ in range(3)
    ]
    assert answers == [f"test {n} first", f"test {n} second", f"test {n} second"]
    assert len(mockllm.requests) == 3
    assert {r.fixture for r in mockllm.requests} == {"on(user='which test')"}
    log = os.environ.get("MOCKLLM_ISOLATION_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as out:
            out.write(f"{os.environ.get('PYTEST_XDIST_WORKER')} {mockllm.server.port} {n}\n")
