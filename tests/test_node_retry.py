"""Issue #9: the official openai Node SDK retries a 429 scripted through the admin API, and succeeds.

The 429 is scripted over HTTP (``POST /_mockllm/fixtures`` with ``replies: [{error: rate_limit}, {content:
ok}]``) with the preset's retry-after overridden to 50 ms, so the SDK's wait is short. The journal then
shows both attempts with the SDK's own ``x-stainless-retry-count`` header: 0, then 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_node_sdk import node_sdk, run_script  # noqa: F401 - the shared, guarded `npm install` of tests/node

from mockllm.server import MockServer

SCRIPT = Path(__file__).resolve().parent / "node" / "retry.mjs"


@pytest.fixture
def retry_server() -> Iterator[MockServer]:
    with MockServer(port=0) as srv:
        yield srv


def run_retry(node_dir: Path, base_url: str, max_retries: int) -> dict:
    return run_script(node_dir, SCRIPT, base_url, str(max_retries))


def script_429(server: MockServer) -> None:
    document = {
        "fixtures": [
            {
                "name": "node-flaky",
                "match": {"user": "retry me"},
                "replies": [
                    {"error": {"preset": "rate_limit", "headers": {"retry-after-ms": "50", "retry-after": "0"}}},
                    {"content": "ok"},
                ],
            }
        ]
    }
    response = httpx.post(f"{server.root_url}/_mockllm/fixtures", json=document)
    assert response.status_code == 201, response.text


def journal(server: MockServer) -> list[dict]:
    return httpx.get(f"{server.root_url}/_mockllm/journal").json()["data"]


def test_node_sdk_retries_a_scripted_429(node_sdk: Path, retry_server: MockServer) -> None:  # noqa: F811
    script_429(retry_server)
    summary = run_retry(node_sdk, retry_server.base_url, max_retries=2)
    assert summary["ok"] is True and summary["content"] == "ok", summary
    entries = journal(retry_server)
    assert [(e["status"], e["source"]) for e in entries] == [(429, "node-flaky"), (200, "node-flaky")]
    assert [e["info"]["headers"].get("x-stainless-retry-count") for e in entries] == ["0", "1"]
    assert all(e["info"]["headers"].get("x-stainless-lang") == "js" for e in entries)
    assert summary["elapsed_ms"] < 5000  # the 50 ms retry-after was honoured, not the preset's 1 s


def test_node_sdk_without_retries_sees_the_429(node_sdk: Path, retry_server: MockServer) -> None:  # noqa: F811
    script_429(retry_server)
    summary = run_retry(node_sdk, retry_server.base_url, max_retries=0)
    assert summary["ok"] is False and summary["status"] == 429, summary
    assert [e["status"] for e in journal(retry_server)] == [429]
