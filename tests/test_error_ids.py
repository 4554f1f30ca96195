"""Every error answer carries an ``x-request-id``, including those the pipeline never sees.

Support flows ask for the request id of a failed call; the SDKs expose it as ``exc.request_id``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import openai
import pytest

from mockllm.config import Settings
from mockllm.server import MockServer

REQUEST_ID = re.compile(r"req_[0-9a-f]{32}")


@pytest.fixture(scope="module")
def keyed() -> Iterator[MockServer]:
    with MockServer(Settings(port=0, api_keys=("sk-right",), max_body_mb=0.001)) as srv:
        yield srv


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/nowhere", 404),
        ("DELETE", "/v1/chat/completions", 405),
        ("GET", "/v1/models", 401),
        ("GET", "/v1/models/gpt-4o", 401),
    ],
)
def test_error_answers_outside_the_pipeline_carry_a_request_id(
    keyed: MockServer, method: str, path: str, status: int
) -> None:
    root = keyed.base_url.removesuffix("/v1")
    response = httpx.request(method, root + path, timeout=10)
    assert response.status_code == status
    assert REQUEST_ID.fullmatch(response.headers["x-request-id"]), response.headers
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}


def test_request_too_large_carries_a_request_id(keyed: MockServer) -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "x" * 4096}]}
    response = httpx.post(
        keyed.base_url + "/chat/completions", json=body, headers={"Authorization": "Bearer sk-right"}, timeout=10
    )
    assert response.status_code == 413
    assert REQUEST_ID.fullmatch(response.headers["x-request-id"])


def test_sdk_exposes_the_request_id_of_a_401(keyed: MockServer) -> None:
    client = openai.OpenAI(base_url=keyed.base_url, api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        client.models.list()
    assert info.value.request_id is not None and REQUEST_ID.fullmatch(info.value.request_id)
