"""The error and fault vocabulary: presets with OpenAI's bodies and headers, and transport faults.

Presets are data (status, type, code, message, headers); a fixture, the ``x-mockllm-fault`` header, the
admin API or the pytest plugin names one and may override any field. Messages are OpenAI's own wording
(PROTOCOL.md §2) so that SDKs and LiteLLM classify them exactly as they classify the real thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .catalog import ModelInfo
from .conversation import Conversation
from .errors import ApiError
from .ratelimit import go_duration
from .reply import ErrorSpec

__all__ = [
    "ERROR_PRESETS",
    "FAULT_KINDS",
    "STREAM_FAULTS",
    "Preset",
    "delivered_events",
    "error_from_spec",
    "stream_cut",
]


@dataclass(frozen=True, slots=True)
class Preset:
    status: int
    type: str
    code: str | None
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    param: str | None = None


_RATE = (
    "Rate limit reached for {model} in organization org-mockllm on requests per min (RPM): Limit 3, Used 3, "
    "Requested 1. Please try again in {wait}. Visit https://platform.openai.com/account/rate-limits to learn more."
)

ERROR_PRESETS: dict[str, Preset] = {
    "rate_limit": Preset(429, "requests", "rate_limit_exceeded", _RATE, {"retry-after": "1", "retry-after-ms": "1000"}),
    "insufficient_quota": Preset(
        429,
        "insufficient_quota",
        "insufficient_quota",
        "You exceeded your current quota, please check your plan and billing details. For more information on "
        "this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
    ),
    "invalid_api_key": Preset(
        401,
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided: sk-mock*******************************************1234. You can find "
        "your API key at https://platform.openai.com/account/api-keys.",
    ),
    "permission_denied": Preset(
        403,
        "invalid_request_error",
        "unsupported_country_region_territory",
        "Country, region, or territory not supported",
    ),
    "model_not_found": Preset(
        404,
        "invalid_request_error",
        "model_not_found",
        "The model `{model}` does not exist or you do not have access to it.",
    ),
    "context_length_exceeded": Preset(
        400,
        "invalid_request_error",
        "context_length_exceeded",
        "This model's maximum context length is {context_window} tokens. However, your messages resulted in "
        "{over_window} tokens. Please reduce the length of the messages.",
        param="messages",
    ),
    "server_error": Preset(
        500, "server_error", None, "The server had an error while processing your request. Sorry about that!"
    ),
    "bad_gateway": Preset(502, "server_error", None, "Bad gateway."),
    "overloaded": Preset(
        503,
        "server_error",
        None,
        "That model is currently overloaded with other requests. You can retry your request, or contact us "
        "through our help center at help.openai.com if the error persists. (Please include the request ID "
        "{request_id} in your message.)",
    ),
    "gateway_timeout": Preset(504, "server_error", None, "Gateway timeout."),
}

#: Transport faults executed by the HTTP layer (see ``app.py``), plus ``content_filter`` (a 200 answer).
FAULT_KINDS: frozenset[str] = frozenset(
    {
        "reset",
        "empty",
        "malformed_json",
        "stall",
        "slow_first_byte",
        "disconnect",
        "stream_error",
        "malformed_chunk",
        "no_done",
        "truncate",
        "content_filter",
    }
)


#: Stream faults that rewrite the event list (executed in ``transport.stream_events_for``).
STREAM_FAULTS = frozenset({"disconnect", "stream_error", "malformed_chunk", "no_done", "truncate"})
DEFAULT_AFTER_CHUNKS = 3


def stream_cut(after_chunks: int | None, events: int) -> int:
    """Where a stream fault cuts a stream of ``events`` events: ``after_chunks`` (default 3), kept
    within the stream so at least the final event is always the fault's."""
    k = after_chunks if after_chunks is not None else DEFAULT_AFTER_CHUNKS
    return max(0, min(k, events - 1))


def delivered_events(kind: str | None, after_chunks: int | None, events: int, written: int) -> range | list[int]:
    """Indices of the plan's events the client received when ``written`` events of the (possibly
    rewritten) list went out: the journal's view of what a faulted stream said."""
    if kind not in STREAM_FAULTS:
        return range(min(written, events))
    k = stream_cut(after_chunks, events)
    if kind == "malformed_chunk":  # event k replaced by garbage, the rest sent
        return [i for i in range(min(written, events)) if i != k]
    if kind == "no_done":
        return range(min(written, events - 1))
    return range(min(written, k))  # disconnect, stream_error, truncate: nothing of the plan after the cut


def error_from_spec(spec: ErrorSpec, request: Conversation, model: ModelInfo, request_id: str = "") -> ApiError:
    """Build the ApiError a preset (with overrides) describes."""
    preset = ERROR_PRESETS.get(spec.preset or "server_error", ERROR_PRESETS["server_error"])
    values = {
        "model": request.model,
        "context_window": model.context_window,
        "over_window": model.context_window + 1,
        "request_id": request_id.removeprefix("req_"),
    }
    # HTTP header names are case-insensitive: keyed by lower-case name, an override such as
    # ``Retry-After-Ms`` replaces the preset's ``retry-after-ms`` instead of going out beside it (a
    # repeated header reaches the SDK as "1000, 150", which it cannot parse and ignores).
    headers = {name.lower(): value for name, value in preset.headers.items()}
    overrides = {name.lower(): value for name, value in spec.headers.items()}
    headers.update(overrides)
    # ``retry-after: "7"`` alone must mean 7 s to the client: the SDKs read retry-after-ms first, so the
    # preset's own retry-after-ms follows the override instead of contradicting it.
    if "retry-after" in overrides and "retry-after-ms" not in overrides and "retry-after-ms" in headers:
        seconds = _number(overrides["retry-after"])
        if seconds is not None:
            headers["retry-after-ms"] = f"{seconds * 1000:g}"
        else:
            del headers["retry-after-ms"]
    millis, seconds = _number(headers.get("retry-after-ms", "")), _number(headers.get("retry-after", ""))
    values["wait"] = go_duration(millis / 1000 if millis is not None else seconds if seconds is not None else 1.0)
    message = spec.message if spec.message is not None else preset.message.format(**values)
    return ApiError(
        spec.status or preset.status,
        message,
        type=spec.type or preset.type,
        param=spec.param if spec.param is not None else preset.param,
        code=spec.code if spec.code is not None else preset.code,
        headers=headers,
    )


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value >= 0 and value == value and value != float("inf") else None
