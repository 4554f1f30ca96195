"""What the *decide* stage produces: the answer to give, before request semantics are applied.

A ``Reply`` says nothing about bytes or tokens. ``shaping.py`` turns it into a ``Completion`` using the
request's ``stop``, ``max_tokens``, ``n`` and the model's tokenizer; ``render.py`` turns that into bytes.
Fixture files, the admin API and the pytest plugin all end up building these same objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True, frozen=True)
class ToolCallSpec:
    name: str
    arguments: str  # JSON text, exactly as it will be sent (a custom tool's free-form input)
    id: str | None = None  # derived deterministically when not given
    type: str = "function"  # or "custom": answered as {"type": "custom", "custom": {"name", "input"}}


@dataclass(slots=True, frozen=True)
class ErrorSpec:
    """An HTTP error answer: a preset name plus overrides (see ``faults.py``)."""

    preset: str | None = None
    status: int | None = None
    message: str | None = None
    type: str | None = None
    code: str | None = None
    param: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True, frozen=True)
class FaultSpec:
    """A transport fault: ``kind`` from the fault vocabulary, with its knobs."""

    kind: str
    after_chunks: int | None = None
    seconds: float | None = None
    error: ErrorSpec | None = None


@dataclass(slots=True, frozen=True)
class Pacing:
    """Streaming latency for one reply; None fields fall back to the server's settings."""

    ttft_ms: float | None = None
    tokens_per_second: float | None = None
    jitter: float | None = None
    chunk_tokens: int | None = None


@dataclass(slots=True)
class Reply:
    content: str | None = None
    reasoning_content: str | None = None
    hidden_reasoning_tokens: int = 0  # OpenAI reasoning models: billed, never shown
    tool_calls: list[ToolCallSpec] = field(default_factory=list)
    refusal: str | None = None
    finish_reason: str | None = None  # an override; normally derived by shaping
    annotations: list[dict[str, Any]] = field(default_factory=list)
    error: ErrorSpec | None = None
    fault: FaultSpec | None = None
    pacing: Pacing | None = None
    source: str = "generator"  # fixture name, "generator", "chaos", "header", ...
    choices: list[Reply] | None = None  # for n > 1: one Reply per choice (generator fills it)
    # ``/v1/embeddings``: a pinned vector (resized and normalised to the request's size), or a text whose
    # vector, slightly nudged, this input gets (a near-twin on demand). See ``apis/embeddings``.
    embedding: tuple[float, ...] | None = None
    like: str | None = None
