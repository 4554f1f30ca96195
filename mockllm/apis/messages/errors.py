"""Anthropic's error vocabulary: the envelope, the types and statuses, and the mapping of mockllm's
shared errors (presets, rate limits, --strict misses, key checks) onto them.

The core raises :class:`~mockllm.core.errors.ApiError` in OpenAI's terms; on this API every error goes
out as ``{"type": "error", "error": {"type", "message"}, "request_id"}`` (PROTOCOL-anthropic.md §5). An
error whose ``type`` is already one of Anthropic's is sent as it is; any other is given the type its
status has on Anthropic's API, and the core's few templates that have an Anthropic counterpart (rate
limits, the context window) are reworded. Error presets are translated before they are raised
(:func:`anthropic_spec`), so a fixture's overrides (message, status, headers) win over the mapping.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import TYPE_CHECKING, Any

from ...core.errors import ApiError
from ...core.reply import ErrorSpec

if TYPE_CHECKING:
    from ...core.catalog import ModelInfo
    from ...core.conversation import Conversation
    from ...core.pipeline import Outcome

__all__ = [
    "ANTHROPIC_TYPES",
    "AnthropicError",
    "anthropic_request_id",
    "anthropic_spec",
    "error_body",
    "error_outcome",
    "invalid",
    "stream_error_event",
]

#: ``error.type`` values of the API (SDK2 ``types/shared/error_type.py``).
ANTHROPIC_TYPES = frozenset(
    {"invalid_request_error", "authentication_error", "billing_error", "permission_error", "not_found_error",
     "rate_limit_error", "timeout_error", "api_error", "overloaded_error", "conflict_error", "request_too_large"}
)  # fmt: skip

_TYPE_OF_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    504: "timeout_error",
    529: "overloaded_error",
}

#: The 429 wording of the real API for a per-minute limit (PROTOCOL-anthropic.md §5, cline/cline#252).
RATE_LIMIT_MESSAGE = (
    "Number of request tokens has exceeded your per-minute rate limit (https://docs.anthropic.com/en/api/rate-limits); "
    "see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, "
    "or try again later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss your "
    "options for a rate limit increase."
)
#: Same template for the request bucket [UNVERIFIED: only the token wording is quoted from real traffic].
RATE_LIMIT_REQUESTS_MESSAGE = RATE_LIMIT_MESSAGE.replace("Number of request tokens", "Number of requests").replace(
    "Please reduce the prompt length or the maximum tokens requested, or try again later.", "Please try again later."
)

#: mockllm's error presets on this API: (status, type, message). ``{model}``, ``{context_window}`` and
#: ``{over_window}`` are filled as the OpenAI presets' are (PROTOCOL-anthropic.md §12).
PRESETS: dict[str, tuple[int, str, str]] = {
    "rate_limit": (429, "rate_limit_error", RATE_LIMIT_MESSAGE),
    # A 400, as the API answers an empty balance [UNVERIFIED wording, seen in client issue threads].
    "insufficient_quota": (
        400,
        "invalid_request_error",
        "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or "
        "purchase credits.",
    ),
    "invalid_api_key": (401, "authentication_error", "invalid x-api-key"),
    "permission_denied": (403, "permission_error", "Permission denied"),
    "model_not_found": (404, "not_found_error", "model: {model}"),
    "context_length_exceeded": (
        400,
        "invalid_request_error",
        "prompt is too long: {over_window} tokens > {context_window} maximum",
    ),
    "server_error": (500, "api_error", "Internal server error"),
    "bad_gateway": (502, "api_error", "Bad gateway"),
    "overloaded": (529, "overloaded_error", "Overloaded"),
    "gateway_timeout": (504, "timeout_error", "Request timed out"),  # [UNVERIFIED wording]
}


class AnthropicError(ApiError):
    """An error already in Anthropic's terms: ``type`` is one of :data:`ANTHROPIC_TYPES`."""

    def __init__(self, status: int, error_type: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, message, type=error_type, headers=headers)


def invalid(message: str) -> AnthropicError:
    """A 400 ``invalid_request_error``: the API's validation answer, the path inside the message."""
    return AnthropicError(400, "invalid_request_error", message)


