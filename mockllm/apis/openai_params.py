"""OpenAI's parameter checks, shared by its APIs (Chat Completions, Responses).

Each check is a dict lookup plus an ``isinstance`` and raises the :class:`ApiError` OpenAI's generic
templates give (``Invalid type for 'n': expected an integer, ...``, ``integer below minimum value``,
``Unknown parameter: 'x'.``), so a parameter that both APIs take fails the same way on either.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from ..core.errors import ApiError, _echo, _render_value

__all__ = [
    "NAME_RE",
    "StrictSchemaCheck",
    "check_boolean",
    "check_decimal",
    "check_enum",
    "check_integer",
    "check_metadata",
    "check_name",
    "check_object",
    "check_string",
    "exclusive_error",
    "only_when",
    "or_list",
    "unknown_member",
]


#: The strict-mode JSON-schema check both APIs inject (``structured.py``):
#: ``(schema, param, *, name, kind[, code]) -> None``, raising ApiError.
StrictSchemaCheck = Callable[..., None]


def or_list(values: Sequence[str]) -> str:
    """``'a', 'b', or 'c'``: how OpenAI's invalid-type messages list an enum's values."""
    quoted = [f"'{v}'" for v in values]
    if len(quoted) <= 2:
        return " or ".join(quoted)
    return ", ".join(quoted[:-1]) + f", or {quoted[-1]}"


def check_decimal(
    value: Any, param: str, lo: float | None, hi: float | None, lo_inc: bool = True, hi_inc: bool = True
) -> float:
    """A JSON number (ints accepted as decimals, booleans are not numbers) within [lo, hi]."""
    tv = type(value)
    if tv is not float and tv is not int:
        raise ApiError.invalid_type(param, "a decimal", value)
    if lo is not None and (value < lo or (not lo_inc and value == lo)):
        if lo_inc:
            raise ApiError.below_min(param, lo, value, integer=False)
        raise exclusive_error(param, ">", lo, value, "below minimum", "decimal_below_min_value")
    if hi is not None and (value > hi or (not hi_inc and value == hi)):
        if hi_inc:
            raise ApiError.above_max(param, hi, value, integer=False)
        raise exclusive_error(param, "<", hi, value, "above maximum", "decimal_above_max_value")
    return float(value)


def exclusive_error(param: str, op: str, bound: float, value: Any, what: str, code: str) -> ApiError:
    """OpenAI's decimal template with a strict bound (OpenSearch's ``[0, 2)`` temperature)."""
    return ApiError(
        400,
        f"Invalid '{param}': decimal {what} value. Expected a value {op} {_render_value(bound)}, "
        f"but got {_render_value(value)} instead.",
        param=param,
        code=code,
    )


def check_integer(value: Any, param: str, lo: float | None = None, hi: float | None = None) -> int:
    """A JSON integer; ``1.0`` is rejected like OpenAI does (it is a decimal on the wire)."""
    if type(value) is not int:
        raise ApiError.invalid_type(param, "an integer", value)
    if lo is not None and value < lo:
        raise ApiError.below_min(param, lo, value, integer=True)
    if hi is not None and value > hi:
        raise ApiError.above_max(param, hi, value, integer=True)
    return value


def check_boolean(value: Any, param: str) -> bool:
    if type(value) is not bool:
        raise ApiError.invalid_type(param, "a boolean", value)
    return value


def check_string(value: Any, param: str, max_length: int | None = None) -> str:
    if type(value) is not str:
        raise ApiError.invalid_type(param, "a string", value)
    if max_length is not None and len(value) > max_length:
        raise ApiError.string_too_long(param, max_length, len(value))
    return value


def check_enum(value: Any, param: str, choices: Sequence[str], accepted: frozenset[str] = frozenset()) -> str:
    """A string among ``choices`` (``accepted`` adds values taken but not advertised in the message)."""
    if type(value) is not str:
        raise ApiError.invalid_type(param, f"one of {or_list(choices)}", value)
    if value not in choices and value not in accepted:
        raise ApiError.invalid_value(param, value, choices)
    return value


def check_object(value: Any, param: str) -> dict[str, Any]:
    if type(value) is not dict:
        raise ApiError.invalid_type(param, "an object", value)
    return value


NAME_RE = re.compile(r"[a-zA-Z0-9_-]+")


def check_name(value: Any, param: str) -> str:
    """A function / schema name: ``^[a-zA-Z0-9_-]+$``, 1-64 characters, with OpenAI's wording."""
    if type(value) is not str:
        raise ApiError.invalid_type(param, "a string", value)
    if not value:
        raise ApiError(
            400,
            f"Invalid '{param}': empty string. Expected a string with minimum length 1, "
            "but got an empty string instead.",
            param=param,
            code="empty_string",
        )
    if len(value) > 64:
        raise ApiError.string_too_long(param, 64, len(value))
    if NAME_RE.fullmatch(value) is None:
        raise ApiError(
            400,
            f"Invalid '{param}': string does not match pattern. "
            "Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
            param=param,
            code="invalid_value",
        )
    return value


def only_when(param: str, other: str) -> ApiError:
    """``The 'stream_options' parameter is only allowed when 'stream' is enabled.`` and its kin."""
    return ApiError(400, f"The '{param}' parameter is only allowed when '{other}' is enabled.", param=param)


def unknown_member(param: str) -> ApiError:
    """Unknown key inside a nested object (third-party capture: ``stream_options.bogus``)."""
    return ApiError(400, f"Unknown parameter: '{param}'.", param=param, code="unknown_parameter")


def check_metadata(value: Any) -> None:
    """At most 16 pairs, keys <= 64 chars, string values <= 512 chars (SPEC; wording from a capture)."""
    if type(value) is not dict:
        raise ApiError.invalid_type("metadata", "a metadata object", value)
    if len(value) > 16:
        raise ApiError(
            400,
            "Invalid 'metadata': too many properties. Expected an object with at most 16 properties, "
            f"but got an object with {len(value)} properties instead.",
            param="metadata",
            code="object_above_max_properties",
        )
    for key, item in value.items():
        if len(key) > 64:
            raise ApiError(
                400,
                f"Invalid property name in 'metadata': '{_echo(key)}' is too long. Expected a string with "
                f"maximum length 64, but got a string with length {len(key)} instead.",
                param=f"metadata.{key}",
                code="property_name_above_max_length",
            )
        check_string(item, f"metadata.{key}", 512)
