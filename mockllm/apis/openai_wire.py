"""OpenAI's spelling of what every answer carries: its headers, its error envelope and its mid-stream error.

The engine reports neutral facts (:class:`~mockllm.core.surface.AnswerFacts`: the request id, the time
taken, the rate limiter's :class:`~mockllm.core.ratelimit.RateState`); OpenAI's APIs (Chat Completions,
Responses, embeddings) send them as ``x-request-id``, ``openai-processing-ms`` and ``x-ratelimit-*``
(PROTOCOL.md §6). Answers outside any API (an unknown route, the limits layer's refusals) use this
envelope too: to an SDK the server is OpenAI until a request names another API.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from ..core.faults import error_from_spec
from ..core.ratelimit import RateState, go_duration

if TYPE_CHECKING:
    from ..core.errors import ApiError
    from ..core.pipeline import Outcome
    from ..core.reply import FaultSpec
    from ..core.surface import AnswerFacts

__all__ = ["STREAM_ERROR", "answer_headers", "error_outcome", "openai_stream_error", "rate_headers"]

OPENAI_VERSION = "2020-10-01"

#: The generic mid-stream error OpenAI sends (PROTOCOL.md §4).
STREAM_ERROR: dict[str, Any] = {
    "message": "The server experienced an error while processing your request. We apologize for the inconvenience!",
    "type": "server_error",
    "param": None,
    "code": None,
}


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


def openai_stream_error(fault: FaultSpec, outcome: Outcome | None = None) -> dict[str, Any]:
    """The ``error`` object of a mid-stream error event, for the OpenAI APIs.

    A named preset (``"error": "rate_limit"``) gives that preset's body, overrides applied, as an SDK
    would see it from the HTTP error of the same name; otherwise the overrides sit on the generic
    mid-stream ``server_error`` that OpenAI sends. The HTTP status of a preset does not apply: the
    stream has already answered 200.
    """
    spec = fault.error
    if spec is None:
        return dict(STREAM_ERROR)
    if spec.preset is not None and outcome is not None and outcome.request is not None and outcome.model is not None:
        request_id = outcome.headers.get("x-request-id") or (outcome.ids.request() if outcome.ids else "")
        error: dict[str, Any] = error_from_spec(spec, outcome.request, outcome.model, request_id).body()["error"]
        return error
    return {
        "message": spec.message or STREAM_ERROR["message"],
        "type": spec.type or "server_error",
        "param": spec.param,
        "code": spec.code,
    }
