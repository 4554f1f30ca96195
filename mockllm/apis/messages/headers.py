"""Anthropic's spelling of what every answer carries (PROTOCOL-anthropic.md §6): ``request-id`` in its own
form (``req_011C…``) and the ``anthropic-ratelimit-*`` headers, integers with resets as RFC 3339 times,
read from the same buckets that give OpenAI's APIs their ``x-ratelimit-*``."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from .errors import anthropic_request_id

if TYPE_CHECKING:
    from ...core.ratelimit import RateState
    from ...core.surface import AnswerFacts

__all__ = ["answer_headers", "rate_headers"]


def _rfc3339(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(math.ceil(at)))


def rate_headers(rate: RateState, now: float | None = None) -> dict[str, str]:
    """``anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}``; a refusal of the limiter that
    waiting cures adds ``retry-after`` in whole seconds, as Anthropic's 429s do (no ``retry-after-ms``).
    Headers an injected error names (the ``rate_limit`` preset's, the plugin's fast retries) pass as
    written."""
    now = time.time() if now is None else now
    headers = {
        "anthropic-ratelimit-requests-limit": str(rate.requests_limit),
        "anthropic-ratelimit-requests-remaining": str(rate.requests_left),
        "anthropic-ratelimit-requests-reset": _rfc3339(now + rate.requests_reset_s),
        "anthropic-ratelimit-tokens-limit": str(rate.tokens_limit),
        "anthropic-ratelimit-tokens-remaining": str(rate.tokens_left),
        "anthropic-ratelimit-tokens-reset": _rfc3339(now + rate.tokens_reset_s),
    }
    if rate.wait_s is not None:
        headers["retry-after"] = str(max(1, math.ceil(rate.wait_s)))
    return headers


def answer_headers(facts: AnswerFacts) -> dict[str, str]:
    """The headers of every successful Messages answer."""
    headers = {"request-id": anthropic_request_id(facts.request_id)}
    headers.update(rate_headers(facts.rate))
    return headers
