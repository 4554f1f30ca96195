"""Run-time fixtures win (issue 15 §5): a fixture added while the server runs (admin API, plugin
``add``/``load``/``on``) takes precedence over file fixtures of equal priority, the newest addition
first, as in WireMock; a reset brings the file fixtures back. Through the real server and SDK.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from conftest import ROOT

from mockllm.config import Settings
from mockllm.server import MockServer

BUNDLED_GREETING = "Hello! How can I help you today?"


@pytest.fixture
def bundled() -> Iterator[MockServer]:
    with MockServer(Settings(port=0, fixtures=(str(ROOT / "fixtures"),), seed=1)) as srv:
        yield srv


def say(server: MockServer, text: str) -> str | None:
    sdk = openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)
    out = sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}])
    return out.choices[0].message.content


def add(server: MockServer, *fixtures: dict[str, Any]) -> None:
    created = httpx.post(server.root_url + "/_mockllm/fixtures", json=list(fixtures), timeout=10)
    assert created.status_code == 201, created.text


def test_admin_fixture_beats_a_bundled_one_of_equal_priority(bundled: MockServer) -> None:
    assert say(bundled, "hello") == BUNDLED_GREETING
    add(bundled, {"name": "scripted-hello", "match": {"user": "hello"}, "reply": {"content": "scripted"}})
    assert say(bundled, "hello") == "scripted"
    order = [f["name"] for f in httpx.get(bundled.root_url + "/_mockllm/fixtures", timeout=10).json()["data"]]
    assert order.index("scripted-hello") < order.index("greeting")  # the listing is the decision order
    # the newest addition wins over an older one; within one document, the order written
    add(
        bundled,
        {"name": "newer-hello", "match": {"user": "hello"}, "reply": {"content": "newer"}},
        {"name": "same-doc-hello", "match": {"user": "hello"}, "reply": {"content": "second in document"}},
    )
    assert say(bundled, "hello") == "newer"
    # replacing a run-time fixture keeps its place: it does not jump ahead of newer ones
    replaced = httpx.post(
        bundled.root_url + "/_mockllm/fixtures?replace=1",
        json=[{"name": "scripted-hello", "match": {"user": "hello"}, "reply": {"content": "edited"}}],
        timeout=10,
    )
    assert replaced.status_code == 201
    assert say(bundled, "hello") == "newer"
    # priority still comes first: a file fixture is only outranked at equal priority
    add(bundled, {"name": "low", "priority": -1, "match": {"user": "capital of France"}, "reply": {"content": "no"}})
    assert say(bundled, "capital of France?") == "The capital of France is Paris."
    # a reset drops every run-time fixture and the bundled greeting answers again
    assert httpx.post(bundled.root_url + "/_mockllm/reset", timeout=10).status_code == 200
    assert say(bundled, "hello") == BUNDLED_GREETING


def test_file_fixture_deleted_then_restored_by_reset(bundled: MockServer) -> None:
    assert httpx.delete(bundled.root_url + "/_mockllm/fixtures/greeting", timeout=10).status_code == 200
    assert say(bundled, "hello") != BUNDLED_GREETING
    httpx.post(bundled.root_url + "/_mockllm/reset", timeout=10)
    assert say(bundled, "hello") == BUNDLED_GREETING


@pytest.mark.mockllm(fixtures=[str(ROOT / "fixtures")])
def test_plugin_add_and_load_beat_earlier_fixtures(mockllm: Any, tmp_path: Path) -> None:
    sdk = mockllm.client()

    def say_hello() -> str | None:
        out = sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])
        return out.choices[0].message.content

    assert say_hello() == BUNDLED_GREETING
    mockllm.add({"name": "added-hello", "match": {"user": "hello"}, "reply": {"content": "added"}})
    assert say_hello() == "added"
    (tmp_path / "later.yaml").write_text(
        "fixtures:\n  - {name: loaded-hello, match: {user: hello}, reply: {content: loaded}}\n"
    )
    mockllm.load(tmp_path / "later.yaml")
    assert say_hello() == "loaded"
    mockllm.on(user="hello").reply("route")  # priority 100 beats them all
    assert say_hello() == "route"
