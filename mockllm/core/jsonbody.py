"""Request bodies parsed as JSON, not as Python's superset of it.

Python's :func:`json.loads` accepts ``NaN``/``Infinity``/``-Infinity``, turns a lone surrogate escape
(``"\\ud800"``) into a string no encoder can write back, and fails deep inside the C scanner with a
``RecursionError`` on pathological nesting. Each of these used to travel past the parser and end as a
500 somewhere downstream (tokenising, the journal, a recursive validator). :func:`loads_strict` refuses
all three at the door, so the caller answers them like any other body that is not JSON: OpenAI's
"We could not parse the JSON body of your request" 400.

The extra checks cost nothing on ordinary bodies: a tree walk runs only when the raw bytes could hold
a deep structure (more than :data:`MAX_DEPTH` brackets) or a surrogate escape (``\\uD800``-``\\uDFFF``).
UTF-8 is decoded strictly, so a surrogate encoded as bytes, which Python's json would let through, is
invalid UTF-8 like any other.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_DEPTH", "NotJson", "loads_strict"]

#: Deepest nesting of arrays/objects accepted. Far beyond any real request (a JSON schema nests a few
#: dozen levels at most) and far below Python's recursion limit, so the recursive code that reads a
#: request (validators, the schema checker, the journal) never meets a RecursionError.
MAX_DEPTH = 128


class NotJson(ValueError):
    """The body is not JSON as RFC 8259 defines it (the message says why, for logs and the admin API)."""


def _refuse_constant(name: str) -> Any:
    raise NotJson(f"{name} is not a JSON value")


# One decoder, made once: ``json.loads`` with a keyword builds a new one per call, which would cost as
# much as parsing a small body.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def loads_strict(data: bytes | str, **kwargs: Any) -> Any:
    """Parse ``data`` as strict JSON; raise :class:`NotJson` (a ``ValueError``) for anything else.

    Refused beyond what :func:`json.loads` refuses: the non-finite literals, nesting deeper than
    :data:`MAX_DEPTH`, and strings or keys holding a lone surrogate. Invalid UTF-8 stays a
    ``UnicodeDecodeError`` (also a ``ValueError``). ``kwargs`` go to :func:`json.loads`.
    """
    if isinstance(data, str):
        raw, text, utf8 = data.encode("utf-8", "surrogatepass"), data, False
    else:
        raw = data
        # As json.loads reads bytes (UTF-8 with or without BOM, or UTF-16/32), except that UTF-8 is decoded
        # strictly: a surrogate written as bytes (ED A0 80) is invalid UTF-8, which json would let through.
        encoding = json.detect_encoding(raw)
        utf8 = encoding == "utf-8"
        text = raw.decode(encoding) if utf8 else raw.decode(encoding, "surrogatepass")
    try:
        value = json.loads(text, parse_constant=_refuse_constant, **kwargs) if kwargs else _DECODER.decode(text)
    except RecursionError:
        raise NotJson(f"nesting deeper than {MAX_DEPTH} levels") from None
    deep = raw.count(b"[") + raw.count(b"{") > MAX_DEPTH
    # In UTF-8 a lone surrogate can only arrive escaped (\uD800-\uDFFF): two substring searches find any
    # candidate (a regex over a 10 MB body costs far more).
    surrogates = not utf8 or b"\\ud" in raw or b"\\uD" in raw
    if deep or surrogates:
        _check_tree(value, surrogates)
    return value


def _check_tree(value: Any, surrogates: bool) -> None:
    """Walk ``value`` without recursion: depth bound, and (if asked) no string with a lone surrogate
    (json decodes a valid escaped pair to one code point, so any surrogate left is a lone one)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth >= MAX_DEPTH:
                raise NotJson(f"nesting deeper than {MAX_DEPTH} levels")
            for key, child in item.items():
                if surrogates and _lone_surrogate(key):
                    raise NotJson("a key holds a lone surrogate (invalid Unicode)")
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            if depth >= MAX_DEPTH:
                raise NotJson(f"nesting deeper than {MAX_DEPTH} levels")
            stack.extend((child, depth + 1) for child in item)
        elif surrogates and isinstance(item, str) and _lone_surrogate(item):
            raise NotJson("a string holds a lone surrogate (invalid Unicode)")


def _lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