def anthropic_request_id(openai_style: str) -> str:
    """``req_`` + 24 characters starting ``011C``, as the API's ids look (``req_011CSLsW7mFqvHHnzrKdKjAE``),
    derived from mockllm's seeded request id so reruns with one seed repeat it."""
    digest = hashlib.blake2b(openai_style.encode(), digest_size=18).digest()
    tail = base64.b64encode(digest).decode().translate(_NO_SYMBOLS)[:20]
    return "req_011C" + tail


_NO_SYMBOLS = str.maketrans({"+": "x", "/": "Z", "=": "A"})


def anthropic_spec(spec: ErrorSpec, request: Conversation, model: ModelInfo) -> ErrorSpec:
    """An error preset in this API's status, type and wording; the spec's own overrides are kept."""
    preset = PRESETS.get(spec.preset or "server_error", PRESETS["server_error"])
    status, error_type, template = preset
    values = {
        "model": request.model,
        "context_window": model.context_window,
        "over_window": model.context_window + 1,
    }
    return ErrorSpec(
        preset=spec.preset,
        status=spec.status or status,
        message=spec.message if spec.message is not None else template.format(**values),
        type=spec.type or error_type,
        code=spec.code,
        param=spec.param,
        headers=dict(spec.headers),
    )


_CONTEXT = re.compile(
    r"maximum context length is (\d+) tokens\. However, (?:you requested|your messages resulted in) (\d+)"
)


def translate(error: ApiError) -> tuple[str, str]:
    """(type, message) of any error on this API. OpenAI's ``invalid_request_error`` shares its name with
    Anthropic's, so only an :class:`AnthropicError` or another Anthropic-only type is taken as it is."""
    if isinstance(error, AnthropicError):
        return error.type, error.message
    message = error.message
    if error.status == 429 and error.code == "rate_limit_exceeded":
        message = RATE_LIMIT_REQUESTS_MESSAGE if error.type == "requests" else RATE_LIMIT_MESSAGE
    elif error.code == "context_length_exceeded" and (found := _CONTEXT.search(message)):
        message = f"prompt is too long: {found.group(2)} tokens > {found.group(1)} maximum"
    elif error.status == 400 and message.startswith("We could not parse the JSON body"):
        message = "The request body is not valid JSON: the body could not be parsed"  # the parser's detail is ours
    elif error.code == "model_not_found" and error.status == 404 and "`" in message:
        message = "model: " + message.split("`")[1]
    if error.type in ANTHROPIC_TYPES and error.type != "invalid_request_error":
        return error.type, message
    status_type = _TYPE_OF_STATUS.get(error.status)
    return status_type or ("api_error" if error.status >= 500 else "invalid_request_error"), message


def error_body(error: ApiError, request_id: str | None) -> dict[str, Any]:
    error_type, message = translate(error)
    body: dict[str, Any] = {"type": "error", "error": {"type": error_type, "message": message}}
    if request_id is not None:
        body["request_id"] = request_id
    return body


def error_outcome(error: ApiError, request_id: str | None) -> Outcome:
    """The error answer: compact JSON, ``request-id`` header equal to the body's, ``x-should-retry: false``
    on the statuses the SDKs must not retry (real 400s carry it, PROTOCOL-anthropic.md §6)."""
    from ...core.pipeline import Outcome
    from .headers import rate_headers

    rid = anthropic_request_id(request_id) if request_id and not request_id.startswith("req_011C") else request_id
    headers = {"content-type": "application/json"}
    if error.rate is not None:
        headers.update(rate_headers(error.rate))
    headers.update(error.headers)
    if rid is not None:
        headers["request-id"] = rid
    if error.status < 500 and error.status not in (408, 409, 429):
        headers["x-should-retry"] = "false"
    if error.status == 429:
        headers.setdefault("retry-after", "1")
    body = json.dumps(error_body(error, rid), ensure_ascii=False, separators=(",", ":")).encode()
    return Outcome(error.status, headers, body=body, error=error)


def stream_error_event(error_type: str, message: str) -> bytes:
    """A mid-stream failure: a named ``error`` event (``details: null`` as recorded, §4.1)."""
    data = {"type": "error", "error": {"details": None, "type": error_type, "message": message}}
    return b"event: error\ndata: " + json.dumps(data, separators=(",", ":")).encode() + b"\n\n"
