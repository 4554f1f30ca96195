"""``StreamPlan.joined`` (the unpaced hot path) and ``iter_events`` (paced, event by event) assemble the
same bytes: the plan keeps pieces and templates, and both ways of putting them together must agree."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockllm.config import Settings
from mockllm.core.pipeline import Pipeline

TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}},
}
CASES: dict[str, dict[str, Any]] = {
    "plain": {},
    "usage": {"stream_options": {"include_usage": True}},
    "no-obfuscation": {"stream_options": {"include_usage": True, "include_obfuscation": False}},
    "n=2": {"n": 2},
    "logprobs": {"logprobs": True, "top_logprobs": 2, "max_tokens": 9},
    "tool": {"tools": [TOOL], "tool_choice": "required"},
    "reasoning": {"model": "deepseek-ai/DeepSeek-R1"},
    "gpt-5": {"model": "gpt-5-nano", "max_completion_tokens": 400},
}


@pytest.mark.parametrize("case", list(CASES))
def test_joined_equals_the_events_one_by_one(case: str) -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "weather in Paris?"}], "stream": True}
    outcome = Pipeline(Settings()).handle(json.dumps({**body, **CASES[case]}).encode(), {})
    plan = outcome.plan
    assert outcome.status == 200 and plan is not None
    events = list(plan.iter_events())
    assert plan.joined() == b"".join(events)
    assert len(events) == len(plan) == len(plan.kinds) == len(plan.token_counts)
    assert events[-1] == b"data: [DONE]\n\n"
    for event in events[:-1]:
        json.loads(event.removeprefix(b"data: "))  # every other event is one JSON document
