"""OpenAI-shaped API errors.

Every failure the server reports travels as an :class:`ApiError`: it already carries the exact body
(``message``, ``type``, ``param``, ``code``), the HTTP status and any extra headers, so the HTTP layer
never has to decide how an error looks. The constructors below encode OpenAI's message templates
(PROTOCOL.md §1.2 and §2) in one place, so a wording fix lands everywhere at once.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .ratelimit import RateState

__all__ = ["ApiError", "did_you_mean", "type_name"]


def _render_value(value: Any) -> str:
    """Render a value the way OpenAI echoes it inside error messages (Python-ish, no quotes for numbers)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return repr(value)
    return str(value)


def type_name(value: Any) -> str:
    """Name a JSON value's type with OpenAI's words ("a string", "an object", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "an unknown type"


def _supported_list(values: Sequence[str]) -> str:
    quoted = [f"'{v}'" for v in values]
    if len(quoted) == 1:
        return quoted[0]
    if len(quoted) == 2:
        return f"{quoted[0]} and {quoted[1]}"
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def _echo(value: Any) -> str:
    """Echo a user value in a message, shortened like OpenAI does for long values."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if len(text) > 40:
        return text[:20] + "..." + text[-20:]
    return text


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when ``name`` is close to a known one, else ``""``: the hint every
    "unknown ..." message of the project appends (fixtures, settings, presets, chaos kinds)."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class ApiError(Exception):
    """An error answer in OpenAI's shape: raise it anywhere in the pipeline, the app renders it.

    ``headers`` are sent as they are (a fixture's, ``retry-after`` of an overload); ``rate`` is the rate
    limiter's state on a 429 of its own, which each API spells in its own headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",  # noqa: A002 - OpenAI's field name
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        rate: RateState | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers: dict[str, str] = dict(headers or {})
        self.rate = rate

    def body(self) -> dict[str, Any]:
        """The JSON body: always all four keys, as SDKs read them."""
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def __repr__(self) -> str:
        return f"ApiError({self.status}, {self.message!r}, param={self.param!r}, code={self.code!r})"

    # ----- templates of PROTOCOL.md §1.2 -------------------------------------------------------

    @classmethod
    def invalid_type(cls, param: str, expected: str, value: Any) -> ApiError:
        """``expected`` is OpenAI's noun with article: 'a decimal', 'an integer', 'a string', ..."""
        return cls(
            400,
            f"Invalid type for '{param}': expected {expected}, but got {type_name(value)} instead.",
            param=param,
            code="invalid_type",
        )

    @classmethod
    def above_max(cls, param: str, maximum: float, value: Any, *, integer: bool) -> ApiError:
        kind = "integer" if integer else "decimal"
        return cls(
            400,
            f"Invalid '{param}': {kind} above maximum value. Expected a value <= "
            f"{_render_value(maximum)}, but got {_render_value(value)} instead.",
            param=param,
            code=f"{kind}_above_max_value",
        )

    @classmethod
    def below_min(cls, param: str, minimum: float, value: Any, *, integer: bool) -> ApiError:
        kind = "integer" if integer else "decimal"
        return cls(
            400,
            f"Invalid '{param}': {kind} below minimum value. Expected a value >= "
            f"{_render_value(minimum)}, but got {_render_value(value)} instead.",
            param=param,
            code=f"{kind}_below_min_value",
        )

    @classmethod
    def empty_array(cls, param: str) -> ApiError:
        return cls(
            400,
            f"Invalid '{param}': empty array. Expected an array with minimum length 1, but got an empty array instead.",
            param=param,
            code="empty_array",
        )

    @classmethod
    def array_too_long(cls, param: str, maximum: int, length: int) -> ApiError:
        return cls(
            400,
            f"Invalid '{param}': array too long. Expected an array with maximum length {maximum}, "
            f"but got an array with length {length} instead.",
            param=param,
            code="array_above_max_length",
        )

    @classmethod
    def string_too_long(cls, param: str, maximum: int, length: int) -> ApiError:
        return cls(
            400,
            f"Invalid '{param}': string too long. Expected a string with maximum length {maximum}, "
            f"but got a string with length {length} instead.",
            param=param,
            code="string_above_max_length",
        )

    @classmethod
    def body_not_an_object(cls, body: Any) -> ApiError:
        """Valid JSON that is not an object. OpenAI's answer is unrecorded; this keeps the invalid_type
        template so clients see which part of the request was wrong."""
        return cls(
            400, f"Invalid type for 'body': expected an object, but got {type_name(body)} instead.", code="invalid_type"
        )

    @classmethod
    def missing(cls, param: str) -> ApiError:
        return cls(400, f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter")

    @classmethod
    def invalid_value(cls, param: str, value: Any, supported: Sequence[str]) -> ApiError:
        return cls(
            400,
            f"Invalid value: '{_echo(value)}'. Supported values are: {_supported_list(supported)}.",
            param=param,
            code="invalid_value",
        )

    @classmethod
    def unsupported_parameter(cls, param: str, instead: str | None = None) -> ApiError:
        tail = f" Use '{instead}' instead." if instead else ""
        return cls(
            400,
            f"Unsupported parameter: '{param}' is not supported with this model.{tail}",
            param=param,
            code="unsupported_parameter",
        )

    @classmethod
    def unsupported_value(cls, param: str, message: str) -> ApiError:
        return cls(400, f"Unsupported value: {message}", param=param, code="unsupported_value")

    @classmethod
    def unrecognized_argument(cls, name: str) -> ApiError:
        return cls(400, f"Unrecognized request argument supplied: {name}")

    @classmethod
    def bad_json(cls) -> ApiError:
        return cls(
            400,
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
            "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not "
            "valid JSON. If you have trouble figuring out how to fix this, please contact us through our "
            "help center at help.openai.com.)",
        )

    @classmethod
    def model_not_found(cls, model: str) -> ApiError:
        return cls(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
        )

    @classmethod
    def invalid_request(cls, message: str, param: str | None = None, code: str | None = None) -> ApiError:
        return cls(400, message, param=param, code=code)
