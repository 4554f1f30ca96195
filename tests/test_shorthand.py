"""Shorthand error and fault entries (issue 15 §4): ``{error: rate_limit, headers: {retry-after: "7"}}``
and ``{fault: stream_error, after_chunks: 2}``, overrides written beside the name, are honoured by every
surface that takes an entry (a fixture file, the admin API, the pytest plugin, the ``x-mockllm-fault``
header), through one parsing path: the fixture models' :func:`~mockllm.core.fixtures.lift_overrides`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from mockllm.config import Settings
from mockllm.core.fixtures import FixtureError, parse_fixture_document
from mockllm.server import MockServer

MSGS = [{"role": "user", "content": "shorthand please"}]

FILE = """
fixtures:
  - name: short-error
    match: {user: short error}
    error: rate_limit
    headers: {retry-after: "7"}
    message: slow down
  - name: short-fault
    match: {user: short fault}
    fault: stream_error
    after_chunks: 2
  - name: short-replies
    match: {user: short replies}
    replies:
      - {error: overloaded, headers: {retry-after: "3"}, times: 1}
      - {fault: stream_error, after_chunks: 1, content: "one two three four five six"}
"""


@pytest.fixture(scope="module")
def from_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    folder = tmp_path_factory.mktemp("shorthand")
    (folder / "short.yaml").write_text(FILE)
    with MockServer(Settings(port=0, fixtures=(str(folder),), seed=5)) as srv:
        yield srv


def client(server: MockServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)


def ask(server: MockServer, text: str, **kw: Any) -> Any:
    return client(server).chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}], **kw)


def assert_rate_limited_for_7s(info: pytest.ExceptionInfo[openai.RateLimitError], message: str | None = None) -> None:
    headers = info.value.response.headers
    assert headers["retry-after"] == "7"
    assert headers["retry-after-ms"] == "7000"  # what the SDKs read first follows the override
    assert info.value.code == "rate_limit_exceeded"
    if message is not None:
        assert info.value.body["message"] == message  # type: ignore[index]
    else:
        assert "Please try again in 7s." in info.value.body["message"]  # type: ignore[index]


def chunks_before_error(server: MockServer, text: str, **kw: Any) -> tuple[int, openai.APIError]:
    got = 0
    with pytest.raises(openai.APIError) as info:
        for _ in ask(server, text, stream=True, **kw):
            got += 1
    return got, info.value


# ----- a fixture file ------------------------------------------------------------------------------------


def test_file_error_with_overrides_beside_the_preset(from_file: MockServer) -> None:
    with pytest.raises(openai.RateLimitError) as info:
        ask(from_file, "short error")
    assert_rate_limited_for_7s(info, "slow down")


def test_file_fault_with_after_chunks_beside_the_kind(from_file: MockServer) -> None:
    got, error = chunks_before_error(from_file, "short fault")
    assert got == 2  # the default would be 3
    assert type(error) is openai.APIError


def test_file_replies_entries_with_shorthand(from_file: MockServer) -> None:
    with pytest.raises(openai.InternalServerError) as info:
        ask(from_file, "short replies")
    assert info.value.status_code == 503 and info.value.response.headers["retry-after"] == "3"
    got, _ = chunks_before_error(from_file, "short replies")
    assert got == 1


def test_file_keys_written_twice_or_misplaced_are_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(FixtureError) as info:
        parse_fixture_document(
            {"fixtures": [{"name": "twice", "error": {"preset": "rate_limit", "status": 429}, "status": 500}]},
            "doc",
        )
    assert "status given both beside error and inside it" in str(info.value)
    with pytest.raises(FixtureError) as info:
        parse_fixture_document({"fixtures": [{"name": "misplaced", "error": "rate_limit", "after_chunks": 2}]}, "doc")
    text = str(info.value)
    assert "after_chunks: unknown key here ('after_chunks' is a key of fault)" in text
    assert "did you mean 'after_chunks'" not in text


# ----- the admin API ---------------------------------------------------------------------------------------


def test_admin_api_honours_the_shorthand(server: MockServer) -> None:
    url = server.root_url + "/_mockllm/fixtures"
    document = [
        {"name": "admin-short-error", "match": {"user": "admin short error"}, "error": "rate_limit",
         "headers": {"retry-after": "7"}},
        {"name": "admin-short-fault", "match": {"user": "admin short fault"}, "fault": "stream_error",
         "after_chunks": 2},
    ]  # fmt: skip
    created = httpx.post(url, json=document, timeout=10)
    assert created.status_code == 201, created.text
    try:
        with pytest.raises(openai.RateLimitError) as info:
            ask(server, "admin short error")
        assert_rate_limited_for_7s(info)
        got, _ = chunks_before_error(server, "admin short fault")
        assert got == 2
        listed = {f["name"]: f for f in httpx.get(url, timeout=10).json()["data"]}
        assert "admin-short-error" in listed
    finally:
        for name in ("admin-short-error", "admin-short-fault"):
            httpx.delete(f"{url}/{name}", timeout=10)


# ----- the x-mockllm-fault header ---------------------------------------------------------------------------


def test_header_honours_the_shorthand(server: MockServer) -> None:
    entry = {"error": "rate_limit", "headers": {"retry-after": "7"}}
    with pytest.raises(openai.RateLimitError) as info:
        ask(server, "hi", extra_headers={"x-mockllm-fault": json.dumps(entry)})
    assert_rate_limited_for_7s(info)
    fault = {"fault": "stream_error", "after_chunks": 2}
    got, _ = chunks_before_error(server, "hi", extra_headers={"x-mockllm-fault": json.dumps(fault)})
    assert got == 2


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"error": "rate_limit", "hedaers": {}}, "hedaers: unknown key (did you mean 'headers'?)"),
        (
            {"error": "rate_limit", "after_chunks": 2},
            "after_chunks: unknown key here ('after_chunks' is a key of fault)",
        ),
        ({"fault": {"kind": "disconnect"}, "after_chunks": 2, "x": 1}, "x: unknown key"),
        ({"error": {"preset": "rate_limit", "status": 400}, "status": 500}, "status given both beside error"),
        ({"error": "rate_limit", "fault": "disconnect"}, "one of the two"),
    ],
)
def test_header_refuses_what_it_cannot_honour(server: MockServer, entry: dict[str, Any], problem: str) -> None:
    """Nothing in the header is dropped silently: a key that cannot be honoured is a 400 naming it."""
    with pytest.raises(openai.BadRequestError) as info:
        ask(server, "hi", extra_headers={"x-mockllm-fault": json.dumps(entry)})
    assert info.value.param == "x-mockllm-fault"
    assert problem in info.value.message, info.value.message


# ----- the pytest plugin ------------------------------------------------------------------------------------


def test_plugin_add_and_replies_honour_the_shorthand(mockllm: Any) -> None:
    mockllm.add({"name": "plugin-short", "match": {"user": "plugin short"}, "error": "rate_limit",
                 "headers": {"retry-after": "7"}})  # fmt: skip
    mockllm.on(user="plugin replies").replies(
        [{"fault": "stream_error", "after_chunks": 2, "content": "a b c d e f g h"}, "fine"]
    )
    sdk = mockllm.client(max_retries=0)
    with pytest.raises(openai.RateLimitError) as info:
        sdk.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "plugin short"}])
    assert_rate_limited_for_7s(info)
    got = 0
    with pytest.raises(openai.APIError):
        for _ in sdk.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "plugin replies"}], stream=True
        ):
            got += 1
    assert got == 2
    again = sdk.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "plugin replies"}])
    assert again.choices[0].message.content == "fine"


def test_plugin_load_honours_the_shorthand(mockllm: Any, tmp_path: Path) -> None:
    (tmp_path / "short.yaml").write_text(FILE)
    mockllm.load(tmp_path / "short.yaml")
    sdk = mockllm.client(max_retries=0)
    with pytest.raises(openai.RateLimitError) as info:
        sdk.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "short error"}])
    assert_rate_limited_for_7s(info, "slow down")
