"""OpenAI's spelling of what every answer carries: its headers and its error envelope.

The engine reports neutral facts (:class:`~mockllm.core.surface.AnswerFacts`: the request id, the time
taken, the rate limiter's :class:`~mockllm.core.ratelimit.RateState`); OpenAI's APIs (Chat Completions,
Responses, embeddings) send them as ``x-request-id``, ``openai-processing-ms`` and ``x-ratelimit-*``
(PROTOCOL.md §6). Answers outside any API (an unknown route, the limits layer's refusals) use this
envelope too: to an SDK the server is OpenAI until a request names another API.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

from ..core.ratelimit import RateState, go_duration

if TYPE_CHECKING:
    from ..core.errors import ApiError
    from ..core.pipeline import Outcome
    from ..core.surface import AnswerFacts

__all__ = ["answer_headers", "error_outcome", "rate_headers"]

OPENAI_VERSION = "2020-10-01"


def rate_headers(rate: RateState) -> dict[str, str]:
    """``x-ratelimit-*``, resets as Go durations; on a refusal that waiting cures, ``retry-after`` (whole
    seconds, at least 1) and ``retry-after-ms``, which both SDKs prefer when present."""
    headers = {
        "x-ratelimit-limit-requests": str(rate.requests_limit),
        "x-ratelimit-limit-tokens": str(rate.tokens_limit),
        "x-ratelimit-remaining-requests": str(rate.requests_left),
        "x-ratelimit-remaining-tokens": str(rate.tokens_left),
        "x-ratelimit-reset-requests": go_duration(rate.requests_reset_s),
        "x-ratelimit-reset-tokens": go_duration(rate.tokens_reset_s),
    }
    if rate.wait_s is not None:
        headers["retry-after"] = str(max(1, math.ceil(rate.wait_s)))
        headers["retry-after-ms"] = str(max(1, math.ceil(rate.wait_s * 1000)))
    return headers


def answer_headers(facts: AnswerFacts) -> dict[str, str]:
    """The headers of every successful answer of OpenAI's APIs."""
    headers = {
        "x-request-id": facts.request_id,
        "openai-version": OPENAI_VERSION,
        "openai-processing-ms": str(max(1, facts.processing_ms)),
        "access-control-expose-headers": "X-Request-ID",
    }
    headers.update(rate_headers(facts.rate))
    return headers


def error_outcome(error: ApiError, request_id: str | None) -> Outcome:
    """An error answer in OpenAI's envelope, pretty-printed as OpenAI's are."""
    from ..core.pipeline import Outcome

    # As captured from the API: validation errors say plain application/json, the 404 for an unknown
    # model adds the charset (PROTOCOL.md §2).
    charset = "; charset=utf-8" if error.status == 404 and error.code == "model_not_found" else ""
    headers = {"content-type": "application/json" + charset}
    if error.rate is not None:
        headers.update(rate_headers(error.rate))
    headers.update(error.headers)
    if request_id is not None:
        headers["x-request-id"] = request_id
    return Outcome(error.status, headers, body=json.dumps(error.body(), indent=4).encode(), error=error)
