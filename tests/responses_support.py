"""Helpers of the Responses-API tests: raw SSE reading and spec validation of every body and event."""

from __future__ import annotations

import json
from typing import Any

import httpx
import spec

TOOLS = [
    {
        "type": "function",
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
        "strict": True,
    },
    {
        "type": "function",
        "name": "get_time",
        "parameters": {
            "type": "object",
            "properties": {"tz": {"type": "string"}},
            "required": ["tz"],
            "additionalProperties": False,
        },
    },
]


def valid_response(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` after checking it against the spec's ``Response`` (with PROTOCOL-responses.md §11's tolerances)."""
    spec.validate("Response", body)
    return body


def parse_sse(text: str) -> list[dict[str, Any]]:
    """The events of a Responses stream, each checked: ``event:`` names the data's type, and the data
    validates against the spec. There is no ``[DONE]`` on this API."""
    events: list[dict[str, Any]] = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        lines = block.split("\n")
        assert len(lines) == 2 and lines[0].startswith("event: ") and lines[1].startswith("data: "), block[:300]
        data = json.loads(lines[1][len("data: ") :])
        assert lines[0] == f"event: {data['type']}", (lines[0], data["type"])
        spec.validate_stream_event(data)
        events.append(data)
    return events


def post(base_url: str, body: Any, **headers: str) -> httpx.Response:
    return httpx.post(f"{base_url}/responses", json=body, headers={"authorization": "Bearer sk-test", **headers})


def stream_events(base_url: str, body: dict[str, Any], **headers: str) -> list[dict[str, Any]]:
    answer = post(base_url, {**body, "stream": True}, **headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/event-stream; charset=utf-8"
    return parse_sse(answer.text)


def error_of(answer: httpx.Response) -> dict[str, Any]:
    """The error object of an error answer, after checking its envelope against the spec."""
    body = answer.json()
    spec.validate("ErrorResponse", body)
    assert set(body["error"]) >= {"message", "type", "param", "code"}, body
    return dict(body["error"])
